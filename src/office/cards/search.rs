//! Finding cards: by number, by name and date of birth; showing a card
//! with its resident's data; the search index.

use super::model::{AttestationRecord, CardDetails, CardSummary};
use super::rules::{loose_words, renewal_state};
use crate::db::cards::{load as load_card, of_resident as resident_cards};
use crate::db::residents::{ResidentRow, load as load_resident};
use crate::db::{self, DbConnection};
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use crate::vault::{PersonalData, Purpose};
use citycard_credential::{BirthDate, CardNumber};

/// Parses a typed card number; the error says what is wrong with it.
pub fn parse_card_number(typed: &str) -> Result<CardNumber> {
    // Twelve digits (spaces and hyphens allowed) whose check digit does
    // not fit are a mistyped number; anything else is not a card number.
    let digits = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>();
    let twelve = digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit());
    typed.parse::<CardNumber>().map_err(|_| {
        Error::CardNumber(if twelve {
            Rule::CheckDigit
        } else {
            Rule::Format
        })
    })
}

impl Office {
    pub(super) fn unseal_personal(&self, r: &ResidentRow) -> Result<Option<PersonalData>> {
        match (&r.sealed_record, r.erased_at) {
            (Some(sealed), None) => {
                let plain = self.vault().unseal(Purpose::ResidentRecord, r.id, sealed)?;
                PersonalData::decode(&plain).map(Some)
            }
            _ => Ok(None),
        }
    }

    pub(super) fn duplicates(
        &self,
        c: &mut DbConnection,
        tags: &[Vec<u8>],
    ) -> Result<Vec<CardSummary>> {
        let ids = db::residents::ids_with_dedup_tag(c, tags)?;
        let today = self.today();
        let mut out = Vec::new();
        for id in ids {
            for card in resident_cards(c, id)? {
                out.push(CardSummary::of_row(&card, today, false)?);
            }
        }
        Ok(out)
    }

