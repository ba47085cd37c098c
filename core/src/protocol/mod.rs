//! Pure wire formats of Freeport v1 (see `shared/protocol/FREEPORT-V1.md` and DESIGN.md §3).
//!
//! Builders produce exactly what the reference client sends (tag order, JSON field names) plus
//! our additive extensions; parsers are strict about structure and limits, tolerant of unknown
//! JSON fields, and return a [`ProtocolError`] naming the field and the rule broken. Nothing in
//! this module performs I/O, and no input makes it panic.

use std::fmt;
use std::str::FromStr;

use nostr::{Event, PublicKey};
use serde_json::{Map, Value};

pub mod envelope;
pub mod follows;
pub mod form;
pub mod intent;
pub mod market;
pub mod market_l10n;
pub mod profile;
pub mod rating;
pub mod receipt;
pub mod terms;
pub mod tolerant;

/// Event kinds used by Freeport.
pub mod kinds {
    /// Addressable offer intent.
    pub const OFFER: u16 = 32101;
    /// Addressable request intent.
    pub const REQUEST: u16 = 32102;
    /// Addressable rating ("karma").
    pub const RATING: u16 = 32103;
    /// Addressable deal receipt (one half per party).
    pub const RECEIPT: u16 = 32104;
    /// Profile metadata.
    pub const PROFILE: u16 = 0;
    /// Follow list (NIP-02).
    pub const FOLLOWS: u16 = 3;
    /// NIP-04 encrypted direct message (legacy transport).
    pub const NIP04_DM: u16 = 4;
    /// NIP-59 seal.
    pub const SEAL: u16 = 13;
    /// NIP-17 chat rumor.
    pub const PRIVATE_DM: u16 = 14;
    /// NIP-59 gift wrap.
    pub const GIFT_WRAP: u16 = 1059;
    /// NIP-17 list of the relays where a user receives gift wraps (its "inbox").
    pub const DM_RELAYS: u16 = 10050;
}

/// Size and shape limits enforced by every parser.
pub mod limits {
    /// Largest event content we build or accept (bytes).
    pub const MAX_CONTENT_BYTES: usize = 64 * 1024;
    /// Longest intent title (characters).
    pub const MAX_TITLE_CHARS: usize = 200;
    /// Longest intent `d` / negotiation-id prefix we accept from others.
    pub const MAX_D_CHARS: usize = 64;
    /// Most tags we look at on one event (tag floods are rejected).
    pub const MAX_TAGS: usize = 256;
}

/// The protocol version every Freeport v1 JSON payload carries as `"v": 1`.
pub const VERSION: u64 = 1;

