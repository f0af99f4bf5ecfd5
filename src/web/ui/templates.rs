//! The page templates (`templates/ui/*.html`) and the small view models
//! they show. View models hold display strings only: what the page needs,
//! nothing more.

use super::i18n::Lang;
use super::view::{FieldErrors, Page};
use crate::office::cards::{CardStatus, CardSummary, RevocationReason};
use crate::vault::PersonalData;
use askama::Template;

/// An option of a `<select>`: (value, label, selected).
pub type Choice = (&'static str, &'static str, bool);

/// Options with the one whose value is `selected` marked.
pub fn choices(options: Vec<(&'static str, &'static str)>, selected: &str) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(v, l)| (v, l, v == selected))
        .collect()
}

/// A card in a table.
#[derive(Debug, Clone)]
pub struct CardRow {
    /// Digits only, for links.
    pub digits: String,
    /// `0123 4567 8906`.
    pub display: String,
    /// Translated status.
    pub status: String,
    /// Issue date.
    pub issued: String,
    /// Last valid day.
    pub expires: String,
}

impl CardRow {
    /// From a summary.
    pub fn new(lang: Lang, c: &CardSummary) -> Self {
        CardRow {
            digits: c.card_number.digits(),
            display: c.card_number.to_string(),
            status: status_text(lang, c.status),
            issued: lang.date(c.issued),
            expires: lang.date(c.expires),
        }
    }
}

/// The translated status of a card.
pub fn status_text(lang: Lang, status: CardStatus) -> String {
    match status {
        CardStatus::Active => lang.t("card.status_active").to_owned(),
        CardStatus::Expired => lang.t("card.status_expired").to_owned(),
        // Superseded by its renewal: not "revoked" in the everyday sense.
        CardStatus::Revoked(RevocationReason::Renewed) => lang.t("card.status_renewed").to_owned(),
        CardStatus::Revoked(r) => lang.tf(
            "card.status_revoked",
            &[("reason", lang.t(&format!("reason.{}", r.as_str())))],
        ),
    }
}

/// The card on its page.
#[derive(Debug, Clone)]
pub struct CardView {
    /// Digits only.
    pub digits: String,
    /// Translated status.
    pub status: String,
    /// `active`, `expired`, `revoked` (CSS class).
    pub status_class: &'static str,
    /// Issue date.
    pub issued: String,
    /// Last valid day.
    pub expires: String,
    /// Issuing office.
    pub office: String,
    /// When printed (UTC), if printed.
    pub printed: Option<String>,
    /// The card it replaced: (digits, display).
    pub previous: Option<(String, String)>,
    /// Signing key id.
    pub kid: String,
    /// "Checked by … at …".
    pub attested: String,
    /// Where it is on its way to the resident, if it is.
    pub pickup: Option<String>,
}

/// `GET /login`.
#[derive(Template)]
#[template(path = "login.html")]
pub struct Login<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub username: String,
    pub next: String,
}

/// `GET /account/password`.
#[derive(Template)]
#[template(path = "password.html")]
pub struct Password<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub forced: bool,
}

/// `GET /`.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard<'a> {
    pub page: &'a Page,
    pub welcome: String,
    /// (href, label, text)
    pub tiles: Vec<(&'static str, &'static str, String)>,
    /// What the deletion schedule erases within 30 days (counts only).
    pub retention: Option<String>,
}

/// What the clerk typed into the enrolment form (shown again with errors
/// or the duplicate warning).
#[derive(Default)]
pub struct EnrolForm {
    pub given_names: String,
    pub family_name: String,
    pub date_of_birth: String,
    /// The re-encoded photo as base64, kept across the confirm step.
    pub photo_kept: String,
    pub attest_identity: bool,
    pub attest_residence: bool,
    pub attest_caretaker: bool,
}

/// `GET /enrol`, and the form again with errors or the duplicate warning.
#[derive(Template)]
#[template(path = "enrol.html")]
pub struct Enrol<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub form: EnrolForm,
    pub dob_asked: bool,
    pub dob_required: bool,
    pub duplicates: Vec<CardRow>,
    /// Where the card may be picked up: (site id, name, selected).
    pub pickup_options: Vec<(String, String, bool)>,
}

