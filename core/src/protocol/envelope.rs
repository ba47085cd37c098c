//! Negotiation envelope: the JSON object carried inside encrypted DMs (FREEPORT-V1.md
//! "Negotiation envelope").
//!
//! ```text
//! {"v":1,"type":"negotiate.<t>","nego":<id>,"intent_id":<hex64>,"intent_d":<d>,"market":<m>,
//!  "terms"?:{…},"contact"?:<s>,"contact_salt"?:<hex64>,"payAddress"?:<s>,"reason"?:<s>,
//!  "text"?:<s>,"stage"?:"picked_up"|"completed","ts":<unix>}
//! ```
//!
//! `contact_salt` is our additive extension (the 32-byte salt of the phone commitment, revealed
//! only inside the encrypted accept). [`build_envelope`] emits exactly this shape with keys in this
//! order; [`parse_envelope`] is strict on structure and limits and ignores unknown keys.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use nostr::EventId;
use serde_json::{Map, Number, Value};

use super::{
    ProtocolError, check_version, content_object, excerpt, is_hex64, json_type, limits, opt_str,
    req_str, req_u64,
};
use crate::protocol::NegoId;

/// Longest `contact` string we build or accept (bytes).
pub const MAX_CONTACT_BYTES: usize = 512;
/// Longest `reason` / `payAddress` / `market` string we build or accept (bytes).
pub const MAX_SHORT_BYTES: usize = 1024;
/// Longest chat `text` we build or accept (bytes).
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Most keys in one `terms` object.
pub const MAX_TERMS_KEYS: usize = 64;

/// The reason the intent owner sends to every other thread when it confirms one (exact string).
pub const FILLED_REASON: &str = "Filled — taken by another offer";

/// The eight envelope types.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum EnvelopeType {
    /// `negotiate.counter`: proposes (possibly partial) terms.
    Counter,
    /// `negotiate.accept`: accepts the terms it carries and reveals the sender's contact.
    Accept,
    /// `negotiate.cancel`: unilateral cancel (the owner's "Filled" is one).
    Cancel,
    /// `negotiate.chat`: free text.
    Chat,
    /// `negotiate.cancel_request`: asks the other side to agree to cancel a confirmed deal.
    CancelRequest,
    /// `negotiate.cancel_agree`: agrees to a cancel request.
    CancelAgree,
    /// `negotiate.cancel_decline`: declines a cancel request.
    CancelDecline,
    /// `negotiate.status`: progress of the deal (`stage`).
    Status,
}

impl EnvelopeType {
    /// Every type, in wire order.
    pub const ALL: [EnvelopeType; 8] = [
        Self::Counter,
        Self::Accept,
        Self::Cancel,
        Self::Chat,
        Self::CancelRequest,
        Self::CancelAgree,
        Self::CancelDecline,
        Self::Status,
    ];

    /// The wire name, e.g. `negotiate.counter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "negotiate.counter",
            Self::Accept => "negotiate.accept",
            Self::Cancel => "negotiate.cancel",
            Self::Chat => "negotiate.chat",
            Self::CancelRequest => "negotiate.cancel_request",
            Self::CancelAgree => "negotiate.cancel_agree",
            Self::CancelDecline => "negotiate.cancel_decline",
            Self::Status => "negotiate.status",
        }
    }
}

impl fmt::Display for EnvelopeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EnvelopeType {
    type Err = ProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| ProtocolError::field("type", format!("unknown type `{}`", excerpt(s))))
    }
}

/// Deal progress reported in `negotiate.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    /// `picked_up`: the parties met (we send it when the meet code is co-signed).
    PickedUp,
    /// `completed`: the deal is done.
    Completed,
}

impl Stage {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PickedUp => "picked_up",
            Self::Completed => "completed",
        }
    }
}

impl FromStr for Stage {
    type Err = ProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "picked_up" => Ok(Self::PickedUp),
            "completed" => Ok(Self::Completed),
            other => Err(ProtocolError::field(
                "stage",
                format!("`{}` is not picked_up or completed", excerpt(other)),
            )),
        }
    }
}

/// The 32-byte salt of a contact commitment (our extension), written as 64 lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContactSalt(pub [u8; 32]);