/// Why a wire object was refused. Every variant names the field (or tag) and the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("content is not a JSON object: {reason}")]
    NotJson { reason: String },
    #[error("unsupported protocol version v={found} (this client speaks v=1)")]
    UnsupportedVersion { found: String },
    #[error("event kind {found} is not {expected}")]
    WrongKind { found: u16, expected: &'static str },
    #[error("field `{field}` is missing")]
    MissingField { field: &'static str },
    #[error("tag `{tag}` is missing")]
    MissingTag { tag: &'static str },
    #[error("field `{field}`: {rule}")]
    InvalidField { field: &'static str, rule: String },
    #[error("tag `{tag}`: {rule}")]
    InvalidTag { tag: &'static str, rule: String },
    #[error("`{field}` is {actual} long; the limit is {limit}")]
    TooLarge {
        field: &'static str,
        actual: usize,
        limit: usize,
    },
    #[error("`{a}` ({a_value}) does not match `{b}` ({b_value})")]
    Mismatch {
        a: &'static str,
        a_value: String,
        b: &'static str,
        b_value: String,
    },
    #[error("expired at {expires_at} (now {now})")]
    Expired { expires_at: u64, now: u64 },
    #[error("negotiation id `{found}` is not of the form <d>:<hex64>:<hex64>")]
    InvalidNegoId { found: String },
}

impl ProtocolError {
    pub(crate) fn field(field: &'static str, rule: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            rule: rule.into(),
        }
    }

    pub(crate) fn tag(tag: &'static str, rule: impl Into<String>) -> Self {
        Self::InvalidTag {
            tag,
            rule: rule.into(),
        }
    }
}

/// Shortens untrusted text for inclusion in an error message.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// `true` for exactly 64 lowercase hex characters.
pub fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Negotiation id: `"<intent d>:<intent author hex>:<responder hex>"`.
///
/// The receipt and rating `d` tags are this same string. A receiver recomputes it from the intent
/// it knows and the sender's key, and drops envelopes whose id does not match (DESIGN §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NegoId {
    intent_d: String,
    author: PublicKey,
    responder: PublicKey,
}

impl NegoId {
    /// Builds the id for a responder's thread on an intent. Fails if the `d` is not a valid
    /// identifier or the responder is the intent author (nobody negotiates with themselves).
    pub fn new(
        intent_d: &str,
        author: PublicKey,
        responder: PublicKey,
    ) -> Result<Self, ProtocolError> {
        validate_d(intent_d).map_err(|_| ProtocolError::InvalidNegoId {
            found: excerpt(intent_d),
        })?;
        if author == responder {
            return Err(ProtocolError::field(
                "nego",
                "intent author and responder are the same key",
            ));
        }
        Ok(Self {
            intent_d: intent_d.to_string(),
            author,
            responder,
        })
    }

    /// The intent's `d` identifier.
    pub fn intent_d(&self) -> &str {
        &self.intent_d
    }

    /// The intent author (the owner who receives quotes).
    pub fn author(&self) -> PublicKey {
        self.author
    }

    /// The responder who opened this thread.
    pub fn responder(&self) -> PublicKey {
        self.responder
    }

    /// `true` if `pk` is one of the two parties.
    pub fn involves(&self, pk: &PublicKey) -> bool {
        self.author == *pk || self.responder == *pk
    }

    /// The other party of `pk`, or `None` if `pk` is not a party.
    pub fn counterparty_of(&self, pk: &PublicKey) -> Option<PublicKey> {
        if *pk == self.author {
            Some(self.responder)
        } else if *pk == self.responder {
            Some(self.author)
        } else {
            None
        }
    }
}

impl fmt::Display for NegoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.intent_d,
            self.author.to_hex(),
            self.responder.to_hex()
        )
    }
}

impl FromStr for NegoId {
    type Err = ProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ProtocolError::InvalidNegoId { found: excerpt(s) };
        let mut parts = s.split(':');
        let (Some(d), Some(a), Some(r), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if validate_d(d).is_err() || !is_hex64(a) || !is_hex64(r) {
            return Err(bad());
        }
        let author = PublicKey::from_hex(a).map_err(|_| bad())?;
        let responder = PublicKey::from_hex(r).map_err(|_| bad())?;
        Self::new(d, author, responder).map_err(|_| bad())
    }
}

