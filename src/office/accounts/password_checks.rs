//! The bound on password checks running at once.
//!
//! Every argon2id run (a login's check, a new password's hash, the check of
//! the current password) takes 19 MiB ([`ARGON2_M_KIB`]) for its
//! duration, and the allocator keeps that memory afterwards. Unbounded, 128
//! parallel logins took the server from 0.6 to 2.6 GB for good. So a run
//! needs a [`PasswordCheckPermit`], and there are only
//! `password_check_memory_mib / 19` of them (256 MiB by default: 13 at
//! once). A request that finds none free is not queued: it is answered at
//! once with [`Error::Busy`] (`503 busy` with `Retry-After` in the API, a
//! page in the clerk's language in the UI) and costs nothing further. The
//! argon2 functions are methods of the permit, so nothing can run one
//! without it.
//!
//! Each permit lends one of at most `capacity` memory areas that argon2
//! fills (`hash_password_into_with_memory`), made on first use and kept for
//! the next check. The allocator is never asked for 19 MiB per check:
//! glibc keeps a freed area in the arena of the thread that used it, so
//! with checks spread over the blocking pool's many threads the memory
//! grew with the number of threads, not with the checks at once. So the
//! budget is what the server holds for checks, however many threads ran
//! them.

use crate::error::{Error, Result};
use crate::vault::random_bytes;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// argon2id memory cost in KiB (19 MiB).
pub const ARGON2_M_KIB: u32 = 19_456;

/// argon2id iterations.
pub const ARGON2_T: u32 = 2;

/// argon2id parallelism.
pub const ARGON2_P: u32 = 1;

/// The parameters new hashes are made with.
pub(super) fn argon2_params() -> Result<Params> {
    Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|_| Error::Integrity("bad argon2 parameters"))
}

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
    /// The memory areas not lent out (at most `capacity` exist).
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl PasswordChecks {
    /// Room for the checks that fit into `memory_mib`.
    pub fn new(memory_mib: u32) -> Self {
        let capacity = checks_for_budget(memory_mib);
        PasswordChecks {
            permits: Arc::new(Semaphore::new(capacity)),
            capacity,
            verifications: Arc::new(AtomicU64::new(0)),
            memory: Arc::new(Mutex::new(Vec::new())),
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
        // A permit is held, so an area is free or fewer than `capacity`
        // exist: take one, or start a new one.
        let area = match self.memory.lock() {
            Ok(mut free) => free.pop().unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        Ok(PasswordCheckPermit {
            _permit: permit,
            verifications: Arc::clone(&self.verifications),
            area: RefCell::new(area),
            pool: Arc::clone(&self.memory),
        })
    }

    /// How many passwords were verified since the office opened.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

/// The right to run argon2id now, with the memory to run it in; gives
/// both back when dropped.
#[derive(Debug)]
pub struct PasswordCheckPermit {
    _permit: OwnedSemaphorePermit,
    verifications: Arc<AtomicU64>,
    area: RefCell<Vec<Block>>,
    pool: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl Drop for PasswordCheckPermit {
    fn drop(&mut self) {
        if let Ok(mut free) = self.pool.lock() {
            free.push(std::mem::take(self.area.get_mut()));
        }
    }
}

impl PasswordCheckPermit {
    /// Runs argon2 into `out` in the permit's memory area.
    fn run(
        &self,
        argon: &Argon2<'_>,
        params: &Params,
        pwd: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> bool {
        let mut area = self.area.borrow_mut();
        let blocks = params.block_count();
        if area.len() < blocks {
            area.resize(blocks, Block::new());
        }
        let Some(blocks) = area.get_mut(..blocks) else {
            return false;
        };
        argon
            .hash_password_into_with_memory(pwd, salt, out, blocks)
            .is_ok()
    }

    /// Hashes a password with argon2id and a random salt (PHC string).
    pub fn hash(&self, password: &SecretString) -> Result<String> {
        let failed = || Error::Integrity("could not hash the password");
        let salt = random_bytes::<16>()?;
        let salt_b64 = SaltString::encode_b64(salt.as_ref())
            .map_err(|_| Error::Integrity("could not encode a salt"))?;
        let params = argon2_params()?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        if !self.run(
            &argon,
            &params,
            password.expose_secret().as_bytes(),
            salt.as_ref(),
            &mut out,
        ) {
            return Err(failed());
        }
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|_| failed())?,
            salt: Some(salt_b64.as_salt()),
            hash: Some(Output::new(&out).map_err(|_| failed())?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches a stored PHC hash (the parameters come
    /// from the hash, so they can be raised later; the comparison takes
    /// constant time).
    pub fn verify(&self, password: &SecretString, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return false;
        };
        let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
            return false;
        };
        let version = match hash.version.map(Version::try_from).transpose() {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => return false,
        };
        let Ok(params) = Params::try_from(&hash) else {
            return false;
        };
        let mut salt_buf = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
            return false;
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let argon = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        if !self.run(
            &argon,
            &params,
            password.expose_secret().as_bytes(),
            salt,
            &mut out,
        ) {
            return false;
        }
        // `Output`'s comparison is constant-time.
        Output::new(&out).is_ok_and(|o| o == expected)
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

    #[test]
    fn hashes_verify_with_the_argon2_crate_and_back() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let checks = PasswordChecks::new(19);
        let permit = checks.try_permit().unwrap();
        let pw = SecretString::from("correct horse battery");
        // Ours, checked by the crate's own verifier.
        let ours = permit.hash(&pw).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .unwrap();
        // The crate's (other parameters), checked by ours.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery", &salt)
        .unwrap()
        .to_string();
        assert!(permit.verify(&pw, &theirs));
        assert!(!permit.verify(&SecretString::from("correct horse batter"), &theirs));
        assert!(!permit.verify(&pw, "not a hash"));
        // The area is lent back and reused: one exists.
        drop(permit);
        assert_eq!(checks.memory.lock().unwrap().len(), 1);
        let again = checks.try_permit().unwrap();
        assert!(again.verify(&pw, &ours));
        assert_eq!(checks.memory.lock().unwrap().len(), 0);
    }
}
