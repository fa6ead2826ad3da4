//! Password hashing with argon2id, off the async runtime's threads.

use std::{io, sync::LazyLock, thread};

use argon2::{
    Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version,
    password_hash::phc::PasswordHash,
};

// ANCHOR: params
/// OWASP's minimum for argon2id (Password Storage Cheat Sheet): 19 MiB of
/// memory, 2 passes, 1 lane. About 30 ms on one core: slow enough to make
/// each guess at a stolen hash cost, fast enough for a sign-in.
fn argon2id() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}
// ANCHOR_END: params

/// One hash at a time per core: each takes 19 MiB, and a flood of sign-ins
/// must queue here rather than start hundreds of blocking threads at once.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(thread::available_parallelism().map_or(2, |n| n.get()))
});

/// Runs `work` on a blocking thread once a core is free for it.
async fn on_a_core<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    let _permit = HASHING.acquire().await.map_err(io::Error::other)?;
    tokio::task::spawn_blocking(work).await.map_err(io::Error::other)
}

// ANCHOR: hash
/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with a
/// fresh random salt, so equal passwords get different hashes.
pub async fn hash(password: &str) -> io::Result<String> {
    let password = password.to_owned();
    // Hashing takes tens of milliseconds of CPU: on an async worker thread
    // it would stall every other request that thread serves.
    on_a_core(move || argon2id().hash_password(password.as_bytes()).map(|hash| hash.to_string()))
        .await?
        .map_err(io::Error::other)
}
// ANCHOR_END: hash

// ANCHOR: verify
/// Whether `password` is the one `phc` was made from. The parameters and
/// salt come from the PHC string itself.
pub async fn verify(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    on_a_core(move || {
        PasswordHash::new(&phc)
            .is_ok_and(|hash| argon2id().verify_password(password.as_bytes(), &hash).is_ok())
    })
    .await
    .unwrap_or(false)
}
// ANCHOR_END: verify

#[cfg(test)]
mod tests {
    use super::{hash, verify};

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let phc = hash("correct horse battery staple").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert!(verify("correct horse battery staple", &phc).await);
        assert!(!verify("correct horse battery stapl", &phc).await);
        assert!(!verify("correct horse battery staple", "not a hash").await);
    }

    #[tokio::test]
    async fn equal_passwords_get_different_salts() {
        assert_ne!(hash("same password").await.unwrap(), hash("same password").await.unwrap());
    }
}
