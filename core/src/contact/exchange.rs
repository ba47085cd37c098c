//! The contact string carried in the encrypted accept, and extracting the phone from it.
//!
//! Format (reference client, and ours so the reference can read it):
//! `"<name> · <full phone>[ · 🚗 <vehicle> • <plate>]"`, separator U+00B7 with a space on
//! each side. The reference extracts the phone with the first match of
//! `\+?\d[\d\s.-]{6,}\d`; [`find_phone_like`] reproduces that without a regex engine.

use super::phone::{E164, PhoneError, parse_phone};

/// Separator between contact-string fields (U+00B7 MIDDLE DOT, spaced).
pub const CONTACT_SEPARATOR: &str = " · ";

/// Longest contact string read from an accept, in bytes.
pub const MAX_CONTACT_BYTES: usize = 1024;

/// Longest name / vehicle / plate kept when building a contact string, in characters.
pub const MAX_CONTACT_FIELD_CHARS: usize = 64;

/// Why no phone number could be taken from a contact string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContactError {
    /// The contact string exceeds [`MAX_CONTACT_BYTES`].
    #[error("`contact` is {actual} bytes long; the limit is {limit}")]
    TooLong {
        /// Bytes given.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// Nothing in the string looks like a phone number.
    #[error("`contact` contains no phone number")]
    NoPhone,
    /// Something phone-like was found but it is not a valid number.
    #[error("`contact` phone is invalid: {0}")]
    InvalidPhone(#[from] PhoneError),
}

impl ContactError {
    /// The code a screen words for this refusal.
    pub fn problem(&self) -> super::PhoneProblem {
        match self {
            Self::TooLong { limit, .. } => super::PhoneProblem::ContactTooLong {
                max: u32::try_from(*limit).unwrap_or(u32::MAX),
            },
            Self::NoPhone => super::PhoneProblem::NoPhoneInContact,
            Self::InvalidPhone(p) => p.problem(),
        }
    }
}

/// Builds the contact string sent in our accept. Field text is cleaned so that the string
/// parses the same way in the reference client and in ours: control characters and the
/// separator `·` are replaced by spaces, fields are capped at [`MAX_CONTACT_FIELD_CHARS`],
/// and a phone-like digit run inside the name (which the reference's first-match extraction
/// would take for the phone) is replaced by `…`.
pub fn build_contact_string(name: &str, phone: &E164, vehicle: Option<(&str, &str)>) -> String {
    let name = defuse_phone_runs(&clean_field(name));
    let mut out = if name.is_empty() {
        phone.as_str().to_string()
    } else {
        format!("{name}{CONTACT_SEPARATOR}{}", phone.as_str())
    };
    if let Some((model, plate)) = vehicle {
        let (model, plate) = (clean_field(model), clean_field(plate));
        if !model.is_empty() || !plate.is_empty() {
            out.push_str(CONTACT_SEPARATOR);
            out.push_str("🚗 ");
            out.push_str(&model);
            out.push_str(" • ");
            out.push_str(&plate);
        }
    }
    out
}

fn clean_field(s: &str) -> String {
    let replaced: String = s
        .chars()
        .map(|c| {
            if c.is_control() || c == '·' || c == '•' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let collapsed = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .chars()
        .take(MAX_CONTACT_FIELD_CHARS)
        .collect::<String>()
}

fn defuse_phone_runs(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some((start, end)) = find_phone_like(rest) {
        out.push_str(rest.get(..start).unwrap_or(""));
        out.push('…');
        rest = rest.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Extracts the phone text from a contact string (reference format or ours).
///
/// Structure first: the first `·`-separated field after the name that is entirely a phone-like
/// run wins, so a name containing digits (`"Bus 12 345 678 · +84…"`) does not hide the phone.
/// Otherwise the reference rule: the first phone-like run anywhere.
pub fn extract_phone(contact: &str) -> Result<String, ContactError> {
    if contact.len() > MAX_CONTACT_BYTES {
        return Err(ContactError::TooLong {
            actual: contact.len(),
            limit: MAX_CONTACT_BYTES,
        });
    }
    for field in contact.split('·').skip(1) {
        let field = field.trim_matches(|c: char| c.is_whitespace());
        if let Some((0, end)) = find_phone_like(field)
            && end == field.len()
        {
            return Ok(field.to_string());
        }
    }
    find_phone_like(contact)
        .and_then(|(start, end)| contact.get(start..end))
        .map(str::to_string)
        .ok_or(ContactError::NoPhone)
}

/// Extracts and parses the phone of a contact string; `default_region` is used when the
/// sender wrote it in national format.
pub fn extract_e164(contact: &str, default_region: Option<&str>) -> Result<E164, ContactError> {
    let text = extract_phone(contact)?;
    Ok(parse_phone(&text, default_region)?)
}

/// Byte range of the first match of the reference pattern `\+?\d[\d\s.-]{6,}\d` (JavaScript
/// semantics: `\d` is ASCII, `\s` is JavaScript whitespace, leftmost start, greedy body).
pub fn find_phone_like(s: &str) -> Option<(usize, usize)> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let in_body =
        |c: char| c.is_ascii_digit() || super::mask::is_js_space(c) || c == '.' || c == '-';
    for (i, &(start, first)) in chars.iter().enumerate() {
        // Optional '+': if present it must be followed by the first digit.
        let digit_at = if first == '+' { i + 1 } else { i };
        if !chars
            .get(digit_at)
            .is_some_and(|&(_, c)| c.is_ascii_digit())
        {
            continue;
        }
        // Greedy body, then backtrack to the last digit: the match ends at the last digit of
        // the maximal body run, provided at least 6 body characters precede it.
        let body_start = digit_at + 1;
        let mut last_digit: Option<usize> = None;
        for (k, &(_, c)) in chars.iter().enumerate().skip(body_start) {
            if !in_body(c) {
                break;
            }
            if c.is_ascii_digit() {
                last_digit = Some(k);
            }
        }
        if let Some(k) = last_digit
            && k >= body_start + 6
            && let Some(&(pos, c)) = chars.get(k)
        {
            return Some((start, pos + c.len_utf8()));
        }
    }
    None
}
