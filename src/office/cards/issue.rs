//! Enrolling a resident and issuing the first card (and the signing step
//! every new card goes through).

use super::birth_date;
use super::model::{Attestation, EnrolOutcome, Enrolment, IssuedCard};
use super::rules::{add_years, check_photo};
use crate::db::cards::{from_i64, to_i64};
use crate::db::{self, DbConnection};
use crate::error::{Error, Result};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use crate::vault::{PersonalData, Purpose, random_id};
use citycard_credential::{CardClaims, CardNumber, Date, date};

/// What a new card is issued with, besides its resident.
pub(super) struct CardPlan {
    /// What the clerk checked.
    pub(super) attestation: Attestation,
    /// The card it renews or replaces.
    pub(super) previous: Option<i64>,
    /// The pick-up site chosen (`None`: the clerk's).
    pub(super) pickup: Option<i64>,
}

/// A card signed and its QR sealed before the transaction that stores it
/// ([`Office::prepare_card`]): the signature and the sealing are most of
/// issuance's CPU, and outside the transaction they run beside other
/// writers instead of holding the write lock (SQLite) or the rows that
/// every issuance updates (PostgreSQL).
pub(super) struct PreparedCard {
    number: CardNumber,
    today: Date,
    expires: Date,
    qr_text: String,
    sealed_qr: Vec<u8>,
}

impl Office {
    /// Chooses a random card number and signs and seals the card of
    /// `personal` for it (no database access). The transaction that
    /// stores it ([`Office::issue_card_in`]) takes another number, and
    /// signs again, only if this one is taken by then.
    pub(super) fn prepare_card(&self, personal: &PersonalData) -> Result<PreparedCard> {
        let signing = self.signing()?;
        let today = self.today();
        if !signing.card_entry.may_sign_on(today) {
            return Err(Error::Signing(
                "the office key may not sign cards today (outside its signing window in the \
                 trust list): a new key and trust list are needed"
                    .to_owned(),
            ));
        }
        let number = CardNumber::random(&mut rand_core::OsRng);
        // The age band on the day of issue (enrolment, renewal and
        // replacement alike): a minor's shorter validity.
        let band = self.age_band(personal.date_of_birth);
        let expires = add_years(today, band.validity_years)
            .previous_day()
            .unwrap_or(today)
            .min(signing.card_entry.verify_until)
            .min(date::from_days(date::MAX_DAYS).unwrap_or(Date::MAX));
        let claims = CardClaims {
            issuer: signing.issuer.clone(),
            card_number: number,
            given_names: personal.given_names.clone(),
            family_name: personal.family_name.clone(),
            issued: today,
            expires,
            date_of_birth: personal.date_of_birth,
        };
        let qr_text = signing
            .card_signer
            .sign_text(&claims)
            .map_err(|e| Error::Signing(e.to_string()))?;
        let sealed_qr = self
            .vault()
            .seal(Purpose::CardQr, to_i64(number), qr_text.as_bytes())?;
        Ok(PreparedCard {
            number,
            today,
            expires,
            qr_text,
            sealed_qr,
        })
    }

    /// Issues a card to a resident inside a transaction: the prepared
    /// card (signed and sealed, [`Office::prepare_card`]) under a number
    /// that is free, and its row. Returns the card, and the `enrolled`
    /// step for the enrolling site's figures, which the caller's audit
    /// entry records ([`audit::append_counting`]).
    pub(super) fn issue_card_in(
        &self,
        c: &mut DbConnection,
        actor: &Actor,
        resident_id: i64,
        personal: &PersonalData,
        plan: CardPlan,
        prepared: PreparedCard,
    ) -> Result<(IssuedCard, db::sites::SiteEvent)> {
        let CardPlan {
            attestation,
            previous,
            pickup,
        } = plan;
        let signing = self.signing()?;
        // Every transaction that seals (enrolment, renewal, replacement)
        // issues a card: refuse keys that a rotation has replaced.
        self.ensure_keys_current(c)?;
        let band = self.age_band(personal.date_of_birth);
        attestation.require_caretaker(band.caretaker_needed)?;
        let now = self.now();
        let route = self.new_route(c, actor, pickup)?;
        let mut next = Some(prepared);
        let mut tries = 0;
        // The prepared number, or (rarely: it was taken meanwhile) another.
        let (number, today, expires, qr_text) = loop {
            let Some(PreparedCard {
                number,
                today,
                expires,
                qr_text,
                sealed_qr,
            }) = next.take()
            else {
                return Err(Error::Integrity("no free card number was found"));
            };
            let sealed_route = self.seal_route(to_i64(number), &route)?;
            let inserted = db::cards::insert_if_free(
                c,
                &db::cards::NewCard {
                    card_number: to_i64(number),
                    resident_id,
                    issued: today,
                    expires,
                    office: self.office_name(),
                    kid: signing.card_entry.kid.to_vec(),
                    sealed_qr,
                    identity_checked: attestation.identity_checked,
                    residence_checked: attestation.residence_checked,
                    caretaker_present: attestation.caretaker_present && band.caretaker_needed,
                    // Who attested is in the sealed route (issue 11).
                    attested_by: "",
                    attested_at: now,
                    previous_card: previous,
                    sealed_route,
                    pickup_state: super::PickupStep::Queued.as_str(),
                },
            )?;
            if inserted {
                break (number, today, expires, qr_text);
            }
            tries += 1;
            if tries < 20 {
                next = Some(self.prepare_card(personal)?);
            }
        };
        let enrolled = db::sites::SiteEvent {
            site: route.enrolled_at,
            month: super::pickup::month_of(now),
            event: "enrolled",
        };
        let issued = IssuedCard {
            card_number: number,
            qr_text,
            issued: today,
            expires,
            kid: citycard_credential::keys::to_hex(&signing.card_entry.kid),
            previous_card: previous.map(from_i64).transpose()?,
            duplicate_confirmed: false,
            revocation_list: None,
        };
        Ok((issued, enrolled))
    }

