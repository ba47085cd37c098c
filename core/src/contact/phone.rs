//! Phone-number parsing and E.164 normalisation on top of libphonenumber metadata
//! (the `phonenumber` crate).
//!
//! Input is pre-filtered before it reaches the library: only digits (ASCII, full-width and
//! Arabic-Indic), one leading `+` and common separators are accepted. That keeps the
//! library's RFC 3966 (`tel:`) code path — the source of its past panic advisories — out of
//! reach of user input, and lets errors name the offending character.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use phonenumber::country;
use phonenumber::metadata::DATABASE;

/// Longest phone input accepted, in characters (a formatted 15-digit number fits easily).
pub const MAX_PHONE_INPUT_CHARS: usize = 64;

/// Most digits an E.164 number may have (ITU-T E.164 §6), country code included.
pub const MAX_E164_DIGITS: usize = 15;

/// Why a phone number was refused. Display texts are meant for the user who typed it; they
/// never contain the number itself, so they are safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Nothing but whitespace was given.
    #[error("phone number is empty")]
    Empty,
    /// The input is longer than [`MAX_PHONE_INPUT_CHARS`].
    #[error("phone number input is {actual} characters long; the limit is {limit}")]
    InputTooLong {
        /// Characters given.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// A character that cannot appear in a phone number.
    #[error(
        "unexpected character {found:?} at position {position} (allowed: digits, a leading +, spaces, . - ( ) /)"
    )]
    UnexpectedCharacter {
        /// The character.
        found: char,
        /// Zero-based character position, after trimming surrounding whitespace.
        position: usize,
    },
    /// The default region is not an ISO 3166-1 alpha-2 code known to the metadata.
    #[error("`{region}` is not a known region code (expected ISO 3166 alpha-2 such as \"VN\")")]
    UnknownRegion {
        /// The region as given (shortened).
        region: String,
    },
    /// A national-format number was given without a default region.
    #[error(
        "national-format number needs a country: start with + and the country code, or set a default region"
    )]
    MissingCountryCode,
    /// The digits after `+` start with no assigned country calling code.
    #[error("unknown country code (number starts +{leading})")]
    UnknownCountryCode {
        /// Up to the first three digits after `+`.
        leading: String,
    },
    /// Too few digits to be any phone number.
    #[error("not a phone number: only {digits} digit(s)")]
    NotANumber {
        /// Digits found.
        digits: usize,
    },
    /// Shorter than every valid number of the country.
    #[error("too short for +{country_code}: {digits} national digits, needs at least {min}")]
    TooShort {
        /// Country calling code.
        country_code: u16,
        /// National significant digits given.
        digits: usize,
        /// Fewest national digits a number of that country has.
        min: u16,
    },
    /// Longer than every valid number of the country.
    #[error("too long for +{country_code}: {digits} national digits, at most {max}")]
    TooLong {
        /// Country calling code.
        country_code: u16,
        /// National significant digits given.
        digits: usize,
        /// Most national digits a number of that country has.
        max: u16,
    },
    /// Between the shortest and longest lengths, but not a length the country uses.
    #[error(
        "wrong length for +{country_code}: {digits} national digits; valid lengths are {allowed}"
    )]
    InvalidLength {
        /// Country calling code.
        country_code: u16,
        /// National significant digits given.
        digits: usize,
        /// The lengths the country uses, comma separated.
        allowed: String,
    },
    /// The length is right but no number range of the country matches.
    #[error(
        "not a valid number for +{country_code}: {digits} national digits match no number range of that country"
    )]
    NotAssigned {
        /// Country calling code.
        country_code: u16,
        /// National significant digits given.
        digits: usize,
    },
    /// More than [`MAX_E164_DIGITS`] digits.
    #[error("too long: an international number has at most {MAX_E164_DIGITS} digits")]
    TooManyDigits,
}

