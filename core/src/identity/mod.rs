//! Identity layer: the user's keys, where they live ([`SecretStore`] implementations) and the
//! NIP-49 encrypted backup.
//!
//! The secret key exists in three forms only: inside a [`SecretStore`] (OS keystore, keyring,
//! or the passphrase-encrypted file), in memory inside [`SecretKeyMaterial`] (zeroised on drop,
//! redacted in `Debug`), and as an `ncryptsec1…` backup the user explicitly exports.

mod file_store;
#[cfg(feature = "desktop-keyring")]
mod keyring_store;
mod keys;
mod passphrase;
mod secret_store;

pub use file_store::PassphraseFileSecretStore;
#[cfg(feature = "desktop-keyring")]
pub use keyring_store::{KEYRING_SERVICE, KeyringSecretStore};
pub(crate) use keys::decode_public_key;
pub use keys::{
    BackupInfo, DEFAULT_LOG_N, DecryptCost, MAX_CONFIRMED_LOG_N, MAX_UNCONFIRMED_LOG_N,
    MIN_EXPORT_LOG_N, SecretKeyMaterial, export_ncryptsec, import_ncryptsec, inspect_ncryptsec,
    parse_public_key, parse_secret_key, to_npub,
};
pub use passphrase::{
    MAX_PASSPHRASE_CHARS, MIN_BACKUP_PASSPHRASE_CHARS, PassphrasePurpose, passphrase_violations,
};
pub use secret_store::{
    MAX_SECRET_KEY_NAME, MAX_SECRET_VALUE, MemorySecretStore, SecretStore, SecretStoreError,
};

use nostr::{Keys, PublicKey};

/// [`SecretStore`] entry holding the user's 32 raw secret-key bytes.
pub const IDENTITY_ENTRY: &str = "freeport.identity.secret_key.v1";

/// Why an identity operation failed. Messages never contain secret material.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A public key string is neither 64 hex characters nor a valid `npub1…`.
    #[error("public key `{input}`: {rule}")]
    InvalidPublicKey { input: String, rule: String },
    /// A secret key is malformed (the input itself is never echoed).
    #[error("secret key: {rule}")]
    InvalidSecretKey { rule: String },
    /// An `ncryptsec1…` backup is malformed.
    #[error("encrypted backup: {rule}")]
    InvalidBackup { rule: String },
    /// The passphrase does not decrypt the backup. Nothing was changed.
    #[error("wrong passphrase for this backup")]
    WrongPassphrase,
    /// The passphrase breaks the passphrase rule ([`passphrase_violations`]).
    #[error("passphrase rejected: {violations:?}")]
    WeakPassphrase {
        violations: Vec<crate::rules::FieldViolation>,
    },
    /// The backup's scrypt cost is above what may be decrypted without confirmation.
    #[error(
        "backup needs scrypt log_n {log_n}, above the limit {max} (confirmable: {confirmable})"
    )]
    CostTooHigh {
        log_n: u8,
        max: u8,
        confirmable: bool,
    },
    /// A requested scrypt cost is outside the allowed range.
    #[error("scrypt log_n {log_n} is outside {min}..={max}")]
    InvalidCost { log_n: u8, min: u8, max: u8 },
    /// Creating or restoring would overwrite an existing identity; wipe it first.
    #[error("an identity already exists in this secret store (public key {public_key})")]
    AlreadyExists { public_key: String },
    /// No identity exists in the secret store.
    #[error("no identity in this secret store")]
    NotFound,
    /// The secret store failed.
    #[error("secret store: {0}")]
    SecretStore(#[from] SecretStoreError),
    /// A cryptographic primitive failed unexpectedly.
    #[error("cryptographic failure: {reason}")]
    Crypto { reason: String },
}

/// The user's identity: their keys, loaded from a [`SecretStore`] under [`IDENTITY_ENTRY`].
#[derive(Debug, Clone)]
pub struct Identity {
    key: SecretKeyMaterial,
}

impl Identity {
    /// Generates a new key and stores it. Refuses to overwrite an existing identity.
    pub fn create(store: &dyn SecretStore) -> Result<Self, IdentityError> {
        Self::install(store, SecretKeyMaterial::generate())
    }

    /// Loads the identity, or `None` if the store holds none.
    pub fn load(store: &dyn SecretStore) -> Result<Option<Self>, IdentityError> {
        let Some(bytes) = store.get(IDENTITY_ENTRY.to_string())? else {
            return Ok(None);
        };
        let bytes = zeroize::Zeroizing::new(bytes);
        let key = SecretKeyMaterial::from_bytes(&bytes).map_err(|_| {
            IdentityError::SecretStore(SecretStoreError::Corrupt {
                reason: format!("`{IDENTITY_ENTRY}` does not hold a valid 32-byte secret key"),
            })
        })?;
        Ok(Some(Self { key }))
    }

    /// Loads the identity, or fails with [`IdentityError::NotFound`].
    pub fn require(store: &dyn SecretStore) -> Result<Self, IdentityError> {
        Self::load(store)?.ok_or(IdentityError::NotFound)
    }

    /// Decrypts an NIP-49 backup and stores it. The store is only written after the backup
    /// decrypted successfully, so a wrong passphrase leaves no partial state.
    pub fn restore_from_ncryptsec(
        store: &dyn SecretStore,
        ncryptsec: &str,
        passphrase: &str,
        cost: DecryptCost,
    ) -> Result<Self, IdentityError> {
        Self::ensure_empty(store)?;
        let key = import_ncryptsec(ncryptsec, passphrase, cost)?;
        Self::install(store, key)
    }

    /// Imports a plain `nsec1…`/hex secret key (e.g. from another client) and stores it.
    pub fn import_secret(store: &dyn SecretStore, secret: &str) -> Result<Self, IdentityError> {
        Self::ensure_empty(store)?;
        let key = parse_secret_key(secret)?;
        Self::install(store, key)
    }

    /// Exports an NIP-49 backup of this identity.
    pub fn export_ncryptsec(&self, passphrase: &str, log_n: u8) -> Result<String, IdentityError> {
        export_ncryptsec(&self.key, passphrase, log_n)
    }

    /// Deletes the identity from the store (irreversible without a backup).
    pub fn wipe(store: &dyn SecretStore) -> Result<(), IdentityError> {
        store.delete(IDENTITY_ENTRY.to_string())?;
        Ok(())
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// The public key as `npub1…`.
    pub fn npub(&self) -> String {
        to_npub(&self.key.public_key())
    }

    /// The signing keys.
    pub fn keys(&self) -> &Keys {
        self.key.keys()
    }

    /// The key material (for an explicit `nsec` export on user request).
    pub fn secret(&self) -> &SecretKeyMaterial {
        &self.key
    }

    fn ensure_empty(store: &dyn SecretStore) -> Result<(), IdentityError> {
        match Self::load(store) {
            Ok(Some(existing)) => Err(IdentityError::AlreadyExists {
                public_key: existing.public_key().to_hex(),
            }),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn install(store: &dyn SecretStore, key: SecretKeyMaterial) -> Result<Self, IdentityError> {
        Self::ensure_empty(store)?;
        let bytes = key.to_secret_bytes();
        store.set(IDENTITY_ENTRY.to_string(), bytes.to_vec())?;
        Ok(Self { key })
    }
}
