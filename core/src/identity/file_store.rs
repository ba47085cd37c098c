//! [`PassphraseFileSecretStore`]: secrets in one encrypted file, for headless machines with no
//! keyring service.
//!
//! File layout (all integers big-endian):
//!
//! ```text
//! magic     8 bytes  "FPSECRT1"
//! wrapped  91 bytes  NIP-49 encrypted file key (scrypt(passphrase) → XChaCha20-Poly1305)
//! nonce    24 bytes  random, fresh on every write
//! sealed   rest      XChaCha20-Poly1305(file key, nonce, entries, aad = magic ‖ wrapped)
//! entries            u32 count, then per entry: u16 name length, name, u32 value length, value
//! ```
//!
//! The passphrase only unlocks the 32-byte random file key (standard NIP-49 key wrapping, so the
//! expensive scrypt runs once per open); the entries are sealed as one blob, so even entry names
//! are hidden. Every write goes to a temporary file, is fsynced and renamed over the old one.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use nostr::SecretKey;
use nostr::nips::nip49::{self, EncryptedSecretKey, KeySecurity};
use zeroize::Zeroizing;

use super::keys::{DEFAULT_LOG_N, MAX_UNCONFIRMED_LOG_N, MIN_EXPORT_LOG_N};
use super::secret_store::{SecretStore, SecretStoreError, check_entry};

const MAGIC: &[u8; 8] = b"FPSECRT1";
const WRAPPED_LEN: usize = EncryptedSecretKey::LEN;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = MAGIC.len() + WRAPPED_LEN;
/// Largest file we agree to read (far above 256 entries of the maximum value size).
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

type Entries = BTreeMap<String, Zeroizing<Vec<u8>>>;

struct State {
    file_key: Zeroizing<[u8; 32]>,
    wrapped: [u8; WRAPPED_LEN],
    entries: Entries,
}

/// A [`SecretStore`] kept in one passphrase-encrypted file (never plain text on disk).
pub struct PassphraseFileSecretStore {
    path: PathBuf,
    state: Mutex<State>,
}

impl std::fmt::Debug for PassphraseFileSecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassphraseFileSecretStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn corrupt(reason: impl Into<String>) -> SecretStoreError {
    SecretStoreError::Corrupt {
        reason: reason.into(),
    }
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> SecretStoreError {
    SecretStoreError::Backend {
        reason: format!("{what} {}: {e}", path.display()),
    }
}

impl PassphraseFileSecretStore {
    /// Opens the store at `path`, creating it (scrypt cost [`DEFAULT_LOG_N`]) if it does not
    /// exist. A wrong passphrase is [`SecretStoreError::Locked`] and changes nothing.
    pub fn open(path: impl AsRef<Path>, passphrase: &str) -> Result<Self, SecretStoreError> {
        Self::open_with_cost(path, passphrase, DEFAULT_LOG_N)
    }