/// Why a phone number (typed by the user, or found in a contact) was refused, as a code with
/// typed parameters (`FreeportError::Phone`) a screen words under the phone field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Enum)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PhoneProblem {
    /// Nothing was typed.
    Empty,
    /// More than `max` characters were typed.
    InputTooLong {
        /// The limit.
        max: u32,
    },
    /// A character no phone number has (`character`, at `position` from 0).
    UnexpectedCharacter {
        /// The character.
        character: String,
        /// Its position.
        position: u32,
    },
    /// The configured region is not a country code like `VN`.
    UnknownRegion {
        /// The region as configured.
        region: String,
    },
    /// A national number without a country: start with `+` and the country code.
    MissingCountryCode,
    /// No country has the calling code the number starts with.
    UnknownCountryCode {
        /// Its first digits after `+`.
        leading: String,
    },
    /// Only `digits` digits: not a phone number.
    NotANumber {
        /// Digits found.
        digits: u32,
    },
    /// Too short for `+country_code`: `digits` national digits, at least `min`.
    TooShort {
        /// The country calling code.
        country_code: u32,
        /// National digits given.
        digits: u32,
        /// Fewest the country uses.
        min: u32,
    },
    /// Too long for `+country_code`: `digits` national digits, at most `max`.
    TooLong {
        /// The country calling code.
        country_code: u32,
        /// National digits given.
        digits: u32,
        /// Most the country uses.
        max: u32,
    },
    /// `digits` national digits is not a length `+country_code` uses (`allowed` are).
    WrongLength {
        /// The country calling code.
        country_code: u32,
        /// National digits given.
        digits: u32,
        /// The lengths the country uses.
        allowed: Vec<u32>,
    },
    /// No number range of `+country_code` matches.
    NotAssigned {
        /// The country calling code.
        country_code: u32,
    },
    /// More than `max` digits.
    TooManyDigits {
        /// The limit.
        max: u32,
    },
    /// The contact card has no phone number in it.
    NoPhoneInContact,
    /// The contact card is longer than `max` bytes.
    ContactTooLong {
        /// The limit, in bytes.
        max: u32,
    },
}

impl PhoneError {
    /// The code a screen words for this refusal.
    pub fn problem(&self) -> PhoneProblem {
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        match self {
            Self::Empty => PhoneProblem::Empty,
            Self::InputTooLong { limit, .. } => PhoneProblem::InputTooLong { max: n(*limit) },
            Self::UnexpectedCharacter { found, position } => PhoneProblem::UnexpectedCharacter {
                character: found.to_string(),
                position: n(*position),
            },
            Self::UnknownRegion { region } => PhoneProblem::UnknownRegion {
                region: region.clone(),
            },
            Self::MissingCountryCode => PhoneProblem::MissingCountryCode,
            Self::UnknownCountryCode { leading } => PhoneProblem::UnknownCountryCode {
                leading: leading.clone(),
            },
            Self::NotANumber { digits } => PhoneProblem::NotANumber { digits: n(*digits) },
            Self::TooShort {
                country_code,
                digits,
                min,
            } => PhoneProblem::TooShort {
                country_code: u32::from(*country_code),
                digits: n(*digits),
                min: u32::from(*min),
            },
            Self::TooLong {
                country_code,
                digits,
                max,
            } => PhoneProblem::TooLong {
                country_code: u32::from(*country_code),
                digits: n(*digits),
                max: u32::from(*max),
            },
            Self::InvalidLength {
                country_code,
                digits,
                allowed,
            } => PhoneProblem::WrongLength {
                country_code: u32::from(*country_code),
                digits: n(*digits),
                allowed: allowed
                    .split(',')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect(),
            },
            Self::NotAssigned { country_code, .. } => PhoneProblem::NotAssigned {
                country_code: u32::from(*country_code),
            },
            Self::TooManyDigits => PhoneProblem::TooManyDigits {
                max: n(MAX_E164_DIGITS),
            },
        }
    }
}

/// A validated phone number in E.164 form (`+` then 8–15 digits, no separators).
///
/// `Debug` shows only the reference mask so that numbers do not end up in logs by accident;
/// use [`E164::as_str`] where the full number is really needed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct E164 {
    text: String,
    country_code: u16,
    cc_len: usize,
}