impl serde::Serialize for NegoId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for NegoId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Checks an intent `d` identifier: 1..=64 characters of `[A-Za-z0-9._-]` (the reference sends
/// 16 lowercase hex characters; we accept any such identifier on read and send 16 hex).
pub fn validate_d(d: &str) -> Result<(), ProtocolError> {
    if d.is_empty() {
        return Err(ProtocolError::tag("d", "is empty"));
    }
    if d.len() > limits::MAX_D_CHARS {
        return Err(ProtocolError::TooLarge {
            field: "d",
            actual: d.len(),
            limit: limits::MAX_D_CHARS,
        });
    }
    if !d
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return Err(ProtocolError::tag(
            "d",
            format!("`{}` has characters outside [A-Za-z0-9._-]", excerpt(d)),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the parsers.
// ---------------------------------------------------------------------------------------------

/// Parses event content as a JSON object, enforcing the content size limit.
pub(crate) fn content_object(content: &str) -> Result<Map<String, Value>, ProtocolError> {
    if content.len() > limits::MAX_CONTENT_BYTES {
        return Err(ProtocolError::TooLarge {
            field: "content",
            actual: content.len(),
            limit: limits::MAX_CONTENT_BYTES,
        });
    }
    match serde_json::from_str::<Value>(content) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ProtocolError::NotJson {
            reason: format!("found a JSON {}", json_type(&other)),
        }),
        Err(e) => Err(ProtocolError::NotJson {
            reason: e.to_string(),
        }),
    }
}

/// Name of a JSON value's type, for error messages.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Requires `"v": 1`.
pub(crate) fn check_version(map: &Map<String, Value>) -> Result<(), ProtocolError> {
    match map.get("v") {
        None => Err(ProtocolError::MissingField { field: "v" }),
        Some(Value::Number(n)) if n.as_u64() == Some(VERSION) => Ok(()),
        Some(other) => Err(ProtocolError::UnsupportedVersion {
            found: excerpt(&other.to_string()),
        }),
    }
}

/// A required string field.
pub(crate) fn req_str<'a>(
    map: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, ProtocolError> {
    match map.get(field) {
        None | Some(Value::Null) => Err(ProtocolError::MissingField { field }),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(ProtocolError::field(
            field,
            format!("must be a string, found {}", json_type(other)),
        )),
    }
}

/// An optional string field (absent or null → `None`).
pub(crate) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, ProtocolError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ProtocolError::field(
            field,
            format!("must be a string, found {}", json_type(other)),
        )),
    }
}

/// An optional boolean field (absent or null → `None`).
pub(crate) fn opt_bool(
    map: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<bool>, ProtocolError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(ProtocolError::field(
            field,
            format!("must be a boolean, found {}", json_type(other)),
        )),
    }
}

/// A required non-negative integer field (unix seconds and the like).
pub(crate) fn req_u64(map: &Map<String, Value>, field: &'static str) -> Result<u64, ProtocolError> {
    match map.get(field) {
        None | Some(Value::Null) => Err(ProtocolError::MissingField { field }),
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| ProtocolError::field(field, "must be a non-negative integer")),
        Some(other) => Err(ProtocolError::field(
            field,
            format!("must be an integer, found {}", json_type(other)),
        )),
    }
}

/// Values of the first tag named `name` (the values after the name), if any.
pub(crate) fn first_tag<'a>(event: &'a Event, name: &str) -> Option<&'a [String]> {
    event
        .tags
        .iter()
        .take(limits::MAX_TAGS)
        .map(|t| t.as_slice())
        .find(|s| s.first().map(String::as_str) == Some(name))
        .map(|s| &s[1..])
}

/// The first value of the first tag named `name`.
/// A `p` tag with a relay hint: `["p", <pubkey hex>, <relay url>]` (NIP-01).
pub(crate) fn p_tag_with_hint(pk: &nostr::PublicKey, relay: &nostr::RelayUrl) -> nostr::Tag {
    nostr::Tag::from_standardized_without_cell(nostr::TagStandard::PublicKey {
        public_key: *pk,
        relay_url: Some(relay.clone()),
        alias: None,
        uppercase: false,
    })
}

pub(crate) fn first_tag_value<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    first_tag(event, name)
        .and_then(|v| v.first())
        .map(String::as_str)
}

/// Every first value of tags named `name`.
pub(crate) fn tag_values<'a>(event: &'a Event, name: &'a str) -> impl Iterator<Item = &'a str> {
    event
        .tags
        .iter()
        .take(limits::MAX_TAGS)
        .map(|t| t.as_slice())
        .filter(move |s| s.first().map(String::as_str) == Some(name))
        .filter_map(|s| s.get(1).map(String::as_str))
}

/// Refuses events with more tags than any Freeport event needs (tag floods).
pub(crate) fn check_tag_count(event: &Event) -> Result<(), ProtocolError> {
    if event.tags.len() > limits::MAX_TAGS {
        return Err(ProtocolError::TooLarge {
            field: "tags",
            actual: event.tags.len(),
            limit: limits::MAX_TAGS,
        });
    }
    Ok(())
}

