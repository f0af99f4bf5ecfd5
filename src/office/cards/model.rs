//! What a card is: the value types of the card lifecycle (what the clerk
//! enters, what a card page shows, what an operation answers).

use super::rules::RenewalState;
use crate::db::cards::{CardRow, from_i64};
use crate::error::{Attested, Error, Result};
use crate::office::actor::{Permission, Role};
use crate::office::publish::PublishStatus;
use crate::vault::PersonalData;
use citycard_credential::{BirthDate, CardNumber, Date};
use std::fmt;
use time::PrimitiveDateTime;

/// The clerk's attestation: what was checked at the counter. Documents are
/// looked at and handed back; only these two facts are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attestation {
    /// The resident's identity was checked.
    pub identity_checked: bool,
    /// The resident's residence in the city was checked.
    pub residence_checked: bool,
    /// A caretaker of the (minor) resident is present. Asked below
    /// `minors.caretaker_under`; nothing about the caretaker is stored
    /// beyond this fact.
    pub caretaker_present: bool,
}

impl Attestation {
    /// Both checked (no caretaker attested).
    pub const BOTH: Attestation = Attestation {
        identity_checked: true,
        residence_checked: true,
        caretaker_present: false,
    };

    /// Both checked and a caretaker present (a minor's card).
    pub const WITH_CARETAKER: Attestation = Attestation {
        identity_checked: true,
        residence_checked: true,
        caretaker_present: true,
    };

    pub(crate) fn require(self) -> Result<()> {
        if !self.identity_checked {
            return Err(Error::AttestationMissing(Attested::Identity));
        }
        if !self.residence_checked {
            return Err(Error::AttestationMissing(Attested::Residence));
        }
        Ok(())
    }

    /// Refuses when a caretaker is needed and not attested.
    pub(crate) fn require_caretaker(self, needed: bool) -> Result<()> {
        if needed && !self.caretaker_present {
            return Err(Error::AttestationMissing(Attested::Caretaker));
        }
        Ok(())
    }
}

/// What the clerk enters to enrol a resident and issue the first card.
#[derive(Clone, Default)]
pub struct Enrolment {
    /// Given names as typed (normalised here); may be empty.
    pub given_names: String,
    /// Family name as typed (normalised here).
    pub family_name: String,
    /// Date of birth (a day, or only a month and year, or only a year),
    /// as the office's policy asks.
    pub date_of_birth: Option<BirthDate>,
    /// The photo (JPEG or PNG, at most 5 MB; the web layer re-encodes it and
    /// strips metadata before it gets here).
    pub photo: Option<Vec<u8>>,
    /// What the clerk checked.
    pub attestation: Attestation,
    /// Issue even though a resident with the same name and birth date
    /// exists (the clerk saw the warning and confirmed).
    pub confirm_duplicate: bool,
    /// Where the resident picks the card up (`None`: the enrolling site).
    pub pickup_site: Option<i64>,
}

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrolment")
            .field("attestation", &self.attestation)
            .field("confirm_duplicate", &self.confirm_duplicate)
            .finish_non_exhaustive()
    }
}

/// For renewing or replacing: the new attestation and optionally a new photo.
#[derive(Clone, Default)]
pub struct NewCardRequest {
    /// The clerk checked identity and residence again.
    pub attestation: Attestation,
    /// A new photo, replacing the stored one (if any).
    pub photo: Option<Vec<u8>>,
    /// Where the resident picks the card up (`None`: the clerk's site).
    pub pickup_site: Option<i64>,
}

impl fmt::Debug for NewCardRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCardRequest")
            .field("attestation", &self.attestation)
            .field("photo", &self.photo.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Why a card was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    /// Reported lost.
    Lost,
    /// Reported stolen.
    Stolen,
    /// Damaged.
    Damaged,
    /// Superseded by a renewed card.
    Renewed,
    /// Withdrawn by the office.
    Withdrawn,
    /// Issued by mistake.
    IssuedInError,
    /// The resident's data was erased.
    Erased,
    /// Not collected at its pick-up site in time.
    NotCollected,
}

