//! The card lifecycle: enrol and issue, renew, replace, revoke, erase,
//! printing, search, and the published revocation list.
//!
//! Every operation:
//! - checks the actor's role first ([`Actor::require`]);
//! - validates its input and answers with the field and the rule broken,
//!   never the value;
//! - runs in ONE transaction ([`Db::write`](crate::db::Db::write)) that also
//!   appends its audit entries, so nothing is ever half-written;
//! - re-signs the revocation list after the transaction when it revoked a
//!   card (a failure to publish is reported, not hidden, and does not undo
//!   the revocation).
//!
//! Personal data (names, date of birth, photo, and the QR text, which holds
//! the name) is stored only sealed by the [`Vault`](crate::vault::Vault).
//! There is no field for a document type or number, a copy, nationality or
//! status (DESIGN.md §1).

use crate::audit::{self, AuditAction};
use crate::config::{DateOfBirthPolicy, PhotoRetention};
use crate::db::schema::{cards, published_lists, residents};
use crate::db::{self, DbConnection};
use crate::error::{Attested, Error, Result, Rule};
use crate::office::actor::{Actor, Permission};
use crate::office::{Office, today};
use crate::vault::{PersonalData, Purpose, random_id};
use citycard_credential::{CardClaims, CardNumber, Date, NameField, RevocationList, date, names};
use diesel::prelude::*;
use std::fmt;
use std::path::Path;
use time::PrimitiveDateTime;

/// Largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Most entries in the print queue listing.
pub const PRINT_QUEUE_LIMIT: i64 = 500;

/// The clerk's attestation: what was checked at the counter. Documents are
/// looked at and handed back; only these two facts are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attestation {
    /// The resident's identity was checked.
    pub identity_checked: bool,
    /// The resident's residence in the city was checked.
    pub residence_checked: bool,
}

impl Attestation {
    /// Both checked.
    pub const BOTH: Attestation = Attestation {
        identity_checked: true,
        residence_checked: true,
    };

    fn require(self) -> Result<()> {
        if !self.identity_checked {
            return Err(Error::AttestationMissing(Attested::Identity));
        }
        if !self.residence_checked {
            return Err(Error::AttestationMissing(Attested::Residence));
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
    /// Date of birth, as the office's policy asks.
    pub date_of_birth: Option<Date>,
    /// The photo (JPEG or PNG, at most 5 MB; the web layer re-encodes it and
    /// strips metadata before it gets here).
    pub photo: Option<Vec<u8>>,
    /// What the clerk checked.
    pub attestation: Attestation,
    /// Issue even though a resident with the same name and birth date
    /// exists (the clerk saw the warning and confirmed).
    pub confirm_duplicate: bool,
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

/// Who attested what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationRecord {
    /// Identity checked.
    pub identity_checked: bool,
    /// Residence checked.
    pub residence_checked: bool,
    /// The clerk's user name.
    pub attested_by: String,
    /// When (UTC).
    pub attested_at: PrimitiveDateTime,
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

/// Whether the revocation list was re-signed and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishStatus {
    /// Written, with this many numbers.
    Published {
        /// Numbers on the list.
        revoked: usize,
    },
    /// Not written (the revocation itself stands); the message says why.
    Failed(String),
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

/// One card waiting to be printed.
#[derive(Clone)]
pub struct QueueEntry {
    /// The card.
    pub summary: CardSummary,
    /// Given names (to find the resident at the counter).
    pub given_names: String,
    /// Family name.
    pub family_name: String,
}

impl fmt::Debug for QueueEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueEntry")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// Everything the printer needs: the card's printed face.
pub type PrintableCard = crate::output::CardFace;

/// A signed revocation list that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedList {
    /// Numbers on it.
    pub revoked: usize,
    /// Its issue date.
    pub issued: Date,
    /// Its next-update date.
    pub next_update: Date,
    /// Whether it was signed now (`false`: the stored list was still
    /// current and was kept).
    pub signed: bool,
}

/// How long a server keeps the stored revocation list in memory before it
/// reads the database again.
pub const REVOCATIONS_CACHE: std::time::Duration = std::time::Duration::from_secs(5);

/// The row of the revocation list in `published_lists`.
const REVOCATIONS_ROW: &str = "revocations";

/// [`Office::maintenance`] re-signs a stored revocation list older than
/// this, even when its content is current.
pub const REVOCATION_LIST_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(20 * 3600);

/// What a stored list's content is: the issuer, the signing key and the
/// numbers. A different hash means the stored list is out of date.
fn content_hash(issuer: &str, kid: &[u8], numbers: &[CardNumber]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(issuer.len() + kid.len() + 2 + numbers.len() * 5);
    buf.extend_from_slice(issuer.as_bytes());
    buf.push(0);
    buf.extend_from_slice(kid);
    buf.push(0);
    for n in numbers {
        buf.extend_from_slice(&n.to_bytes());
    }
    ring::digest::digest(&ring::digest::SHA256, &buf)
        .as_ref()
        .to_vec()
}

/// What [`Office::maintenance`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// Photos deleted because their retention ended.
    pub photos_deleted: usize,
    /// Ended sessions and old throttle rows deleted.
    pub sessions_purged: usize,
    /// The re-signed revocation list.
    pub revocations: PublishedList,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = cards)]
