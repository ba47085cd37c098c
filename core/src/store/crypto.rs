//! Field-level encryption of sensitive columns.
//!
//! XChaCha20-Poly1305 with a random 32-byte data key that lives in the [`SecretStore`] (never in
//! SQLite), a random 24-byte nonce per value, and AAD = `freeport/v1|table|column|row key`, so a
//! ciphertext copied into another row or column fails authentication.
//!
//! Sealed value layout: `0x01 ‖ nonce (24) ‖ ciphertext+tag`.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use super::StoreError;
use crate::identity::{SecretStore, SecretStoreError};

/// [`SecretStore`] entry holding the 32-byte data key of the local database.
pub const DATA_KEY_ENTRY: &str = "freeport.store.data_key.v1";

const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The database's data key (zeroised on drop, never printed).
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut out = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(out.as_mut_slice());
        Self(out)
    }

    /// Builds from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::DataKeyInvalid { len: bytes.len() })?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// Loads the key from `secrets`, or `None` if it was never created.
    pub fn load(secrets: &dyn SecretStore) -> Result<Option<Self>, StoreError> {
        match secrets.get(DATA_KEY_ENTRY.to_string())? {
            None => Ok(None),
            Some(v) => {
                let v = Zeroizing::new(v);
                Self::from_bytes(&v).map(Some)
            }
        }
    }

    /// Saves the key to `secrets` under [`DATA_KEY_ENTRY`].
    pub fn save(&self, secrets: &dyn SecretStore) -> Result<(), SecretStoreError> {
        secrets.set(DATA_KEY_ENTRY.to_string(), self.0.to_vec())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(self.0.as_slice()))
    }

    /// Seals `plain` for (`table`, `column`, `row`).
    pub(crate) fn seal(
        &self,
        table: &'static str,
        column: &'static str,
        row: &str,
        plain: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = aad(table, column, row);
        let ct = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::Crypto {
                table,
                column,
                reason: "encryption failed".into(),
            })?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a value sealed for (`table`, `column`, `row`). A wrong key, a value moved from
    /// another row, or any tampering is [`StoreError::Crypto`].
    pub(crate) fn open(
        &self,
        table: &'static str,
        column: &'static str,
        row: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let err = |reason: &str| StoreError::Crypto {
            table,
            column,
            reason: reason.into(),
        };
        let (&format, rest) = sealed.split_first().ok_or_else(|| err("empty value"))?;
        if format != FORMAT {
            return Err(err("unknown sealed-value format"));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(err("sealed value is truncated"));
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let aad = aad(table, column, row);
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| err("authentication failed (wrong data key, moved or tampered value)"))
    }
}

fn aad(table: &str, column: &str, row: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(16 + table.len() + column.len() + row.len());
    a.extend_from_slice(b"freeport/v1|");
    a.extend_from_slice(table.as_bytes());
    a.push(b'|');
    a.extend_from_slice(column.as_bytes());
    a.push(b'|');
    a.extend_from_slice(row.as_bytes());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let k = DataKey::generate();
        let s = k
            .seal("negotiations", "detail", "row-a", b"secret terms")
            .unwrap();
        assert_eq!(
            k.open("negotiations", "detail", "row-a", &s)
                .unwrap()
                .as_slice(),
            b"secret terms"
        );
        // Bound to row, column, table, key.
        assert!(k.open("negotiations", "detail", "row-b", &s).is_err());
        assert!(k.open("negotiations", "other", "row-a", &s).is_err());
        assert!(k.open("messages", "detail", "row-a", &s).is_err());
        assert!(
            DataKey::generate()
                .open("negotiations", "detail", "row-a", &s)
                .is_err()
        );
        // Same plaintext twice → different ciphertexts (random nonce).
        assert_ne!(
            s,
            k.seal("negotiations", "detail", "row-a", b"secret terms")
                .unwrap()
        );
    }

    #[test]
    fn malformed_sealed_values_are_typed_errors() {
        let k = DataKey::generate();
        let good = k.seal("t", "c", "r", b"x").unwrap();
        let mut wrong_format = good.clone();
        wrong_format[0] = 9;
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x80;
        for bad in [vec![], vec![1], vec![1; 40], wrong_format, flipped] {
            assert!(matches!(
                k.open("t", "c", "r", &bad),
                Err(StoreError::Crypto { .. })
            ));
        }
        assert!(matches!(
            DataKey::from_bytes(&[0; 31]),
            Err(StoreError::DataKeyInvalid { len: 31 })
        ));
    }
}