impl RevocationReason {
    /// The reasons a supervisor may give when revoking by hand.
    pub const MANUAL: [RevocationReason; 5] = [
        RevocationReason::Lost,
        RevocationReason::Stolen,
        RevocationReason::Damaged,
        RevocationReason::Withdrawn,
        RevocationReason::IssuedInError,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Lost => "lost",
            RevocationReason::Stolen => "stolen",
            RevocationReason::Damaged => "damaged",
            RevocationReason::Renewed => "renewed",
            RevocationReason::Withdrawn => "withdrawn",
            RevocationReason::IssuedInError => "issued_in_error",
            RevocationReason::Erased => "erased",
            RevocationReason::NotCollected => "not_collected",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            RevocationReason::Lost,
            RevocationReason::Stolen,
            RevocationReason::Damaged,
            RevocationReason::Renewed,
            RevocationReason::Withdrawn,
            RevocationReason::IssuedInError,
            RevocationReason::Erased,
            RevocationReason::NotCollected,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a card is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplaceReason {
    /// Lost.
    Lost,
    /// Stolen.
    Stolen,
    /// Damaged.
    Damaged,
}

impl ReplaceReason {
    /// The revocation reason of the old card.
    pub fn revocation(self) -> RevocationReason {
        match self {
            ReplaceReason::Lost => RevocationReason::Lost,
            ReplaceReason::Stolen => RevocationReason::Stolen,
            ReplaceReason::Damaged => RevocationReason::Damaged,
        }
    }

    /// From `lost`, `stolen` or `damaged`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lost" => Some(ReplaceReason::Lost),
            "stolen" => Some(ReplaceReason::Stolen),
            "damaged" => Some(ReplaceReason::Damaged),
            _ => None,
        }
    }
}

/// A card's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStatus {
    /// Valid (as far as the office knows).
    Active,
    /// Past its last valid day.
    Expired,
    /// Revoked.
    Revoked(RevocationReason),
}

impl CardStatus {
    /// `active`, `expired` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::Expired => "expired",
            CardStatus::Revoked(_) => "revoked",
        }
    }
}

/// A card without personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSummary {
    /// The number.
    pub card_number: CardNumber,
    /// Its state today.
    pub status: CardStatus,
    /// Issue date.
    pub issued: Date,
    /// Last valid day.
    pub expires: Date,
    /// The issuing office.
    pub office: String,
    /// When it was marked printed (UTC).
    pub printed_at: Option<PrimitiveDateTime>,
    /// The card it replaced or renewed.
    pub previous_card: Option<CardNumber>,
    /// The resident's personal data has been erased.
    pub erased: bool,
}

/// What the card page shows.
#[derive(Clone)]
pub struct CardDetails {
    /// The card.
    pub summary: CardSummary,
    /// The signing key's kid (hex).
    pub kid: String,
    /// The attestation made when it was issued.
    pub attestation: AttestationRecord,
    /// The resident's data (`None` once erased).
    pub resident: Option<PersonalData>,
    /// Whether a photo is stored.
    pub has_photo: bool,
    /// The QR text (`None` once erased).
    pub qr_text: Option<String>,
    /// Every card of the same resident, newest first (this one included).
    pub resident_cards: Vec<CardSummary>,
    /// Where the card stands in its renewal window today.
    pub renewal: RenewalState,
    /// Its way to the resident (`None`: a card from before sites, or
    /// erased).
    pub pickup: Option<PickupInfo>,
}

/// Where a card is on its way to the resident, as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupInfo {
    /// The step.
    pub step: super::PickupStep,
    /// The pick-up site's name; `None` ("another site") for a partner
    /// organisation seen from elsewhere.
    pub site: Option<String>,
    /// The viewer works at the pick-up site (or city-wide): the card is
    /// on the viewer's lists, and theirs to print and hand over.
    pub here: bool,
}

impl fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardDetails")
            .field("summary", &self.summary)
            .field("kid", &self.kid)
            .field("attestation", &self.attestation)
            .field("has_photo", &self.has_photo)
            .finish_non_exhaustive()
    }
}

/// What a card page may offer: computed in one place, here, from the role
/// and the card's state (the operations check the same rules again when
/// they run, inside their transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CardActions {
    /// Make the PDF of a card not yet printed.
    pub print: bool,
    /// Mark it printed (offered with `print`).
    pub mark_printed: bool,
    /// Print again a card already marked printed (supervisors).
    pub reprint: bool,
    /// Renew: only from the newest card of the resident, inside its
    /// renewal window, and not when the office withdrew it.
    pub renew: bool,
    /// The renewal window is open: the page offers renewal first.
    pub renewal_due: bool,
    /// Replace (lost, stolen, damaged): only from the newest card of the
    /// resident, not when the office withdrew it.
    pub replace: bool,
    /// Revoke an active card.
    pub revoke: bool,
    /// Erase the resident's personal data.
    pub erase: bool,
}