/// `GET /cards/{number}`.
#[derive(Template)]
#[template(path = "card.html")]
pub struct Card<'a> {
    pub page: &'a Page,
    pub card: CardView,
    pub resident: Option<PersonalData>,
    pub has_photo: bool,
    /// Why the card cannot be printed (translated), shown at the top.
    pub print_problem: Option<String>,
    /// What printing or a reprint will look like (translated).
    pub print_note: Option<String>,
    pub qr_svg: Option<String>,
    pub others: Vec<CardRow>,
    pub can_print: bool,
    pub can_reprint: bool,
    pub can_renew: bool,
    pub can_replace: bool,
    /// (open, text): the renewal window's state on the newest card.
    pub renewal_note: Option<(bool, String)>,
    pub can_revoke: bool,
    pub can_erase: bool,
}

/// Renew and replace: attestation, optional photo, reason (replace).
#[derive(Template)]
#[template(path = "newcard.html")]
pub struct NewCard<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub digits: String,
    /// `renew` or `replace`.
    pub action: &'static str,
    pub intro: &'static str,
    pub submit: &'static str,
    /// (value, label, selected)
    pub reasons: Vec<Choice>,
    pub attest_identity: bool,
    pub attest_residence: bool,
    pub attest_caretaker: bool,
}

/// Revoke, erase and mark printed: the confirmation page.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct Confirm<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub digits: String,
    /// `revoke`, `erase` or `printed`.
    pub action: &'static str,
    pub intro: String,
    pub confirm_label: &'static str,
    pub submit: &'static str,
    /// Empty for erase.
    pub reasons: Vec<Choice>,
    /// "Mark printed" only: the label of the optional "handed over now"
    /// checkbox (the resident waits at the counter).
    pub handover: Option<&'static str>,
}

/// `GET /search` and the results of a search by name.
#[derive(Template)]
#[template(path = "search.html")]
pub struct Search<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub card_number: String,
    pub given_names: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub dob_asked: bool,
    pub dob_required: bool,
    pub results: Option<Vec<CardRow>>,
}

/// One card in the print queue.
pub struct QueueRow {
    pub digits: String,
    pub display: String,
    pub name: String,
    pub issued: String,
    pub expires: String,
    /// How it will be printed, or why it cannot be (translated).
    pub print: String,
    /// Whether it is in the batch PDF.
    pub printable: bool,
}

/// `GET /print-queue`.
#[derive(Template)]
#[template(path = "queue.html")]
pub struct Queue<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    /// Problems of the last batch PDF (translated).
    pub alerts: Vec<String>,
    pub entries: Vec<QueueRow>,
    /// The card numbers that can be printed, comma-separated (digits).
    pub numbers: String,
    /// How many cards can be printed.
    pub printable: usize,
    pub mark_label: String,
    pub batch_label: String,
    /// Which cards are left out of the PDF, and that the table says why.
    pub left_out: Option<String>,
    /// What the queue is, and how many cards a page shows (translated).
    pub intro: String,
    /// The link to the page before (`/print-queue?before=N`), if any.
    pub previous: Option<String>,
    /// The link to the page after (`/print-queue?after=N`), if any.
    pub next: Option<String>,
}

/// `GET /pickup`: the site's pick-up list.
#[derive(Template)]
#[template(path = "pickup.html")]
pub struct Pickup<'a> {
    pub page: &'a Page,
    pub groups: Vec<PickupGroup>,
    /// One step, a page at a time (`?step=`).
    pub one_step: bool,
    /// The step's first page, when this is a later one.
    pub first_page: Option<String>,
    /// Where the page is, for its forms to come back to (empty: the
    /// first page of every step).
    pub list_step: &'static str,
    pub list_after: String,
}