impl E164 {
    /// The full number, e.g. `+84912345678`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The country calling code, e.g. `84`.
    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// Number of digits in the country calling code (1–3).
    pub fn country_code_len(&self) -> usize {
        self.cc_len
    }

    /// The national significant number (digits after the country code), e.g. `912345678`.
    pub fn national_digits(&self) -> &str {
        self.text.get(1 + self.cc_len..).unwrap_or("")
    }

    /// All digits after `+` (country code and national number).
    pub fn digits(&self) -> &str {
        self.text.get(1..).unwrap_or("")
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", super::mask::reference_mask(self))
    }
}

impl FromStr for E164 {
    type Err = PhoneError;

    /// Parses an international number (leading `+`); same as `parse_phone(s, None)`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_phone(s, None)
    }
}

/// Maps a decimal digit from common scripts (ASCII, full-width, Arabic-Indic, extended
/// Arabic-Indic) to its ASCII form.
pub(crate) fn ascii_digit(c: char) -> Option<char> {
    let zero = match c {
        '0'..='9' => return Some(c),
        '\u{FF10}'..='\u{FF19}' => 0xFF10,
        '\u{0660}'..='\u{0669}' => 0x0660,
        '\u{06F0}'..='\u{06F9}' => 0x06F0,
        _ => return None,
    };
    let offset = u32::from(c).checked_sub(zero)?;
    char::from_digit(offset, 10)
}

/// Separators people type inside phone numbers.
pub(crate) fn is_phone_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | '-' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FEFF}'
        )
}

/// Parses and validates a phone number, returning its E.164 form.
///
/// International input (`+84 91 234 56 78`, `+44 (0)20 7946 0000`) needs no region;
/// national input (`091 234 5678`, or an international dialling prefix such as `0084…`)
/// is read relative to `default_region` (ISO 3166-1 alpha-2, case-insensitive).
pub fn parse_phone(input: &str, default_region: Option<&str>) -> Result<E164, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let count = trimmed.chars().count();
    if count > MAX_PHONE_INPUT_CHARS {
        return Err(PhoneError::InputTooLong {
            actual: count,
            limit: MAX_PHONE_INPUT_CHARS,
        });
    }

    // Pre-filter: keep digits and one leading plus; reject anything else that is not a separator.
    let mut plus = false;
    let mut digits = String::with_capacity(count);
    for (position, c) in trimmed.chars().enumerate() {
        if let Some(d) = ascii_digit(c) {
            digits.push(d);
        } else if (c == '+' || c == '\u{FF0B}') && !plus && digits.is_empty() {
            plus = true;
        } else if !is_phone_separator(c) {
            return Err(PhoneError::UnexpectedCharacter { found: c, position });
        }
    }
    if digits.len() < 3 {
        return Err(PhoneError::NotANumber {
            digits: digits.len(),
        });
    }

    let region = match default_region {
        None => None,
        Some(r) => Some(parse_region(r)?),
    };
    if !plus && region.is_none() {
        return Err(PhoneError::MissingCountryCode);
    }
    let leading = || digits.chars().take(3).collect::<String>();

    let cleaned = if plus {
        format!("+{digits}")
    } else {
        digits.clone()
    };
    // For international input the region is irrelevant, and the library would otherwise
    // strip the *region's* trunk prefix from the national number (`+39 06…` with region VN
    // lost its leading 0).
    let number =
        phonenumber::parse(if plus { None } else { region }, &cleaned).map_err(|e| match e {
            phonenumber::ParseError::InvalidCountryCode => {
                if plus {
                    PhoneError::UnknownCountryCode { leading: leading() }
                } else {
                    PhoneError::MissingCountryCode
                }
            }
            phonenumber::ParseError::TooLong => PhoneError::TooManyDigits,
            phonenumber::ParseError::NoNumber
            | phonenumber::ParseError::TooShortAfterIdd
            | phonenumber::ParseError::TooShortNsn
            | phonenumber::ParseError::MalformedInteger(_) => PhoneError::NotANumber {
                digits: digits.len(),
            },
        })?;

    let country_code = number.code().value();
    let national = number.national().to_string();
    let metas = DATABASE
        .by_code(&country_code)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| PhoneError::UnknownCountryCode { leading: leading() })?;

    // Possible lengths: of the region the number belongs to, else of every region sharing
    // the calling code (e.g. all NANP countries for +1).
    let mut lengths: Vec<u16> = match number.metadata(&DATABASE) {
        Some(meta) => possible_lengths(meta),
        None => metas.iter().flat_map(|m| possible_lengths(m)).collect(),
    };
    lengths.sort_unstable();
    lengths.dedup();
    let n = national.len();
    check_length(country_code, n, &lengths)?;

    if !number.is_valid() {
        return Err(PhoneError::NotAssigned {
            country_code,
            digits: n,
        });
    }

    let cc_text = country_code.to_string();
    let text = format!("+{cc_text}{national}");
    let total_digits = text.len().saturating_sub(1);
    if total_digits > MAX_E164_DIGITS || !text.bytes().skip(1).all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::TooManyDigits);
    }
    // The normalised form must read back as the same number on its own (found by fuzzing:
    // `00/781859 04015` with region DE became +78185904015, which does not parse back, so a peer
    // would refuse the number we sent).
    if !plus && parse_phone(&text, None).ok().map(|e| e.text) != Some(text.clone()) {
        return Err(PhoneError::NotAssigned {
            country_code,
            digits: n,
        });
    }
    Ok(E164 {
        cc_len: cc_text.len(),
        text,
        country_code,
    })
}

