//! [`KeyringSecretStore`]: the desktop OS keyring through `keyring-core` (Secret Service on
//! Linux). Built only with the `desktop-keyring` feature.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use super::secret_store::{SecretStore, SecretStoreError, check_entry};

/// Service name under which Freeport's entries live in the OS keyring.
pub const KEYRING_SERVICE: &str = "app.freeport";

/// A [`SecretStore`] over an OS keyring (`keyring-core` credential store).
pub struct KeyringSecretStore {
    service: String,
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for KeyringSecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringSecretStore")
            .field("service", &self.service)
            .field("vendor", &self.store.vendor())
            .finish()
    }
}

fn map_err(e: KeyringError) -> SecretStoreError {
    match e {
        KeyringError::NoStorageAccess(inner) => SecretStoreError::Locked {
            reason: inner.to_string(),
        },
        KeyringError::PlatformFailure(inner) => SecretStoreError::Unavailable {
            reason: inner.to_string(),
        },
        KeyringError::NoDefaultStore => SecretStoreError::Unavailable {
            reason: "no default credential store".into(),
        },
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => {
            SecretStoreError::Corrupt {
                reason: "keyring returned data in an unexpected format".into(),
            }
        }
        KeyringError::TooLong(attr, limit) => SecretStoreError::InvalidEntry {
            key: attr,
            rule: format!("longer than the platform limit of {limit}"),
        },
        KeyringError::Invalid(attr, reason) => SecretStoreError::InvalidEntry {
            key: attr,
            rule: reason,
        },
        other => SecretStoreError::Backend {
            reason: other.to_string(),
        },
    }
}

impl KeyringSecretStore {
    /// Connects to the platform keyring with the service name [`KEYRING_SERVICE`].
    ///
    /// On Linux this talks to the Secret Service over D-Bus; a headless machine without one
    /// gets [`SecretStoreError::Unavailable`] ("no keyring service available"), never a panic.
    pub fn new() -> Result<Self, SecretStoreError> {
        Self::with_service(KEYRING_SERVICE)
    }

    /// Like [`Self::new`] with a custom service name (tests, several profiles).
    pub fn with_service(service: &str) -> Result<Self, SecretStoreError> {
        let store = platform_store()?;
        Ok(Self::with_store(service, store))
    }

    /// Uses an explicit `keyring-core` credential store (for platforms wired by the caller).
    pub fn with_store(service: &str, store: Arc<CredentialStore>) -> Self {
        Self {
            service: service.to_string(),
            store,
        }
    }

    fn entry(&self, key: &str) -> Result<Entry, SecretStoreError> {
        check_entry(key, None)?;
        self.store.build(&self.service, key, None).map_err(map_err)
    }
}

#[cfg(all(target_os = "linux", not(target_os = "android")))]
fn platform_store() -> Result<Arc<CredentialStore>, SecretStoreError> {
    // `Store::new` connects to the session bus and opens a Secret Service session. Its errors
    // are all "the service is not there" from our point of view.
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(s) => {
            let store: Arc<CredentialStore> = s;
            Ok(store)
        }
        Err(e) => Err(SecretStoreError::Unavailable {
            reason: format!("Secret Service over D-Bus: {e}"),
        }),
    }
}

#[cfg(not(all(target_os = "linux", not(target_os = "android"))))]
fn platform_store() -> Result<Arc<CredentialStore>, SecretStoreError> {
    Err(SecretStoreError::Unavailable {
        reason: "no keyring backend is wired for this platform yet; use \
                 KeyringSecretStore::with_store or PassphraseFileSecretStore"
            .into(),
    })
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError> {
        match self.entry(&key)?.get_secret() {
            Ok(v) => Ok(Some(v)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError> {
        check_entry(&key, Some(&value))?;
        let value = zeroize::Zeroizing::new(value);
        self.entry(&key)?.set_secret(&value).map_err(map_err)
    }

    fn delete(&self, key: String) -> Result<(), SecretStoreError> {
        match self.entry(&key)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// keyring-core's own in-memory mock store stands in for the OS here only to check our
    /// error mapping and absent-entry semantics; the real Secret Service path is tested in
    /// `tests/store_identity.rs` (headless → Unavailable).
    #[test]
    fn absent_entries_read_as_none_and_delete_is_idempotent() {
        let store = keyring_core::mock::Store::new().unwrap();
        let s = KeyringSecretStore::with_store("freeport-test", store);
        assert_eq!(s.get("missing".into()).unwrap(), None);
        s.delete("missing".into()).unwrap();
        s.set("k".into(), vec![1, 2, 3]).unwrap();
        assert_eq!(s.get("k".into()).unwrap(), Some(vec![1, 2, 3]));
        s.delete("k".into()).unwrap();
        assert_eq!(s.get("k".into()).unwrap(), None);
        assert!(matches!(
            s.get("bad name".into()),
            Err(SecretStoreError::InvalidEntry { .. })
        ));
    }

    #[test]
    fn platform_errors_map_to_typed_variants() {
        let boxed = || -> Box<dyn std::error::Error + Send + Sync> { "dbus: no such file".into() };
        assert!(matches!(
            map_err(KeyringError::PlatformFailure(boxed())),
            SecretStoreError::Unavailable { reason } if reason.contains("dbus")
        ));
        assert!(matches!(
            map_err(KeyringError::NoStorageAccess(boxed())),
            SecretStoreError::Locked { .. }
        ));
        assert!(matches!(
            map_err(KeyringError::NoDefaultStore),
            SecretStoreError::Unavailable { .. }
        ));
        assert!(matches!(
            map_err(KeyringError::BadEncoding(vec![0xff])),
            SecretStoreError::Corrupt { .. }
        ));
        assert!(matches!(
            map_err(KeyringError::Invalid("user".into(), "too long".into())),
            SecretStoreError::InvalidEntry { key, .. } if key == "user"
        ));
        assert!(matches!(
            map_err(KeyringError::NotSupportedByStore("x".into())),
            SecretStoreError::Backend { .. }
        ));
    }
}
