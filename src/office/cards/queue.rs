//! The print queue, a page at a time (issue 12, item 1: lists that cost
//! what they show).
//!
//! A page is read through the partial index `cards_print_queue`
//! (`db::print_queue`) in queue order — when the card was attested, then
//! by number; that order never changes for a card, so a card number is a
//! stable place to page from: "after card N" and "before card N" stay
//! right while cards leave the queue (printed, revoked) as a clerk pages,
//! N included. A site's user sees their site's cards only: the site is
//! sealed in each card's route, so the rows are read in chunks and the
//! routes opened until the page is full (a page costs its rows and the
//! other sites' cards between them, never the rest of the queue).
//!
//! Only the page's residents are decrypted. The page is recorded as
//! `print_queue_viewed count=N`, N the cards shown.

use super::model::CardSummary;
use crate::db::cards::{CardRow, from_i64, to_i64, with_residents};
use crate::db::print_queue::{self as rows, Direction, QueueKey};
use crate::db::{DbConnection, residents::ResidentRow};
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use crate::output::{CheckKey, PrintError, Printer};
use citycard_credential::CardNumber;
use std::fmt;

/// Cards on a page of the clerk UI's print queue.
pub const PRINT_QUEUE_PAGE: usize = 50;

/// Most cards on one page of the print queue (the API's `limit`, and what
/// `citycard print --queue` prints at once).
pub const PRINT_QUEUE_LIMIT: i64 = 500;

/// Where a page of the print queue starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFrom {
    /// The oldest cards.
    Start,
    /// The cards after this one (the last card of the page before; it may
    /// have left the queue since).
    After(CardNumber),
    /// The cards before this one (the first card of the page after).
    Before(CardNumber),
    /// The cards from this one on, itself first while it is queued (the
    /// page shown again, after a form on it).
    At(CardNumber),
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

/// One page of the print queue, oldest first.
#[derive(Debug)]
pub struct QueuePage {
    /// The cards on the page.
    pub entries: Vec<QueueEntry>,
    /// With [`Office::print_queue_page_checked`], whether each card can be
    /// printed (as [`Office::print_check`] says), in the entries' order;
    /// otherwise empty.
    pub checks: Vec<std::result::Result<bool, PrintError>>,
    /// Queued cards come before the page (there is a page before).
    pub more_before: bool,
    /// Queued cards come after the page.
    pub more_after: bool,
}

/// The card numbers of a page, before any resident is read.
struct Window {
    numbers: Vec<i64>,
    more_before: bool,
    more_after: bool,
}

impl Office {
    /// One page of the actor's print queue with the names to find the
    /// residents at the counter: at most `limit` cards (1 to
    /// [`PRINT_QUEUE_LIMIT`]) from `from` on, oldest first (recorded as
    /// `print_queue_viewed count=N` unless it is empty). A card number in
    /// `from` that names no card is refused (`invalid_input`).
    pub fn print_queue_page(
        &self,
        actor: &Actor,
        from: QueueFrom,
        limit: usize,
    ) -> Result<QueuePage> {
        self.queue_page(actor, from, limit, None)
    }

    /// [`Office::print_queue_page`] with, for each card, whether it can be
    /// printed with the office's template (`Ok(true)` with its photo,
    /// `Ok(false)` without): the clerk UI's queue, which offers only
    /// those for the batch PDF. The page is read in one database read.
    pub fn print_queue_page_checked(
        &self,
        actor: &Actor,
        from: QueueFrom,
        limit: usize,
    ) -> Result<QueuePage> {
        let printer = self.printer().map_err(|e| Error::Template(e.to_string()))?;
        self.queue_page(actor, from, limit, Some(&printer))
    }

    /// The first [`PRINT_QUEUE_LIMIT`] cards of the print queue with their
    /// names (audited as a page is).
    pub fn print_queue(&self, actor: &Actor) -> Result<Vec<QueueEntry>> {
        Ok(self
            .print_queue_page(actor, QueueFrom::Start, limit_max())?
            .entries)
    }

    /// The card numbers of the first [`PRINT_QUEUE_LIMIT`] cards of the
    /// print queue, oldest first, without names (not audited: a card number
    /// is not personal data; nothing is decrypted but the routes).
    pub fn print_queue_numbers(&self, actor: &Actor) -> Result<Vec<CardNumber>> {
        actor.require(Permission::PrintCards)?;
        self.db().read(|c| {
            self.queue_window(c, actor, QueueFrom::Start, limit_max())?
                .numbers
                .into_iter()
                .map(from_i64)
                .collect()
        })
    }

