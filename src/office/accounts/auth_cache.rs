//! Who a bearer token belongs to, remembered for [`FRESH_FOR`] (issue 12,
//! item 4): a JSON-API client sends the same token with every request,
//! and looking it up is a database read on the blocking thread pool, two
//! thread hand-offs per request. A token checked less than a second ago
//! is believed without them.
//!
//! - Keyed by the token's SHA-256 (as stored), never the token itself.
//! - Every change in this office that can end a token's or session's
//!   rights (a logout, a revoked token, a disabled user, a new role or
//!   password, a closed site, a user moved to another site) forgets every
//!   entry at once ([`AuthCache::forget_all`], after the change committed).
//!   A check that read the database before such a change and ends after
//!   it is not remembered: each entry carries the epoch it was read in.
//! - A change made by another process (the `citycard admin` command on
//!   the same database) holds here at most [`FRESH_FOR`] later.
//! - At most [`MAX_ENTRIES`] tokens are remembered; beyond that the
//!   cache is emptied and refills.

use super::Authenticated;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a checked token is believed without a database read.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// At most this many tokens are remembered.
pub const MAX_ENTRIES: usize = 4096;

/// The remembered checks. Its `Debug` shows how many, never whose (user
/// names and the accounts' sites stay out of any log).
#[derive(Default)]
pub struct AuthCache {
    epoch: AtomicU64,
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
}

impl std::fmt::Debug for AuthCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.lock().map(|e| e.len()).ok();
        f.debug_struct("AuthCache")
            .field("epoch", &self.epoch())
            .field("entries", &n)
            .finish()
    }
}

struct Entry {
    auth: Authenticated,
    until: Instant,
    epoch: u64,
}

impl AuthCache {
    /// The epoch to pass to [`AuthCache::remember`]: read it before the
    /// database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// A check of this token hash made less than [`FRESH_FOR`] ago and
    /// since the last change.
    pub fn get(&self, hash: &[u8]) -> Option<Authenticated> {
        let epoch = self.epoch();
        let entries = self.entries.lock().ok()?;
        let e = entries.get(hash)?;
        (e.epoch == epoch && Instant::now() < e.until).then(|| e.auth.clone())
    }

    /// Remembers a check that read the database in `epoch`.
    pub fn remember(&self, hash: Vec<u8>, auth: &Authenticated, epoch: u64) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if epoch != self.epoch() {
            return;
        }
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&hash) {
            entries.clear();
        }
        entries.insert(
            hash,
            Entry {
                auth: auth.clone(),
                until: Instant::now() + FRESH_FOR,
                epoch,
            },
        );
    }

    /// Forgets every check (after a change to accounts, tokens, sessions
    /// or sites committed).
    pub fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::actor::{Actor, Role};

    fn auth() -> Authenticated {
        Authenticated {
            actor: Actor {
                user_id: 1,
                username: "mitte1".to_owned(),
                role: Role::Clerk,
                office: "Mitte".to_owned(),
                must_change_password: false,
                api_token: None,
                site: None,
            },
            csrf_token: None,
        }
    }

    #[test]
    fn remembered_until_a_change() {
        let cache = AuthCache::default();
        let epoch = cache.epoch();
        cache.remember(b"h".to_vec(), &auth(), epoch);
        assert!(cache.get(b"h").is_some());
        assert!(cache.get(b"other").is_none());
        cache.forget_all();
        assert!(cache.get(b"h").is_none());
    }

    #[test]
    fn a_check_that_raced_a_change_is_not_remembered() {
        let cache = AuthCache::default();
        let epoch = cache.epoch();
        cache.forget_all();
        cache.remember(b"h".to_vec(), &auth(), epoch);
        assert!(cache.get(b"h").is_none());
    }

    #[test]
    fn bounded() {
        let cache = AuthCache::default();
        let epoch = cache.epoch();
        for i in 0..=MAX_ENTRIES {
            cache.remember(i.to_le_bytes().to_vec(), &auth(), epoch);
        }
        let n = cache.entries.lock().map(|e| e.len()).unwrap_or(0);
        assert!(n <= MAX_ENTRIES);
    }
}
