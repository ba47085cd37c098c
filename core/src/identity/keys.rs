//! Key parsing and encoding (hex / NIP-19 bech32) and NIP-49 encrypted backups.

use std::fmt;

use nostr::nips::nip19::{FromBech32, ToBech32};
use nostr::nips::nip49::{self, EncryptedSecretKey, KeySecurity};
use nostr::{Keys, PublicKey, SecretKey};
use zeroize::Zeroizing;

use super::IdentityError;

/// scrypt cost (log2 N) used for new NIP-49 backups: 64 MiB, well under a second on a phone.
pub const DEFAULT_LOG_N: u8 = 16;
/// Highest scrypt cost decrypted without an explicit confirmation (256 MiB of memory).
pub const MAX_UNCONFIRMED_LOG_N: u8 = 18;
/// Highest scrypt cost accepted at all, even confirmed (4 GiB of memory).
pub const MAX_CONFIRMED_LOG_N: u8 = 22;
/// Lowest scrypt cost we use to encrypt a backup (NIP-49 recommends at least 16).
pub const MIN_EXPORT_LOG_N: u8 = 16;

/// Whether the caller confirmed an expensive NIP-49 decryption (log_n above
/// [`MAX_UNCONFIRMED_LOG_N`], which can exhaust a cheap phone's memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecryptCost {
    /// Refuse anything above [`MAX_UNCONFIRMED_LOG_N`].
    Default,
    /// The user confirmed; accept up to [`MAX_CONFIRMED_LOG_N`].
    Confirmed,
}

impl DecryptCost {
    fn max_log_n(self) -> u8 {
        match self {
            Self::Default => MAX_UNCONFIRMED_LOG_N,
            Self::Confirmed => MAX_CONFIRMED_LOG_N,
        }
    }
}

/// A secret key with a redacting `Debug` and zeroisation on drop (through `nostr::Keys`).
///
/// This is the only type that carries the user's secret key around the core. It never prints
/// the secret: `Debug` shows the public key only.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKeyMaterial {
    keys: Keys,
}

impl SecretKeyMaterial {
    /// A fresh key from the OS CSPRNG.
    pub fn generate() -> Self {
        Self {
            keys: Keys::generate(),
        }
    }

    /// Wraps existing keys.
    pub fn from_keys(keys: Keys) -> Self {
        Self { keys }
    }

    /// Builds from exactly 32 raw secret bytes (as stored in a [`super::SecretStore`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let sk = SecretKey::from_slice(bytes).map_err(|_| IdentityError::InvalidSecretKey {
            rule: format!(
                "expected 32 bytes of a valid secp256k1 scalar, found {} bytes",
                bytes.len()
            ),
        })?;
        Ok(Self {
            keys: Keys::new(sk),
        })
    }

    /// The signing keys (for `EventBuilder::sign_with_keys` and NIP-44/NIP-04).
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.keys.public_key()
    }

    /// The 32 secret bytes in a zeroising buffer (for handing to a [`super::SecretStore`]).
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.keys.secret_key().as_secret_bytes().to_vec())
    }

    /// The secret key as `nsec1…` in a zeroising string (only for an explicit user export).
    pub fn to_nsec(&self) -> Zeroizing<String> {
        // Infallible: a 32-byte payload always fits a bech32 string.
        Zeroizing::new(match self.keys.secret_key().to_bech32() {
            Ok(s) => s,
            Err(never) => match never {},
        })
    }
}

