//! The bound on password checks running at once.
//!
//! Every argon2id run (a login's check, a new password's hash, the check of
//! the current password) takes 19 MiB ([`super::ARGON2_M_KIB`]) for its
//! duration, and the allocator keeps that memory afterwards. Unbounded, 128
//! parallel logins took the server from 0.6 to 2.6 GB for good. So a run
//! needs a [`PasswordCheckPermit`], and there are only
//! `password_check_memory_mib / 19` of them (256 MiB by default: 13 at
//! once). A request that finds none free is not queued: it is answered at
//! once with [`Error::Busy`] (`503 busy` with `Retry-After` in the API, a
//! page in the clerk's language in the UI) and costs nothing further. The
//! argon2 functions are methods of the permit, so nothing can run one
//! without it.

use super::passwords::{ARGON2_M_KIB, argon2};
use crate::error::{Error, Result};
use crate::vault::random_bytes;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a caller is asked to wait when every permit is taken (a check
/// takes well under a second).
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// The memory one check takes, in MiB (rounded up).
pub const CHECK_MEMORY_MIB: u32 = ARGON2_M_KIB.div_ceil(1024);

/// How many checks fit into a memory budget (at least one).
pub fn checks_for_budget(memory_mib: u32) -> usize {
    usize::try_from(memory_mib / CHECK_MEMORY_MIB)
        .unwrap_or(1)
        .max(1)
}

/// The permits, and how many password verifications ran (for tests and
/// the attack script's figures).
#[derive(Debug)]
pub struct PasswordChecks {
    permits: Arc<Semaphore>,
    capacity: usize,
    verifications: Arc<AtomicU64>,
}

impl PasswordChecks {
    /// Room for the checks that fit into `memory_mib`.
    pub fn new(memory_mib: u32) -> Self {
        let capacity = checks_for_budget(memory_mib);
        PasswordChecks {
            permits: Arc::new(Semaphore::new(capacity)),
            capacity,
            verifications: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many checks may run at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// A permit, or [`Error::Busy`] at once when all are taken.
    pub fn try_permit(&self) -> Result<PasswordCheckPermit> {
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| Error::Busy {
                retry_after_secs: BUSY_RETRY_AFTER_SECS,
            })?;
        Ok(PasswordCheckPermit {
            _permit: permit,
            verifications: Arc::clone(&self.verifications),
        })
    }

    /// How many passwords were verified since the office opened.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

/// The right to run argon2id now; frees its place when dropped.
#[derive(Debug)]
pub struct PasswordCheckPermit {
    _permit: OwnedSemaphorePermit,
    verifications: Arc<AtomicU64>,
}

impl PasswordCheckPermit {
    /// Hashes a password with argon2id and a random salt (PHC string).
    pub fn hash(&self, password: &SecretString) -> Result<String> {
        let salt = random_bytes::<16>()?;
        let salt = SaltString::encode_b64(salt.as_ref())
            .map_err(|_| Error::Integrity("could not encode a salt"))?;
        argon2()?
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| Error::Integrity("could not hash the password"))
    }

    /// Whether `password` matches a stored PHC hash (the parameters come
    /// from the hash).
    pub fn verify(&self, password: &SecretString, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return false;
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &hash)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_bounds_the_checks() {
        assert_eq!(CHECK_MEMORY_MIB, 19);
        assert_eq!(checks_for_budget(256), 13);
        assert_eq!(checks_for_budget(19), 1);
        assert_eq!(checks_for_budget(1), 1);
        let checks = PasswordChecks::new(38);
        assert_eq!(checks.capacity(), 2);
        let a = checks.try_permit().unwrap();
        let _b = checks.try_permit().unwrap();
        assert!(matches!(
            checks.try_permit(),
            Err(Error::Busy {
                retry_after_secs: BUSY_RETRY_AFTER_SECS
            })
        ));
        drop(a);
        checks.try_permit().unwrap();
    }
}