impl CardDetails {
    /// What a user with `role` may do with this card now.
    pub fn actions(&self, role: Role) -> CardActions {
        let s = &self.summary;
        let active = s.status == CardStatus::Active;
        let erased = s.erased;
        // Printed by its pick-up site (or central print staff) only.
        let here = self.pickup.as_ref().is_none_or(|p| p.here);
        let print = role.allows(Permission::PrintCards)
            && active
            && !erased
            && s.printed_at.is_none()
            && here;
        // A card that was already renewed or replaced is the previous card
        // of another one; a card the office withdrew (or issued in error,
        // or revoked for erasure) is for a supervisor to decide
        // (`Office::renew` refuses it too).
        let newest = !self
            .resident_cards
            .iter()
            .any(|c| c.previous_card == Some(s.card_number));
        let clerk_may_follow_up = matches!(
            s.status,
            CardStatus::Active
                | CardStatus::Expired
                | CardStatus::Revoked(
                    RevocationReason::Lost
                        | RevocationReason::Stolen
                        | RevocationReason::Damaged
                        | RevocationReason::NotCollected
                )
        );
        let issue_again =
            role.allows(Permission::IssueCards) && !erased && newest && clerk_may_follow_up;
        let window_open = matches!(self.renewal, RenewalState::Open { .. });
        CardActions {
            print,
            mark_printed: print,
            reprint: role.allows(Permission::ReprintCards)
                && active
                && !erased
                && s.printed_at.is_some(),
            renew: issue_again && window_open,
            renewal_due: issue_again && window_open,
            replace: issue_again,
            revoke: role.allows(Permission::RevokeCards) && active,
            erase: role.allows(Permission::EraseResidents) && !erased,
        }
    }
}

/// Who attested what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationRecord {
    /// Identity checked.
    pub identity_checked: bool,
    /// Residence checked.
    pub residence_checked: bool,
    /// A caretaker was present (a minor's card).
    pub caretaker_present: bool,
    /// The clerk's user name, where the viewer may see it (see `site`).
    pub attested_by: Option<String>,
    /// When (UTC).
    pub attested_at: PrimitiveDateTime,
    /// The site where it was attested: named for a user of that site, and
    /// for everyone when it is a city counter or pop-up site; `None`
    /// ("another site") for a partner organisation seen from elsewhere,
    /// since naming it would imply the resident's status.
    pub site: Option<String>,
}

/// A newly issued card.
#[derive(Clone)]
pub struct IssuedCard {
    /// The number.
    pub card_number: CardNumber,
    /// The QR text (`CC1…`); holds the name.
    pub qr_text: String,
    /// Issue date.
    pub issued: Date,
    /// Last valid day.
    pub expires: Date,
    /// The signing key's kid (hex).
    pub kid: String,
    /// The card it renews or replaces.
    pub previous_card: Option<CardNumber>,
    /// A possible duplicate was confirmed by the clerk.
    pub duplicate_confirmed: bool,
    /// Whether the revocation list was re-signed (renew and replace revoke
    /// the old card); `None` when nothing was revoked.
    pub revocation_list: Option<PublishStatus>,
}

impl fmt::Debug for IssuedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCard")
            .field("card_number", &self.card_number)
            .field("issued", &self.issued)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// The answer to an enrolment.
#[derive(Debug, Clone)]
pub enum EnrolOutcome {
    /// The card was issued.
    Issued(IssuedCard),
    /// Nothing was written: residents with the same name and date of birth
    /// have these cards. Ask the clerk, then call again with
    /// `confirm_duplicate` (or renew/replace the existing card instead).
    PossibleDuplicate(Vec<CardSummary>),
}

/// A revoked card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The card.
    pub card_number: CardNumber,
    /// The reason.
    pub reason: RevocationReason,
    /// The revocation list.
    pub revocation_list: PublishStatus,
}

/// An erased resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// Every card of the resident (all revoked now).
    pub cards: Vec<CardNumber>,
    /// The revocation list.
    pub revocation_list: PublishStatus,
}

/// Everything the printer needs: the card's printed face.
pub type PrintableCard = crate::output::CardFace;

impl CardStatus {
    /// A stored card's state on `today`.
    pub(crate) fn of_row(row: &CardRow, today: Date) -> Result<CardStatus> {
        match (row.status.as_str(), &row.revocation_reason) {
            ("revoked", Some(r)) => RevocationReason::parse(r)
                .map(CardStatus::Revoked)
                .ok_or(Error::Integrity("a card has an unknown revocation reason")),
            ("active", None) if row.expires < today => Ok(CardStatus::Expired),
            ("active", None) => Ok(CardStatus::Active),
            _ => Err(Error::Integrity("a card has an unknown status")),
        }
    }
}

impl CardSummary {
    /// A stored card as the office shows it on `today`.
    pub(crate) fn of_row(row: &CardRow, today: Date, erased: bool) -> Result<CardSummary> {
        Ok(CardSummary {
            card_number: from_i64(row.card_number)?,
            status: CardStatus::of_row(row, today)?,
            issued: row.issued,
            expires: row.expires,
            office: row.office.clone(),
            printed_at: row.printed_at,
            previous_card: row.previous_card.map(from_i64).transpose()?,
            erased,
        })
    }
}