impl fmt::Debug for SecretKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKeyMaterial")
            .field("public_key", &self.keys.public_key().to_hex())
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Parses a public key given as 64 hex characters, `npub1…` or `nprofile1…` (the form most Nostr
/// clients put in profile QR codes; its relay hints are ignored), each optionally as a NIP-21
/// `nostr:` URI. Surrounding whitespace is ignored, and an all-uppercase bech32 string (QR
/// alphanumeric mode) is read like its lowercase form. The key must be a valid x-only
/// secp256k1 point.
pub fn parse_public_key(input: &str) -> Result<PublicKey, IdentityError> {
    let s = input.trim();
    let bad = |rule: &str| IdentityError::InvalidPublicKey {
        input: crate::protocol::excerpt(s),
        rule: rule.to_string(),
    };
    let pk = match decode_public_key(s) {
        Some(Ok(pk)) => pk,
        Some(Err(rule)) => return Err(bad(rule)),
        None => {
            return Err(bad(
                "expected 64 hex characters, an npub1… or nprofile1… string, or a nostr: URI",
            ));
        }
    };
    pk.xonly()
        .map_err(|_| bad("is not a point on the secp256k1 curve"))?;
    Ok(pk)
}

/// The key in `s` (already trimmed): `None` if it has none of the accepted shapes, `Err(rule)`
/// if it has one but does not decode. Does not check the key is a curve point.
pub(crate) fn decode_public_key(s: &str) -> Option<Result<PublicKey, &'static str>> {
    use nostr::nips::nip19::Nip19Profile;
    let body = match s.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("nostr:") => s.get(6..).unwrap_or(""),
        _ => s,
    };
    if body.len() == 64 && body.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(
            PublicKey::from_hex(&body.to_ascii_lowercase()).map_err(|_| "is not valid hex"),
        );
    }
    // Bech32 is case-insensitive but never mixed-case; QR codes often carry it in capitals.
    let lower;
    let body = if body.bytes().any(|b| b.is_ascii_lowercase()) {
        body
    } else {
        lower = body.to_ascii_lowercase();
        lower.as_str()
    };
    if body.starts_with("npub1") {
        Some(
            PublicKey::from_bech32(body)
                .map_err(|_| "is not a valid npub (bech32 checksum or length)"),
        )
    } else if body.starts_with("nprofile1") {
        Some(
            Nip19Profile::from_bech32(body)
                .map(|p| p.public_key)
                .map_err(|_| "is not a valid nprofile (bech32 checksum, length or TLV)"),
        )
    } else {
        None
    }
}

/// Encodes a public key as `npub1…`.
pub fn to_npub(pk: &PublicKey) -> String {
    match pk.to_bech32() {
        Ok(s) => s,
        Err(never) => match never {},
    }
}

/// Parses a secret key given as 64 hex characters or `nsec1…`. Error messages never echo the
/// input (it is a secret).
pub fn parse_secret_key(input: &str) -> Result<SecretKeyMaterial, IdentityError> {
    let s = input.trim();
    let sk = if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        SecretKey::from_hex(s).map_err(|_| IdentityError::InvalidSecretKey {
            rule: "hex is not a valid secp256k1 secret key".into(),
        })?
    } else if s.starts_with("nsec1") {
        SecretKey::from_bech32(s).map_err(|_| IdentityError::InvalidSecretKey {
            rule: "not a valid nsec (bech32 checksum, length or scalar range)".into(),
        })?
    } else if s.starts_with("ncryptsec1") {
        return Err(IdentityError::InvalidSecretKey {
            rule: "this is an encrypted backup (ncryptsec); restore it with its passphrase".into(),
        });
    } else {
        return Err(IdentityError::InvalidSecretKey {
            rule: format!(
                "expected 64 hex characters or an nsec1… string ({} characters given)",
                s.chars().count()
            ),
        });
    };
    Ok(SecretKeyMaterial {
        keys: Keys::new(sk),
    })
}

/// What an `ncryptsec1…` backup says about itself before it is decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupInfo {
    /// scrypt cost parameter (memory = 1 KiB × 2^log_n).
    pub log_n: u8,
    /// Whether decrypting needs [`DecryptCost::Confirmed`].
    pub needs_confirmation: bool,
}

fn parse_ncryptsec(input: &str) -> Result<EncryptedSecretKey, IdentityError> {
    let s = input.trim();
    if !s.starts_with("ncryptsec1") {
        return Err(IdentityError::InvalidBackup {
            rule: "does not start with ncryptsec1".into(),
        });
    }
    EncryptedSecretKey::from_bech32(s).map_err(|e| IdentityError::InvalidBackup {
        rule: format!("malformed ncryptsec: {e}"),
    })
}

/// Reads the header of a backup (cost, whether it needs confirmation) without decrypting it.
pub fn inspect_ncryptsec(input: &str) -> Result<BackupInfo, IdentityError> {
    let enc = parse_ncryptsec(input)?;
    Ok(BackupInfo {
        log_n: enc.log_n(),
        needs_confirmation: enc.log_n() > MAX_UNCONFIRMED_LOG_N,
    })
}

/// Encrypts `key` into an NIP-49 `ncryptsec1…` backup under `passphrase` (NFKC-normalised by
/// NIP-49). `log_n` must be within [`MIN_EXPORT_LOG_N`]..=[`MAX_CONFIRMED_LOG_N`].
pub fn export_ncryptsec(
    key: &SecretKeyMaterial,
    passphrase: &str,
    log_n: u8,
) -> Result<String, IdentityError> {
    if passphrase.is_empty() {
        return Err(IdentityError::WeakPassphrase {
            violations: vec![crate::rules::FieldViolation::new(
                "passphrase",
                crate::rules::Rule::Required,
            )],
        });
    }
    if !(MIN_EXPORT_LOG_N..=MAX_CONFIRMED_LOG_N).contains(&log_n) {
        return Err(IdentityError::InvalidCost {
            log_n,
            min: MIN_EXPORT_LOG_N,
            max: MAX_CONFIRMED_LOG_N,
        });
    }
    let enc = EncryptedSecretKey::new(
        key.keys.secret_key(),
        passphrase,
        log_n,
        KeySecurity::Unknown,
    )
    .map_err(|e| IdentityError::Crypto {
        reason: e.to_string(),
    })?;
    enc.to_bech32().map_err(|e| IdentityError::Crypto {
        reason: e.to_string(),
    })
}