struct CardRow {
    card_number: i64,
    resident_id: Option<i64>,
    status: String,
    revocation_reason: Option<String>,
    issued: Date,
    expires: Date,
    office: String,
    kid: Vec<u8>,
    sealed_qr: Option<Vec<u8>>,
    printed_at: Option<PrimitiveDateTime>,
    identity_checked: bool,
    residence_checked: bool,
    attested_by: String,
    attested_at: PrimitiveDateTime,
    previous_card: Option<i64>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = residents)]
struct ResidentRow {
    id: i64,
    sealed_record: Option<Vec<u8>>,
    sealed_photo: Option<Vec<u8>>,
    erased_at: Option<PrimitiveDateTime>,
}

fn to_i64(n: CardNumber) -> i64 {
    i64::try_from(n.as_u64()).unwrap_or(i64::MAX)
}

fn from_i64(n: i64) -> Result<CardNumber> {
    u64::try_from(n)
        .ok()
        .and_then(|n| CardNumber::from_u64(n).ok())
        .ok_or(Error::Integrity("a stored card number is not valid"))
}

impl CardRow {
    fn status(&self, today: Date) -> Result<CardStatus> {
        match (self.status.as_str(), &self.revocation_reason) {
            ("revoked", Some(r)) => RevocationReason::parse(r)
                .map(CardStatus::Revoked)
                .ok_or(Error::Integrity("a card has an unknown revocation reason")),
            ("active", None) if self.expires < today => Ok(CardStatus::Expired),
            ("active", None) => Ok(CardStatus::Active),
            _ => Err(Error::Integrity("a card has an unknown status")),
        }
    }

    fn is_active(&self) -> bool {
        self.status == "active"
    }

    fn summary(&self, today: Date, erased: bool) -> Result<CardSummary> {
        Ok(CardSummary {
            card_number: from_i64(self.card_number)?,
            status: self.status(today)?,
            issued: self.issued,
            expires: self.expires,
            office: self.office.clone(),
            printed_at: self.printed_at,
            previous_card: self.previous_card.map(from_i64).transpose()?,
            erased,
        })
    }
}

fn load_card(c: &mut DbConnection, n: CardNumber) -> Result<CardRow> {
    cards::table
        .find(to_i64(n))
        .select(CardRow::as_select())
        .first(c)
        .optional()?
        .ok_or(Error::NotFound("card"))
}

fn load_resident(c: &mut DbConnection, id: i64) -> Result<ResidentRow> {
    residents::table
        .find(id)
        .select(ResidentRow::as_select())
        .first(c)
        .optional()?
        .ok_or(Error::Integrity("a card's resident is missing"))
}

fn resident_cards(c: &mut DbConnection, id: i64) -> Result<Vec<CardRow>> {
    Ok(cards::table
        .filter(cards::resident_id.eq(id))
        .order((cards::issued.desc(), cards::attested_at.desc()))
        .select(CardRow::as_select())
        .load(c)?)
}

/// Revokes an active card; refuses when it is not active (any more: on
/// PostgreSQL another transaction may have revoked it meanwhile).
fn revoke_row(
    c: &mut DbConnection,
    number: i64,
    reason: RevocationReason,
    now: PrimitiveDateTime,
) -> Result<()> {
    let n = diesel::update(cards::table.find(number).filter(cards::status.eq("active")))
        .set((
            cards::status.eq("revoked"),
            cards::revocation_reason.eq(Some(reason.as_str())),
            cards::revoked_at.eq(Some(now)),
        ))
        .execute(c)?;
    if n == 1 {
        Ok(())
    } else {
        Err(Error::InvalidState("the card is already revoked"))
    }
}

/// A name as typed, normalised (NFC, spaces collapsed) and checked
/// (`field` is `given_names` or `family_name`). The enrolment does this
/// itself; forms call it to report every field's problem at once.
pub fn clean_name(field: &'static str, text: &str, may_be_empty: bool) -> Result<String> {
    let which = if field == "given_names" {
        NameField::GivenNames
    } else {
        NameField::FamilyName
    };
    if text.len() > 4 * names::MAX_NAME_BYTES {
        return Err(Error::invalid(field, Rule::TooLong));
    }
    let n = names::normalize(text);
    names::check(which, &n, may_be_empty).map_err(|e| {
        use citycard_credential::NameProblem as P;
        let (rule, code_point) = match e {
            citycard_credential::Error::Name { problem, .. } => match problem {
                P::Empty => (Rule::Required, None),
                P::TooManyChars { .. } | P::TooManyBytes { .. } => (Rule::TooLong, None),
                P::ForbiddenChar { code_point } => (Rule::Characters, Some(code_point)),
                _ => (Rule::Characters, None),
            },
            _ => (Rule::Characters, None),
        };
        Error::Invalid {
            field,
            rule,
            code_point,
        }
    })?;
    Ok(n)
}