/// Union of the possible national lengths over the number types a contact can have.
/// (libphonenumber computes this union at build time; the crate keeps only the XML's explicit
/// general lengths, which are often partial — e.g. `7,8` for Vietnam.)
fn possible_lengths(meta: &phonenumber::Metadata) -> Vec<u16> {
    let d = meta.descriptors();
    [
        Some(d.general()),
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    .flat_map(|desc| desc.possible_length().iter().copied())
    .collect()
}

fn check_length(country_code: u16, n: usize, lengths: &[u16]) -> Result<(), PhoneError> {
    let (Some(&min), Some(&max)) = (lengths.first(), lengths.last()) else {
        // No length data for this code: leave the decision to the validity check.
        return Ok(());
    };
    if n < usize::from(min) {
        return Err(PhoneError::TooShort {
            country_code,
            digits: n,
            min,
        });
    }
    if n > usize::from(max) {
        return Err(PhoneError::TooLong {
            country_code,
            digits: n,
            max,
        });
    }
    if !lengths.iter().any(|&l| usize::from(l) == n) {
        let allowed = lengths
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Err(PhoneError::InvalidLength {
            country_code,
            digits: n,
            allowed,
        });
    }
    Ok(())
}

fn parse_region(region: &str) -> Result<country::Id, PhoneError> {
    let r = region.trim();
    let unknown = || PhoneError::UnknownRegion {
        region: r.chars().take(8).collect(),
    };
    if r.len() != 2 || !r.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(unknown());
    }
    let upper = r.to_ascii_uppercase();
    // Only regions that actually have metadata are useful defaults.
    if DATABASE.by_id(upper.as_str()).is_none() {
        return Err(unknown());
    }
    upper.parse::<country::Id>().map_err(|_| unknown())
}

/// Loads the libphonenumber metadata now. The first use deserialises it (about 0.25 s on a
/// desktop core, more on a cheap phone); call this off the UI thread at start-up so the
/// first [`parse_phone`] is not the one that pays.
pub fn preload_metadata() {
    let _ = is_country_code(1);
}

/// True when `code` is an assigned country calling code in the metadata. Backed by a table
/// built once (the crate's lookup allocates on every call, and screening calls this per mask).
pub(crate) fn is_country_code(code: u16) -> bool {
    static CODES: OnceLock<[bool; 1000]> = OnceLock::new();
    let table = CODES.get_or_init(|| {
        let mut t = [false; 1000];
        for (c, slot) in (0u16..).zip(t.iter_mut()) {
            *slot = DATABASE.region(&c).is_some_and(|r| !r.is_empty());
        }
        t
    });
    table.get(usize::from(code)).copied().unwrap_or(false)
}
