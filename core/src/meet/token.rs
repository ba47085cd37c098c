//! The compact text form of the two meet codes (see docs/MEET.md "Token format").
//!
//! ```text
//! FPM1:<base32 of 120 bytes>   meetup code  deal tag 4 | created_at u32 BE | nonce 16 | shower key 32 | sig 64
//! FPR1:<base32 of 108 bytes>   return code  deal tag 4 | nonce hint 4 | created_at u32 BE | scanner key 32 | sig 64
//! ```
//!
//! Base32 is RFC 4648 upper case without padding: every character is in the QR alphanumeric
//! set, so the whole code encodes in alphanumeric mode (5.5 bits per character), and it has no
//! space, `%` or `+` to be mangled when the code travels as text. The deal tag is an unsigned
//! hint (first 4 bytes of a domain-separated SHA-256 of the negotiation id) so a code for
//! another deal gets a precise message instead of "bad signature"; the signature over the
//! rebuilt receipt half is what actually binds the code to the deal.

use nostr::PublicKey;
use nostr::secp256k1::schnorr::Signature;
use sha2::{Digest, Sha256};

use super::error::{CodeKind, MeetError};
use crate::protocol::NegoId;
use crate::protocol::receipt::MeetNonce;

/// Prefix of the code the shower displays; the `1` is the format version.
pub const MEET_PREFIX: &str = "FPM1:";
/// Prefix of the code the scanner displays back.
pub const RETURN_PREFIX: &str = "FPR1:";

/// RFC 4648 base32 alphabet (a subset of the QR alphanumeric alphabet).
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const MEET_BYTES: usize = 4 + 4 + 16 + 32 + 64;
const RETURN_BYTES: usize = 4 + 4 + 4 + 32 + 64;

/// Domain separator of the deal tag hash.
const DEAL_TAG_DOMAIN: &[u8] = b"freeport/meet/v1/deal\0";

/// Number of base32 characters for `n` bytes (no padding).
pub const fn base32_len(n: usize) -> usize {
    (n * 8).div_ceil(5)
}

/// Length in characters of a meetup code, prefix included.
pub const MEET_CODE_CHARS: usize = MEET_PREFIX.len() + base32_len(MEET_BYTES);
/// Length in characters of a return code, prefix included.
pub const RETURN_CODE_CHARS: usize = RETURN_PREFIX.len() + base32_len(RETURN_BYTES);

/// The 4-byte hint naming a negotiation: SHA-256(domain ‖ nego id) truncated.
pub fn deal_tag(nego: &NegoId) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(DEAL_TAG_DOMAIN);
    h.update(nego.to_string().as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The fields of a meetup code (`FPM1:`): what the scanner cannot rebuild from its own record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetToken {
    /// Hint naming the negotiation (unsigned; see module docs).
    pub deal_tag: [u8; 4],
    /// `created_at` of the shower's receipt half, unix seconds.
    pub created_at: u32,
    /// The single-use nonce (`meet` tag).
    pub nonce: MeetNonce,
    /// The shower's public key (the receipt half's author).
    pub shower: PublicKey,
    /// BIP-340 signature over the receipt half's event id.
    pub sig: Signature,
}

/// The fields of a return code (`FPR1:`): the scanner's countersigned half, minus what the
/// shower already knows (nonce, the `e` link to its own half).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnToken {
    /// Hint naming the negotiation.
    pub deal_tag: [u8; 4],
    /// First 4 bytes of the nonce, to find which shown code was scanned.
    pub nonce_hint: [u8; 4],
    /// `created_at` of the scanner's half.
    pub created_at: u32,
    /// The scanner's public key.
    pub scanner: PublicKey,
    /// BIP-340 signature over the scanner's half.
    pub sig: Signature,
}

/// Either Freeport code, as recognised by its prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// A meetup code.
    Meet(MeetToken),
    /// A return code.
    Return(ReturnToken),
}