    /// Enrols a resident and issues the first card. When residents with the
    /// same name and date of birth exist and `confirm_duplicate` is false,
    /// nothing is issued and their cards are returned instead: a lookup by
    /// name and birth date, recorded as `duplicates_shown results=N` like
    /// the search by name (`searched_by_name`).
    pub fn enrol_and_issue(&self, actor: &Actor, enrolment: Enrolment) -> Result<EnrolOutcome> {
        actor.require(Permission::IssueCards)?;
        enrolment.attestation.require()?;
        let personal = self.validate_personal(
            &enrolment.given_names,
            &enrolment.family_name,
            enrolment.date_of_birth,
        )?;
        enrolment
            .attestation
            .require_caretaker(self.age_band(personal.date_of_birth).caretaker_needed)?;
        check_photo(enrolment.photo.as_deref())?;
        self.check_printable(&personal)?;
        self.signing()?;
        let tag = self.vault().dedup_tag(
            &personal.given_names,
            &personal.family_name,
            personal.date_of_birth,
        );
        // Possible duplicates: the same name with this date of birth or one
        // that can mean the same birthday (`1987` and `14.03.1987`; see
        // office::cards::birth_date).
        let candidates: Vec<Vec<u8>> = match personal.date_of_birth {
            None => vec![tag.clone()],
            Some(b) => birth_date::could_be_the_same(b)
                .into_iter()
                .map(|d| {
                    self.vault()
                        .dedup_tag(&personal.given_names, &personal.family_name, Some(d))
                })
                .collect(),
        };
        let search = self.search_tag_of(&personal);
        let record = personal.encode()?;
        // Signing and sealing happen before the transaction (see
        // `PreparedCard`); it takes another resident id or card number,
        // and seals or signs again, only when this one is taken by then.
        let office = self.clone();
        let photo = enrolment.photo;
        let seal_resident = move |rid: i64| -> Result<(Vec<u8>, Option<Vec<u8>>)> {
            let sealed = office.vault().seal(Purpose::ResidentRecord, rid, &record)?;
            let photo = photo
                .as_deref()
                .map(|p| office.vault().seal(Purpose::ResidentPhoto, rid, p))
                .transpose()?;
            Ok((sealed, photo))
        };
        let first_rid = random_id()?;
        let first_sealed = seal_resident(first_rid)?;
        let prepared = self.prepare_card(&personal)?;
        let (attestation, pickup, confirm) = (
            enrolment.attestation,
            enrolment.pickup_site,
            enrolment.confirm_duplicate,
        );
        let (office, actor) = (self.clone(), actor.clone());
        // The work owns what it needs: the writer may run it on another
        // request's thread, with other enrolments in one transaction.
        self.db().write_handed_over(move |c| {
            let duplicates = office.duplicates(c, &candidates)?;
            if !duplicates.is_empty() && !confirm {
                audit::append(
                    c,
                    &actor.who(),
                    &actor.office,
                    AuditAction::DuplicatesShown,
                    None,
                    &format!("results={}", duplicates.len()),
                )?;
                return Ok(EnrolOutcome::PossibleDuplicate(duplicates));
            }
            let (mut rid, mut sealed) = (first_rid, first_sealed);
            // The prepared id, or (rarely: it was taken meanwhile) another.
            loop {
                let (sealed_record, sealed_photo) = sealed;
                let inserted = db::residents::insert_if_free(
                    c,
                    &db::residents::NewResident {
                        id: rid,
                        sealed_record,
                        sealed_photo,
                        dedup_hmac: &tag,
                        search_hmac: &search,
                        created_at: office.now(),
                    },
                )?;
                if inserted {
                    break;
                }
                rid = random_id()?;
                sealed = seal_resident(rid)?;
            }
            let (mut issued, enrolled) = office.issue_card_in(
                c,
                &actor,
                rid,
                &personal,
                CardPlan {
                    attestation,
                    previous: None,
                    pickup,
                },
                prepared,
            )?;
            issued.duplicate_confirmed = !duplicates.is_empty();
            let detail = if issued.duplicate_confirmed {
                format!(
                    "new_resident=1 expires={} duplicate_confirmed=1",
                    issued.expires
                )
            } else {
                format!("new_resident=1 expires={}", issued.expires)
            };
            audit::append_counting(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::CardIssued,
                Some(issued.card_number),
                &detail,
                &[enrolled],
            )?;
            Ok(EnrolOutcome::Issued(issued))
        })
    }
}