fn check_photo(photo: Option<&[u8]>) -> Result<()> {
    let Some(p) = photo else {
        return Ok(());
    };
    if p.len() > MAX_PHOTO_BYTES {
        return Err(Error::invalid("photo", Rule::TooLarge));
    }
    let jpeg = p.starts_with(&[0xFF, 0xD8, 0xFF]);
    let png = p.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    if !(jpeg || png) {
        return Err(Error::invalid("photo", Rule::NotAnImage));
    }
    Ok(())
}

/// The words of names, loosely folded (for matching given names).
fn loose_words(names: &str) -> Vec<String> {
    crate::vault::fold_loosely(names)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The same day `years` later (29 February → 28 February).
fn add_years(d: Date, years: u8) -> Date {
    let year = d.year().saturating_add(i32::from(years));
    d.replace_year(year)
        .or_else(|_| d.replace_day(28).and_then(|d28| d28.replace_year(year)))
        .unwrap_or(Date::MAX)
}

fn add_days(d: Date, days: u16) -> Date {
    d.checked_add(time::Duration::days(i64::from(days)))
        .unwrap_or(Date::MAX)
}

/// Writes a file next to its final name and renames it over (readers never
/// see half a file).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".tmp-{}-{}", std::process::id(), random_id()?));
    let tmp = path.with_file_name(name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

impl Office {
    fn validate_personal(
        &self,
        given_names: &str,
        family_name: &str,
        date_of_birth: Option<Date>,
    ) -> Result<PersonalData> {
        let given_names = clean_name("given_names", given_names, true)?;
        let family_name = clean_name("family_name", family_name, false)?;
        match (self.config().date_of_birth, date_of_birth) {
            (DateOfBirthPolicy::Required, None) => {
                return Err(Error::invalid("date_of_birth", Rule::Required));
            }
            (DateOfBirthPolicy::None, Some(_)) => {
                return Err(Error::invalid("date_of_birth", Rule::NotCollected));
            }
            _ => {}
        }
        if let Some(d) = date_of_birth {
            if d > today() {
                return Err(Error::invalid("date_of_birth", Rule::InFuture));
            }
            if date::check_range(d, "date of birth").is_err() {
                return Err(Error::invalid("date_of_birth", Rule::TooEarly));
            }
        }
        Ok(PersonalData {
            given_names,
            family_name,
            date_of_birth,
        })
    }

    /// Refuses names that a layout of the office's card template cannot
    /// print (with or without photo: a reprint after the photo was deleted
    /// uses the no-photo layout), so that no card is signed that the office
    /// cannot print. The same check for the UI, the API and the CLI.
    fn check_printable(&self, personal: &PersonalData) -> Result<()> {
        use crate::output::PrintError;
        let printer = self.printer().map_err(|e| Error::Template(e.to_string()))?;
        printer
            .check_names(&personal.given_names, &personal.family_name)
            .map_err(|(field, e)| match e {
                PrintError::UnsupportedGlyph { .. } => Error::Unprintable {
                    field: field.as_str(),
                    character: e.character(),
                },
                PrintError::TextTooLong { .. } => Error::Unprintable {
                    field: field.as_str(),
                    character: None,
                },
                other => Error::Template(other.to_string()),
            })
    }

    /// Issues a card to a resident inside a transaction: number, claims,
    /// signature, sealed QR, row.
    fn issue_card_in(
        &self,
        c: &mut DbConnection,
        actor: &Actor,
        resident_id: i64,
        personal: &PersonalData,
        attestation: Attestation,
        previous: Option<i64>,
    ) -> Result<IssuedCard> {
        let signing = self.signing()?;
        let today = today();
        if !signing.card_entry.may_sign_on(today) {
            return Err(Error::Signing(
                "the office key may not sign cards today (outside its signing window in the \
                 trust list): a new key and trust list are needed"
                    .to_owned(),
            ));
        }
        let mut number = None;
        for _ in 0..20 {
            let candidate = CardNumber::random(&mut rand_core::OsRng);
            let taken: i64 = cards::table
                .filter(cards::card_number.eq(to_i64(candidate)))
                .count()
                .get_result(c)?;
            if taken == 0 {
                number = Some(candidate);
                break;
            }
        }
        let number = number.ok_or(Error::Integrity("no free card number was found"))?;
        let expires = add_years(today, self.config().card_validity_years)
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
        let qr_text = citycard_credential::sign_card_text(&signing.card_key, &claims)
            .map_err(|e| Error::Signing(e.to_string()))?;
        let sealed_qr = self
            .vault()
            .seal(Purpose::CardQr, to_i64(number), qr_text.as_bytes())?;
        let now = db::now();
        diesel::insert_into(cards::table)
            .values((
                cards::card_number.eq(to_i64(number)),
                cards::resident_id.eq(Some(resident_id)),
                cards::status.eq("active"),
                cards::issued.eq(today),
                cards::expires.eq(expires),
                cards::office.eq(self.office_name()),
                cards::kid.eq(signing.card_entry.kid.to_vec()),
                cards::sealed_qr.eq(Some(sealed_qr)),
                cards::identity_checked.eq(attestation.identity_checked),
                cards::residence_checked.eq(attestation.residence_checked),
                cards::attested_by.eq(&actor.username),
                cards::attested_at.eq(now),
                cards::previous_card.eq(previous),
            ))
            .execute(c)?;
        Ok(IssuedCard {
            card_number: number,
            qr_text,
            issued: today,
            expires,
            kid: citycard_credential::keys::to_hex(&signing.card_entry.kid),
            previous_card: previous.map(from_i64).transpose()?,
            duplicate_confirmed: false,
            revocation_list: None,
        })
    }

    fn unseal_personal(&self, r: &ResidentRow) -> Result<Option<PersonalData>> {
        match (&r.sealed_record, r.erased_at) {
            (Some(sealed), None) => {
                let plain = self.vault().unseal(Purpose::ResidentRecord, r.id, sealed)?;
                PersonalData::decode(&plain).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn duplicates(&self, c: &mut DbConnection, tag: &[u8]) -> Result<Vec<CardSummary>> {
        let ids: Vec<i64> = residents::table
            .filter(residents::dedup_hmac.eq(tag))
            .filter(residents::erased_at.is_null())
            .select(residents::id)
            .load(c)?;
        let today = today();
        let mut out = Vec::new();
        for id in ids {
            for card in resident_cards(c, id)? {
                out.push(card.summary(today, false)?);
            }
        }
        Ok(out)
    }

    /// Enrols a resident and issues the first card. When residents with the
    /// same name and date of birth exist and `confirm_duplicate` is false,
    /// nothing is written and their cards are returned instead.
    pub fn enrol_and_issue(&self, actor: &Actor, enrolment: Enrolment) -> Result<EnrolOutcome> {
        actor.require(Permission::IssueCards)?;
        enrolment.attestation.require()?;
        let personal = self.validate_personal(
            &enrolment.given_names,
            &enrolment.family_name,
            enrolment.date_of_birth,
        )?;
        check_photo(enrolment.photo.as_deref())?;
        self.check_printable(&personal)?;
        self.signing()?;
        let tag = self.vault().dedup_tag(
            &personal.given_names,
            &personal.family_name,
            personal.date_of_birth,
        );
        let search = self.search_tag_of(&personal);
        let record = personal.encode()?;
        self.db().write(|c| {
            let duplicates = self.duplicates(c, &tag)?;
            if !duplicates.is_empty() && !enrolment.confirm_duplicate {
                return Ok(EnrolOutcome::PossibleDuplicate(duplicates));
            }
            let mut rid = random_id()?;
            while residents::table.find(rid).count().get_result::<i64>(c)? > 0 {
                rid = random_id()?;
            }
            let sealed = self.vault().seal(Purpose::ResidentRecord, rid, &record)?;
            let photo = enrolment
                .photo
                .as_deref()
                .map(|p| self.vault().seal(Purpose::ResidentPhoto, rid, p))
                .transpose()?;
            diesel::insert_into(residents::table)
                .values((
                    residents::id.eq(rid),
                    residents::sealed_record.eq(Some(sealed)),
                    residents::sealed_photo.eq(photo),
                    residents::dedup_hmac.eq(Some(&tag)),
                    residents::search_hmac.eq(Some(&search)),
                    residents::created_at.eq(db::now()),
                ))
                .execute(c)?;
            let mut issued =
                self.issue_card_in(c, actor, rid, &personal, enrolment.attestation, None)?;
            issued.duplicate_confirmed = !duplicates.is_empty();
            let detail = if issued.duplicate_confirmed {
                format!(
                    "new_resident=1 expires={} duplicate_confirmed=1",
                    issued.expires
                )
            } else {
                format!("new_resident=1 expires={}", issued.expires)
            };
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::CardIssued,
                Some(issued.card_number),
                &detail,
            )?;
            Ok(EnrolOutcome::Issued(issued))
        })
    }

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

    fn new_card_for(
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
            let newer: i64 = cards::table
                .filter(cards::previous_card.eq(old.card_number))
                .count()
                .get_result(c)?;
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
                    RevocationReason::Lost | RevocationReason::Stolen | RevocationReason::Damaged
                )
            );
            if !revocable_by_clerk {
                return Err(Error::InvalidState(
                    "this card was withdrawn or issued in error: a supervisor must decide",
                ));
            }
            let now = db::now();
            let revoked_now = old.is_active();
            if revoked_now {
                revoke_row(c, old.card_number, reason, now)?;
            }
            if let Some(photo) = &request.photo {
                let sealed = self.vault().seal(Purpose::ResidentPhoto, rid, photo)?;
                diesel::update(residents::table.find(rid))
                    .set((
                        residents::sealed_photo.eq(Some(sealed)),
                        residents::photo_delete_after.eq(None::<PrimitiveDateTime>),
                    ))
                    .execute(c)?;
            }
            let issued = self.issue_card_in(
                c,
                actor,
                rid,
                &personal,
                request.attestation,
                Some(old.card_number),
            )?;
            let old_number = from_i64(old.card_number)?;
            if revoked_now {
                audit::append(
                    c,
                    &actor.username,
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
            audit::append(
                c,
                &actor.username,
                &actor.office,
                action,
                Some(issued.card_number),
                &format!(
                    "old_card={} reason={reason} expires={}",
                    old_number.digits(),
                    issued.expires
                ),
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
            if !row.is_active() {
                return Err(Error::InvalidState("the card is already revoked"));
            }
            revoke_row(c, row.card_number, reason, db::now())?;
            audit::append(
                c,
                &actor.username,
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
    /// (SQLite overwrites them: `secure_delete`), the duplicate-check hash
    /// too, and every card of the resident is revoked. The audit log keeps
    /// card numbers, actions, user, office and time.
    pub fn erase(&self, actor: &Actor, card: CardNumber) -> Result<Erased> {
        actor.require(Permission::EraseResidents)?;
        let numbers = self.db().write(|c| {
            let row = load_card(c, card)?;
            let rid = row
                .resident_id
                .ok_or(Error::InvalidState("the resident was already erased"))?;
            let resident = load_resident(c, rid)?;
            if resident.erased_at.is_some() {
                return Err(Error::InvalidState("the resident was already erased"));
            }
            let now = db::now();
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
            diesel::update(cards::table.filter(cards::resident_id.eq(rid)))
                .set(cards::sealed_qr.eq(None::<Vec<u8>>))
                .execute(c)?;
            let n = diesel::update(
                residents::table
                    .find(rid)
                    .filter(residents::erased_at.is_null()),
            )
            .set((
                residents::sealed_record.eq(None::<Vec<u8>>),
                residents::sealed_photo.eq(None::<Vec<u8>>),
                residents::photo_delete_after.eq(None::<PrimitiveDateTime>),
                residents::dedup_hmac.eq(None::<Vec<u8>>),
                residents::search_hmac.eq(None::<Vec<u8>>),
                residents::erased_at.eq(Some(now)),
            ))
            .execute(c)?;
            if n != 1 {
                return Err(Error::InvalidState("the resident was already erased"));
            }
            // The audit entries come last: on PostgreSQL the chain's lock is
            // taken after every row lock, so transactions cannot deadlock.
            for n in revoked {
                audit::append(
                    c,
                    &actor.username,
                    &actor.office,
                    AuditAction::CardRevoked,
                    Some(n),
                    "reason=erased",
                )?;
            }
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::ResidentErased,
                Some(card),
                &format!("cards={}", numbers.len()),
            )?;
            Ok(numbers)
        })?;
        Ok(Erased {
            cards: numbers,
            revocation_list: self.publish_after_change(),
        })
    }

    /// Marks a card printed. The photo is deleted now, or its deletion
    /// scheduled, as the retention setting says.
    pub fn mark_printed(&self, actor: &Actor, card: CardNumber) -> Result<()> {
        actor.require(Permission::PrintCards)?;
        let retention = self.config().photo_retention;
        self.db().write(|c| {
            let row = load_card(c, card)?;
            if !row.is_active() {
                return Err(Error::InvalidState("the card is revoked"));
            }
            if row.printed_at.is_some() {
                return Err(Error::InvalidState("the card is already marked printed"));
            }
            let now = db::now();
            let n = diesel::update(
                cards::table
                    .find(row.card_number)
                    .filter(cards::printed_at.is_null()),
            )
            .set(cards::printed_at.eq(Some(now)))
            .execute(c)?;
            if n != 1 {
                return Err(Error::InvalidState("the card is already marked printed"));
            }
            if let Some(rid) = row.resident_id {
                match retention {
                    PhotoRetention::AfterPrinting => {
                        diesel::update(residents::table.find(rid))
                            .set((
                                residents::sealed_photo.eq(None::<Vec<u8>>),
                                residents::photo_delete_after.eq(None::<PrimitiveDateTime>),
                            ))
                            .execute(c)?;
                    }
                    PhotoRetention::Days(_) => {
                        diesel::update(
                            residents::table
                                .find(rid)
                                .filter(residents::sealed_photo.is_not_null()),
                        )
                        .set(
                            residents::photo_delete_after
                                .eq(Some(db::later(now, retention.after_printing()))),
                        )
                        .execute(c)?;
                    }
                }
            }
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::CardPrinted,
                Some(card),
                "",
            )?;
            Ok(())
        })
    }

    fn printable(&self, c: &mut DbConnection, row: &CardRow) -> Result<PrintableCard> {
        if !row.is_active() {
            return Err(Error::InvalidState("the card is revoked"));
        }
        let rid = row
            .resident_id
            .ok_or(Error::InvalidState("the resident was erased"))?;
        let resident = load_resident(c, rid)?;
        let personal = self
            .unseal_personal(&resident)?
            .ok_or(Error::InvalidState("the resident was erased"))?;
        let qr_text = match &row.sealed_qr {
            Some(s) => {
                let plain = self.vault().unseal(Purpose::CardQr, row.card_number, s)?;
                String::from_utf8(plain.to_vec())
                    .map_err(|_| Error::Integrity("a sealed QR text is not text"))?
            }
            None => return Err(Error::InvalidState("the resident was erased")),
        };
        let photo = resident
            .sealed_photo
            .as_deref()
            .map(|s| {
                self.vault()
                    .unseal(Purpose::ResidentPhoto, rid, s)
                    .map(|p| p.to_vec())
            })
            .transpose()?;
        Ok(PrintableCard {
            given_names: personal.given_names.clone(),
            family_name: personal.family_name.clone(),
            card_number: from_i64(row.card_number)?,
            issued: row.issued,
            expires: row.expires,
            date_of_birth: personal.date_of_birth,
            qr_text,
            photo,
        })
    }

    /// The data to print a card that is not yet marked printed.
    pub fn card_for_printing(&self, actor: &Actor, card: CardNumber) -> Result<PrintableCard> {
        actor.require(Permission::PrintCards)?;
        self.db().read(|c| {
            let row = load_card(c, card)?;
            if row.printed_at.is_some() {
                return Err(Error::InvalidState(
                    "the card was already printed: a supervisor can reprint it",
                ));
            }
            self.printable(c, &row)
        })
    }

    /// Prints a card again after it was marked printed (supervisors):
    /// `print` gets the card's data (without photo once the photo was
    /// deleted after printing) and makes the PDF. Only when it succeeds is
    /// `card_reprinted` written to the audit log: a reprint that failed did
    /// not happen.
    pub fn reprint<T, E: From<Error>>(
        &self,
        actor: &Actor,
        card: CardNumber,
        print: impl FnOnce(PrintableCard) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        actor.require(Permission::ReprintCards)?;
        let printable = self.db().read(|c| {
            let row = load_card(c, card)?;
            self.printable(c, &row)
        })?;
        let photo = printable.photo.is_some();
        let out = print(printable)?;
        self.db().write(|c| {
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::CardReprinted,
                Some(card),
                &format!("photo={}", u8::from(photo)),
            )
        })?;
        Ok(out)
    }

    /// A card with its resident's data, decrypted for display (recorded in
    /// the audit log as `card_viewed`).
    pub fn get_card(&self, actor: &Actor, card: CardNumber) -> Result<CardDetails> {
        actor.require(Permission::SearchCards)?;
        let today = today();
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
            let resident_cards = siblings
                .iter()
                .map(|s| s.summary(today, erased))
                .collect::<Result<Vec<_>>>()?;
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::CardViewed,
                Some(card),
                "",
            )?;
            Ok(CardDetails {
                summary: row.summary(today, erased)?,
                kid: citycard_credential::keys::to_hex(&row.kid),
                attestation: AttestationRecord {
                    identity_checked: row.identity_checked,
                    residence_checked: row.residence_checked,
                    attested_by: row.attested_by.clone(),
                    attested_at: row.attested_at,
                },
                resident,
                has_photo,
                qr_text,
                resident_cards,
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

    /// The stored photo of the card's resident, if any (for the card page).
    pub fn photo(&self, actor: &Actor, card: CardNumber) -> Result<Option<Vec<u8>>> {
        actor.require(Permission::SearchCards)?;
        self.db().read(|c| {
            let row = load_card(c, card)?;
            let Some(rid) = row.resident_id else {
                return Ok(None);
            };
            let r = load_resident(c, rid)?;
            match (&r.sealed_photo, r.erased_at) {
                (Some(s), None) => Ok(Some(
                    self.vault()
                        .unseal(Purpose::ResidentPhoto, rid, s)?
                        .to_vec(),
                )),
                _ => Ok(None),
            }
        })
    }

    /// The search index value of a resident: the search tag when there is
    /// a date of birth, else empty ("indexed, nothing to index": a family
    /// name alone would group residents by name, see docs/office.md).
    fn search_tag_of(&self, personal: &PersonalData) -> Vec<u8> {
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
                let rows: Vec<ResidentRow> = residents::table
                    .filter(residents::search_hmac.is_null())
                    .filter(residents::erased_at.is_null())
                    .filter(residents::sealed_record.is_not_null())
                    .select(ResidentRow::as_select())
                    .limit(500)
                    .load(c)?;
                for r in &rows {
                    let tag = match self.unseal_personal(r)? {
                        Some(p) => self.search_tag_of(&p),
                        None => Vec::new(),
                    };
                    diesel::update(residents::table.find(r.id))
                        .set(residents::search_hmac.eq(Some(tag)))
                        .execute(c)?;
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
        date_of_birth: Option<Date>,
    ) -> Result<Vec<CardSummary>> {
        actor.require(Permission::SearchCards)?;
        let personal = self.validate_personal(given_names, family_name, date_of_birth)?;
        let today = today();
        self.db().write(|c| {
            let found = match personal.date_of_birth {
                Some(dob) => {
                    let tag = self.vault().search_tag(&personal.family_name, dob);
                    let rows: Vec<ResidentRow> = residents::table
                        .filter(residents::search_hmac.eq(&tag))
                        .filter(residents::erased_at.is_null())
                        .select(ResidentRow::as_select())
                        .load(c)?;
                    let wanted = loose_words(&personal.given_names);
                    let mut found = Vec::new();
                    for r in rows {
                        let Some(p) = self.unseal_personal(&r)? else {
                            continue;
                        };
                        let have = loose_words(&p.given_names);
                        if p.date_of_birth == Some(dob) && wanted.iter().all(|w| have.contains(w)) {
                            for card in resident_cards(c, r.id)? {
                                found.push(card.summary(today, false)?);
                            }
                        }
                    }
                    found
                }
                None => {
                    let tag =
                        self.vault()
                            .dedup_tag(&personal.given_names, &personal.family_name, None);
                    self.duplicates(c, &tag)?
                }
            };
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::SearchedByName,
                None,
                &format!("results={}", found.len()),
            )?;
            Ok(found)
        })
    }

    /// Active cards not yet marked printed, oldest first, with the names
    /// to find the residents at the counter.
    pub fn print_queue(&self, actor: &Actor) -> Result<Vec<QueueEntry>> {
        actor.require(Permission::PrintCards)?;
        let today = today();
        self.db().read(|c| {
            let rows: Vec<(CardRow, ResidentRow)> = cards::table
                .inner_join(residents::table)
                .filter(cards::status.eq("active"))
                .filter(cards::printed_at.is_null())
                .filter(residents::erased_at.is_null())
                .order(cards::attested_at.asc())
                .limit(PRINT_QUEUE_LIMIT)
                .select((CardRow::as_select(), ResidentRow::as_select()))
                .load(c)?;
            let mut out = Vec::with_capacity(rows.len());
            for (card, resident) in rows {
                let Some(p) = self.unseal_personal(&resident)? else {
                    continue;
                };
                out.push(QueueEntry {
                    summary: card.summary(today, false)?,
                    given_names: p.given_names.clone(),
                    family_name: p.family_name.clone(),
                });
            }
            Ok(out)
        })
    }

    /// Builds and signs the revocation list from the database (every
    /// revoked card that has not expired yet), stores it in the database
    /// (the copy every server instance serves) and writes it to the data
    /// directory too (with `revoked.txt`), for `desk export` and operators.
    pub fn publish_revocations(&self) -> Result<PublishedList> {
        self.publish_revocations_if(true)
    }

    /// Like [`Office::publish_revocations`], but keeps the stored list when
    /// it is younger than [`REVOCATION_LIST_MAX_AGE`] and its content is
    /// current (several servers on one database need not all re-sign it).
    /// The files in the data directory are written from the stored list
    /// either way.
    pub fn refresh_revocations(&self) -> Result<PublishedList> {
        self.publish_revocations_if(false)
    }

    fn publish_revocations_if(&self, always: bool) -> Result<PublishedList> {
        let _guard = self.publish_lock();
        let signing = self.signing()?;
        let today = today();
        let now = db::now();
        let (bytes, list, signed) = self.db().write(|c| {
            // Locks the row until the end of the transaction (PostgreSQL; on
            // SQLite `Db::write` holds the write lock): the numbers are read
            // after every earlier publisher committed, so the last list
            // stored is never older than the last revocation.
            let locked = diesel::update(published_lists::table.find(REVOCATIONS_ROW))
                .set(published_lists::name.eq(published_lists::name))
                .execute(c)?;
            if locked != 1 {
                return Err(Error::Integrity("the revocation list row is missing"));
            }
            let (issued_at, stored_hash, stored): (PrimitiveDateTime, Vec<u8>, Vec<u8>) =
                published_lists::table
                    .find(REVOCATIONS_ROW)
                    .select((
                        published_lists::issued_at,
                        published_lists::content_hash,
                        published_lists::bytes,
                    ))
                    .first(c)?;
            let numbers: Vec<i64> = cards::table
                .filter(cards::status.eq("revoked"))
                .filter(cards::expires.ge(today))
                .select(cards::card_number)
                .load(c)?;
            let mut numbers = numbers
                .into_iter()
                .map(from_i64)
                .collect::<Result<Vec<_>>>()?;
            numbers.sort_unstable();
            numbers.dedup();
            let hash = content_hash(&signing.issuer, &signing.revocation_entry.kid, &numbers);
            if !always
                && !stored.is_empty()
                && stored_hash == hash
                && issued_at > db::earlier(now, REVOCATION_LIST_MAX_AGE)
                && let Ok((list, _)) = RevocationList::inspect(&stored)
                && list.next_update > today
            {
                return Ok((stored, list, false));
            }
            if !signing.revocation_entry.may_sign_on(today) {
                return Err(Error::Signing(
                    "the revocation key may not sign today (outside its signing window)".to_owned(),
                ));
            }
            let next_update = add_days(today, self.config().revocation_list_days);
            let list = RevocationList::new(signing.issuer.clone(), today, next_update, numbers);
            let bytes = list
                .sign(&signing.revocation_key)
                .map_err(|e| Error::Signing(e.to_string()))?;
            diesel::update(published_lists::table.find(REVOCATIONS_ROW))
                .set((
                    published_lists::issued_at.eq(now),
                    published_lists::content_hash.eq(&hash),
                    published_lists::bytes.eq(&bytes),
                ))
                .execute(c)?;
            Ok((bytes, list, true))
        })?;
        self.cache_revocations(Some(bytes.clone()));
        let mut text = String::from(
            "# Revoked card numbers, written by the office with every revocation list.\n",
        );
        for n in list.numbers() {
            text.push_str(&n.digits());
            text.push('\n');
        }
        write_atomic(&self.config().revoked_numbers_path(), text.as_bytes())?;
        write_atomic(&self.config().revocations_path(), &bytes)?;
        Ok(PublishedList {
            revoked: list.len(),
            issued: list.issued,
            next_update: list.next_update,
            signed,
        })
    }

    /// The signed revocation list as stored in the database (what every
    /// server instance serves), or `None` when none was signed yet. Kept
    /// for [`REVOCATIONS_CACHE`] seconds between database reads.
    pub fn published_revocations(&self) -> Result<Option<Vec<u8>>> {
        if let Some(cached) = self.cached_revocations(REVOCATIONS_CACHE) {
            return Ok(cached);
        }
        let stored: Option<Vec<u8>> = self.db().read(|c| {
            Ok(published_lists::table
                .find(REVOCATIONS_ROW)
                .select(published_lists::bytes)
                .first(c)
                .optional()?)
        })?;
        let stored = stored.filter(|b| !b.is_empty());
        self.cache_revocations(stored.clone());
        Ok(stored)
    }

    fn publish_after_change(&self) -> PublishStatus {
        match self.publish_revocations() {
            Ok(list) => PublishStatus::Published {
                revoked: list.revoked,
            },
            Err(e) => PublishStatus::Failed(e.to_string()),
        }
    }

    /// Deletes photos whose retention after printing has ended.
    pub fn purge_photos(&self) -> Result<usize> {
        let now = db::now();
        self.db().write(|c| {
            Ok(
                diesel::update(residents::table.filter(residents::photo_delete_after.le(now)))
                    .set((
                        residents::sealed_photo.eq(None::<Vec<u8>>),
                        residents::photo_delete_after.eq(None::<PrimitiveDateTime>),
                    ))
                    .execute(c)?,
            )
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_arithmetic() {
        let d = |s| date::parse(s).unwrap();
        assert_eq!(add_years(d("2028-02-29"), 5), d("2033-02-28"));
        assert_eq!(add_years(d("2026-03-01"), 5), d("2031-03-01"));
        assert_eq!(add_days(d("2026-12-30"), 7), d("2027-01-06"));
    }

    #[test]
    fn names_are_normalised_and_checked() {
        assert_eq!(
            clean_name("family_name", "  Müller   Lüdenscheidt ", false).unwrap(),
            "Müller Lüdenscheidt"
        );
        assert!(clean_name("family_name", "", false).is_err());
        assert_eq!(clean_name("given_names", "", true).unwrap(), "");
        let e = clean_name("family_name", &"x".repeat(500), false).unwrap_err();
        assert_eq!(e.code(), "invalid_input");
        assert!(e.to_string().starts_with("family_name: "), "{e}");
        let e = clean_name("given_names", "Ann\u{202E}a", true).unwrap_err();
        assert!(e.to_string().contains("U+202E"), "{e}");
        assert!(!e.to_string().contains("Ann"), "{e}");
        assert!(clean_name("given_names", "A\u{0007}", true).is_err());
    }

    #[test]
    fn photos_are_checked() {
        check_photo(None).unwrap();
        check_photo(Some(&[0xFF, 0xD8, 0xFF, 0xE0])).unwrap();
        assert!(check_photo(Some(b"GIF89a")).is_err());
        let big = [vec![0xFF, 0xD8, 0xFF], vec![0; MAX_PHOTO_BYTES]].concat();
        assert!(check_photo(Some(&big)).is_err());
    }

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
