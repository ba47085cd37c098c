//! The platform secret store (a foreign trait) and the onboarding call that uses it.
//!
//! The secret key lives only in the platform keystore (Android Keystore, iOS Keychain; DESIGN
//! §1.7). The core asks for it through [`SecretStore`], which Kotlin and Swift implement. Store
//! calls may block (hardware-backed keystores are slow), so they run on tokio's blocking pool and
//! the async caller never blocks a UI thread.

use std::sync::Arc;

use nostr::nips::nip19::ToBech32;
use nostr::{Keys, SecretKey};
use zeroize::Zeroizing;

use super::ApiError;

/// Secret-store key under which the Nostr secret key (32 raw bytes) is kept.
pub const IDENTITY_SECRET_KEY: &str = "freeport.nostr.secret_key.v1";

/// Serialises identity creation so two concurrent first launches cannot create two keys.
static IDENTITY_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Why a platform secret store call failed. Thrown by Kotlin/Swift implementations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum SecretStoreError {
    /// The store cannot be used right now (e.g. before first unlock); the call may be retried.
    #[error("secret store unavailable: {reason}")]
    Unavailable {
        /// What the platform reported.
        reason: String,
    },
    /// Anything else, including an exception of a type the binding does not know.
    #[error("secret store failed: {reason}")]
    Unexpected {
        /// What the platform reported.
        reason: String,
    },
}

/// A foreign implementation threw something other than `SecretStoreError`: keep its message.
impl From<uniffi::UnexpectedUniFFICallbackError> for SecretStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Unexpected { reason: e.reason }
    }
}

/// Byte-blob storage in the platform keystore, implemented in Kotlin and Swift.
///
/// Calls may block; the core never calls them on the caller's thread.
#[uniffi::export(foreign)]
pub trait SecretStore: Send + Sync {
    /// The value stored under `key`, or `None` when there is none.
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError>;
    /// Store `value` under `key`, replacing any previous value.
    fn put(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError>;
    /// Remove the value under `key`; removing a missing key is not an error.
    fn delete(&self, key: String) -> Result<(), SecretStoreError>;
}

/// The user's public identity, as the onboarding and profile screens show it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IdentityInfo {
    /// Public key, `npub1…`.
    pub npub: String,
    /// Public key, 64 lowercase hex characters.
    pub public_key_hex: String,
    /// True when this call generated the key (first launch), false when it was loaded.
    pub created: bool,
}

/// Load the identity from `store`, or generate and store a new one on first launch.
///
/// Never overwrites an existing value: a stored value that is not a valid secret key yields
/// [`ApiError::CorruptSecret`] and is left in place. A new key is read back after `put`, so a
/// store that silently drops writes fails here instead of losing the user's identity later.
/// Cancelling the call before the key is stored leaves the store untouched.
#[uniffi::export(async_runtime = "tokio")]
pub async fn load_or_create_identity(
    store: Arc<dyn SecretStore>,
) -> Result<IdentityInfo, ApiError> {
    let _guard = IDENTITY_LOCK.lock().await;
    if let Some(stored) = store_get(&store).await? {
        let keys = keys_from_stored(&stored)?;
        return info(&keys, false);
    }

    let keys = Keys::generate();
    let secret = Zeroizing::new(keys.secret_key().to_secret_bytes());
    // The Vec handed to the foreign side is theirs to keep safe; ours is zeroized on drop.
    let value = Zeroizing::new(secret.to_vec());
    let put_store = Arc::clone(&store);
    blocking("put", move || {
        put_store.put(IDENTITY_SECRET_KEY.to_owned(), value.to_vec())
    })
    .await?;

    let read_back = store_get(&store)
        .await?
        .ok_or_else(|| ApiError::SecretStoreFailed {
            operation: "verify".to_owned(),
            reason: format!("`{IDENTITY_SECRET_KEY}` was not found right after it was stored"),
        })?;
    if read_back.as_slice() != secret.as_slice() {
        return Err(ApiError::SecretStoreFailed {
            operation: "verify".to_owned(),
            reason: format!("`{IDENTITY_SECRET_KEY}` read back different bytes than were stored"),
        });
    }
    info(&keys, true)
}

async fn store_get(store: &Arc<dyn SecretStore>) -> Result<Option<Zeroizing<Vec<u8>>>, ApiError> {
    let store = Arc::clone(store);
    let value = blocking("get", move || store.get(IDENTITY_SECRET_KEY.to_owned())).await?;
    Ok(value.map(Zeroizing::new))
}

/// Run one store call on the blocking pool and map its error. Dropping the returned future
/// (cancellation) abandons the result; the call itself cannot be interrupted once started.
async fn blocking<T, F>(operation: &'static str, call: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, SecretStoreError> + Send + 'static,
{
    match tokio::task::spawn_blocking(call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(SecretStoreError::Unavailable { reason })) => {
            Err(ApiError::SecretStoreUnavailable {
                operation: operation.to_owned(),
                reason,
            })
        }
        Ok(Err(SecretStoreError::Unexpected { reason })) => Err(ApiError::SecretStoreFailed {
            operation: operation.to_owned(),
            reason,
        }),
        Err(join) => Err(ApiError::Internal {
            reason: format!("secret store {operation} worker stopped: {join}"),
        }),
    }
}

fn keys_from_stored(stored: &[u8]) -> Result<Keys, ApiError> {
    let corrupt = |rule: String| ApiError::CorruptSecret {
        key: IDENTITY_SECRET_KEY.to_owned(),
        rule,
    };
    if stored.len() != SecretKey::LEN {
        return Err(corrupt(format!(
            "expected {} bytes, found {}",
            SecretKey::LEN,
            stored.len()
        )));
    }
    let secret = SecretKey::from_slice(stored)
        .map_err(|_| corrupt("is not a valid secp256k1 secret key".to_owned()))?;
    Ok(Keys::new(secret))
}

