//! Validation results as codes with parameters: what the core says when an input breaks a rule.
//!
//! Every input the user types (a form field, a title, a geohash, a backup passphrase, terms of
//! a counter) is judged by the core, and a refusal is a list of [`FieldViolation`]s: the field
//! (a JSON pointer into a market payload such as `/from/geohash`, or an argument name such as
//! `title`) and the [`Rule`] it broke, with typed parameters (`TooLong { max: 200 }`). Screens
//! place each violation under its field and word it in the user's language; nothing parses
//! English. The serde names are the stable codes (`too_long`, `bad_format`…) the CLI's `--json`
//! prints and translations key on; the CLI's English wording lives in one place
//! (`cli/src/english.rs`).
//!
//! Pure: no I/O. Codes are additive — a new rule is a new variant, never a changed meaning.

use serde::Serialize;

/// One broken rule on one field.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct FieldViolation {
    /// The field: a JSON pointer into the payload (`/from`, `/from/geohash`) for market form
    /// fields, otherwise the input's name (`title`, `geohash`, `passphrase`, `terms`, …).
    pub field: String,
    /// The rule it broke, with its parameters.
    pub rule: Rule,
}

impl FieldViolation {
    /// A violation of `rule` on `field`.
    pub fn new(field: impl Into<String>, rule: Rule) -> Self {
        Self {
            field: field.into(),
            rule,
        }
    }
}

/// A rule an input breaks. Lengths count characters (Unicode scalar values) unless stated.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Enum)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rule {
    /// Required, but missing or empty.
    Required,
    /// Only spaces.
    Blank,
    /// Shorter than `min` characters.
    TooShort {
        /// Fewest characters allowed.
        min: u32,
    },
    /// Longer than `max` characters.
    TooLong {
        /// Most characters allowed.
        max: u32,
    },
    /// Larger than `max` bytes (UTF-8) — for wire limits counted in bytes.
    TooLarge {
        /// Most bytes allowed.
        max: u32,
    },
    /// A list with fewer than `min` items.
    TooFew {
        /// Fewest items allowed.
        min: u32,
    },
    /// A list with more than `max` items.
    TooMany {
        /// Most items allowed.
        max: u32,
    },
    /// Text that is not a number.
    NotANumber,
    /// A number below `min`.
    BelowMinimum {
        /// Smallest value allowed.
        min: f64,
    },
    /// A number above `max`.
    AboveMaximum {
        /// Largest value allowed.
        max: f64,
    },
    /// Zero or negative where a positive value is needed.
    NotPositive,
    /// Not one of the allowed values.
    NotAnOption {
        /// The allowed values (as they go into the payload).
        options: Vec<String>,
    },
    /// Not in the expected format.
    BadFormat {
        /// Which format.
        format: Format,
    },
    /// A value of the wrong kind (e.g. a list where text is expected).
    WrongType {
        /// What the field takes.
        expected: ValueKind,
    },
    /// Differs from the confirmation typed next to it.
    Mismatch,
    /// Needs an explicit confirmation that was not given (e.g. the warning before publishing a
    /// full phone number).
    NotConfirmed,
    /// Not one of the values this build knows (e.g. an unknown market).
    Unknown,
    /// A secret key where a public key belongs: never share it.
    IsSecretKey,
    /// Our own public key where someone else's belongs (e.g. blocking yourself).
    IsOwnKey,
    /// Contains control characters (only line breaks and tabs are allowed in text).
    ControlCharacters,
    /// The end of a time range before its start (a post's window ends before it begins).
    EndBeforeStart,
    /// A time already past where a future one is needed (a post's window that is over).
    InThePast,
    /// Not accepted, with no finer code (a wire rule of the protocol).
    Invalid,
    /// A time less than `min_secs` from now (or in the past) where a later one is needed (a
    /// check-in deadline).
    TooSoon {
        /// Shortest time from now allowed (seconds).
        min_secs: u64,
    },
    /// A time more than `max_secs` from now.
    TooFarAhead {
        /// Longest time from now allowed (seconds).
        max_secs: u64,
    },
    /// Must differ from another field (the duress PIN from the usual one).
    MustDiffer {
        /// The other field.
        from: String,
    },
    /// Any other constraint of a market's schema, named by its JSON Schema keyword (e.g.
    /// `uniqueItems`).
    Schema {
        /// The JSON Schema keyword.
        keyword: String,
    },
}

/// Formats an input can be expected in ([`Rule::BadFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A geohash: 1–12 characters of `0-9 b-h j k m n p-z`.
    Geohash,
    /// An ISO 4217 currency code: three capital letters, e.g. `SGD`.
    CurrencyCode,
    /// A Nostr public key: `npub1…`, `nprofile1…`, 64 hex characters or a `nostr:` URI.
    PublicKey,
    /// An encrypted key backup `ncryptsec1…`.
    Backup,
    /// JSON text.
    Json,
    /// A phone number (international, or national with the configured region).
    Phone,
    /// A relay address `wss://…`.
    RelayUrl,
    /// Latitude −90..90 and longitude −180..180.
    Coordinates,
    /// A value the market's schema describes with a pattern this build has no name for.
    Pattern,
}

/// Kinds of values a field takes ([`Rule::WrongType`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Text.
    Text,
    /// A number.
    Number,
    /// A whole number.
    Integer,
    /// Yes or no.
    Boolean,
    /// A list.
    List,
    /// A group of fields (an object, e.g. a place).
    Object,
    /// Nothing.
    Null,
}

/// Saturating `usize` → `u32` for rule parameters.
pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Checks a text input's length in characters: [`Rule::Required`] when empty (if `required`),
/// [`Rule::TooShort`] / [`Rule::TooLong`] outside `min..=max`. Returns at most one rule.
pub fn text_rule(text: &str, required: bool, min: usize, max: usize) -> Option<Rule> {
    let n = text.chars().count();
    if n == 0 {
        return required.then_some(Rule::Required);
    }
    if text.trim().is_empty() {
        return Some(Rule::Blank);
    }
    if n < min {
        return Some(Rule::TooShort { min: count(min) });
    }
    if n > max {
        return Some(Rule::TooLong { max: count(max) });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_snake_case_with_typed_parameters() {
        let v =
            serde_json::to_value(FieldViolation::new("title", Rule::TooLong { max: 200 })).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"field": "title", "rule": {"code": "too_long", "max": 200}})
        );
        let v = serde_json::to_value(Rule::BadFormat {
            format: Format::CurrencyCode,
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"code": "bad_format", "format": "currency_code"})
        );
        assert_eq!(
            serde_json::to_value(Rule::Required).unwrap(),
            serde_json::json!({"code": "required"})
        );
    }

    #[test]
    fn text_rule_judges_empty_blank_and_bounds() {
        assert_eq!(text_rule("", true, 1, 5), Some(Rule::Required));
        assert_eq!(text_rule("", false, 1, 5), None);
        assert_eq!(text_rule("   ", false, 1, 5), Some(Rule::Blank));
        assert_eq!(text_rule("ab", true, 3, 5), Some(Rule::TooShort { min: 3 }));
        assert_eq!(
            text_rule("abcdef", true, 1, 5),
            Some(Rule::TooLong { max: 5 })
        );
        // Characters, not bytes.
        assert_eq!(text_rule("ééééé", true, 1, 5), None);
    }
}