impl MeetToken {
    /// The code text: `FPM1:` followed by 192 base32 characters.
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(MEET_BYTES);
        b.extend_from_slice(&self.deal_tag);
        b.extend_from_slice(&self.created_at.to_be_bytes());
        b.extend_from_slice(&self.nonce.0);
        b.extend_from_slice(&self.shower.to_bytes());
        b.extend_from_slice(&self.sig.serialize());
        let mut s = String::with_capacity(MEET_CODE_CHARS);
        s.push_str(MEET_PREFIX);
        s.push_str(&base32_encode(&b));
        s
    }

    /// Parses a meetup code; any other text gets a typed reason.
    pub fn parse(text: &str) -> Result<Self, MeetError> {
        match parse_code(text)? {
            Code::Meet(t) => Ok(t),
            Code::Return(_) => Err(MeetError::WrongKind {
                expected: CodeKind::Meet,
                found: CodeKind::Return,
            }),
        }
    }
}

impl ReturnToken {
    /// The code text: `FPR1:` followed by 173 base32 characters.
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(RETURN_BYTES);
        b.extend_from_slice(&self.deal_tag);
        b.extend_from_slice(&self.nonce_hint);
        b.extend_from_slice(&self.created_at.to_be_bytes());
        b.extend_from_slice(&self.scanner.to_bytes());
        b.extend_from_slice(&self.sig.serialize());
        let mut s = String::with_capacity(RETURN_CODE_CHARS);
        s.push_str(RETURN_PREFIX);
        s.push_str(&base32_encode(&b));
        s
    }

    /// Parses a return code; any other text gets a typed reason.
    pub fn parse(text: &str) -> Result<Self, MeetError> {
        match parse_code(text)? {
            Code::Return(t) => Ok(t),
            Code::Meet(_) => Err(MeetError::WrongKind {
                expected: CodeKind::Return,
                found: CodeKind::Meet,
            }),
        }
    }
}

/// Recognises and decodes either code. Surrounding whitespace is ignored and lower case is
/// accepted (some chat apps change case); everything else must be exact.
pub fn parse_code(text: &str) -> Result<Code, MeetError> {
    let t = text.trim();
    let kind = classify_prefix(t)?;
    // The prefix is ASCII and matched case-insensitively, so this slice is on a char boundary.
    let body = t.get(kind.prefix().len()..).unwrap_or("");
    match kind {
        CodeKind::Meet => {
            let b = base32_decode_exact(body, MEET_BYTES)?;
            Ok(Code::Meet(MeetToken {
                deal_tag: take4(&b, 0),
                created_at: u32::from_be_bytes(take4(&b, 4)),
                nonce: MeetNonce(take16(&b, 8)),
                shower: pubkey(&b, 24, "shower key")?,
                sig: signature(&b, 56)?,
            }))
        }
        CodeKind::Return => {
            let b = base32_decode_exact(body, RETURN_BYTES)?;
            Ok(Code::Return(ReturnToken {
                deal_tag: take4(&b, 0),
                nonce_hint: take4(&b, 4),
                created_at: u32::from_be_bytes(take4(&b, 8)),
                scanner: pubkey(&b, 12, "scanner key")?,
                sig: signature(&b, 44)?,
            }))
        }
    }
}

fn classify_prefix(t: &str) -> Result<CodeKind, MeetError> {
    let head: String = t.chars().take(5).collect::<String>().to_ascii_uppercase();
    if head == MEET_PREFIX {
        return Ok(CodeKind::Meet);
    }
    if head == RETURN_PREFIX {
        return Ok(CodeKind::Return);
    }
    let h = head.as_bytes();
    if h.len() == 5
        && h.starts_with(b"FP")
        && (h[2] == b'M' || h[2] == b'R')
        && h[3].is_ascii_alphanumeric()
        && h[4] == b':'
    {
        return Err(MeetError::UnsupportedVersion { prefix: head });
    }
    Err(MeetError::NotFreeport {
        found: t.chars().take(24).collect(),
    })
}

