//! The [`SecretStore`] abstraction (implemented in Rust for desktop/tests and by the mobile apps
//! over Android Keystore / iOS Keychain) and the in-memory implementation used by tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

/// Longest entry name any implementation must accept.
pub const MAX_SECRET_KEY_NAME: usize = 128;
/// Largest secret value any implementation must accept (bytes).
pub const MAX_SECRET_VALUE: usize = 4096;

/// Why a [`SecretStore`] operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SecretStoreError {
    /// No secure storage service is reachable (e.g. no Secret Service on a headless Linux box).
    #[error("no keyring service available: {reason}")]
    Unavailable { reason: String },
    /// The store exists but is locked or the passphrase that protects it is wrong.
    #[error("secret store is locked or the passphrase is wrong: {reason}")]
    Locked { reason: String },
    /// The stored data is damaged or in an unknown format.
    #[error("secret store data is corrupt: {reason}")]
    Corrupt { reason: String },
    /// The entry name or value breaks a rule (length, characters).
    #[error("secret entry `{key}`: {rule}")]
    InvalidEntry { key: String, rule: String },
    /// The platform backend failed for another reason.
    #[error("secret store backend failed: {reason}")]
    Backend { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SecretStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Backend { reason: e.reason }
    }
}

/// Byte-valued secret storage keyed by entry name.
///
/// Implemented by the platform: Android Keystore and iOS Keychain on phones (as a UniFFI foreign
/// trait), [`KeyringSecretStore`](super::KeyringSecretStore) on desktops,
/// [`PassphraseFileSecretStore`](super::PassphraseFileSecretStore) on headless machines and
/// [`MemorySecretStore`] in tests. Implementations must keep values out of plain-text files and
/// logs. `get` of an absent entry is `Ok(None)`; `delete` of an absent entry is `Ok(())`.
#[uniffi::export(foreign)]
pub trait SecretStore: Send + Sync {
    /// Reads the value stored under `key`, or `None` if there is none.
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError>;
    /// Stores `value` under `key`, replacing any previous value.
    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError>;
    /// Removes the entry under `key` (no error if it does not exist).
    fn delete(&self, key: String) -> Result<(), SecretStoreError>;
}

/// Checks an entry name and value against the limits every implementation honours.
pub(crate) fn check_entry(key: &str, value: Option<&[u8]>) -> Result<(), SecretStoreError> {
    let bad = |rule: String| SecretStoreError::InvalidEntry {
        key: crate::protocol::excerpt(key),
        rule,
    };
    if key.is_empty() {
        return Err(bad("name is empty".into()));
    }
    if key.len() > MAX_SECRET_KEY_NAME {
        return Err(bad(format!(
            "name is {} bytes; the limit is {MAX_SECRET_KEY_NAME}",
            key.len()
        )));
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(bad("name has characters outside [A-Za-z0-9._-]".into()));
    }
    if let Some(v) = value
        && v.len() > MAX_SECRET_VALUE
    {
        return Err(bad(format!(
            "value is {} bytes; the limit is {MAX_SECRET_VALUE}",
            v.len()
        )));
    }
    Ok(())
}

/// A process-local, non-persistent [`SecretStore`] for tests and ephemeral sessions.
///
/// Values are zeroised when replaced, deleted or dropped.
#[derive(Default)]
pub struct MemorySecretStore {
    entries: Mutex<Entries>,
}

type Entries = BTreeMap<String, Zeroizing<Vec<u8>>>;

impl MemorySecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Entries>, SecretStoreError> {
        self.entries.lock().map_err(|_| SecretStoreError::Backend {
            reason: "memory store lock poisoned".into(),
        })
    }
}

impl std::fmt::Debug for MemorySecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("MemorySecretStore")
            .field("entries", &n)
            .finish_non_exhaustive()
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError> {
        check_entry(&key, None)?;
        Ok(self.lock()?.get(&key).map(|v| v.to_vec()))
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError> {
        check_entry(&key, Some(&value))?;
        self.lock()?.insert(key, Zeroizing::new(value));
        Ok(())
    }

    fn delete(&self, key: String) -> Result<(), SecretStoreError> {
        check_entry(&key, None)?;
        self.lock()?.remove(&key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trips_and_deletes() {
        let s = MemorySecretStore::new();
        assert_eq!(s.get("a.b".into()).unwrap(), None);
        s.set("a.b".into(), vec![1, 2, 3]).unwrap();
        assert_eq!(s.get("a.b".into()).unwrap(), Some(vec![1, 2, 3]));
        s.set("a.b".into(), vec![4]).unwrap();
        assert_eq!(s.get("a.b".into()).unwrap(), Some(vec![4]));
        s.delete("a.b".into()).unwrap();
        s.delete("a.b".into()).unwrap();
        assert_eq!(s.get("a.b".into()).unwrap(), None);
    }

    #[test]
    fn entry_rules_are_enforced() {
        let s = MemorySecretStore::new();
        for bad in [
            "",
            "has space",
            "slash/no",
            &"x".repeat(MAX_SECRET_KEY_NAME + 1),
        ] {
            assert!(
                matches!(
                    s.set(bad.to_string(), vec![1]),
                    Err(SecretStoreError::InvalidEntry { .. })
                ),
                "accepted {bad:?}"
            );
        }
        assert!(matches!(
            s.set("ok".into(), vec![0; MAX_SECRET_VALUE + 1]),
            Err(SecretStoreError::InvalidEntry { .. })
        ));
        assert_eq!(s.get("ok".into()).unwrap(), None);
    }
}
