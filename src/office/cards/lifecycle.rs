//! A card after it was issued: renew, replace, revoke, erase.

use super::model::{Erased, IssuedCard, NewCardRequest, ReplaceReason, RevocationReason, Revoked};
use super::rules::{check_photo, renewal_state};
use crate::db::cards::{from_i64, load as load_card, of_resident as resident_cards};
use crate::db::residents::load as load_resident;
use crate::db::{self, DbConnection};
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use crate::vault::Purpose;
use citycard_credential::CardNumber;
use time::PrimitiveDateTime;

/// Revokes an active card; refuses when it is not active (any more: on
/// PostgreSQL another transaction may have revoked it meanwhile).
pub(super) fn revoke_row(
    c: &mut DbConnection,
    number: i64,
    reason: RevocationReason,
    now: PrimitiveDateTime,
) -> Result<()> {
    if db::cards::revoke_if_active(c, number, reason.as_str(), now)? {
        Ok(())
    } else {
        Err(Error::InvalidState("the card is already revoked"))
    }
}

impl Office {
    /// Renews a card: a new card with a new expiry for the same resident;
    /// the old card is revoked as `renewed` if it was still active.
    pub fn renew(
        &self,
        actor: &Actor,
        card: CardNumber,
        request: NewCardRequest,
    ) -> Result<IssuedCard> {
        self.new_card_for(actor, card, request, RevocationReason::Renewed)
    }

    /// Replaces a lost, stolen or damaged card: the old card is revoked with
    /// that reason and a new card issued.
    pub fn replace(
        &self,
        actor: &Actor,
        card: CardNumber,
        reason: ReplaceReason,
        request: NewCardRequest,
    ) -> Result<IssuedCard> {
        self.new_card_for(actor, card, request, reason.revocation())
    }

    pub(super) fn new_card_for(
        &self,
        actor: &Actor,
        card: CardNumber,
        request: NewCardRequest,
        reason: RevocationReason,
    ) -> Result<IssuedCard> {
        actor.require(Permission::IssueCards)?;
        request.attestation.require()?;
        check_photo(request.photo.as_deref())?;
        self.signing()?;
        let (mut issued, revoked_now) = self.db().write(|c| {
            let old = load_card(c, card)?;
            let rid = old
                .resident_id
                .ok_or(Error::InvalidState("the resident of this card was erased"))?;
            let resident = load_resident(c, rid)?;
            let personal = self
                .unseal_personal(&resident)?
                .ok_or(Error::InvalidState("the resident of this card was erased"))?;
            if reason == RevocationReason::Renewed {
                // In the domain, so that UI, API and CLI refuse alike.
                renewal_state(&self.config().renewal, old.expires, self.today()).require_open()?;
            }
            let newer = db::cards::successors(c, old.card_number)?;
            if newer > 0 {
                return Err(Error::InvalidState(
                    "this card was already renewed or replaced: use the newest card",
                ));
            }
            let revocable_by_clerk = matches!(
                old.revocation_reason
                    .as_deref()
                    .and_then(RevocationReason::parse),
                None | Some(
                    RevocationReason::Lost
                        | RevocationReason::Stolen
                        | RevocationReason::Damaged
                        | RevocationReason::NotCollected
                )
            );
            if !revocable_by_clerk {
                return Err(Error::InvalidState(
                    "this card was withdrawn or issued in error: a supervisor must decide",
                ));
            }
            let now = self.now();
            let revoked_now = old.is_active();
            if revoked_now {
                revoke_row(c, old.card_number, reason, now)?;
            }
            if let Some(photo) = &request.photo {
                let sealed = self.vault().seal(Purpose::ResidentPhoto, rid, photo)?;
                db::residents::set_photo(c, rid, sealed)?;
            }
            let prepared = self.prepare_card(&personal)?;
            let (issued, enrolled) = self.issue_card_in(
                c,
                actor,
                rid,
                &personal,
                super::issue::CardPlan {
                    attestation: request.attestation,
                    previous: Some(old.card_number),
                    pickup: request.pickup_site,
                },
                prepared,
            )?;
            let old_number = from_i64(old.card_number)?;
            if revoked_now {
                audit::append(
                    c,
                    &actor.who(),
                    &actor.office,
                    AuditAction::CardRevoked,
                    Some(old_number),
                    &format!("reason={reason} new_card={}", issued.card_number.digits()),
                )?;
            }
            let action = if reason == RevocationReason::Renewed {
                AuditAction::CardRenewed
            } else {
                AuditAction::CardReplaced
            };
            audit::append_counting(
                c,
                &actor.who(),
                &actor.office,
                action,
                Some(issued.card_number),
                &format!(
                    "old_card={} reason={reason} expires={}",
                    old_number.digits(),
                    issued.expires
                ),
                &[enrolled],
            )?;
            Ok((issued, revoked_now))
        })?;
        if revoked_now {
            issued.revocation_list = Some(self.publish_after_change());
        }
        Ok(issued)
    }