/// Copies 4 bytes at `at`; callers pass offsets inside a buffer of checked length.
fn take4(b: &[u8], at: usize) -> [u8; 4] {
    let mut o = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        o.copy_from_slice(s);
    }
    o
}

fn take16(b: &[u8], at: usize) -> [u8; 16] {
    let mut o = [0u8; 16];
    if let Some(s) = b.get(at..at + 16) {
        o.copy_from_slice(s);
    }
    o
}

fn pubkey(b: &[u8], at: usize, field: &'static str) -> Result<PublicKey, MeetError> {
    let s = b.get(at..at + 32).ok_or(MeetError::Damaged {
        field,
        rule: "is cut short".into(),
    })?;
    let pk = PublicKey::from_slice(s).map_err(|_| MeetError::Damaged {
        field,
        rule: "is not 32 bytes".into(),
    })?;
    // nostr's PublicKey does not check the curve point on construction; do it here so a
    // damaged key gets its own reason.
    pk.xonly().map_err(|_| MeetError::Damaged {
        field,
        rule: "is not a point on secp256k1".into(),
    })?;
    Ok(pk)
}

fn signature(b: &[u8], at: usize) -> Result<Signature, MeetError> {
    let s = b.get(at..at + 64).ok_or(MeetError::Damaged {
        field: "signature",
        rule: "is cut short".into(),
    })?;
    Signature::from_slice(s).map_err(|_| MeetError::Damaged {
        field: "signature",
        rule: "is not 64 bytes".into(),
    })
}

/// RFC 4648 base32 without padding.
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(base32_len(data.len()));
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for &byte in data {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

fn base32_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a')),
        b'2'..=b'7' => Some(u32::from(c - b'2') + 26),
        _ => None,
    }
}

