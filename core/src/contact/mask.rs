//! Masks: the reference format, our display format, parsing any published/attested phone
//! string into digit cells, and the tolerant comparison verifiers use.

use super::phone::{E164, MAX_E164_DIGITS, ascii_digit, is_country_code, parse_phone};

/// The character that stands for one hidden digit.
pub const HIDDEN: char = '•';

/// Longest phone or mask string we read from the network, in characters.
pub const MAX_MASK_INPUT_CHARS: usize = 64;

/// Fewest digit positions a mask may have (shortest real E.164 numbers have 7 digits).
pub const MIN_MASK_DIGITS: usize = 5;

/// Most digit positions a national-format (no `+`) mask may have (15 plus a trunk prefix).
pub const MAX_NATIONAL_MASK_DIGITS: usize = 17;

/// National digits both masks must show before a tolerant comparison can say "match"
/// (the reference mask always shows the last four).
pub const MIN_SHARED_DIGITS: usize = 4;

/// Reference mask: first 3 characters (including `+`), one `•` per hidden digit, last 4
/// digits. `+84912345678` → `+84•••••5678`. This is what we publish in profiles.
pub fn reference_mask(number: &E164) -> String {
    reference_mask_str(number.as_str())
}

/// The reference client's masking applied to an arbitrary normalised string. Strings of 7
/// characters or fewer have nothing to hide and are returned unchanged.
fn reference_mask_str(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= 7 {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2 * (n - 7));
    out.extend(chars.iter().take(3));
    out.extend(std::iter::repeat_n(HIDDEN, n - 7));
    out.extend(chars.iter().skip(n - 4));
    out
}

/// Display mask: the whole country code, a space, one `•` per hidden national digit, the
/// last 4 digits. `+358401234567` → `+358 •••••4567` (the reference mask would cut the
/// country code: `+35••••••4567`). For the UI; profiles carry the reference mask.
pub fn display_mask(number: &E164) -> String {
    let national: Vec<char> = number.national_digits().chars().collect();
    let shown = national.len().min(4);
    let hidden = national.len() - shown;
    let mut out = format!("+{} ", number.country_code());
    out.extend(std::iter::repeat_n(HIDDEN, hidden));
    out.extend(national.iter().skip(hidden));
    out
}

/// The reference client's attestation normalisation: drop whitespace, `.` and `-`; map
/// `x`, `X`, `*` to `•`; if nothing is hidden, apply the reference mask. Two strings the
/// reference accepts as the same number normalise to equal strings.
pub fn reference_normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_js_space(c) || c == '.' || c == '-' {
            continue;
        }
        out.push(if matches!(c, 'x' | 'X' | '*') {
            HIDDEN
        } else {
            c
        });
    }
    if out.contains(HIDDEN) {
        out
    } else {
        reference_mask_str(&out)
    }
}

/// Whitespace as JavaScript's `\s` defines it (the reference client is TypeScript).
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// Why a phone or mask string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MaskError {
    /// Empty after dropping separators.
    #[error("phone/mask is empty")]
    Empty,
    /// Longer than [`MAX_MASK_INPUT_CHARS`].
    #[error("phone/mask is {actual} characters long; the limit is {limit}")]
    InputTooLong {
        /// Characters given.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// A character that is neither a digit, a hidden-digit mark, a leading `+` nor a separator.
    #[error("unexpected character {found:?} at position {position} in phone/mask")]
    UnexpectedCharacter {
        /// The character.
        found: char,
        /// Zero-based character position.
        position: usize,
    },
    /// Too few or too many digit positions.
    #[error("phone/mask has {digits} digit positions; expected {min}..={max}")]
    DigitCount {
        /// Digit positions found.
        digits: usize,
        /// Fewest allowed.
        min: usize,
        /// Most allowed.
        max: usize,
    },
    /// The visible leading digits after `+` are no country calling code.
    #[error("unknown country code (mask starts +{leading})")]
    UnknownCountryCode {
        /// The first three digits after `+`.
        leading: String,
    },
}

/// A phone number with some digits possibly hidden: one cell per digit position after the
/// optional `+`; `None` is a hidden digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mask {
    international: bool,
    cells: Vec<Option<u8>>,
}

/// What a mask reveals about its country calling code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryCode {
    /// The leading visible digits form this assigned calling code (calling codes are
    /// prefix-free, so it is unambiguous).
    Known(u16),
    /// Not determinable: a hidden digit comes before a complete code (e.g. `+35•…`), or the
    /// mask is national-format.
    Unknown,
}