    /// Like [`Self::open`], with the scrypt cost used if the file has to be created
    /// ([`MIN_EXPORT_LOG_N`]..=[`MAX_UNCONFIRMED_LOG_N`]).
    pub fn open_with_cost(
        path: impl AsRef<Path>,
        passphrase: &str,
        log_n: u8,
    ) -> Result<Self, SecretStoreError> {
        let path = path.as_ref().to_path_buf();
        if passphrase.is_empty() {
            return Err(SecretStoreError::InvalidEntry {
                key: "passphrase".into(),
                rule: "is empty".into(),
            });
        }
        let state = match fs::metadata(&path) {
            Ok(meta) => {
                if meta.len() > MAX_FILE_BYTES {
                    return Err(corrupt(format!(
                        "file is {} bytes; the limit is {MAX_FILE_BYTES}",
                        meta.len()
                    )));
                }
                let bytes = Zeroizing::new(fs::read(&path).map_err(|e| io_err("read", &path, e))?);
                Self::decode(&bytes, passphrase)?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !(MIN_EXPORT_LOG_N..=MAX_UNCONFIRMED_LOG_N).contains(&log_n) {
                    return Err(SecretStoreError::InvalidEntry {
                        key: "log_n".into(),
                        rule: format!(
                            "{log_n} is outside {MIN_EXPORT_LOG_N}..={MAX_UNCONFIRMED_LOG_N}"
                        ),
                    });
                }
                let file_key = SecretKey::generate();
                let enc =
                    EncryptedSecretKey::new(&file_key, passphrase, log_n, KeySecurity::Medium)
                        .map_err(|e| SecretStoreError::Backend {
                            reason: format!("NIP-49 key wrap: {e}"),
                        })?;
                let wrapped: [u8; WRAPPED_LEN] = enc
                    .as_vec()
                    .try_into()
                    .map_err(|_| corrupt("NIP-49 produced an unexpected length"))?;
                let state = State {
                    file_key: Zeroizing::new(file_key.to_secret_bytes()),
                    wrapped,
                    entries: Entries::new(),
                };
                write_file(&path, &state)?;
                state
            }
            Err(e) => return Err(io_err("stat", &path, e)),
        };
        Ok(Self {
            path,
            state: Mutex::new(state),
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn decode(bytes: &[u8], passphrase: &str) -> Result<State, SecretStoreError> {
        let magic = bytes
            .get(..MAGIC.len())
            .ok_or_else(|| corrupt("file is truncated"))?;
        if magic != MAGIC {
            return Err(corrupt("not a Freeport secret file (bad magic)"));
        }
        let wrapped_slice = bytes
            .get(MAGIC.len()..HEADER_LEN)
            .ok_or_else(|| corrupt("file is truncated in the key header"))?;
        let enc = EncryptedSecretKey::from_slice(wrapped_slice)
            .map_err(|e| corrupt(format!("key header: {e}")))?;
        if enc.log_n() > MAX_UNCONFIRMED_LOG_N {
            return Err(corrupt(format!(
                "key header asks for scrypt log_n {} (limit {MAX_UNCONFIRMED_LOG_N})",
                enc.log_n()
            )));
        }
        let file_key = match enc.decrypt_with_max_log_n(passphrase, MAX_UNCONFIRMED_LOG_N) {
            Ok(sk) => Zeroizing::new(sk.to_secret_bytes()),
            Err(nip49::Error::ChaCha20Poly1305(_)) => {
                return Err(SecretStoreError::Locked {
                    reason: "wrong passphrase".into(),
                });
            }
            Err(e) => return Err(corrupt(format!("key header: {e}"))),
        };
        let nonce = bytes
            .get(HEADER_LEN..HEADER_LEN + NONCE_LEN)
            .ok_or_else(|| corrupt("file is truncated in the nonce"))?;
        let sealed = bytes
            .get(HEADER_LEN + NONCE_LEN..)
            .ok_or_else(|| corrupt("file is truncated in the body"))?;
        let cipher = XChaCha20Poly1305::new(Key::from_slice(file_key.as_slice()));
        let aad = bytes
            .get(..HEADER_LEN)
            .ok_or_else(|| corrupt("file is truncated"))?;
        let plain = Zeroizing::new(
            cipher
                .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
                .map_err(|_| corrupt("body failed authentication (tampered or truncated)"))?,
        );
        let entries = decode_entries(&plain)?;
        let mut wrapped = [0u8; WRAPPED_LEN];
        wrapped.copy_from_slice(wrapped_slice);
        Ok(State {
            file_key,
            wrapped,
            entries,
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, SecretStoreError> {
        self.state.lock().map_err(|_| SecretStoreError::Backend {
            reason: "file store lock poisoned".into(),
        })
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SecretStoreError> {
        if self.rest.len() < n {
            return Err(corrupt("entry table is truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SecretStoreError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

fn decode_entries(plain: &[u8]) -> Result<Entries, SecretStoreError> {
    let mut r = Reader { rest: plain };
    let count = u32::from_be_bytes(r.array()?);
    let mut entries = Entries::new();
    for _ in 0..count {
        let name_len = u16::from_be_bytes(r.array()?);
        let name = std::str::from_utf8(r.take(usize::from(name_len))?)
            .map_err(|_| corrupt("entry name is not UTF-8"))?
            .to_string();
        let value_len = u32::from_be_bytes(r.array()?);
        let value_len =
            usize::try_from(value_len).map_err(|_| corrupt("value length overflows"))?;
        let value = Zeroizing::new(r.take(value_len)?.to_vec());
        entries.insert(name, value);
    }
    if !r.rest.is_empty() {
        return Err(corrupt("trailing bytes after the entry table"));
    }
    Ok(entries)
}

fn encode_entries(entries: &Entries) -> Result<Zeroizing<Vec<u8>>, SecretStoreError> {
    let mut out = Zeroizing::new(Vec::new());
    let count = u32::try_from(entries.len()).map_err(|_| corrupt("too many entries"))?;
    out.extend_from_slice(&count.to_be_bytes());
    for (name, value) in entries {
        let nl = u16::try_from(name.len()).map_err(|_| corrupt("entry name too long"))?;
        let vl = u32::try_from(value.len()).map_err(|_| corrupt("entry value too long"))?;
        out.extend_from_slice(&nl.to_be_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&vl.to_be_bytes());
        out.extend_from_slice(value);
    }
    Ok(out)
}

fn write_file(path: &Path, state: &State) -> Result<(), SecretStoreError> {
    let plain = encode_entries(&state.entries)?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(state.file_key.as_slice()));
    let nonce = XChaCha20Poly1305::generate_nonce(&mut rand::rngs::OsRng);
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&state.wrapped);
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: &plain,
                aad: &header,
            },
        )
        .map_err(|_| SecretStoreError::Backend {
            reason: "encryption failed".into(),
        })?;
    let mut bytes = header;
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&sealed);

    let tmp = path.with_extension("tmp");
    {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(|e| io_err("create", &tmp, e))?;
        f.write_all(&bytes).map_err(|e| io_err("write", &tmp, e))?;
        f.sync_all().map_err(|e| io_err("fsync", &tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io_err("rename onto", path, e))?;
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the rename itself durable; failure here is not fatal to correctness.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl SecretStore for PassphraseFileSecretStore {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError> {
        check_entry(&key, None)?;
        Ok(self.lock()?.entries.get(&key).map(|v| v.to_vec()))
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError> {
        check_entry(&key, Some(&value))?;
        let mut st = self.lock()?;
        let previous = st.entries.insert(key.clone(), Zeroizing::new(value));
        if let Err(e) = write_file(&self.path, &st) {
            // Keep memory consistent with the file on failure.
            match previous {
                Some(p) => st.entries.insert(key, p),
                None => st.entries.remove(&key),
            };
            return Err(e);
        }
        Ok(())
    }

    fn delete(&self, key: String) -> Result<(), SecretStoreError> {
        check_entry(&key, None)?;
        let mut st = self.lock()?;
        let Some(previous) = st.entries.remove(&key) else {
            return Ok(());
        };
        if let Err(e) = write_file(&self.path, &st) {
            st.entries.insert(key, previous);
            return Err(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_across_reopen_and_refuses_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.fp");
        {
            let s = PassphraseFileSecretStore::open(&path, "correct horse").unwrap();
            s.set("k1".into(), b"value-one-plaintext".to_vec()).unwrap();
            s.set("k2".into(), vec![7; 32]).unwrap();
            s.delete("k2".into()).unwrap();
        }
        let raw = fs::read(&path).unwrap();
        assert!(
            !raw.windows(19).any(|w| w == b"value-one-plaintext"),
            "plaintext value found in the file"
        );
        assert!(!raw.windows(2).any(|w| w == b"k1"), "entry name found");
        assert!(matches!(
            PassphraseFileSecretStore::open(&path, "wrong horse"),
            Err(SecretStoreError::Locked { .. })
        ));
        assert_eq!(
            fs::read(&path).unwrap(),
            raw,
            "failed open modified the file"
        );
        let s = PassphraseFileSecretStore::open(&path, "correct horse").unwrap();
        assert_eq!(
            s.get("k1".into()).unwrap().as_deref(),
            Some(&b"value-one-plaintext"[..])
        );
        assert_eq!(s.get("k2".into()).unwrap(), None);
    }

    #[test]
    fn tampered_or_truncated_files_are_corrupt_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.fp");
        PassphraseFileSecretStore::open(&path, "pw")
            .unwrap()
            .set("a".into(), vec![1, 2, 3])
            .unwrap();
        let good = fs::read(&path).unwrap();
        let mut cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"FPSECRT1".to_vec(),
            b"NOTMAGIC".iter().chain(&good[8..]).copied().collect(),
            good[..HEADER_LEN + 10].to_vec(),
            good[..good.len() - 1].to_vec(),
        ];
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        cases.push(flipped);
        for (i, bytes) in cases.into_iter().enumerate() {
            fs::write(&path, &bytes).unwrap();
            match PassphraseFileSecretStore::open(&path, "pw") {
                Err(SecretStoreError::Corrupt { .. }) => {}
                other => panic!("case {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn entry_table_decoder_rejects_malformed_tables() {
        for bad in [
            &[0u8, 0, 0][..],
            &[0, 0, 0, 1][..],
            &[0, 0, 0, 1, 0, 5, b'a'][..],
            &[0, 0, 0, 1, 0, 1, 0xff, 0, 0, 0, 0][..],
            &[0, 0, 0, 1, 0, 1, b'a', 0xff, 0xff, 0xff, 0xff][..],
            &[0, 0, 0, 0, 9][..],
        ] {
            assert!(
                matches!(decode_entries(bad), Err(SecretStoreError::Corrupt { .. })),
                "{bad:?}"
            );
        }
        let mut e = Entries::new();
        e.insert("x".into(), Zeroizing::new(vec![9, 8]));
        assert_eq!(decode_entries(&encode_entries(&e).unwrap()).unwrap(), e);
    }
}