/// Decodes exactly `n` bytes of unpadded base32, with typed reasons for wrong length, foreign
/// characters and non-zero padding bits (so each byte string has exactly one code text).
fn base32_decode_exact(body: &str, n: usize) -> Result<Vec<u8>, MeetError> {
    let expected_chars = base32_len(n);
    let found_chars = body.chars().count();
    // Report foreign characters first: a code with a stray character is not "truncated".
    if let Some((position, found)) = body
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii() || base32_value(*c as u8).is_none())
    {
        return Err(MeetError::BadCharacter { position, found });
    }
    if found_chars < expected_chars {
        return Err(MeetError::Truncated {
            expected_chars,
            found_chars,
        });
    }
    if found_chars > expected_chars {
        return Err(MeetError::TooLong {
            expected_chars,
            found_chars,
        });
    }
    let mut out = Vec::with_capacity(n);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for c in body.bytes() {
        let v = base32_value(c).ok_or(MeetError::Damaged {
            field: "code",
            rule: "has a character outside base32".into(),
        })?;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if acc != 0 {
        return Err(MeetError::Damaged {
            field: "code",
            rule: "has non-zero padding bits".into(),
        });
    }
    if out.len() != n {
        return Err(MeetError::Damaged {
            field: "code",
            rule: format!("decodes to {} bytes, not {n}", out.len()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::Keys;

    fn sample() -> MeetToken {
        let k = Keys::generate();
        MeetToken {
            deal_tag: [1, 2, 3, 4],
            created_at: 1_700_000_000,
            nonce: MeetNonce([7; 16]),
            shower: k.public_key(),
            sig: Signature::from_slice(&[9u8; 64]).unwrap(),
        }
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 §10, padding removed.
        for (i, o) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(i.as_bytes()), o);
            assert_eq!(base32_decode_exact(o, i.len()).unwrap(), i.as_bytes());
        }
    }

    #[test]
    fn meet_and_return_tokens_round_trip() {
        let t = sample();
        let s = t.encode();
        assert_eq!(s.len(), MEET_CODE_CHARS);
        assert_eq!(MEET_CODE_CHARS, 197);
        assert!(s.starts_with("FPM1:"));
        assert_eq!(MeetToken::parse(&s).unwrap(), t);
        // Lower case and surrounding whitespace survive a chat app.
        assert_eq!(
            MeetToken::parse(&format!("  {}\n", s.to_lowercase())).unwrap(),
            t
        );
        let r = ReturnToken {
            deal_tag: [4, 3, 2, 1],
            nonce_hint: [7; 4],
            created_at: u32::MAX,
            scanner: Keys::generate().public_key(),
            sig: Signature::from_slice(&[5u8; 64]).unwrap(),
        };
        let rs = r.encode();
        assert_eq!(rs.len(), RETURN_CODE_CHARS);
        assert_eq!(ReturnToken::parse(&rs).unwrap(), r);
        assert!(matches!(
            MeetToken::parse(&rs),
            Err(MeetError::WrongKind {
                expected: CodeKind::Meet,
                found: CodeKind::Return
            })
        ));
        assert!(matches!(
            ReturnToken::parse(&s),
            Err(MeetError::WrongKind { .. })
        ));
    }

    #[test]
    fn malformed_codes_get_typed_reasons() {
        let s = sample().encode();
        let cut = &s[..s.len() - 10];
        assert!(matches!(
            MeetToken::parse(cut),
            Err(MeetError::Truncated {
                expected_chars: 192,
                found_chars: 182
            })
        ));
        assert!(matches!(
            MeetToken::parse(&format!("{s}AA")),
            Err(MeetError::TooLong { .. })
        ));
        let mut bad = s.clone();
        bad.replace_range(20..21, "1");
        assert!(matches!(
            MeetToken::parse(&bad),
            Err(MeetError::BadCharacter {
                position: 15,
                found: '1'
            })
        ));
        assert!(matches!(
            MeetToken::parse("https://example.com/x"),
            Err(MeetError::NotFreeport { .. })
        ));
        assert!(matches!(
            MeetToken::parse(""),
            Err(MeetError::NotFreeport { .. })
        ));
        assert!(matches!(
            MeetToken::parse(&s.replacen("FPM1:", "FPM2:", 1)),
            Err(MeetError::UnsupportedVersion { .. })
        ));
        assert!(matches!(
            MeetToken::parse("FPM1:"),
            Err(MeetError::Truncated { found_chars: 0, .. })
        ));
        // A key field that is not a curve point: all 0xff bytes (x >= p).
        let mut raw = vec![0u8; MEET_BYTES];
        raw[24..56].fill(0xff);
        let text = format!("{MEET_PREFIX}{}", base32_encode(&raw));
        assert!(matches!(
            MeetToken::parse(&text),
            Err(MeetError::Damaged {
                field: "shower key",
                ..
            })
        ));
        // Non-canonical trailing bits on the return code (173 chars carry 1 spare bit).
        let r = ReturnToken::parse(
            &ReturnToken {
                deal_tag: [0; 4],
                nonce_hint: [0; 4],
                created_at: 0,
                scanner: Keys::generate().public_key(),
                sig: Signature::from_slice(&[0u8; 64]).unwrap(),
            }
            .encode(),
        )
        .unwrap();
        let mut rs = r.encode();
        let last = rs.pop().unwrap();
        assert_eq!(last, 'A');
        rs.push('B');
        assert!(matches!(
            ReturnToken::parse(&rs),
            Err(MeetError::Damaged { field: "code", .. })
        ));
    }

    #[test]
    fn arbitrary_text_never_panics() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let s = sample().encode();
        for i in 0..=s.len() {
            let _ = parse_code(&s[..i]);
        }
        for _ in 0..2_000 {
            let len = rng.gen_range(0..260);
            let bytes: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_code(&text);
            let _ = parse_code(&format!("FPM1:{text}"));
            let _ = parse_code(&format!("fpr1:{text}"));
        }
        // Multi-byte characters right at the prefix boundary.
        let _ = parse_code("FPM1é");
        let _ = parse_code("éééééé");
        let _ = parse_code("FPM1:é");
    }
}
