//! Salted phone commitments (our extension; reference clients ignore the fields).
//!
//! ```text
//! phone_commit = lowercase_hex( SHA-256( "freeport/phone-commit/v1" ‖ 0x00 ‖ e164 ‖ 0x00 ‖ salt ) )
//! ```
//! `e164` is the ASCII E.164 string including `+` (e.g. `+84912345678`), `salt` the 32 raw
//! salt bytes (not their hex). The salt travels hex-encoded in the encrypted accept
//! (envelope field `contact_salt`). See docs/CONTACT.md for the byte-by-byte layout.

use std::fmt;

use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

use super::phone::E164;

/// Domain-separation prefix of the commitment hash.
pub const COMMIT_DOMAIN: &[u8] = b"freeport/phone-commit/v1";

/// Salt length in bytes.
pub const SALT_LEN: usize = 32;

/// Why a salt or commitment string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommitError {
    /// Not exactly 64 hex characters.
    #[error("`{field}` must be 64 hex characters, got {actual}")]
    WrongLength {
        /// Which field (`contact_salt`, `phone_commit`, `contact_commit`).
        field: &'static str,
        /// Characters given.
        actual: usize,
    },
    /// A character that is not a hex digit.
    #[error("`{field}` has a non-hex character at position {position}")]
    NotHex {
        /// Which field.
        field: &'static str,
        /// Zero-based character position.
        position: usize,
    },
}

/// 32 random bytes that make a phone commitment hard to reverse without them.
/// `Debug` does not print the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Salt([u8; SALT_LEN]);

impl Salt {
    /// A fresh salt from the operating system's CSPRNG.
    pub fn random() -> Salt {
        Salt::from_rng(&mut rand::rngs::OsRng)
    }

    /// A fresh salt from the given cryptographic RNG (deterministic RNGs in tests).
    pub fn from_rng<R: RngCore + CryptoRng>(rng: &mut R) -> Salt {
        let mut bytes = [0u8; SALT_LEN];
        rng.fill_bytes(&mut bytes);
        Salt(bytes)
    }

    /// Wraps raw bytes.
    pub fn from_bytes(bytes: [u8; SALT_LEN]) -> Salt {
        Salt(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; SALT_LEN] {
        &self.0
    }

    /// Lowercase hex, as sent in the envelope's `contact_salt`.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads `contact_salt` (64 hex characters, either case).
    pub fn from_hex(s: &str) -> Result<Salt, CommitError> {
        parse_hex32("contact_salt", s).map(Salt)
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt(..)")
    }
}

/// The commitment to `number` under `salt`, 64 lowercase hex characters.
pub fn commitment(number: &E164, salt: &Salt) -> String {
    let mut h = Sha256::new();
    h.update(COMMIT_DOMAIN);
    h.update([0u8]);
    h.update(number.as_str().as_bytes());
    h.update([0u8]);
    h.update(salt.as_bytes());
    hex::encode(h.finalize())
}

/// Reads a commitment field (`phone_commit` or `contact_commit`) into canonical lowercase hex.
pub fn normalise_commitment(field: &'static str, s: &str) -> Result<String, CommitError> {
    parse_hex32(field, s).map(hex::encode)
}

fn parse_hex32(field: &'static str, s: &str) -> Result<[u8; 32], CommitError> {
    let actual = s.chars().count();
    if actual != 64 {
        return Err(CommitError::WrongLength { field, actual });
    }
    if let Some(position) = s.chars().position(|c| !c.is_ascii_hexdigit()) {
        return Err(CommitError::NotHex { field, position });
    }
    let mut out = [0u8; 32];
    // All 64 characters are ASCII hex digits here, so decoding cannot fail; map defensively.
    hex::decode_to_slice(s, &mut out).map_err(|_| CommitError::NotHex { field, position: 0 })?;
    Ok(out)
}