/// Decrypts an NIP-49 backup. Refuses a cost above [`MAX_UNCONFIRMED_LOG_N`] unless `cost` is
/// [`DecryptCost::Confirmed`], and anything above [`MAX_CONFIRMED_LOG_N`]. A wrong passphrase
/// is [`IdentityError::WrongPassphrase`].
pub fn import_ncryptsec(
    input: &str,
    passphrase: &str,
    cost: DecryptCost,
) -> Result<SecretKeyMaterial, IdentityError> {
    let enc = parse_ncryptsec(input)?;
    let max = cost.max_log_n();
    if enc.log_n() > max {
        return Err(IdentityError::CostTooHigh {
            log_n: enc.log_n(),
            max,
            confirmable: enc.log_n() <= MAX_CONFIRMED_LOG_N,
        });
    }
    match enc.decrypt_with_max_log_n(passphrase, max) {
        Ok(sk) => Ok(SecretKeyMaterial {
            keys: Keys::new(sk),
        }),
        Err(nip49::Error::ChaCha20Poly1305(_)) => Err(IdentityError::WrongPassphrase),
        Err(nip49::Error::Keys(_)) => Err(IdentityError::InvalidBackup {
            rule: "decrypts to an invalid secret key".into(),
        }),
        Err(e) => Err(IdentityError::InvalidBackup {
            rule: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vector from NIP-49 (log_n 16, passphrase "nostr").
    const VECTOR: &str = "ncryptsec1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p";
    const VECTOR_SK: &str = "3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683";

    #[test]
    fn nip49_spec_vector_decrypts() {
        let k = import_ncryptsec(VECTOR, "nostr", DecryptCost::Default).unwrap();
        assert_eq!(k.keys().secret_key().to_secret_hex(), VECTOR_SK);
        assert_eq!(
            inspect_ncryptsec(VECTOR).unwrap(),
            BackupInfo {
                log_n: 16,
                needs_confirmation: false
            }
        );
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let k = parse_secret_key(VECTOR_SK).unwrap();
        let dbg = format!("{k:?} {:?}", k.keys());
        assert!(!dbg.contains(VECTOR_SK), "{dbg}");
        assert!(!dbg.contains(k.to_nsec().as_str()), "{dbg}");
        assert!(dbg.contains(&k.public_key().to_hex()));
    }

    #[test]
    fn malformed_keys_are_typed_errors_without_echoing_secrets() {
        for bad in [
            "",
            "nsec1",
            "nsec1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
            &"0".repeat(64),
            &"f".repeat(64),
            &"a".repeat(63),
            "zz01454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683",
            VECTOR,
        ] {
            match parse_secret_key(bad) {
                Err(IdentityError::InvalidSecretKey { rule }) => {
                    assert!(bad.len() < 8 || !rule.contains(bad), "{rule}")
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        for bad in ["", "npub1xyz", &"g".repeat(64), "nsec1abc", &"f".repeat(64)] {
            assert!(
                matches!(
                    parse_public_key(bad),
                    Err(IdentityError::InvalidPublicKey { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn malformed_backups_are_typed_errors() {
        let mut flipped = VECTOR.to_string();
        flipped.replace_range(20..21, if &VECTOR[20..21] == "q" { "p" } else { "q" });
        for bad in [
            "",
            "nsec1abc",
            "ncryptsec1",
            "ncryptsec1qqqq",
            flipped.as_str(),
        ] {
            assert!(
                matches!(
                    import_ncryptsec(bad, "nostr", DecryptCost::Default),
                    Err(IdentityError::InvalidBackup { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn export_refuses_empty_passphrase_and_bad_cost() {
        let k = SecretKeyMaterial::generate();
        assert!(matches!(
            export_ncryptsec(&k, "", DEFAULT_LOG_N),
            Err(IdentityError::WeakPassphrase { .. })
        ));
        for log_n in [0, 15, 23, 255] {
            assert!(matches!(
                export_ncryptsec(&k, "pw", log_n),
                Err(IdentityError::InvalidCost { .. })
            ));
        }
    }
}