fn info(keys: &Keys, created: bool) -> Result<IdentityInfo, ApiError> {
    let public_key = keys.public_key();
    let npub = public_key.to_bech32().map_err(|e| ApiError::Internal {
        reason: format!("bech32 encoding failed: {e}"),
    })?;
    Ok(IdentityInfo {
        npub,
        public_key_hex: public_key.to_hex(),
        created,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A faithful in-memory store (what the desktop/test `identity` store does, minus the OS).
    #[derive(Default)]
    struct MemoryStore {
        values: Mutex<HashMap<String, Vec<u8>>>,
        puts: AtomicUsize,
    }

    impl SecretStore for MemoryStore {
        fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError> {
            Ok(self.values.lock().map_err(poisoned)?.get(&key).cloned())
        }
        fn put(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError> {
            self.puts.fetch_add(1, Ordering::SeqCst);
            self.values.lock().map_err(poisoned)?.insert(key, value);
            Ok(())
        }
        fn delete(&self, key: String) -> Result<(), SecretStoreError> {
            self.values.lock().map_err(poisoned)?.remove(&key);
            Ok(())
        }
    }

    fn poisoned<T>(_: T) -> SecretStoreError {
        SecretStoreError::Unexpected {
            reason: "poisoned".to_owned(),
        }
    }

    /// Accepts writes and forgets them (a broken keystore).
    struct ForgetfulStore;
    impl SecretStore for ForgetfulStore {
        fn get(&self, _: String) -> Result<Option<Vec<u8>>, SecretStoreError> {
            Ok(None)
        }
        fn put(&self, _: String, _: Vec<u8>) -> Result<(), SecretStoreError> {
            Ok(())
        }
        fn delete(&self, _: String) -> Result<(), SecretStoreError> {
            Ok(())
        }
    }

    /// Fails every call with the given error.
    struct FailingStore(SecretStoreError);
    impl SecretStore for FailingStore {
        fn get(&self, _: String) -> Result<Option<Vec<u8>>, SecretStoreError> {
            Err(self.0.clone())
        }
        fn put(&self, _: String, _: Vec<u8>) -> Result<(), SecretStoreError> {
            Err(self.0.clone())
        }
        fn delete(&self, _: String) -> Result<(), SecretStoreError> {
            Err(self.0.clone())
        }
    }

    #[tokio::test]
    async fn first_call_creates_and_stores_then_later_calls_load_the_same_key() {
        let store = Arc::new(MemoryStore::default());
        let first = load_or_create_identity(store.clone()).await.unwrap();
        assert!(first.created);
        assert!(first.npub.starts_with("npub1"));
        assert_eq!(first.public_key_hex.len(), 64);

        let stored = store.get(IDENTITY_SECRET_KEY.to_owned()).unwrap().unwrap();
        let expected = Keys::new(SecretKey::from_slice(&stored).unwrap()).public_key();
        assert_eq!(first.public_key_hex, expected.to_hex());

        let second = load_or_create_identity(store.clone()).await.unwrap();
        assert!(!second.created);
        assert_eq!(second.npub, first.npub);
        assert_eq!(store.puts.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn concurrent_first_launches_create_one_key() {
        let store = Arc::new(MemoryStore::default());
        let (a, b) = tokio::join!(
            load_or_create_identity(store.clone()),
            load_or_create_identity(store.clone())
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.npub, b.npub);
        assert_ne!(a.created, b.created);
        assert_eq!(store.puts.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn corrupt_value_is_reported_and_left_in_place() {
        for (bytes, rule) in [
            (vec![7u8; 31], "expected 32 bytes, found 31"),
            (vec![], "expected 32 bytes, found 0"),
            (vec![0u8; 32], "is not a valid secp256k1 secret key"),
            (vec![0xff; 32], "is not a valid secp256k1 secret key"),
        ] {
            let store = Arc::new(MemoryStore::default());
            store
                .put(IDENTITY_SECRET_KEY.to_owned(), bytes.clone())
                .unwrap();
            let err = load_or_create_identity(store.clone()).await.unwrap_err();
            assert_eq!(
                err,
                ApiError::CorruptSecret {
                    key: IDENTITY_SECRET_KEY.to_owned(),
                    rule: rule.to_owned()
                }
            );
            let kept = store.get(IDENTITY_SECRET_KEY.to_owned()).unwrap();
            assert_eq!(kept, Some(bytes));
        }
    }

    #[tokio::test]
    async fn store_errors_map_to_typed_api_errors_with_the_operation() {
        let unavailable = Arc::new(FailingStore(SecretStoreError::Unavailable {
            reason: "locked".to_owned(),
        }));
        assert_eq!(
            load_or_create_identity(unavailable).await.unwrap_err(),
            ApiError::SecretStoreUnavailable {
                operation: "get".to_owned(),
                reason: "locked".to_owned()
            }
        );
        let broken = Arc::new(FailingStore(
            uniffi::UnexpectedUniFFICallbackError::new("IllegalStateException: boom").into(),
        ));
        let err = load_or_create_identity(broken).await.unwrap_err();
        assert_eq!(
            err,
            ApiError::SecretStoreFailed {
                operation: "get".to_owned(),
                reason: "IllegalStateException: boom".to_owned()
            }
        );
        assert_eq!(
            err.to_string(),
            "secret store failed during get: IllegalStateException: boom"
        );
    }

    #[tokio::test]
    async fn a_store_that_drops_writes_is_detected() {
        let err = load_or_create_identity(Arc::new(ForgetfulStore))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ApiError::SecretStoreFailed { operation, .. } if operation == "verify"),
            "{err:?}"
        );
    }
}