impl Mask {
    /// Reads a mask or full number as written: optional leading `+`, digits, hidden marks
    /// (`•` `x` `X` `*` `●` `∙` `⋅`), separators (whitespace `.` `-` `(` `)` `/`) ignored.
    /// A full number is kept digit for digit; see [`Mask::parse_phone_field`] for the
    /// canonicalising variant.
    pub fn parse(s: &str) -> Result<Mask, MaskError> {
        let count = s.chars().count();
        if count > MAX_MASK_INPUT_CHARS {
            return Err(MaskError::InputTooLong {
                actual: count,
                limit: MAX_MASK_INPUT_CHARS,
            });
        }
        let mut international = false;
        let mut cells = Vec::with_capacity(count);
        for (position, c) in s.chars().enumerate() {
            if let Some(d) = ascii_digit(c) {
                // ascii_digit only returns '0'..='9'.
                cells.push(d.to_digit(10).and_then(|v| u8::try_from(v).ok()));
            } else if matches!(
                c,
                '•' | 'x' | 'X' | '*' | '\u{25CF}' | '\u{2219}' | '\u{22C5}'
            ) {
                cells.push(None);
            } else if (c == '+' || c == '\u{FF0B}') && !international && cells.is_empty() {
                international = true;
            } else if !(is_js_space(c) || super::phone::is_phone_separator(c)) {
                return Err(MaskError::UnexpectedCharacter { found: c, position });
            }
        }
        if cells.is_empty() {
            return Err(MaskError::Empty);
        }
        let max = if international {
            MAX_E164_DIGITS
        } else {
            MAX_NATIONAL_MASK_DIGITS
        };
        if cells.len() < MIN_MASK_DIGITS || cells.len() > max {
            return Err(MaskError::DigitCount {
                digits: cells.len(),
                min: MIN_MASK_DIGITS,
                max,
            });
        }
        let mask = Mask {
            international,
            cells,
        };
        if international && mask.leading_digits(3).len() == 3 {
            // Three visible leading digits must contain a complete calling code.
            if mask.country_code() == CountryCode::Unknown {
                return Err(MaskError::UnknownCountryCode {
                    leading: mask.leading_digits(3),
                });
            }
        }
        Ok(mask)
    }

    /// Reads a profile `phone` value or an attested mask. A full international number is
    /// canonicalised through the phone library (so `+44 (0)20 …` equals `+4420…`); anything
    /// the library refuses is kept as written.
    pub fn parse_phone_field(s: &str) -> Result<Mask, MaskError> {
        let raw = Mask::parse(s)?;
        if raw.international
            && raw.is_full()
            && let Ok(e164) = parse_phone(s, None)
        {
            return Ok(Mask::from_e164(&e164));
        }
        Ok(raw)
    }

    /// The fully visible mask of a number.
    pub fn from_e164(number: &E164) -> Mask {
        Mask {
            international: true,
            cells: number
                .digits()
                .bytes()
                .map(|b| b.checked_sub(b'0'))
                .collect(),
        }
    }

    /// True when written with a leading `+` (country code included).
    pub fn is_international(&self) -> bool {
        self.international
    }

    /// Number of digit positions (after the `+`), hidden ones included.
    pub fn digit_count(&self) -> usize {
        self.cells.len()
    }

    /// True when no digit is hidden.
    pub fn is_full(&self) -> bool {
        self.cells.iter().all(Option::is_some)
    }

    /// What the mask reveals about its calling code.
    pub fn country_code(&self) -> CountryCode {
        if !self.international {
            return CountryCode::Unknown;
        }
        let mut code: u16 = 0;
        for cell in self.cells.iter().take(3) {
            let Some(d) = cell else {
                return CountryCode::Unknown;
            };
            code = code * 10 + u16::from(*d);
            if is_country_code(code) {
                return CountryCode::Known(code);
            }
        }
        CountryCode::Unknown
    }

    /// Canonical text: `+` (if international), digits and `•`.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.cells.len() * 3 + 1);
        if self.international {
            out.push('+');
        }
        for cell in &self.cells {
            out.push(match cell {
                Some(d) => char::from(b'0' + d),
                None => HIDDEN,
            });
        }
        out
    }

    /// Visible leading digits, up to `n`, stopping at the first hidden one.
    fn leading_digits(&self, n: usize) -> String {
        self.cells
            .iter()
            .take(n)
            .map_while(|c| c.map(|d| char::from(b'0' + d)))
            .collect()
    }

    /// Tolerant comparison: same kind (international or national), same country code where
    /// both reveal it, same digit count, visible digits agree wherever both show them, and at
    /// least [`MIN_SHARED_DIGITS`] national digits visible on both sides.
    pub fn compare(&self, other: &Mask) -> MaskMatch {
        if self.international != other.international {
            return MaskMatch::Incomparable {
                reason: Incomparable::MixedInternationalAndNational,
            };
        }
        let (ca, cb) = (self.country_code(), other.country_code());
        if let (CountryCode::Known(a), CountryCode::Known(b)) = (ca, cb)
            && a != b
        {
            return MaskMatch::Mismatch {
                reason: MaskMismatch::CountryCode { a, b },
            };
        }
        if self.cells.len() != other.cells.len() {
            return MaskMatch::Mismatch {
                reason: MaskMismatch::DigitCount {
                    a: self.cells.len(),
                    b: other.cells.len(),
                },
            };
        }
        // Where the national part starts: after the known country code, else after the
        // longest possible one (3 digits); national-format masks are all national.
        let national_start = if !self.international {
            0
        } else {
            match (ca, cb) {
                (CountryCode::Known(c), _) | (_, CountryCode::Known(c)) => c.to_string().len(),
                _ => 3,
            }
        };
        let mut shared = 0usize;
        for (i, (a, b)) in self.cells.iter().zip(&other.cells).enumerate() {
            if let (Some(a), Some(b)) = (a, b) {
                if a != b {
                    return MaskMatch::Mismatch {
                        reason: MaskMismatch::Digit { position: i + 1 },
                    };
                }
                if i >= national_start {
                    shared += 1;
                }
            }
        }
        if shared < MIN_SHARED_DIGITS {
            return MaskMatch::Incomparable {
                reason: Incomparable::TooFewSharedDigits {
                    shared,
                    required: MIN_SHARED_DIGITS,
                },
            };
        }
        MaskMatch::Match
    }
}