/// One step's cards on the pick-up list.
pub struct PickupGroup {
    pub title: &'static str,
    pub hint: &'static str,
    /// The path's last part of the step's button (`sent`, `received`,
    /// `hand-over`, `destroyed`).
    pub action: &'static str,
    /// The step opens a page (hand-over) rather than posting at once.
    pub link: bool,
    /// How many cards are at this step (all, not only those shown).
    pub count: usize,
    /// "The 50 oldest of 70 are shown", when not all are.
    pub shown: Option<String>,
    pub rows: Vec<PickupRow>,
    /// The step's own pages (address, label), when it has more cards than
    /// shown.
    pub more: Option<(String, String)>,
    /// The step's next page.
    pub next: Option<String>,
}

/// One card on the pick-up list.
pub struct PickupRow {
    pub digits: String,
    pub display: String,
    pub name: String,
    pub since: String,
    /// The pick-up site's name (city-wide staff only; else empty).
    pub site: String,
    pub button: String,
}

/// `GET /pickup/{number}/hand-over`.
#[derive(Template)]
#[template(path = "handover.html")]
pub struct HandOver<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub digits: String,
    pub display: String,
    pub name: String,
}

/// `GET /sites`.
#[derive(Template)]
#[template(path = "sites.html")]
pub struct Sites<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub sites: Vec<SiteRowView>,
    pub kinds: Vec<Choice>,
    pub typed_name: String,
}

/// One site in the list.
pub struct SiteRowView {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub closed: bool,
    pub rename_label: String,
    pub toggle_label: String,
}

/// `GET /figures`.
#[derive(Template)]
#[template(path = "figures.html")]
pub struct Figures<'a> {
    pub page: &'a Page,
    pub rows: Vec<FigureRow>,
    /// The chart (SVG made on the server; empty without figures).
    pub chart: String,
}

/// One site and month in the figures table.
pub struct FigureRow {
    pub site: String,
    pub kind: &'static str,
    pub month: String,
    pub total: bool,
    pub enrolled: String,
    pub printed: String,
    pub handed_over: String,
    pub not_collected: String,
    pub waiting: String,
}

/// One user in the list.
pub struct UserRow {
    pub username: String,
    pub role: &'static str,
    pub state: String,
    pub disabled: bool,
    /// The signed-in admin's own account.
    pub is_self: bool,
    pub toggle_label: String,
    pub reset_label: String,
    /// The user's site's name, or "City-wide".
    pub site: String,
    /// The sites to move the user to: (id, name, selected); empty for
    /// admins and auditors (always city-wide).
    pub site_options: Vec<(String, String, bool)>,
    pub move_label: String,
}

/// `GET /users`.
#[derive(Template)]
#[template(path = "users.html")]
pub struct Users<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub users: Vec<UserRow>,
    pub roles: Vec<Choice>,
    pub username: String,
    /// A refused change to an account (translated).
    pub alert: Option<String>,
    /// The open sites for a new user: (id, name, selected); "" is
    /// city-wide.
    pub sites: Vec<(String, String, bool)>,
}

/// `GET /users/{name}/password`.
#[derive(Template)]
#[template(path = "user_reset.html")]
pub struct UserReset<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub username: String,
}

/// One audit entry, for display.
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub office: String,
    /// The action in the user's language.
    pub label: String,
    /// The stored action name.
    pub action: String,
    pub card: String,
    pub detail: String,
}

/// `GET /audit`.
#[derive(Template)]
#[template(path = "audit.html")]
pub struct Audit<'a> {
    pub page: &'a Page,
    pub errors: FieldErrors,
    pub chain: String,
    pub chain_ok: bool,
    /// The checkpoint text as pasted (kept after an error).
    pub checkpoint: String,
    pub entries: Vec<AuditRow>,
    pub paged: bool,
    pub older: Option<i64>,
}

/// `GET /keys`.
#[derive(Template)]
#[template(path = "keys.html")]
pub struct Keys<'a> {
    pub page: &'a Page,
    pub keys: Option<crate::office::KeyStatus>,
    pub window: String,
}

/// An error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub page: &'a Page,
    pub message: String,
}