impl ContactSalt {
    /// The salt as lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for ContactSalt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContactSalt({})", self.to_hex())
    }
}

impl FromStr for ContactSalt {
    type Err = ProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !is_hex64(s) {
            return Err(ProtocolError::field(
                "contact_salt",
                "must be 64 lowercase hex characters",
            ));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)
            .map_err(|_| ProtocolError::field("contact_salt", "is not hex"))?;
        Ok(Self(out))
    }
}

impl serde::Serialize for ContactSalt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for ContactSalt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Deal terms: a JSON object with known keys (`window, payment, note, from, to, location,
/// service, duration_minutes`) plus any extra keys.
///
/// Stored canonically (keys sorted at every depth, integral floats written as integers), so two
/// `Terms` compare equal exactly when they mean the same thing, whatever order the sender used.
/// A `null` value is kept (a partial counter uses it to remove a key); [`Terms::normalized`]
/// drops them, and [`Terms::same_deal`] compares normalized terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Terms(BTreeMap<String, Value>);

impl Terms {
    /// The known keys of the reference client.
    pub const KNOWN_KEYS: [&'static str; 8] = [
        "window",
        "payment",
        "note",
        "from",
        "to",
        "location",
        "service",
        "duration_minutes",
    ];

    /// Empty terms.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds terms from a JSON object, validating the known keys' types.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, ProtocolError> {
        if map.len() > MAX_TERMS_KEYS {
            return Err(ProtocolError::TooLarge {
                field: "terms",
                actual: map.len(),
                limit: MAX_TERMS_KEYS,
            });
        }
        let mut out = BTreeMap::new();
        for (k, v) in map {
            validate_known(k, v)?;
            out.insert(k.clone(), canonical_value(v));
        }
        Ok(Self(out))
    }

    /// Sets `key` to `value` (canonicalised); returns `self` for chaining.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_string(), canonical_value(&value));
        self
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// `payment`, if it is a string.
    pub fn payment(&self) -> Option<&str> {
        self.get("payment").and_then(Value::as_str)
    }

    /// Keys and values in canonical (sorted) order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }

    /// Number of keys (including `null` ones).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The terms without `null`-valued keys.
    pub fn normalized(&self) -> Self {
        Self(
            self.0
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// `true` when both mean the same deal (equal after dropping `null` keys).
    pub fn same_deal(&self, other: &Terms) -> bool {
        self.normalized() == other.normalized()
    }

    /// The reference's partial-counter merge: `{...prev, ...self}`, where a `null` removes the
    /// key. The result is normalized.
    pub fn merged_onto(&self, prev: &Terms) -> Terms {
        let mut out = prev.normalized().0;
        for (k, v) in &self.0 {
            if v.is_null() {
                out.remove(k);
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
        Self(out)
    }

    /// The patch we send for a counter: the complete `next` terms plus a `null` for every key of
    /// `prev` that `next` drops, so a merging receiver ends up with exactly `next`.
    pub fn patch_from(prev: &Terms, next: &Terms) -> Terms {
        let next = next.normalized();
        let mut out = next.0.clone();
        for k in prev.normalized().0.keys() {
            if !next.0.contains_key(k) {
                out.insert(k.clone(), Value::Null);
            }
        }
        Self(out)
    }

    /// What changed from `prev` to `next`: every key of `next` whose value differs (or is new),
    /// and an explicit `null` for every key of `prev` that `next` no longer has. A merging
    /// receiver (`{...prev, ...diff}`) ends up with `next`; keys nobody touched are not sent, so
    /// nothing the counter did not mention is erased.
    pub fn diff(prev: &Terms, next: &Terms) -> Terms {
        let (prev, next) = (prev.normalized(), next.normalized());
        let mut out = BTreeMap::new();
        for (k, v) in &next.0 {
            if prev.0.get(k) != Some(v) {
                out.insert(k.clone(), v.clone());
            }
        }
        for k in prev.0.keys() {
            if !next.0.contains_key(k) {
                out.insert(k.clone(), Value::Null);
            }
        }
        Self(out)
    }

    /// The keys with a non-null value.
    pub fn keys_set(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The terms as a JSON object (canonical key order).
    pub fn to_value(&self) -> Value {
        Value::Object(self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

/// Checks the types of the reference's known keys (`null` is allowed everywhere: it removes).
fn validate_known(key: &str, v: &Value) -> Result<(), ProtocolError> {
    if v.is_null() {
        return Ok(());
    }
    let ok = match key {
        "payment" | "note" | "service" => v.is_string(),
        "window" => v.is_object(),
        // The reference app sends places as plain names (`terms.from = payload.from.name`),
        // intents carry `{name, geohash}` objects: both are read.
        "from" | "to" | "location" => v.is_string() || v.is_object(),
        "duration_minutes" => v.as_f64().is_some_and(|d| d >= 0.0),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let rule = match key {
            "payment" | "note" | "service" => "must be a string",
            "duration_minutes" => "must be a non-negative number",
            "from" | "to" | "location" => "must be a place name or an object",
            _ => "must be an object",
        };
        Err(ProtocolError::field(
            "terms",
            format!("`{key}` {rule}, found {}", json_type(v)),
        ))
    }
}

/// Canonical form of a JSON value: object keys sorted at every depth, integral floats as integers.
fn canonical_value(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, Value> =
                m.iter().map(|(k, v)| (k, canonical_value(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical_value).collect()),
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                // Exactly representable: 15.0 and 15 are the same amount.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                Value::Number(Number::from(i))
            }
            _ => v.clone(),
        },
        other => other.clone(),
    }
}

/// A parsed (or to-be-built) negotiation envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `type`.
    pub kind: EnvelopeType,
    /// `nego`: the negotiation id.
    pub nego: NegoId,
    /// `intent_id`: the intent event the negotiation is about.
    pub intent_id: EventId,
    /// `market`.
    pub market: String,
    /// `terms` (a counter's may be partial).
    pub terms: Option<Terms>,
    /// `contact` (only ever in an accept).
    pub contact: Option<String>,
    /// `contact_salt` (our extension, only ever in an accept).
    pub contact_salt: Option<ContactSalt>,
    /// `payAddress`.
    pub pay_address: Option<String>,
    /// `reason` (cancel and friends).
    pub reason: Option<String>,
    /// `text` (chat).
    pub text: Option<String>,
    /// `stage` (status).
    pub stage: Option<Stage>,
    /// `ts`: unix seconds.
    pub ts: u64,
}

impl Envelope {
    /// A bare envelope of `kind` for `nego`; set the optional fields afterwards.
    pub fn new(
        kind: EnvelopeType,
        nego: NegoId,
        intent_id: EventId,
        market: impl Into<String>,
        ts: u64,
    ) -> Self {
        Self {
            kind,
            nego,
            intent_id,
            market: market.into(),
            terms: None,
            contact: None,
            contact_salt: None,
            pay_address: None,
            reason: None,
            text: None,
            stage: None,
            ts,
        }
    }

    /// `intent_d` (always the negotiation id's intent `d`).
    pub fn intent_d(&self) -> &str {
        self.nego.intent_d()
    }

    /// `true` for a cancel carrying exactly the owner's "Filled" reason.
    pub fn is_filled(&self) -> bool {
        self.kind == EnvelopeType::Cancel && self.reason.as_deref() == Some(FILLED_REASON)
    }
}

fn check_len(field: &'static str, s: &str, limit: usize) -> Result<(), ProtocolError> {
    if s.len() > limit {
        return Err(ProtocolError::TooLarge {
            field,
            actual: s.len(),
            limit,
        });
    }
    Ok(())
}

/// Which way an envelope travels: we build strictly what we send and read tolerantly what the
/// reference sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Built by us.
    Send,
    /// Parsed from a peer.
    Receive,
}

/// Serialises an envelope in the reference shape (key order `v, type, nego, intent_id, intent_d,
/// market, terms, contact, contact_salt, payAddress, reason, text, stage, ts`; absent optionals are
/// omitted). Fails if a field breaks a rule [`parse_envelope`] enforces, so we never send what we
/// would refuse.
pub fn build_envelope(env: &Envelope) -> Result<String, ProtocolError> {
    validate(env, Direction::Send)?;
    let mut m = Map::new();
    m.insert("v".into(), Value::from(super::VERSION));
    m.insert("type".into(), Value::from(env.kind.as_str()));
    m.insert("nego".into(), Value::from(env.nego.to_string()));
    m.insert("intent_id".into(), Value::from(env.intent_id.to_hex()));
    m.insert("intent_d".into(), Value::from(env.nego.intent_d()));
    m.insert("market".into(), Value::from(env.market.as_str()));
    if let Some(t) = &env.terms {
        m.insert("terms".into(), t.to_value());
    }
    if let Some(c) = &env.contact {
        m.insert("contact".into(), Value::from(c.as_str()));
    }
    if let Some(s) = &env.contact_salt {
        m.insert("contact_salt".into(), Value::from(s.to_hex()));
    }
    if let Some(p) = &env.pay_address {
        m.insert("payAddress".into(), Value::from(p.as_str()));
    }
    if let Some(r) = &env.reason {
        m.insert("reason".into(), Value::from(r.as_str()));
    }
    if let Some(t) = &env.text {
        m.insert("text".into(), Value::from(t.as_str()));
    }
    if let Some(s) = env.stage {
        m.insert("stage".into(), Value::from(s.as_str()));
    }
    m.insert("ts".into(), Value::from(env.ts));
    let out = Value::Object(m).to_string();
    check_len("content", &out, limits::MAX_CONTENT_BYTES)?;
    Ok(out)
}

/// The per-type and per-field rules shared by the builder and the parser. The one difference:
/// the reference puts the sender's `contact` in its counters too (its docs say "only on
/// accept"), so a received counter may carry one; we never send contact before accepting.
fn validate(env: &Envelope, dir: Direction) -> Result<(), ProtocolError> {
    if env.market.is_empty() {
        return Err(ProtocolError::field("market", "is empty"));
    }
    check_len("market", &env.market, MAX_SHORT_BYTES)?;
    if let Some(c) = &env.contact {
        check_len("contact", c, MAX_CONTACT_BYTES)?;
        if c.trim().is_empty() {
            return Err(ProtocolError::field("contact", "is empty"));
        }
    }
    if let Some(p) = &env.pay_address {
        check_len("payAddress", p, MAX_SHORT_BYTES)?;
    }
    if let Some(r) = &env.reason {
        check_len("reason", r, MAX_SHORT_BYTES)?;
    }
    if let Some(t) = &env.text {
        check_len("text", t, MAX_TEXT_BYTES)?;
    }
    if let Some(t) = &env.terms {
        if t.len() > MAX_TERMS_KEYS {
            return Err(ProtocolError::TooLarge {
                field: "terms",
                actual: t.len(),
                limit: MAX_TERMS_KEYS,
            });
        }
        // Terms built with `Terms::with` are checked here, so we never send mistyped known keys.
        for (k, v) in t.iter() {
            validate_known(k, v)?;
        }
    }
    match env.kind {
        EnvelopeType::Counter => match &env.terms {
            None => return Err(ProtocolError::MissingField { field: "terms" }),
            Some(t) if t.is_empty() => {
                return Err(ProtocolError::field(
                    "terms",
                    "a counter must change something",
                ));
            }
            Some(_) => {}
        },
        // The reference ignores an accept without contact; we refuse it outright.
        EnvelopeType::Accept if env.contact.is_none() => {
            return Err(ProtocolError::MissingField { field: "contact" });
        }
        EnvelopeType::Chat if env.text.is_none() => {
            return Err(ProtocolError::MissingField { field: "text" });
        }
        EnvelopeType::Status if env.stage.is_none() => {
            return Err(ProtocolError::MissingField { field: "stage" });
        }
        _ => {}
    }
    // Contact (and its salt) travel only inside an accept; a received counter may carry the
    // reference's contact.
    let contact_ok = env.kind == EnvelopeType::Accept
        || (dir == Direction::Receive && env.kind == EnvelopeType::Counter);
    if !contact_ok && env.contact.is_some() {
        return Err(ProtocolError::field(
            "contact",
            format!("is only allowed in negotiate.accept, not {}", env.kind),
        ));
    }
    if env.kind != EnvelopeType::Accept && env.contact_salt.is_some() {
        return Err(ProtocolError::field(
            "contact_salt",
            format!("is only allowed in negotiate.accept, not {}", env.kind),
        ));
    }
    Ok(())
}

/// Parses and validates an envelope (decrypted DM content).
///
/// Refuses: non-JSON or oversized content (64 KiB), `v` ≠ 1, an unknown `type`, a `nego` that is
/// not `<d>:<hex64>:<hex64>`, an `intent_d` that differs from the id's, a non-integer `ts`, a
/// counter without terms, an accept without contact (the reference ignores those), a chat without
/// text, a status without stage, and contact outside an accept. Unknown keys are ignored.
pub fn parse_envelope(json: &str) -> Result<Envelope, ProtocolError> {
    let map = content_object(json)?;
    check_version(&map)?;
    let kind: EnvelopeType = req_str(&map, "type")?.parse()?;
    let nego: NegoId = req_str(&map, "nego")?.parse()?;
    let intent_hex = req_str(&map, "intent_id")?;
    if !is_hex64(intent_hex) {
        return Err(ProtocolError::field(
            "intent_id",
            "must be 64 lowercase hex characters",
        ));
    }
    let intent_id = EventId::from_hex(intent_hex)
        .map_err(|_| ProtocolError::field("intent_id", "is not an event id"))?;
    let intent_d = req_str(&map, "intent_d")?;
    if intent_d != nego.intent_d() {
        return Err(ProtocolError::Mismatch {
            a: "intent_d",
            a_value: excerpt(intent_d),
            b: "nego",
            b_value: excerpt(nego.intent_d()),
        });
    }
    let market = req_str(&map, "market")?.to_string();
    let terms = match map.get("terms") {
        None | Some(Value::Null) => None,
        Some(Value::Object(t)) => Some(Terms::from_map(t)?),
        Some(other) => {
            return Err(ProtocolError::field(
                "terms",
                format!("must be an object, found {}", json_type(other)),
            ));
        }
    };
    let contact = opt_str(&map, "contact")?.map(str::to_string);
    let contact_salt = opt_str(&map, "contact_salt")?
        .map(str::parse::<ContactSalt>)
        .transpose()?;
    let pay_address = opt_str(&map, "payAddress")?.map(str::to_string);
    let reason = opt_str(&map, "reason")?.map(str::to_string);
    let text = opt_str(&map, "text")?.map(str::to_string);
    let stage = opt_str(&map, "stage")?
        .map(str::parse::<Stage>)
        .transpose()?;
    let ts = req_u64(&map, "ts")?;
    let env = Envelope {
        kind,
        nego,
        intent_id,
        market,
        terms,
        contact,
        contact_salt,
        pay_address,
        reason,
        text,
        stage,
        ts,
    };
    validate(&env, Direction::Receive)?;
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::Keys;
    use serde_json::json;

    fn nego() -> NegoId {
        NegoId::new(
            "0123456789abcdef",
            Keys::generate().public_key(),
            Keys::generate().public_key(),
        )
        .unwrap()
    }

    fn iid() -> EventId {
        EventId::from_hex(&"ab".repeat(32)).unwrap()
    }

    fn base(kind: EnvelopeType) -> Envelope {
        let mut e = Envelope::new(kind, nego(), iid(), "sg-rideshare", 1_700_000_000);
        match kind {
            EnvelopeType::Counter => {
                e.terms = Some(Terms::new().with("payment", json!("SGD 15")));
            }
            EnvelopeType::Accept => {
                e.terms = Some(Terms::new().with("payment", json!("SGD 15")));
                e.contact = Some("Ann · +6591234567".into());
                e.contact_salt = Some(ContactSalt([7; 32]));
            }
            EnvelopeType::Chat => e.text = Some("hi".into()),
            EnvelopeType::Status => e.stage = Some(Stage::PickedUp),
            EnvelopeType::Cancel => e.reason = Some(FILLED_REASON.into()),
            _ => {}
        }
        e
    }

    #[test]
    fn every_type_round_trips() {
        for kind in EnvelopeType::ALL {
            let env = base(kind);
            let json = build_envelope(&env).unwrap();
            let back = parse_envelope(&json).unwrap();
            assert_eq!(back, env, "{kind}");
            assert_eq!(
                build_envelope(&back).unwrap(),
                json,
                "{kind} not byte-stable"
            );
        }
    }

    #[test]
    fn builder_emits_reference_shape_in_order() {
        let env = base(EnvelopeType::Accept);
        let json = build_envelope(&env).unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "v",
                "type",
                "nego",
                "intent_id",
                "intent_d",
                "market",
                "terms",
                "contact",
                "contact_salt",
                "ts"
            ]
        );
        assert_eq!(v["type"], "negotiate.accept");
        assert_eq!(v["intent_d"], "0123456789abcdef");
        assert_eq!(v["nego"], env.nego.to_string());
        assert!(!parse_envelope(&json).unwrap().is_filled());
        assert!(
            parse_envelope(&build_envelope(&base(EnvelopeType::Cancel)).unwrap())
                .unwrap()
                .is_filled()
        );
    }

    #[test]
    fn parses_reference_message_with_unknown_keys_and_pay_address() {
        let n = nego();
        let json = format!(
            r#"{{"v":1,"type":"negotiate.counter","nego":"{n}","intent_id":"{}","intent_d":"0123456789abcdef","market":"sg-rideshare","terms":{{"payment":"SGD 12","window":{{"end":2,"start":1}},"x_extra":[1,2]}},"payAddress":"lnurl1","future":true,"ts":5}}"#,
            "ab".repeat(32)
        );
        let env = parse_envelope(&json).unwrap();
        assert_eq!(env.kind, EnvelopeType::Counter);
        assert_eq!(env.pay_address.as_deref(), Some("lnurl1"));
        let t = env.terms.unwrap();
        assert_eq!(t.payment(), Some("SGD 12"));
        assert_eq!(t.get("x_extra"), Some(&json!([1, 2])));
    }

    #[test]
    fn reads_the_reference_apps_counter_with_contact_and_string_places_but_never_sends_one() {
        let n = nego();
        let json = format!(
            r#"{{"v":1,"type":"negotiate.counter","nego":"{n}","intent_id":"{}","intent_d":"0123456789abcdef","market":"sg-rideshare","terms":{{"window":{{"start":1767000000,"end":1767000900}},"payment":"S$12","from":"Tanjong Pagar MRT","to":"Changi Airport T3"}},"contact":"Linh · +84912345678","ts":1767000000}}"#,
            "ab".repeat(32)
        );
        let env = parse_envelope(&json).expect("the reference's first message parses");
        assert_eq!(env.contact.as_deref(), Some("Linh · +84912345678"));
        let t = env.terms.clone().unwrap();
        assert_eq!(t.get("from"), Some(&json!("Tanjong Pagar MRT")));
        // We never send contact before an accept.
        assert!(matches!(
            build_envelope(&env),
            Err(ProtocolError::InvalidField {
                field: "contact",
                ..
            })
        ));
        // Places: a name or an object, nothing else.
        for bad in [json!(5), json!([1]), json!(true)] {
            let m = json!({ "from": bad });
            assert!(Terms::from_map(m.as_object().unwrap()).is_err());
        }
        // Contact is still refused outside counter and accept.
        let mut chat = base(EnvelopeType::Chat);
        chat.contact = Some("x".into());
        let text = serde_json::to_string(&{
            let mut v: Value =
                serde_json::from_str(&build_envelope(&base(EnvelopeType::Chat)).unwrap()).unwrap();
            v["contact"] = json!("x");
            v
        })
        .unwrap();
        assert!(parse_envelope(&text).is_err());
        assert!(build_envelope(&chat).is_err());
    }

    #[test]
    fn terms_compare_canonically() {
        let a = Terms::from_map(
            json!({"window":{"start":1,"end":2},"payment":"SGD 5","duration_minutes":30.0})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let b = Terms::from_map(
            json!({"duration_minutes":30,"payment":"SGD 5","window":{"end":2,"start":1}})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_value().to_string(), b.to_value().to_string());
        let c = b.clone().with("note", Value::Null);
        assert_ne!(a, c);
        assert!(a.same_deal(&c));
        assert!(!a.same_deal(&a.clone().with("payment", json!("SGD 6"))));
    }

    #[test]
    fn partial_merge_and_patch_agree() {
        let prev = Terms::new()
            .with("payment", json!("SGD 5"))
            .with("note", json!("bags"));
        let partial = Terms::new().with("payment", json!("SGD 7"));
        let merged = partial.merged_onto(&prev);
        assert_eq!(
            merged,
            Terms::new()
                .with("payment", json!("SGD 7"))
                .with("note", json!("bags"))
        );
        let next = Terms::new().with("payment", json!("SGD 9"));
        let patch = Terms::patch_from(&prev, &next);
        assert_eq!(patch.get("note"), Some(&Value::Null));
        assert_eq!(patch.merged_onto(&prev), next);
    }

    #[test]
    fn malformed_inputs_are_refused_with_typed_errors() {
        let good = build_envelope(&base(EnvelopeType::Accept)).unwrap();
        let v: Value = serde_json::from_str(&good).unwrap();
        let with = |k: &str, val: Value| {
            let mut o = v.as_object().unwrap().clone();
            o.insert(k.into(), val);
            Value::Object(o).to_string()
        };
        let without = |k: &str| {
            let mut o = v.as_object().unwrap().clone();
            o.remove(k);
            Value::Object(o).to_string()
        };
        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "NotJson"),
            ("[1]".into(), "NotJson"),
            (with("v", json!(2)), "UnsupportedVersion"),
            (without("v"), "MissingField"),
            (with("type", json!("negotiate.bogus")), "InvalidField"),
            (with("type", json!(3)), "InvalidField"),
            (with("nego", json!("abc:def")), "InvalidNegoId"),
            (with("intent_d", json!("fedcba9876543210")), "Mismatch"),
            (with("intent_id", json!("AB".repeat(32))), "InvalidField"),
            (with("ts", json!("17")), "InvalidField"),
            (with("ts", json!(1.5)), "InvalidField"),
            (with("ts", json!(-1)), "InvalidField"),
            (without("ts"), "MissingField"),
            (without("contact"), "MissingField"),
            (with("contact", json!("")), "InvalidField"),
            (with("contact", json!("x".repeat(600))), "TooLarge"),
            (with("contact_salt", json!("00")), "InvalidField"),
            (with("terms", json!([1])), "InvalidField"),
            (with("terms", json!({"payment": 5})), "InvalidField"),
            (with("terms", json!({"window": "soon"})), "InvalidField"),
            (
                with("terms", json!({"duration_minutes": -3})),
                "InvalidField",
            ),
            (with("stage", json!("teleported")), "InvalidField"),
            (with("market", json!("")), "InvalidField"),
            (with("text", json!("x".repeat(70 * 1024))), "TooLarge"),
            (with("type", json!("negotiate.cancel")), "InvalidField"), // contact outside accept
        ];
        for (json, want) in cases {
            let err = parse_envelope(&json).expect_err(&json[..json.len().min(120)]);
            let got = format!("{err:?}");
            assert!(got.starts_with(want), "{want} expected, got {got}");
        }
        // Per-type requirements.
        let mut c = base(EnvelopeType::Counter);
        c.terms = None;
        assert_eq!(
            build_envelope(&c),
            Err(ProtocolError::MissingField { field: "terms" })
        );
        c.terms = Some(Terms::new());
        assert!(build_envelope(&c).is_err());
        c.terms = Some(Terms::new().with("payment", json!(15)));
        assert!(matches!(
            build_envelope(&c),
            Err(ProtocolError::InvalidField { field: "terms", .. })
        ));
        let mut s = base(EnvelopeType::Status);
        s.stage = None;
        assert_eq!(
            build_envelope(&s),
            Err(ProtocolError::MissingField { field: "stage" })
        );
        let mut ch = base(EnvelopeType::Chat);
        ch.text = None;
        assert_eq!(
            build_envelope(&ch),
            Err(ProtocolError::MissingField { field: "text" })
        );
    }

    #[test]
    fn size_limit_is_64_kib() {
        let mut e = base(EnvelopeType::Counter);
        let mut t = Terms::new();
        for i in 0..40 {
            t = t.with(&format!("k{i}"), json!("y".repeat(2000)));
        }
        e.terms = Some(t);
        assert!(matches!(
            build_envelope(&e),
            Err(ProtocolError::TooLarge {
                field: "content",
                ..
            })
        ));
        let big = format!("{{\"v\":1,\"pad\":\"{}\"}}", "a".repeat(65 * 1024));
        assert!(matches!(
            parse_envelope(&big),
            Err(ProtocolError::TooLarge { .. })
        ));
    }
}