    fn queue_page(
        &self,
        actor: &Actor,
        from: QueueFrom,
        limit: usize,
        printer: Option<&Printer>,
    ) -> Result<QueuePage> {
        actor.require(Permission::PrintCards)?;
        let limit = limit.clamp(1, limit_max());
        let today = self.today();
        // One read for the page: its numbers, then its rows.
        let (found, window) = self.db().read(|c| {
            let window = self.queue_window(c, actor, from, limit)?;
            Ok((with_residents(c, &window.numbers)?, window))
        })?;
        let mut entries = Vec::with_capacity(found.len());
        let mut checks = Vec::new();
        for (card, resident) in &found {
            let Some(p) = self.unseal_personal(resident)? else {
                continue;
            };
            entries.push(QueueEntry {
                summary: CardSummary::of_row(card, today, false)?,
                given_names: p.given_names.clone(),
                family_name: p.family_name.clone(),
            });
            if let Some(printer) = printer {
                checks.push(self.check_row(printer, card, resident));
            }
        }
        // An empty page shows nobody.
        if !entries.is_empty() {
            self.db().write(|c| {
                audit::append(
                    c,
                    &actor.who(),
                    &actor.office,
                    AuditAction::PrintQueueViewed,
                    None,
                    &format!("count={}", entries.len()),
                )
            })?;
        }
        Ok(QueuePage {
            entries,
            checks,
            more_before: window.more_before,
            more_after: window.more_after,
        })
    }

    /// Whether a queued card as read can be printed. A card that passed
    /// with the printer's templates before, unchanged since, is not checked
    /// again: the key is a digest of everything the check reads (the
    /// card's number and dates, its sealed QR text, its resident's sealed
    /// record and photo), so a new photo, a corrected name or a re-sealing
    /// is a new key, and a reloaded printer remembers nothing. Otherwise
    /// the photo is decrypted for the check only, one card at a time.
    fn check_row(
        &self,
        printer: &Printer,
        card: &CardRow,
        resident: &ResidentRow,
    ) -> std::result::Result<bool, PrintError> {
        let key = check_key(card, resident);
        let photo = resident.sealed_photo.is_some();
        if printer.passed(&key) {
            return Ok(photo);
        }
        let face = self
            .face_of(card, resident)
            .map_err(|e| PrintError::Unavailable(e.to_string()))?;
        printer.check(&face)?;
        printer.remember_passed(key);
        Ok(face.photo.is_some())
    }

    /// The numbers of a page of the actor's queue, and whether cards come
    /// before and after it.
    fn queue_window(
        &self,
        c: &mut DbConnection,
        actor: &Actor,
        from: QueueFrom,
        limit: usize,
    ) -> Result<Window> {
        self.check_site_open(c, actor.site)?;
        // Cards from before sites have no route: the first site's, read once.
        let first_site = match actor.site {
            Some(_) => self.default_site(c)?.unwrap_or(0),
            None => 0,
        };
        let scan = |c: &mut DbConnection, at: Option<QueueKey>, dir: Direction, want: usize| {
            self.scan_queue(c, actor, first_site, at, dir, want)
        };
        let numbers =
            |keys: &[QueueKey]| -> Vec<i64> { keys.iter().map(|k| k.card_number).collect() };
        let window = match from {
            QueueFrom::Start => {
                let (keys, more_after) = scan(c, None, Direction::Forward, limit)?;
                Window {
                    numbers: numbers(&keys),
                    more_before: false,
                    more_after,
                }
            }
            QueueFrom::At(n) => {
                let at = key_of(c, n, "at")?;
                // Just before `n` in the order (numbers are integers).
                let at = QueueKey {
                    card_number: at.card_number.saturating_sub(1),
                    ..at
                };
                return self.window_after(c, at, limit, scan);
            }
            QueueFrom::After(n) => {
                let at = key_of(c, n, "after")?;
                return self.window_after(c, at, limit, scan);
            }
            QueueFrom::Before(n) => {
                let at = key_of(c, n, "before")?;
                let (mut keys, more_before) = scan(c, Some(at), Direction::Backward, limit)?;
                if !more_before {
                    // Back at the start: the first page, full.
                    return self.queue_window(c, actor, QueueFrom::Start, limit);
                }
                keys.reverse();
                let last = keys.last().copied().unwrap_or(at);
                let (after, _) = scan(c, Some(last), Direction::Forward, 1)?;
                Window {
                    numbers: numbers(&keys),
                    more_before,
                    more_after: !after.is_empty(),
                }
            }
        };
        Ok(window)
    }