/// Result of comparing two phone/mask strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaskMatch {
    /// Consistent with being the same number.
    Match,
    /// Certainly different numbers.
    Mismatch {
        /// What differs.
        reason: MaskMismatch,
    },
    /// Cannot tell.
    Incomparable {
        /// Why not.
        reason: Incomparable,
    },
}

/// What makes two masks certainly different.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MaskMismatch {
    /// Both reveal their country code and the codes differ.
    #[error("country code +{a} differs from +{b}")]
    CountryCode {
        /// First side's code.
        a: u16,
        /// Second side's code.
        b: u16,
    },
    /// Different number of digits.
    #[error("{a} digits vs {b} digits")]
    DigitCount {
        /// First side's digit count.
        a: usize,
        /// Second side's digit count.
        b: usize,
    },
    /// A digit both show differs (1-based position after the `+`).
    #[error("digit {position} differs")]
    Digit {
        /// 1-based digit position.
        position: usize,
    },
}

/// Which argument of a comparison a problem refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The first argument.
    A,
    /// The second argument.
    B,
}

/// Why two masks cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Incomparable {
    /// One side is not a readable phone or mask.
    #[error("{side:?} side is unreadable: {error}")]
    Unreadable {
        /// Which side.
        side: Side,
        /// Why.
        error: MaskError,
    },
    /// One side has a country code (`+`), the other is national format.
    #[error("one side is international, the other national format")]
    MixedInternationalAndNational,
    /// Too few national digits visible on both sides to say anything.
    #[error("only {shared} national digits visible on both sides; need {required}")]
    TooFewSharedDigits {
        /// Digits visible on both.
        shared: usize,
        /// Required.
        required: usize,
    },
}

/// Compares two phone/mask strings of any supported format (reference mask, display mask,
/// full E.164 or formatted number, `x`/`*` masks). Accepts everything the reference client
/// accepts (equal [`reference_normalise`] forms) as long as both are well-formed masks, except
/// two full numbers that differ in the digits the reference would hide.
pub fn mask_matches(a: &str, b: &str) -> MaskMatch {
    let ma = match Mask::parse_phone_field(a) {
        Ok(m) => m,
        Err(error) => {
            return MaskMatch::Incomparable {
                reason: Incomparable::Unreadable {
                    side: Side::A,
                    error,
                },
            };
        }
    };
    let mb = match Mask::parse_phone_field(b) {
        Ok(m) => m,
        Err(error) => {
            return MaskMatch::Incomparable {
                reason: Incomparable::Unreadable {
                    side: Side::B,
                    error,
                },
            };
        }
    };
    // Reference parity: equal reference forms match. The one deliberate exception: two full
    // numbers are compared digit for digit (the reference would mask both first and accept
    // numbers that differ only in the hidden middle).
    if !(ma.is_full() && mb.is_full()) && reference_normalise(a) == reference_normalise(b) {
        return MaskMatch::Match;
    }
    ma.compare(&mb)
}

/// A profile's `phone` value: a full number (reference default) or a mask (our default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishedPhone {
    /// A full, valid international number.
    Full(E164),
    /// A mask, or a full number that is not valid E.164 (kept digit for digit).
    Mask(Mask),
}

impl PublishedPhone {
    /// Reads a profile `phone` field.
    pub fn parse(field: &str) -> Result<PublishedPhone, MaskError> {
        let raw = Mask::parse(field)?;
        if raw.is_international()
            && raw.is_full()
            && let Ok(e164) = parse_phone(field, None)
        {
            return Ok(PublishedPhone::Full(e164));
        }
        Ok(PublishedPhone::Mask(raw))
    }

    /// The value as a mask (a full number is a mask with nothing hidden).
    pub fn to_mask(&self) -> Mask {
        match self {
            PublishedPhone::Full(n) => Mask::from_e164(n),
            PublishedPhone::Mask(m) => m.clone(),
        }
    }
}