/// Requires the event to be of `kind`.
pub(crate) fn check_kind(
    event: &Event,
    kind: u16,
    expected: &'static str,
) -> Result<(), ProtocolError> {
    let found = event.kind.as_u16();
    if found != kind {
        return Err(ProtocolError::WrongKind { found, expected });
    }
    Ok(())
}

/// Parses a required `d` tag that must be a negotiation id.
pub(crate) fn nego_d_tag(event: &Event) -> Result<NegoId, ProtocolError> {
    let d = first_tag_value(event, "d").ok_or(ProtocolError::MissingTag { tag: "d" })?;
    d.parse()
}

/// Parses a required `p` tag.
pub(crate) fn p_tag(event: &Event) -> Result<PublicKey, ProtocolError> {
    let p = first_tag_value(event, "p").ok_or(ProtocolError::MissingTag { tag: "p" })?;
    if !is_hex64(p) {
        return Err(ProtocolError::tag(
            "p",
            format!("`{}` is not 64 lowercase hex characters", excerpt(p)),
        ));
    }
    PublicKey::from_hex(p).map_err(|_| ProtocolError::tag("p", "is not a valid public key"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::Keys;

    #[test]
    fn nego_id_round_trips_and_names_parties() {
        let a = Keys::generate().public_key();
        let r = Keys::generate().public_key();
        let id = NegoId::new("0123456789abcdef", a, r).unwrap();
        let s = id.to_string();
        assert_eq!(s, format!("0123456789abcdef:{}:{}", a.to_hex(), r.to_hex()));
        let back: NegoId = s.parse().unwrap();
        assert_eq!(back, id);
        assert_eq!(back.counterparty_of(&a), Some(r));
        assert_eq!(back.counterparty_of(&r), Some(a));
        assert_eq!(back.counterparty_of(&Keys::generate().public_key()), None);
    }

    #[test]
    fn nego_id_rejects_malformed() {
        let a = Keys::generate().public_key().to_hex();
        let r = Keys::generate().public_key().to_hex();
        for bad in [
            String::new(),
            "abc".to_string(),
            format!("d:{a}"),
            format!("d:{a}:{r}:extra"),
            format!(":{a}:{r}"),
            format!("d:{}:{r}", a.to_uppercase()),
            format!("d:{}:{r}", &a[..63]),
            format!("d d:{a}:{r}"),
            format!("d:{a}:{a}"),
            format!("{}:{a}:{r}", "x".repeat(65)),
            format!("d:{}:{r}", "g".repeat(64)),
        ] {
            assert!(
                matches!(
                    bad.parse::<NegoId>(),
                    Err(ProtocolError::InvalidNegoId { .. })
                ),
                "accepted {bad:?}"
            );
        }
    }

    #[test]
    fn content_object_enforces_limits_and_shape() {
        assert!(matches!(
            content_object("not json"),
            Err(ProtocolError::NotJson { .. })
        ));
        assert!(matches!(
            content_object("[1,2]"),
            Err(ProtocolError::NotJson { .. })
        ));
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(limits::MAX_CONTENT_BYTES));
        assert!(matches!(
            content_object(&big),
            Err(ProtocolError::TooLarge {
                field: "content",
                ..
            })
        ));
        assert!(content_object("{\"v\":1}").is_ok());
    }

    #[test]
    fn version_must_be_one() {
        let ok = content_object("{\"v\":1}").unwrap();
        assert!(check_version(&ok).is_ok());
        for bad in [
            "{}",
            "{\"v\":2}",
            "{\"v\":\"1\"}",
            "{\"v\":1.5}",
            "{\"v\":-1}",
        ] {
            let m = content_object(bad).unwrap();
            assert!(check_version(&m).is_err(), "{bad}");
        }
    }
}
