//! Argon2id password hashing off the async workers, with bounded parallelism and low priority.
//!
//! Hashes run on a dedicated rayon pool (not tokio's blocking pool, which file I/O shares) of
//! `parallelism` threads whose OS scheduling priority is lowered at start. On a 2-core machine a
//! burst of logins otherwise competes at equal weight with the threads serving every other
//! request and the kernel's time slices show up as their tail latency; at low priority the kernel
//! preempts hashing whenever a request handler is runnable. Logins wait longer under load,
//! everything else does not (see docs/PERFORMANCE.md). A hash whose request was abandoned while
//! queued is skipped.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use thread_priority::{ThreadPriority, set_current_thread_priority};

use crate::AuthError;

/// OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct Hasher {
    /// The low-priority threads that run hashes; jobs beyond their number queue.
    pool: Arc<rayon::ThreadPool>,
    /// A real hash of a random password, verified against when the account does not exist so
    /// that "no such user" costs the same time as "wrong password".
    decoy: Arc<str>,
}

impl Hasher {
    /// A hasher running at most `parallelism` hashes at once (at least 1).
    pub fn new(parallelism: usize) -> Result<Self, AuthError> {
        let decoy = hash_blocking(&crate::opaque::new_refresh_token())?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(parallelism.max(1))
            .thread_name(|i| format!("argon2-{i}"))
            // Best effort: where lowering the priority is not permitted, hashing still works.
            .start_handler(|_| drop(set_current_thread_priority(ThreadPriority::Min)))
            .build()
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        Ok(Self {
            pool: Arc::new(pool),
            decoy: decoy.into(),
        })
    }

    /// A sensible parallelism for this machine: one core is always left for other requests.
    pub fn default_parallelism() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: &SecretString) -> Result<String, AuthError> {
        let password = password.expose_secret().to_owned();
        self.run(move || hash_blocking(&password)).await
    }

    /// Checks a password against a stored PHC string.
    pub async fn verify(&self, password: &SecretString, phc: &str) -> Result<bool, AuthError> {
        let password = password.expose_secret().to_owned();
        let phc = phc.to_owned();
        self.run(move || verify_blocking(&password, &phc)).await
    }

    /// Spends the time of a verification and answers false (for unknown accounts).
    pub async fn verify_decoy(&self, password: &SecretString) -> Result<bool, AuthError> {
        let decoy = self.decoy.to_string();
        self.verify(password, &decoy).await.map(|_| false)
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            if !tx.is_closed() {
                let _ = tx.send(job());
            }
        });
        rx.await
            .map_err(|_| AuthError::Internal("hashing pool stopped".into()))?
    }
}

fn argon2() -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> Result<String, AuthError> {
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(hash.to_string())
}

fn verify_blocking(password: &str, phc: &str) -> Result<bool, AuthError> {
    let parsed = PasswordHash::new(phc)
        .map_err(|e| AuthError::Internal(format!("stored hash unreadable: {e}")))?;
    Ok(argon2()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_salted_argon2id_and_verify_only_the_right_password() -> Result<(), AuthError>
    {
        let hasher = Hasher::new(1)?;
        let pw = SecretString::from("correct horse battery staple");
        let a = hasher.hash(&pw).await?;
        let b = hasher.hash(&pw).await?;
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(!a.contains("correct horse"));
        assert!(hasher.verify(&pw, &a).await?);
        assert!(
            !hasher
                .verify(&SecretString::from("correct horse battery stapler"), &a)
                .await?
        );
        assert!(!hasher.verify_decoy(&pw).await?);
        Ok(())
    }
}