    /// The page after `at`, and whether cards come before and after it.
    fn window_after(
        &self,
        c: &mut DbConnection,
        at: QueueKey,
        limit: usize,
        scan: impl Fn(&mut DbConnection, Option<QueueKey>, Direction, usize) -> Result<Scanned>,
    ) -> Result<Window> {
        let (keys, more_after) = scan(c, Some(at), Direction::Forward, limit)?;
        // Before the page's first card; on an empty page, before the card
        // after `at` (so `at` itself counts).
        let first = keys.first().copied().unwrap_or(QueueKey {
            card_number: at.card_number.saturating_add(1),
            ..at
        });
        let (before, _) = scan(c, Some(first), Direction::Backward, 1)?;
        Ok(Window {
            numbers: keys.iter().map(|k| k.card_number).collect(),
            more_before: !before.is_empty(),
            more_after,
        })
    }

    /// Up to `want` of the actor's queued cards from `at` on in `dir`, and
    /// whether there are more. A site's user: the rows are read in chunks
    /// and their routes opened until `want` of the site's are found.
    fn scan_queue(
        &self,
        c: &mut DbConnection,
        actor: &Actor,
        first_site: i64,
        mut at: Option<QueueKey>,
        dir: Direction,
        want: usize,
    ) -> Result<Scanned> {
        let chunk = match actor.site {
            None => want + 1,
            Some(_) => (want + 1).max(SITE_CHUNK),
        };
        let mut out = Vec::with_capacity(want + 1);
        loop {
            let found = rows::queued(c, at, dir, chunk)?;
            let last_chunk = found.len() < chunk;
            for (key, sealed_route) in found {
                at = Some(key);
                let here = match (actor.site, sealed_route) {
                    (None, _) => true,
                    (Some(site), Some(sealed)) => {
                        self.pickup_site_opened(key.card_number, &sealed)? == site
                    }
                    (Some(site), None) => first_site == site,
                };
                if here {
                    out.push(key);
                    if out.len() > want {
                        out.truncate(want);
                        return Ok((out, true));
                    }
                }
            }
            if last_chunk {
                return Ok((out, false));
            }
        }
    }
}

/// Up to so many of the actor's queued cards, and whether more follow.
type Scanned = (Vec<QueueKey>, bool);

/// Rows read at once for a site's user (other sites' cards are skipped).
const SITE_CHUNK: usize = 200;

fn limit_max() -> usize {
    usize::try_from(PRINT_QUEUE_LIMIT).unwrap_or(500)
}

/// The digest of what [`Printer::check`] reads of a queued card, made of
/// its sealed data (nothing is decrypted for it).
fn check_key(card: &CardRow, resident: &ResidentRow) -> CheckKey {
    let mut d = ring::digest::Context::new(&ring::digest::SHA256);
    let mut part = |bytes: &[u8]| {
        d.update(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
        d.update(bytes);
    };
    part(b"print-queue-check-1");
    part(&card.card_number.to_be_bytes());
    part(card.issued.to_string().as_bytes());
    part(card.expires.to_string().as_bytes());
    part(card.status.as_bytes());
    part(card.sealed_qr.as_deref().unwrap_or_default());
    part(&resident.id.to_be_bytes());
    part(resident.sealed_record.as_deref().unwrap_or_default());
    part(resident.sealed_photo.as_deref().unwrap_or_default());
    part(&[u8::from(resident.sealed_photo.is_some())]);
    let mut key = [0u8; 32];
    key.copy_from_slice(d.finish().as_ref());
    key
}

/// Where card `n` stands in the queue's order; a number of no card is
/// refused as a value of `field` that was not offered.
fn key_of(c: &mut DbConnection, n: CardNumber, field: &'static str) -> Result<QueueKey> {
    rows::key_of(c, to_i64(n))?.ok_or(Error::invalid(field, Rule::Choice))
}
