//! Password hashing with argon2id. Verification of an unknown user still runs one argon2 check
//! against a fixed dummy hash so that timing does not reveal which usernames exist.
//!
//! argon2 is slow on purpose (tens of milliseconds of CPU and memory per check), so it never runs
//! on the async workers: [`PasswordHasher`] runs it on blocking threads, at most one per core at a
//! time. A sign-in that finds every permit taken is told to come back ([`Busy`] → 503), so a flood
//! of logins cannot stall `/token`, `/jwks` or `/mcp`.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::error::Error;

/// Every permit of the [`PasswordHasher`] is in use: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// A reserved hashing slot; hold it from before the sign-in's checks until its hash is done.
#[derive(Debug)]
pub struct HashPermit {
    _held: OwnedSemaphorePermit,
}

/// Runs argon2 off the async runtime, at most `permits` at once.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    size: usize,
}

impl PasswordHasher {
    /// At most `permits` (at least 1) hashes at once.
    pub fn new(permits: usize) -> Self {
        return_large_blocks_to_the_os();
        let size = permits.max(1);
        Self { permits: Arc::new(Semaphore::new(size)), size }
    }

    /// One permit per core this process may use.
    pub fn for_this_machine() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    }

    /// How many hashes may run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Permits free right now (for tests and diagnostics).
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// A permit if one is free now; never waits.
    pub fn try_permit(&self) -> Result<HashPermit, Busy> {
        match self.permits.clone().try_acquire_owned() {
            Ok(held) => Ok(HashPermit { _held: held }),
            Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => Err(Busy),
        }
    }

    /// Checks `password` against `stored` (or the dummy hash, see [`verify_password`]) on a
    /// blocking thread. The permit is released when the check ends, even if the caller went away.
    pub async fn verify(&self, permit: HashPermit, password: &str, stored: Option<&str>) -> Result<bool, Error> {
        let (password, stored) = (password.to_owned(), stored.map(str::to_owned));
        tokio::task::spawn_blocking(move || {
            let ok = verify_password(&password, stored.as_deref());
            drop(permit);
            ok
        })
        .await
        .map_err(|e| Error::Internal(format!("password check: {e}")))
    }

    /// Hashes `password` on a blocking thread, waiting for a permit (administration, not a
    /// request path).
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let permit = self.permits.clone().acquire_owned().await.map_err(|e| Error::Internal(e.to_string()))?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let hashed = hash_password(&password);
            drop(permit);
            hashed
        })
        .await
        .map_err(|e| Error::Internal(format!("password hashing: {e}")))?
    }
}

/// Blocks from this size on are mapped and unmapped on their own, never kept by the allocator.
const MMAP_THRESHOLD: i32 = 1024 * 1024;

/// Each argon2 run allocates its 19 MiB working memory (m_cost) and frees it. glibc raises its
/// mmap threshold on the first such free, so every later block lands in the heap and stays there
/// after the hash: ~20 MB of RSS for good after one sign-in. A fixed threshold (which also turns
/// off that adaptation) hands the block back to the OS at each free. Once per process.
#[allow(unsafe_code)] // the one unsafe call of the workspace: a C function with no pointer arguments
fn return_large_blocks_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only sets allocator parameters; it takes glibc's own lock.
        ONCE.call_once(|| unsafe {
            if libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1 {
                tracing::warn!("could not set the allocator's mmap threshold");
            }
        });
    }
}

/// argon2id with a fresh salt. Blocking: call it through [`PasswordHasher::hash`] from async code.
pub fn hash_password(password: &str) -> Result<String, Error> {
    use argon2::password_hash::PasswordHasher as _;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

/// Checks `password` against `stored` (a PHC string), or against a dummy hash when the user
/// does not exist; returns false in that case whatever the password. Blocking: call it through
/// [`PasswordHasher::verify`] from async code.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default());
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false);
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("not-a-real-password", None));
        assert!(!verify_password("x", Some("garbage")));
    }

    #[tokio::test]
    async fn permits_are_bounded_and_come_back_after_a_check() {
        let hasher = PasswordHasher::new(1);
        let h = hasher.hash("correct horse").await.expect("hash");
        let permit = hasher.try_permit().expect("one permit");
        assert_eq!(hasher.try_permit().expect_err("the only permit is taken"), Busy);
        assert!(hasher.verify(permit, "correct horse", Some(&h)).await.expect("verify"));
        assert_eq!(hasher.available(), 1, "released when the check ended");
        assert_eq!(PasswordHasher::new(0).size(), 1, "never zero permits");
    }
}