    /// Revokes an active card (supervisors).
    pub fn revoke(
        &self,
        actor: &Actor,
        card: CardNumber,
        reason: RevocationReason,
    ) -> Result<Revoked> {
        actor.require(Permission::RevokeCards)?;
        if !RevocationReason::MANUAL.contains(&reason) {
            return Err(Error::invalid("reason", Rule::Choice));
        }
        self.db().write(|c| {
            let row = load_card(c, card)?;
            self.require_card_site(c, actor, &row)?;
            if !row.is_active() {
                return Err(Error::InvalidState("the card is already revoked"));
            }
            revoke_row(c, row.card_number, reason, self.now())?;
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::CardRevoked,
                Some(card),
                &format!("reason={reason}"),
            )?;
            Ok(())
        })?;
        Ok(Revoked {
            card_number: card,
            reason,
            revocation_list: self.publish_after_change(),
        })
    }

    /// Erases the personal data of the resident who holds this card
    /// (supervisors): the sealed record, photo and QR texts are deleted
    /// (SQLite overwrites them, `secure_delete`, and the WAL that still held
    /// them is checkpointed and truncated at once), the duplicate-check hash
    /// too, and every card of the resident is revoked. The audit log keeps
    /// card numbers, actions, user, office and time.
    pub fn erase(&self, actor: &Actor, card: CardNumber) -> Result<Erased> {
        actor.require(Permission::EraseResidents)?;
        let numbers = self.db().write(|c| {
            let row = load_card(c, card)?;
            self.require_card_site(c, actor, &row)?;
            let rid = row
                .resident_id
                .ok_or(Error::InvalidState("the resident was already erased"))?;
            self.erase_in(c, actor, rid, card, "")
        })?;
        self.scrub_after_erasure();
        Ok(Erased {
            cards: numbers,
            revocation_list: self.publish_after_change(),
        })
    }

    /// Erases resident `rid` inside a transaction (the one erasure, used by
    /// [`Office::erase`] and the deletion schedule): revokes their active
    /// cards, deletes the sealed record, photo, tags and QR texts, and
    /// audits it (`card`: the card named in the `resident_erased` entry;
    /// `why`: appended to its detail, e.g. `reason=retention_expired`).
    pub(crate) fn erase_in(
        &self,
        c: &mut DbConnection,
        actor: &Actor,
        rid: i64,
        card: CardNumber,
        why: &str,
    ) -> Result<Vec<CardNumber>> {
        let resident = load_resident(c, rid)?;
        if resident.erased_at.is_some() {
            return Err(Error::InvalidState("the resident was already erased"));
        }
        let now = self.now();
        let all = resident_cards(c, rid)?;
        let mut numbers = Vec::with_capacity(all.len());
        let mut revoked = Vec::new();
        for r in &all {
            let n = from_i64(r.card_number)?;
            numbers.push(n);
            if r.is_active() {
                revoke_row(c, r.card_number, RevocationReason::Erased, now)?;
                revoked.push(n);
            }
        }
        db::cards::clear_qr_of_resident(c, rid)?;
        if !db::residents::erase(c, rid, now)? {
            return Err(Error::InvalidState("the resident was already erased"));
        }
        // The audit entries come last: on PostgreSQL the chain's lock is
        // taken after every row lock, so transactions cannot deadlock.
        for n in revoked {
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::CardRevoked,
                Some(n),
                "reason=erased",
            )?;
        }
        let detail = if why.is_empty() {
            format!("cards={}", numbers.len())
        } else {
            format!("{why} cards={}", numbers.len())
        };
        audit::append(
            c,
            &actor.who(),
            &actor.office,
            AuditAction::ResidentErased,
            Some(card),
            &detail,
        )?;
        Ok(numbers)
    }
}
