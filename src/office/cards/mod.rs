//! Cards: enrol and issue, renew, replace, revoke, erase,
//! printing and search (the revocation list is published by `office::publish`).
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
//!
//! Where things are: [`birth_date`] (a day, a month or a year), [`model`] (the value types), [`rules`] (names, photo,
//! dates), [`issue`] (enrol and issue), [`lifecycle`] (renew, replace,
//! revoke, erase), [`printing`] (print, mark printed, reprint, photos),
//! [`queue`] (the print queue, a page at a time), [`pickup`] (the steps
//! of a card's way to its resident), [`pickup_list`] (each site's list of
//! them, a page at a time), [`search`] (get and
//! find cards, search by name). Rows and queries are in `db::cards`,
//! `db::print_queue` and `db::residents`.

pub mod birth_date;
pub mod issue;
pub mod lifecycle;
pub mod model;
pub mod pickup;
pub mod pickup_list;
pub(crate) mod pickup_sites;
pub mod printing;
pub mod queue;
pub mod route;
pub mod rules;
pub mod search;

/// Whether the revocation list was re-signed after a card was revoked.
pub use crate::office::publish::PublishStatus;
pub use birth_date::BirthDate;
pub use model::{
    Attestation, AttestationRecord, CardActions, CardDetails, CardStatus, CardSummary,
    EnrolOutcome, Enrolment, Erased, IssuedCard, NewCardRequest, PickupInfo, PrintableCard,
    ReplaceReason, RevocationReason, Revoked,
};
pub use pickup::PickupStep;
pub use pickup_list::{
    PICKUP_LIST_LIMIT, PICKUP_PAGE, PickupCursor, PickupEntry, PickupPage, PickupQuery,
};
pub use queue::{PRINT_QUEUE_LIMIT, PRINT_QUEUE_PAGE, QueueEntry, QueueFrom, QueuePage};
pub use route::Route;
pub use rules::{AgeBand, MAX_PHOTO_BYTES, RenewalState, age_on, clean_name};
pub use search::parse_card_number;