    /// A card with its resident's data, decrypted for display (recorded in
    /// the audit log as `card_viewed`).
    pub fn get_card(&self, actor: &Actor, card: CardNumber) -> Result<CardDetails> {
        actor.require(Permission::SearchCards)?;
        let today = self.today();
        self.db().write(|c| {
            let row = load_card(c, card)?;
            let (resident, has_photo, siblings) = match row.resident_id {
                Some(rid) => {
                    let r = load_resident(c, rid)?;
                    (
                        self.unseal_personal(&r)?,
                        r.sealed_photo.is_some(),
                        resident_cards(c, rid)?,
                    )
                }
                None => (None, false, Vec::new()),
            };
            let erased = resident.is_none();
            let qr_text = match (&row.sealed_qr, erased) {
                (Some(s), false) => {
                    let plain = self.vault().unseal(Purpose::CardQr, row.card_number, s)?;
                    Some(
                        String::from_utf8(plain.to_vec())
                            .map_err(|_| Error::Integrity("a sealed QR text is not text"))?,
                    )
                }
                _ => None,
            };
            let route = self.held_route(c, &row)?;
            let (site, attested_by) = self.attestation_seen_by(c, actor, route.as_ref())?;
            let pickup = self.pickup_seen_by(c, actor, &row, route.as_ref())?;
            let resident_cards = siblings
                .iter()
                .map(|s| CardSummary::of_row(s, today, erased))
                .collect::<Result<Vec<_>>>()?;
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::CardViewed,
                Some(card),
                "",
            )?;
            Ok(CardDetails {
                summary: CardSummary::of_row(&row, today, erased)?,
                kid: citycard_credential::keys::to_hex(&row.kid),
                attestation: AttestationRecord {
                    identity_checked: row.identity_checked,
                    residence_checked: row.residence_checked,
                    caretaker_present: row.caretaker_present,
                    attested_by,
                    attested_at: row.attested_at,
                    site,
                },
                resident,
                has_photo,
                qr_text,
                resident_cards,
                renewal: renewal_state(&self.config().renewal, row.expires, today),
                pickup,
            })
        })
    }

    /// Looks a card up by its number as typed (spaces and hyphens allowed;
    /// the check digit is validated first).
    pub fn find_card(&self, actor: &Actor, typed: &str) -> Result<CardDetails> {
        actor.require(Permission::SearchCards)?;
        let number = parse_card_number(typed)?;
        self.get_card(actor, number)
    }

    /// The stored photo of the card's resident, if any (recorded in the
    /// audit log as `photo_viewed` when there is one).
    pub fn photo(&self, actor: &Actor, card: CardNumber) -> Result<Option<Vec<u8>>> {
        actor.require(Permission::SearchCards)?;
        self.db().write(|c| {
            let row = load_card(c, card)?;
            let Some(rid) = row.resident_id else {
                return Ok(None);
            };
            let r = load_resident(c, rid)?;
            let photo = match (&r.sealed_photo, r.erased_at) {
                (Some(s), None) => self
                    .vault()
                    .unseal(Purpose::ResidentPhoto, rid, s)?
                    .to_vec(),
                _ => return Ok(None),
            };
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::PhotoViewed,
                Some(card),
                "",
            )?;
            Ok(Some(photo))
        })
    }

    /// The search index value of a resident: the search tag when there is
    /// a date of birth, else empty ("indexed, nothing to index": a family
    /// name alone would group residents by name, see docs/office.md).
    pub(super) fn search_tag_of(&self, personal: &PersonalData) -> Vec<u8> {
        personal
            .date_of_birth
            .map(|dob| self.vault().search_tag(&personal.family_name, dob))
            .unwrap_or_default()
    }

    /// Fills the search index of residents enrolled before it existed
    /// (run at start; a no-op once done). Returns how many were indexed.
    pub fn index_for_search(&self) -> Result<usize> {
        let mut done = 0;
        loop {
            let n = self.db().write(|c| {
                let rows = db::residents::unindexed(c, 500)?;
                for r in &rows {
                    let tag = match self.unseal_personal(r)? {
                        Some(p) => self.search_tag_of(&p),
                        None => Vec::new(),
                    };
                    db::residents::set_search_tag(c, r.id, tag)?;
                }
                Ok(rows.len())
            })?;
            done += n;
            if n == 0 {
                return Ok(done);
            }
        }
    }

    /// Finds the cards of residents by name and date of birth (for a
    /// resident who lost the card and its number).
    ///
    /// - With a date of birth: the family name and the date find the
    ///   residents (search index: case, accents, hyphens and apostrophes do
    ///   not matter, `Muller` finds `Müller`); given names, when typed,
    ///   narrow them down: each typed given name must be one of the
    ///   resident's (same looseness; `Anna` finds `Anna Maria`).
    /// - Without one (offices that record no date of birth, or a resident
    ///   who gave none): the full name as on the card (the duplicate check's
    ///   tag: case, spacing and Unicode form do not matter; accents do).
    pub fn search_by_name_and_dob(
        &self,
        actor: &Actor,
        given_names: &str,
        family_name: &str,
        date_of_birth: Option<BirthDate>,
    ) -> Result<Vec<CardSummary>> {
        actor.require(Permission::SearchCards)?;
        let personal = self.validate_personal(given_names, family_name, date_of_birth)?;
        let today = self.today();
        self.db().write(|c| {
            let found = match personal.date_of_birth {
                Some(dob) => {
                    let tag = self.vault().search_tag(&personal.family_name, dob);
                    let rows = db::residents::with_search_tag(c, &tag)?;
                    let wanted = loose_words(&personal.given_names);
                    let mut found = Vec::new();
                    for r in rows {
                        let Some(p) = self.unseal_personal(&r)? else {
                            continue;
                        };
                        let have = loose_words(&p.given_names);
                        if p.date_of_birth == Some(dob) && wanted.iter().all(|w| have.contains(w)) {
                            for card in resident_cards(c, r.id)? {
                                found.push(CardSummary::of_row(&card, today, false)?);
                            }
                        }
                    }
                    found
                }
                None => {
                    let tag =
                        self.vault()
                            .dedup_tag(&personal.given_names, &personal.family_name, None);
                    self.duplicates(c, &[tag])?
                }
            };
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::SearchedByName,
                None,
                &format!("results={}", found.len()),
            )?;
            Ok(found)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_validated() {
        assert_eq!(
            parse_card_number("0123 4567 8906").unwrap().digits(),
            "012345678906"
        );
        assert_eq!(
            parse_card_number("0123 4567 8907").unwrap_err().code(),
            "invalid_card_number"
        );
        assert!(parse_card_number("abc").is_err());
    }
}
