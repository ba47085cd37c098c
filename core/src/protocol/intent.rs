//! Intents — kinds 32101 (offer) / 32102 (request), addressable (FREEPORT-V1.md "Intents").
//!
//! Tags, in the reference order: `d`, `t` market, `expiration`, `["freeport","1"]`, one `g` per
//! prefix of the location geohash, then extra `t` sharding topics. Content:
//! `{"v":1,"side","market","schema","title","payload","window"?,"flex_minutes"?,"expires_at"}`.
//! Proof of work is added by the app layer with [`EventBuilder::pow`]; nothing here mines.

use std::collections::HashSet;

use nostr::{Event, EventBuilder, EventId, Kind, PublicKey, Tag, TagKind, Timestamp};
use serde_json::{Map, Value};

use super::market::{self, Market};
use super::{
    ProtocolError, check_tag_count, check_version, content_object, excerpt, first_tag,
    first_tag_value, json_type, kinds, limits, req_str, req_u64, tag_values, validate_d,
};

/// The geohash base32 alphabet.
pub const GEOHASH_ALPHABET: &str = "0123456789bcdefghjkmnpqrstuvwxyz";
/// `g` tag precision used when the draft does not say (the reference sends lengths 1..=5).
pub const DEFAULT_G_PRECISION: usize = 5;
/// Finest `g` precision we publish (about 5 m cells; finer would pinpoint a doorstep).
pub const MAX_G_PRECISION: usize = 9;
/// Longest geohash we accept anywhere (the geohash crate's limit).
pub const MAX_GEOHASH_LEN: usize = 12;
/// Largest neighbour radius [`geohash_cover`] expands (9×9 = 81 cells).
pub const MAX_COVER_RADIUS: u32 = 4;
/// Lifetime of a withdrawal event: relays drop it on schedule after this many seconds.
pub const WITHDRAWAL_TTL_SECS: u64 = 600;
/// Title the reference gives a withdrawn intent.
pub const WITHDRAWN_TITLE: &str = "(withdrawn)";
/// Most extra `t` sharding topics on one intent.
pub const MAX_TOPICS: usize = 16;
/// Longest topic (`t` value), market included.
pub const MAX_TOPIC_CHARS: usize = 64;
/// Longest `schema` identifier.
pub const MAX_SCHEMA_CHARS: usize = 64;
/// Largest `flex_minutes` (one week).
pub const MAX_FLEX_MINUTES: u32 = 7 * 24 * 60;

/// Offer (kind 32101) or request (kind 32102).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Something offered (kind 32101).
    Offer,
    /// Something wanted (kind 32102).
    Request,
}

impl Side {
    /// The event kind of this side.
    pub fn kind(self) -> u16 {
        match self {
            Side::Offer => kinds::OFFER,
            Side::Request => kinds::REQUEST,
        }
    }

    /// The `side` string on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Offer => "offer",
            Side::Request => "request",
        }
    }

    /// The side an intent kind stands for.
    pub fn from_kind(kind: u16) -> Option<Self> {
        match kind {
            kinds::OFFER => Some(Side::Offer),
            kinds::REQUEST => Some(Side::Request),
            _ => None,
        }
    }
}

/// When the exchange should happen (unix seconds, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TimeWindow {
    /// Earliest time.
    pub start: u64,
    /// Latest time; never before `start`.
    pub end: u64,
}

/// What a user posts, before it becomes an event.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentDraft {
    /// Offer or request.
    pub side: Side,
    /// Market topic (`t` tag and `market` field), e.g. `sg-rideshare`.
    pub market: String,
    /// Payload schema identifier, e.g. `rideshare/1`.
    pub schema: String,
    /// One-line title (at most 200 characters).
    pub title: String,
    /// Market payload (a JSON object valid against the market schema).
    pub payload: Value,
    /// Optional time window.
    pub window: Option<TimeWindow>,
    /// Optional flexibility around the window, in minutes.
    pub flex_minutes: Option<u32>,
    /// Expiry (unix seconds): the NIP-40 `expiration` tag and `expires_at`.
    pub expires_at: u64,
    /// Location geohash; its prefixes become the `g` tags.
    pub geohash: Option<String>,
    /// How many `g` prefixes to publish (1..=[`MAX_G_PRECISION`]).
    pub g_precision: usize,
    /// Extra `t` sharding topics, e.g. `vn_hanoi`.
    pub topics: Vec<String>,
}

impl IntentDraft {
    /// A draft for `market` with its schema, topic and default lifetime from `now`.
    pub fn for_market(
        side: Side,
        market: &Market,
        title: impl Into<String>,
        payload: Value,
        now: Timestamp,
    ) -> Self {
        Self {
            side,
            market: market.topic().to_string(),
            schema: market.schema().to_string(),
            title: title.into(),
            payload,
            window: None,
            flex_minutes: None,
            expires_at: now.as_secs().saturating_add(market.default_expiry_secs()),
            geohash: None,
            g_precision: DEFAULT_G_PRECISION,
            topics: Vec::new(),
        }
    }
}

/// A fresh intent identifier: 16 lowercase hex characters from 8 random bytes (OS CSPRNG).
pub fn new_intent_d() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// `true` for the `d` shape we send: exactly 16 lowercase hex characters.
pub fn is_reference_d(d: &str) -> bool {
    d.len() == 16
        && d.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---------------------------------------------------------------------------------------------
// Geohash helpers.
// ---------------------------------------------------------------------------------------------

/// The rule a geohash typed by a user breaks, if any: empty, longer than 12 characters, or a
/// character outside the lowercase base32 alphabet (the typed twin of [`validate_geohash`]).
pub fn geohash_rule(g: &str) -> Option<crate::rules::Rule> {
    use crate::rules::{Format, Rule};
    if g.is_empty() {
        return Some(Rule::Required);
    }
    if g.chars().count() > MAX_GEOHASH_LEN {
        return Some(Rule::TooLong {
            max: crate::rules::count(MAX_GEOHASH_LEN),
        });
    }
    if g.chars().any(|c| !GEOHASH_ALPHABET.contains(c)) {
        return Some(Rule::BadFormat {
            format: Format::Geohash,
        });
    }
    None
}

/// Checks a geohash: 1..=12 characters of the lowercase base32 alphabet.
pub fn validate_geohash(field: &'static str, g: &str) -> Result<(), ProtocolError> {
    if g.is_empty() {
        return Err(ProtocolError::field(field, "geohash is empty"));
    }
    if g.len() > MAX_GEOHASH_LEN {
        return Err(ProtocolError::TooLarge {
            field,
            actual: g.len(),
            limit: MAX_GEOHASH_LEN,
        });
    }
    if let Some(c) = g.chars().find(|c| !GEOHASH_ALPHABET.contains(*c)) {
        return Err(ProtocolError::field(
            field,
            format!(
                "`{}` has `{}` outside the geohash alphabet {GEOHASH_ALPHABET}",
                excerpt(g),
                c.escape_default()
            ),
        ));
    }
    Ok(())
}

/// Encodes a coordinate as a geohash of `precision` characters (1..=12).
pub fn encode_geohash(lat: f64, lon: f64, precision: usize) -> Result<String, ProtocolError> {
    geohash::encode(geohash::Coord { x: lon, y: lat }, precision)
        .map_err(|e| ProtocolError::field("geohash", e.to_string()))
}

/// Every prefix of `geohash` of length 1..=`precision` (shortest first): the `g` tag values.
pub fn geohash_prefixes(geohash: &str, precision: usize) -> Result<Vec<String>, ProtocolError> {
    validate_geohash("geohash", geohash)?;
    if !(1..=MAX_G_PRECISION).contains(&precision) {
        return Err(ProtocolError::field(
            "g_precision",
            format!("{precision} is outside 1..={MAX_G_PRECISION}"),
        ));
    }
    let n = precision.min(geohash.len());
    // The alphabet is ASCII, so every byte index is a char boundary.
    Ok((1..=n)
        .filter_map(|i| geohash.get(..i))
        .map(String::from)
        .collect())
}

/// The cells to query so nothing across a cell boundary is missed: `center` plus every ring of
/// neighbours up to `radius_cells` (1 → the 3×3 block, 2 → 5×5, …), center first, then ring by
/// ring, without duplicates (cells near the poles and the antimeridian wrap onto each other).
pub fn geohash_cover(center: &str, radius_cells: u32) -> Result<Vec<String>, ProtocolError> {
    validate_geohash("geohash", center)?;
    if radius_cells > MAX_COVER_RADIUS {
        return Err(ProtocolError::field(
            "radius_cells",
            format!("{radius_cells} is above the limit {MAX_COVER_RADIUS}"),
        ));
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = vec![center.to_string()];
    seen.insert(center.to_string());
    let mut frontier = vec![center.to_string()];
    for _ in 0..radius_cells {
        let mut next = Vec::new();
        for cell in &frontier {
            let n = geohash::neighbors(cell)
                .map_err(|e| ProtocolError::field("geohash", e.to_string()))?;
            for c in [n.n, n.ne, n.e, n.se, n.s, n.sw, n.w, n.nw] {
                if seen.insert(c.clone()) {
                    out.push(c.clone());
                    next.push(c);
                }
            }
        }
        frontier = next;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Building.
// ---------------------------------------------------------------------------------------------

/// Checks a `t` value we send: 1..=64 characters of `[a-z0-9_-]`.
fn validate_topic_for_send(field: &'static str, t: &str) -> Result<(), ProtocolError> {
    if t.is_empty() {
        return Err(ProtocolError::field(field, "is empty"));
    }
    if t.chars().count() > MAX_TOPIC_CHARS {
        return Err(ProtocolError::TooLarge {
            field,
            actual: t.chars().count(),
            limit: MAX_TOPIC_CHARS,
        });
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(ProtocolError::field(
            field,
            format!("`{}` has characters outside [a-z0-9_-]", excerpt(t)),
        ));
    }
    Ok(())
}

fn check_title(title: &str) -> Result<(), ProtocolError> {
    let n = title.chars().count();
    if n > limits::MAX_TITLE_CHARS {
        return Err(ProtocolError::TooLarge {
            field: "title",
            actual: n,
            limit: limits::MAX_TITLE_CHARS,
        });
    }
    Ok(())
}

fn check_window(w: &TimeWindow) -> Result<(), ProtocolError> {
    if w.start > w.end {
        return Err(ProtocolError::field(
            "window",
            format!("start {} is after end {}", w.start, w.end),
        ));
    }
    Ok(())
}

fn check_flex(flex: u32) -> Result<(), ProtocolError> {
    if flex > MAX_FLEX_MINUTES {
        return Err(ProtocolError::field(
            "flex_minutes",
            format!("{flex} is above the limit {MAX_FLEX_MINUTES}"),
        ));
    }
    Ok(())
}

/// The canonical content object, in the reference key order.
#[allow(clippy::too_many_arguments)]
fn intent_content(
    side: Side,
    market: &str,
    schema: &str,
    title: &str,
    payload: Value,
    window: Option<&TimeWindow>,
    flex_minutes: Option<u32>,
    expires_at: u64,
) -> Result<String, ProtocolError> {
    let mut m = Map::new();
    m.insert("v".into(), Value::from(super::VERSION));
    m.insert("side".into(), Value::from(side.as_str()));
    m.insert("market".into(), Value::from(market));
    m.insert("schema".into(), Value::from(schema));
    m.insert("title".into(), Value::from(title));
    m.insert("payload".into(), payload);
    if let Some(w) = window {
        let mut wm = Map::new();
        wm.insert("start".into(), Value::from(w.start));
        wm.insert("end".into(), Value::from(w.end));
        m.insert("window".into(), Value::Object(wm));
    }
    if let Some(f) = flex_minutes {
        m.insert("flex_minutes".into(), Value::from(f));
    }
    m.insert("expires_at".into(), Value::from(expires_at));
    let content = Value::Object(m).to_string();
    if content.len() > limits::MAX_CONTENT_BYTES {
        return Err(ProtocolError::TooLarge {
            field: "content",
            actual: content.len(),
            limit: limits::MAX_CONTENT_BYTES,
        });
    }
    Ok(content)
}

/// Our capability tag on intents (additive; the reference ignores unknown tags):
/// `["caps", "nip17", "accept2"]`.
pub const CAPS_TAG: &str = "caps";
/// Capability: this client reads NIP-17 gift wraps (send it gift wraps, never NIP-04).
pub const CAP_NIP17: &str = "nip17";
/// Capability: this client confirms a deal only when both sides accepted the same terms (our
/// negotiation), rather than on a single accept (the reference).
pub const CAP_DOUBLE_ACCEPT: &str = "accept2";
/// What our intents advertise.
pub const OUR_CAPS: [&str; 2] = [CAP_NIP17, CAP_DOUBLE_ACCEPT];
/// Most capability values read from one tag.
pub const MAX_CAPS: usize = 16;

/// The capabilities an intent's `caps` tag advertises: lowercase words of at most 32 characters
/// from the first `caps` tag (anything else is ignored: a newer client may add words).
fn parse_caps(event: &Event) -> Vec<String> {
    first_tag(event, CAPS_TAG)
        .map(|values| {
            values
                .iter()
                .filter(|w| {
                    !w.is_empty()
                        && w.len() <= 32
                        && w.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                        })
                })
                .take(MAX_CAPS)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Tags in the reference order: `d`, `t` market, `expiration`, `freeport`, `g`…, `t` topics…,
/// then our additive `caps` tag.
fn intent_tags(
    d: &str,
    market: &str,
    expires_at: u64,
    geohashes: &[String],
    topics: &[String],
) -> Vec<Tag> {
    let mut tags = Vec::with_capacity(4 + geohashes.len() + topics.len());
    tags.push(Tag::identifier(d));
    tags.push(Tag::custom(TagKind::custom("t"), [market]));
    tags.push(Tag::expiration(Timestamp::from(expires_at)));
    tags.push(Tag::custom(TagKind::custom("freeport"), ["1"]));
    for g in geohashes {
        tags.push(Tag::custom(TagKind::custom("g"), [g.as_str()]));
    }
    for t in topics {
        tags.push(Tag::custom(TagKind::custom("t"), [t.as_str()]));
    }
    tags.push(Tag::custom(TagKind::custom(CAPS_TAG), OUR_CAPS));
    tags
}

/// Builds the unsigned intent event. `d` must be 16 lowercase hex characters (see
/// [`new_intent_d`]); reuse the same `d` to replace an intent. The payload is validated against
/// the market schema, and the draft is checked against every rule [`parse_intent`] enforces, so
/// what we send is what we (and the reference) accept.
pub fn build_intent(
    draft: &IntentDraft,
    d: &str,
    created_at: Timestamp,
) -> Result<EventBuilder, ProtocolError> {
    if !is_reference_d(d) {
        return Err(ProtocolError::tag(
            "d",
            format!("`{}` is not 16 lowercase hex characters", excerpt(d)),
        ));
    }
    validate_topic_for_send("market", &draft.market)?;
    check_title(&draft.title)?;
    if draft.title.trim().is_empty() {
        return Err(ProtocolError::field("title", "is empty"));
    }
    let registry = market::builtin();
    let Some(market) = registry.by_schema(&draft.schema) else {
        return Err(ProtocolError::field(
            "schema",
            format!("`{}` is not a known market schema", excerpt(&draft.schema)),
        ));
    };
    if let Some(by_topic) = registry.by_topic(&draft.market)
        && by_topic.schema() != draft.schema
    {
        return Err(ProtocolError::Mismatch {
            a: "schema",
            a_value: excerpt(&draft.schema),
            b: "market",
            b_value: format!("{} uses {}", draft.market, by_topic.schema()),
        });
    }
    if !draft.payload.is_object() {
        return Err(ProtocolError::field(
            "payload",
            format!("must be an object, found {}", json_type(&draft.payload)),
        ));
    }
    if is_withdrawal_payload(&draft.payload, &draft.title) {
        return Err(ProtocolError::field(
            "payload",
            "looks like a withdrawal; use build_withdrawal",
        ));
    }
    market.validate_payload(&draft.payload)?;
    if let Some(w) = &draft.window {
        check_window(w)?;
    }
    if let Some(f) = draft.flex_minutes {
        check_flex(f)?;
    }
    if draft.expires_at <= created_at.as_secs() {
        return Err(ProtocolError::field(
            "expires_at",
            format!(
                "{} is not after created_at {}",
                draft.expires_at,
                created_at.as_secs()
            ),
        ));
    }
    let geohashes = match &draft.geohash {
        Some(g) => geohash_prefixes(g, draft.g_precision)?,
        None => Vec::new(),
    };
    if draft.topics.len() > MAX_TOPICS {
        return Err(ProtocolError::TooLarge {
            field: "topics",
            actual: draft.topics.len(),
            limit: MAX_TOPICS,
        });
    }
    let mut seen: HashSet<&str> = HashSet::from([draft.market.as_str()]);
    for t in &draft.topics {
        validate_topic_for_send("topics", t)?;
        if !seen.insert(t.as_str()) {
            return Err(ProtocolError::field(
                "topics",
                format!("`{t}` is listed twice or repeats the market"),
            ));
        }
    }
    let content = intent_content(
        draft.side,
        &draft.market,
        &draft.schema,
        &draft.title,
        draft.payload.clone(),
        draft.window.as_ref(),
        draft.flex_minutes,
        draft.expires_at,
    )?;
    Ok(EventBuilder::new(Kind::Custom(draft.side.kind()), content)
        .tags(intent_tags(
            d,
            &draft.market,
            draft.expires_at,
            &geohashes,
            &draft.topics,
        ))
        .custom_created_at(created_at))
}

/// Builds the withdrawal of `original` with the reference semantics: same `d`, side, market,
/// schema, `g` and topics; title `(withdrawn)`, payload `{"withdrawn":true}`, expiring
/// [`WITHDRAWAL_TTL_SECS`] later. `created_at` is `now`, or one second after the original if
/// the clock is behind it, so relays keep the withdrawal as the newest version. Sign it with
/// the original author's keys.
pub fn build_withdrawal(original: &Intent, now: Timestamp) -> Result<EventBuilder, ProtocolError> {
    let created_at = now
        .as_secs()
        .max(original.created_at.as_secs().saturating_add(1));
    let expires_at = created_at
        .checked_add(WITHDRAWAL_TTL_SECS)
        .ok_or_else(|| ProtocolError::field("expires_at", "overflows"))?;
    let mut payload = Map::new();
    payload.insert("withdrawn".into(), Value::Bool(true));
    let content = intent_content(
        original.side,
        &original.market,
        &original.schema,
        WITHDRAWN_TITLE,
        Value::Object(payload),
        None,
        None,
        expires_at,
    )?;
    Ok(
        EventBuilder::new(Kind::Custom(original.side.kind()), content)
            .tags(intent_tags(
                &original.d,
                &original.market,
                expires_at,
                &original.geohashes,
                &original.topics,
            ))
            .custom_created_at(Timestamp::from(created_at)),
    )
}

// ---------------------------------------------------------------------------------------------
// Parsing.
// ---------------------------------------------------------------------------------------------

/// A parsed, valid intent. (Signature verification happens before parsing, in the relay/store
/// pipeline.)
#[derive(Debug, Clone, PartialEq)]
pub struct Intent {
    /// Event id.
    pub id: EventId,
    /// Author (the intent owner).
    pub author: PublicKey,
    /// Event creation time.
    pub created_at: Timestamp,
    /// Offer or request (from the kind, checked against `side`).
    pub side: Side,
    /// The `d` identifier.
    pub d: String,
    /// Market topic (first `t` tag, equal to `market`).
    pub market: String,
    /// Payload schema identifier.
    pub schema: String,
    /// Title.
    pub title: String,
    /// Payload object (validated when the schema is known and the intent is not withdrawn).
    pub payload: Map<String, Value>,
    /// Optional time window.
    pub window: Option<TimeWindow>,
    /// Optional flexibility in minutes.
    pub flex_minutes: Option<u32>,
    /// Expiry (equal to the `expiration` tag).
    pub expires_at: u64,
    /// The `g` tag values, shortest first: prefixes of one location.
    pub geohashes: Vec<String>,
    /// Extra `t` topics after the market.
    pub topics: Vec<String>,
    /// Capabilities the author's client advertises (`caps` tag; empty for the reference).
    pub caps: Vec<String>,
}

impl Intent {
    /// `true` when the author's client advertises capability `cap` (see [`CAPS_TAG`]).
    pub fn has_cap(&self, cap: &str) -> bool {
        self.caps.iter().any(|c| c == cap)
    }

    /// `true` if this is a withdrawal: payload `{"withdrawn":true}`, or the `{}` payload with
    /// title `(withdrawn)` that some reference code sends.
    pub fn is_withdrawn(&self) -> bool {
        is_withdrawal_map(&self.payload, &self.title)
    }

    /// The most precise location geohash (the longest `g` tag), if any.
    pub fn geohash(&self) -> Option<&str> {
        self.geohashes.last().map(String::as_str)
    }

    /// The payload as a JSON value.
    pub fn payload_value(&self) -> Value {
        Value::Object(self.payload.clone())
    }
}

/// Both withdrawal shapes the reference sends: `{"withdrawn":true}`, or `{}` titled `(withdrawn)`.
fn is_withdrawal_map(payload: &Map<String, Value>, title: &str) -> bool {
    matches!(payload.get("withdrawn"), Some(Value::Bool(true)))
        || (payload.is_empty() && title == WITHDRAWN_TITLE)
}

fn is_withdrawal_payload(payload: &Value, title: &str) -> bool {
    matches!(payload, Value::Object(m) if is_withdrawal_map(m, title))
}

/// Checks a `t` value we read: 1..=64 characters, no whitespace or control characters.
fn validate_topic_on_read(t: &str) -> Result<(), ProtocolError> {
    let n = t.chars().count();
    if n == 0 {
        return Err(ProtocolError::tag("t", "is empty"));
    }
    if n > MAX_TOPIC_CHARS {
        return Err(ProtocolError::TooLarge {
            field: "t",
            actual: n,
            limit: MAX_TOPIC_CHARS,
        });
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ProtocolError::tag(
            "t",
            format!("`{}` contains whitespace or control characters", excerpt(t)),
        ));
    }
    Ok(())
}

/// Reads a non-negative whole number; `1.0` counts as `1`, `1.5` does not.
fn whole_number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.fract() == 0.0 && *f >= 0.0 && *f <= 9.0e15)
                .map(|f| f as u64)
        }),
        _ => None,
    }
}

fn parse_window(v: &Value) -> Result<TimeWindow, ProtocolError> {
    let Value::Object(w) = v else {
        return Err(ProtocolError::field(
            "window",
            format!("must be an object, found {}", json_type(v)),
        ));
    };
    let get = |k: &'static str, field: &'static str| -> Result<u64, ProtocolError> {
        match w.get(k) {
            None | Some(Value::Null) => Err(ProtocolError::MissingField { field }),
            Some(x) => whole_number(x)
                .ok_or_else(|| ProtocolError::field(field, "must be a non-negative integer")),
        }
    };
    let window = TimeWindow {
        start: get("start", "window.start")?,
        end: get("end", "window.end")?,
    };
    check_window(&window)?;
    Ok(window)
}

fn parse_geohash_tags(event: &Event) -> Result<Vec<String>, ProtocolError> {
    let mut gs: Vec<String> = Vec::new();
    for g in tag_values(event, "g") {
        validate_geohash("g", g)?;
        if gs.iter().any(|x| x == g) {
            continue;
        }
        if gs.len() >= MAX_GEOHASH_LEN {
            return Err(ProtocolError::TooLarge {
                field: "g",
                actual: gs.len().saturating_add(1),
                limit: MAX_GEOHASH_LEN,
            });
        }
        gs.push(g.to_string());
    }
    gs.sort_by_key(String::len);
    if let Some(longest) = gs.last()
        && let Some(stray) = gs.iter().find(|g| !longest.starts_with(g.as_str()))
    {
        return Err(ProtocolError::tag(
            "g",
            format!("`{stray}` is not a prefix of `{longest}`: the tags name more than one place"),
        ));
    }
    Ok(gs)
}

/// Parses and validates an intent at time `now` (unix seconds). Refuses the wrong kind, content
/// that is not a JSON object or is over 64 KiB, `v` ≠ 1, a `side` that does not match the kind,
/// a first `t` tag that differs from `market`, an `expiration` tag that differs from
/// `expires_at`, an expired intent, a title over 200 characters, missing tags or fields, `g`
/// tags that are not geohash prefixes of one place, an inverted window, and (when the schema is
/// known and the intent is not a withdrawal) a payload the market schema rejects. Unknown JSON
/// fields and unknown markets are tolerated.
pub fn parse_intent(event: &Event, now: Timestamp) -> Result<Intent, ProtocolError> {
    let kind = event.kind.as_u16();
    let Some(kind_side) = Side::from_kind(kind) else {
        return Err(ProtocolError::WrongKind {
            found: kind,
            expected: "an intent (32101 or 32102)",
        });
    };
    check_tag_count(event)?;

    // Tags.
    let d = first_tag_value(event, "d").ok_or(ProtocolError::MissingTag { tag: "d" })?;
    validate_d(d)?;
    let mut t_values = tag_values(event, "t");
    let tag_market = t_values
        .next()
        .ok_or(ProtocolError::MissingTag { tag: "t" })?;
    validate_topic_on_read(tag_market)?;
    let mut topics: Vec<String> = Vec::new();
    for t in t_values {
        validate_topic_on_read(t)?;
        if t != tag_market && !topics.iter().any(|x| x == t) {
            topics.push(t.to_string());
        }
    }
    let exp_tag = first_tag_value(event, "expiration")
        .ok_or(ProtocolError::MissingTag { tag: "expiration" })?;
    let exp_from_tag: u64 = exp_tag.parse().map_err(|_| {
        ProtocolError::tag(
            "expiration",
            format!("`{}` is not unix seconds", excerpt(exp_tag)),
        )
    })?;
    match first_tag(event, "freeport") {
        None => return Err(ProtocolError::MissingTag { tag: "freeport" }),
        Some(v) if v.first().map(String::as_str) == Some("1") => {}
        Some(v) => {
            return Err(ProtocolError::tag(
                "freeport",
                format!(
                    "version `{}` is not 1",
                    excerpt(v.first().map(String::as_str).unwrap_or(""))
                ),
            ));
        }
    }
    let geohashes = parse_geohash_tags(event)?;

    // Content.
    let map = content_object(&event.content)?;
    check_version(&map)?;
    let side = match req_str(&map, "side")? {
        "offer" => Side::Offer,
        "request" => Side::Request,
        other => {
            return Err(ProtocolError::field(
                "side",
                format!("`{}` is not offer or request", excerpt(other)),
            ));
        }
    };
    if side != kind_side {
        return Err(ProtocolError::Mismatch {
            a: "side",
            a_value: side.as_str().into(),
            b: "kind",
            b_value: kind.to_string(),
        });
    }
    let market = req_str(&map, "market")?;
    if market != tag_market {
        return Err(ProtocolError::Mismatch {
            a: "market",
            a_value: excerpt(market),
            b: "t",
            b_value: excerpt(tag_market),
        });
    }
    let schema = req_str(&map, "schema")?;
    if schema.is_empty() {
        return Err(ProtocolError::field("schema", "is empty"));
    }
    if schema.chars().count() > MAX_SCHEMA_CHARS {
        return Err(ProtocolError::TooLarge {
            field: "schema",
            actual: schema.chars().count(),
            limit: MAX_SCHEMA_CHARS,
        });
    }
    let title = req_str(&map, "title")?;
    check_title(title)?;
    let payload = match map.get("payload") {
        None | Some(Value::Null) => return Err(ProtocolError::MissingField { field: "payload" }),
        Some(Value::Object(p)) => p,
        Some(other) => {
            return Err(ProtocolError::field(
                "payload",
                format!("must be an object, found {}", json_type(other)),
            ));
        }
    };
    let window = match map.get("window") {
        None | Some(Value::Null) => None,
        Some(w) => Some(parse_window(w)?),
    };
    let flex_minutes = match map.get("flex_minutes") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let f = whole_number(v)
                .and_then(|f| u32::try_from(f).ok())
                .ok_or_else(|| {
                    ProtocolError::field("flex_minutes", "must be a whole non-negative number")
                })?;
            check_flex(f)?;
            Some(f)
        }
    };
    let expires_at = req_u64(&map, "expires_at")?;
    if expires_at != exp_from_tag {
        return Err(ProtocolError::Mismatch {
            a: "expires_at",
            a_value: expires_at.to_string(),
            b: "expiration",
            b_value: exp_from_tag.to_string(),
        });
    }
    if expires_at <= now.as_secs() {
        return Err(ProtocolError::Expired {
            expires_at,
            now: now.as_secs(),
        });
    }

    let payload_value = Value::Object(payload.clone());
    if !is_withdrawal_payload(&payload_value, title)
        && let Some(m) = market::builtin().by_schema(schema)
    {
        m.validate_payload(&payload_value)?;
    }
    let Value::Object(payload) = payload_value else {
        return Err(ProtocolError::field("payload", "must be an object"));
    };

    Ok(Intent {
        id: event.id,
        author: event.pubkey,
        created_at: event.created_at,
        side,
        d: d.to_string(),
        market: market.to_string(),
        schema: schema.to_string(),
        title: title.to_string(),
        payload,
        window,
        flex_minutes,
        expires_at,
        geohashes,
        topics,
        caps: parse_caps(event),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::{JsonUtil, Keys};
    use serde_json::json;

    const NOW: u64 = 1_750_000_000;

    /// A mutation of a valid draft, and why the result must be refused.
    type DraftCase = (Box<dyn Fn(&mut IntentDraft)>, &'static str);
    /// A mutation of valid content, and why the result must be refused.
    type ContentCase = (Box<dyn Fn(&mut Value)>, &'static str);

    fn ride_payload() -> Value {
        json!({
            "from": {"name": "Hoan Kiem", "geohash": "w7er8u"},
            "to": {"name": "Noi Bai", "geohash": "w7g2p1"},
            "payment": "VND 250000"
        })
    }

    fn draft() -> IntentDraft {
        let m = market::builtin().by_topic("sg-rideshare").unwrap();
        let mut d = IntentDraft::for_market(
            Side::Offer,
            m,
            "Hanoi → airport, 2 seats",
            ride_payload(),
            Timestamp::from(NOW),
        );
        d.window = Some(TimeWindow {
            start: NOW + 3600,
            end: NOW + 7200,
        });
        d.flex_minutes = Some(15);
        d.geohash = Some("w7er8u".into());
        d.topics = vec!["vn_hanoi".into(), "vn_hanoi_ridesharing".into()];
        d
    }

    fn sign(b: EventBuilder) -> (Keys, Event) {
        let k = Keys::generate();
        let e = b.sign_with_keys(&k).unwrap();
        (k, e)
    }

    /// A signed event with raw tags and content, for malformed-input tests.
    fn raw(kind: u16, tags: &[Vec<String>], content: &str) -> Event {
        let tags: Vec<Tag> = tags
            .iter()
            .map(|t| Tag::parse(t.clone()).unwrap())
            .collect();
        EventBuilder::new(Kind::Custom(kind), content)
            .tags(tags)
            .custom_created_at(Timestamp::from(NOW))
            .sign_with_keys(&Keys::generate())
            .unwrap()
    }

    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn good_tags() -> Vec<Vec<String>> {
        let exp = (NOW + 3600).to_string();
        vec![
            t(&["d", "0123456789abcdef"]),
            t(&["t", "sg-rideshare"]),
            t(&["expiration", &exp]),
            t(&["freeport", "1"]),
            t(&["g", "w"]),
            t(&["g", "w7"]),
        ]
    }

    fn good_content() -> Value {
        json!({
            "v": 1, "side": "offer", "market": "sg-rideshare", "schema": "rideshare/1",
            "title": "Ride", "payload": ride_payload(), "expires_at": NOW + 3600
        })
    }

    #[test]
    fn build_matches_reference_layout_and_round_trips() {
        let d = new_intent_d();
        let (keys, ev) = sign(build_intent(&draft(), &d, Timestamp::from(NOW)).unwrap());
        assert_eq!(ev.kind.as_u16(), 32101);
        let tags: Vec<Vec<String>> = ev.tags.iter().map(|t| t.as_slice().to_vec()).collect();
        let exp = (NOW + 86400).to_string();
        assert_eq!(
            tags,
            vec![
                t(&["d", &d]),
                t(&["t", "sg-rideshare"]),
                t(&["expiration", &exp]),
                t(&["freeport", "1"]),
                t(&["g", "w"]),
                t(&["g", "w7"]),
                t(&["g", "w7e"]),
                t(&["g", "w7er"]),
                t(&["g", "w7er8"]),
                t(&["t", "vn_hanoi"]),
                t(&["t", "vn_hanoi_ridesharing"]),
                t(&["caps", "nip17", "accept2"]),
            ]
        );
        // Content keys in the reference order.
        let keys_in_order: Vec<String> = serde_json::from_str::<Map<String, Value>>(&ev.content)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys_in_order,
            [
                "v",
                "side",
                "market",
                "schema",
                "title",
                "payload",
                "window",
                "flex_minutes",
                "expires_at"
            ]
        );
        let parsed = parse_intent(&ev, Timestamp::from(NOW)).unwrap();
        assert_eq!(parsed.author, keys.public_key());
        assert_eq!(parsed.id, ev.id);
        assert_eq!(parsed.d, d);
        assert_eq!(parsed.side, Side::Offer);
        assert_eq!(parsed.market, "sg-rideshare");
        assert_eq!(parsed.schema, "rideshare/1");
        assert_eq!(parsed.window, draft().window);
        assert_eq!(parsed.flex_minutes, Some(15));
        assert_eq!(parsed.expires_at, NOW + 86400);
        assert_eq!(parsed.geohash(), Some("w7er8"));
        assert_eq!(parsed.geohashes.len(), 5);
        assert_eq!(parsed.topics, ["vn_hanoi", "vn_hanoi_ridesharing"]);
        assert_eq!(parsed.payload_value(), ride_payload());
        assert!(!parsed.is_withdrawn());
        // The JSON form survives a relay round trip.
        let back = Event::from_json(ev.as_json()).unwrap();
        assert_eq!(parse_intent(&back, Timestamp::from(NOW)).unwrap(), parsed);
    }

    #[test]
    fn request_side_uses_kind_32102_and_minimal_fields() {
        let mut dr = draft();
        dr.side = Side::Request;
        dr.window = None;
        dr.flex_minutes = None;
        dr.geohash = None;
        dr.topics.clear();
        let (_, ev) = sign(build_intent(&dr, "ffffffffffffffff", Timestamp::from(NOW)).unwrap());
        assert_eq!(ev.kind.as_u16(), 32102);
        assert_eq!(ev.tags.len(), 5);
        assert!(!ev.content.contains("window") && !ev.content.contains("flex_minutes"));
        let p = parse_intent(&ev, Timestamp::from(NOW)).unwrap();
        assert_eq!(p.side, Side::Request);
        assert!(p.geohashes.is_empty() && p.geohash().is_none());
    }

    #[test]
    fn g_precision_is_respected_and_capped() {
        assert_eq!(
            geohash_prefixes("w7er8u9x", 9).unwrap(),
            [
                "w", "w7", "w7e", "w7er", "w7er8", "w7er8u", "w7er8u9", "w7er8u9x"
            ]
        );
        assert_eq!(geohash_prefixes("w7er8u", 1).unwrap(), ["w"]);
        assert!(geohash_prefixes("w7er8u", 0).is_err());
        assert!(geohash_prefixes("w7er8u", 10).is_err());
        let mut dr = draft();
        dr.g_precision = 6;
        let (_, ev) = sign(build_intent(&dr, "0000000000000001", Timestamp::from(NOW)).unwrap());
        let p = parse_intent(&ev, Timestamp::from(NOW)).unwrap();
        assert_eq!(p.geohash(), Some("w7er8u"));
    }

    #[test]
    fn withdrawal_has_reference_semantics() {
        let (keys, ev) =
            sign(build_intent(&draft(), "0123456789abcdef", Timestamp::from(NOW)).unwrap());
        let original = parse_intent(&ev, Timestamp::from(NOW)).unwrap();
        let later = Timestamp::from(NOW + 100);
        let w = build_withdrawal(&original, later)
            .unwrap()
            .sign_with_keys(&keys)
            .unwrap();
        assert_eq!(w.kind, ev.kind);
        assert_eq!(w.created_at, later);
        let p = parse_intent(&w, later).unwrap();
        assert!(p.is_withdrawn());
        assert_eq!(p.d, original.d);
        assert_eq!(p.title, WITHDRAWN_TITLE);
        assert_eq!(p.payload_value(), json!({"withdrawn": true}));
        assert_eq!(p.expires_at, NOW + 100 + WITHDRAWAL_TTL_SECS);
        assert_eq!(p.geohashes, original.geohashes);
        assert_eq!(p.topics, original.topics);
        assert!(p.window.is_none());
        // A clock behind the original still yields a newer version.
        let w2 = build_withdrawal(&original, Timestamp::from(NOW - 50))
            .unwrap()
            .sign_with_keys(&keys)
            .unwrap();
        assert_eq!(w2.created_at.as_secs(), NOW + 1);
        // The withdrawal is itself expired after its TTL.
        assert!(matches!(
            parse_intent(&w, Timestamp::from(NOW + 100 + WITHDRAWAL_TTL_SECS)),
            Err(ProtocolError::Expired { .. })
        ));
    }

    #[test]
    fn empty_payload_withdrawal_variant_is_recognised() {
        let mut c = good_content();
        c["title"] = json!("(withdrawn)");
        c["payload"] = json!({});
        let p = parse_intent(
            &raw(32101, &good_tags(), &c.to_string()),
            Timestamp::from(NOW),
        )
        .unwrap();
        assert!(p.is_withdrawn());
        // `{}` with an ordinary title is no withdrawal, and fails the rideshare schema.
        c["title"] = json!("Ride");
        assert!(
            parse_intent(
                &raw(32101, &good_tags(), &c.to_string()),
                Timestamp::from(NOW)
            )
            .is_err()
        );
        // `withdrawn: false` is not a withdrawal either.
        c["payload"] = ride_payload();
        c["payload"]["withdrawn"] = json!(false);
        let p = parse_intent(
            &raw(32101, &good_tags(), &c.to_string()),
            Timestamp::from(NOW),
        )
        .unwrap();
        assert!(!p.is_withdrawn());
    }

    #[test]
    fn build_refuses_invalid_drafts() {
        let now = Timestamp::from(NOW);
        let d = "0123456789abcdef";
        let cases: Vec<DraftCase> = vec![
            (
                Box::new(|x| x.schema = "rideshare/9".into()),
                "unknown schema",
            ),
            (
                Box::new(|x| x.schema = "service/1".into()),
                "schema vs market",
            ),
            (
                Box::new(|x| x.payload = json!({"from": {"name": "A"}})),
                "payload schema",
            ),
            (Box::new(|x| x.payload = json!([1])), "payload not object"),
            (
                Box::new(|x| x.payload = json!({"withdrawn": true})),
                "withdrawal payload",
            ),
            (Box::new(|x| x.title = "x".repeat(201)), "title too long"),
            (Box::new(|x| x.title = "  ".into()), "title empty"),
            (
                Box::new(|x| x.market = "SG Rideshare".into()),
                "market charset",
            ),
            (Box::new(|x| x.market = String::new()), "market empty"),
            (
                Box::new(|x| x.window = Some(TimeWindow { start: 5, end: 4 })),
                "window",
            ),
            (
                Box::new(|x| x.flex_minutes = Some(MAX_FLEX_MINUTES + 1)),
                "flex",
            ),
            (
                Box::new(|x| x.expires_at = NOW),
                "expiry not after created_at",
            ),
            (
                Box::new(|x| x.geohash = Some("w7er8a".into())),
                "geohash alphabet",
            ),
            (
                Box::new(|x| x.geohash = Some(String::new())),
                "geohash empty",
            ),
            (Box::new(|x| x.g_precision = 0), "precision 0"),
            (Box::new(|x| x.g_precision = 10), "precision 10"),
            (
                Box::new(|x| x.topics = vec!["vn hanoi".into()]),
                "topic charset",
            ),
            (
                Box::new(|x| x.topics = vec!["a".into(), "a".into()]),
                "topic duplicate",
            ),
            (
                Box::new(|x| x.topics = vec!["sg-rideshare".into()]),
                "topic repeats market",
            ),
            (
                Box::new(|x| x.topics = (0..=MAX_TOPICS).map(|i| format!("t{i}")).collect()),
                "too many topics",
            ),
            (
                Box::new(|x| x.payload["pad"] = json!("n".repeat(70_000))),
                "payload too large",
            ),
        ];
        for (mutate, why) in cases {
            let mut dr = draft();
            mutate(&mut dr);
            assert!(build_intent(&dr, d, now).is_err(), "built: {why}");
        }
        for bad_d in [
            "",
            "0123456789ABCDEF",
            "0123456789abcde",
            "0123456789abcdefa",
            "plain-d",
        ] {
            assert!(matches!(
                build_intent(&draft(), bad_d, now),
                Err(ProtocolError::InvalidTag { tag: "d", .. })
            ));
        }
    }

    #[test]
    fn content_over_64_kib_is_refused_on_parse() {
        let mut c = good_content();
        c["pad"] = json!("x".repeat(limits::MAX_CONTENT_BYTES));
        assert!(matches!(
            parse_intent(
                &raw(32101, &good_tags(), &c.to_string()),
                Timestamp::from(NOW)
            ),
            Err(ProtocolError::TooLarge {
                field: "content",
                ..
            })
        ));
    }

    #[test]
    fn parse_refuses_malformed_content() {
        let now = Timestamp::from(NOW);
        let cases: Vec<ContentCase> = vec![
            (Box::new(|c| c["v"] = json!(2)), "v=2"),
            (Box::new(|c| c["v"] = json!("1")), "v string"),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("v");
                }),
                "no v",
            ),
            (Box::new(|c| c["side"] = json!("request")), "side vs kind"),
            (Box::new(|c| c["side"] = json!("sell")), "side value"),
            (Box::new(|c| c["side"] = json!(1)), "side type"),
            (
                Box::new(|c| c["market"] = json!("sg-service")),
                "market vs t",
            ),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("market");
                }),
                "no market",
            ),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("schema");
                }),
                "no schema",
            ),
            (Box::new(|c| c["schema"] = json!("")), "empty schema"),
            (
                Box::new(|c| c["schema"] = json!("s".repeat(65))),
                "long schema",
            ),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("title");
                }),
                "no title",
            ),
            (
                Box::new(|c| c["title"] = json!("é".repeat(201))),
                "title 201 chars",
            ),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("payload");
                }),
                "no payload",
            ),
            (Box::new(|c| c["payload"] = json!("x")), "payload string"),
            (
                Box::new(|c| c["payload"]["from"]["geohash"] = json!("AB")),
                "payload schema",
            ),
            (
                Box::new(|c| {
                    c.as_object_mut().unwrap().remove("expires_at");
                }),
                "no expires_at",
            ),
            (
                Box::new(|c| c["expires_at"] = json!(NOW + 3601)),
                "expires_at vs tag",
            ),
            (Box::new(|c| c["expires_at"] = json!(-1)), "negative expiry"),
            (
                Box::new(|c| c["window"] = json!({"start": 10, "end": 9})),
                "window inverted",
            ),
            (
                Box::new(|c| c["window"] = json!({"start": 10})),
                "window no end",
            ),
            (Box::new(|c| c["window"] = json!([1, 2])), "window array"),
            (
                Box::new(|c| c["window"] = json!({"start": -5, "end": 9})),
                "window negative",
            ),
            (Box::new(|c| c["flex_minutes"] = json!(-1)), "flex negative"),
            (
                Box::new(|c| c["flex_minutes"] = json!(7.5)),
                "flex fractional",
            ),
            (
                Box::new(|c| c["flex_minutes"] = json!(MAX_FLEX_MINUTES + 1)),
                "flex too big",
            ),
            (Box::new(|c| c["flex_minutes"] = json!("15")), "flex string"),
        ];
        for (mutate, why) in cases {
            let mut c = good_content();
            mutate(&mut c);
            let ev = raw(32101, &good_tags(), &c.to_string());
            assert!(parse_intent(&ev, now).is_err(), "accepted: {why}");
        }
        for bad in ["not json", "[1]", "\"s\"", "{\"v\":1", ""] {
            assert!(matches!(
                parse_intent(&raw(32101, &good_tags(), bad), now),
                Err(ProtocolError::NotJson { .. })
            ));
        }
        // Sanity: the unmodified content is accepted, so each failure above is the mutation's.
        assert!(parse_intent(&raw(32101, &good_tags(), &good_content().to_string()), now).is_ok());
    }

    #[test]
    fn parse_refuses_malformed_tags() {
        let now = Timestamp::from(NOW);
        let content = good_content().to_string();
        let without = |name: &str| -> Vec<Vec<String>> {
            good_tags().into_iter().filter(|t| t[0] != name).collect()
        };
        let replace = |name: &str, v: &[&str]| -> Vec<Vec<String>> {
            good_tags()
                .into_iter()
                .map(|x| if x[0] == name { t(v) } else { x })
                .collect()
        };
        let mut cases: Vec<(Vec<Vec<String>>, &str)> = vec![
            (without("d"), "no d"),
            (without("t"), "no t"),
            (without("expiration"), "no expiration"),
            (without("freeport"), "no freeport"),
            (replace("d", &["d", "has space"]), "bad d"),
            (replace("d", &["d", ""]), "empty d"),
            (replace("t", &["t", "sg-service"]), "t vs market"),
            (
                replace("expiration", &["expiration", "soon"]),
                "expiration text",
            ),
            (
                replace("expiration", &["expiration", "-5"]),
                "expiration negative",
            ),
            (replace("freeport", &["freeport", "2"]), "freeport version"),
            (replace("freeport", &["freeport"]), "freeport no value"),
        ];
        for bad_g in ["W7", "w7a", "", "w7er8u9x0123z"] {
            let mut tags = good_tags();
            tags.push(t(&["g", bad_g]));
            cases.push((tags, "bad g"));
        }
        let mut two_places = good_tags();
        two_places.push(t(&["g", "u4"]));
        cases.push((two_places, "g names two places"));
        let mut flood = good_tags();
        flood.extend((0..limits::MAX_TAGS).map(|i| t(&["x", &i.to_string()])));
        cases.push((flood, "tag flood"));
        let mut topic_space = good_tags();
        topic_space.push(t(&["t", "vn hanoi"]));
        cases.push((topic_space, "topic whitespace"));
        for (tags, why) in cases {
            assert!(
                parse_intent(&raw(32101, &tags, &content), now).is_err(),
                "accepted: {why}"
            );
        }
        // Wrong kinds.
        for k in [1u16, 32100, 32103, 30402] {
            assert!(matches!(
                parse_intent(&raw(k, &good_tags(), &content), now),
                Err(ProtocolError::WrongKind { .. })
            ));
        }
        // The market must be the *first* t tag.
        let mut reordered = without("t");
        reordered.insert(1, t(&["t", "vn_hanoi"]));
        reordered.push(t(&["t", "sg-rideshare"]));
        assert!(matches!(
            parse_intent(&raw(32101, &reordered, &content), now),
            Err(ProtocolError::Mismatch { a: "market", .. })
        ));
    }

    #[test]
    fn expiry_is_checked_against_now() {
        let ev = raw(32101, &good_tags(), &good_content().to_string());
        assert!(parse_intent(&ev, Timestamp::from(NOW + 3599)).is_ok());
        for now in [NOW + 3600, NOW + 3601, u64::MAX] {
            assert_eq!(
                parse_intent(&ev, Timestamp::from(now)),
                Err(ProtocolError::Expired {
                    expires_at: NOW + 3600,
                    now
                })
            );
        }
    }

    #[test]
    fn parse_tolerates_unknown_fields_tags_and_markets() {
        let now = Timestamp::from(NOW);
        let mut c = good_content();
        c["future"] = json!({"x": [1, 2]});
        c["payload"]["future"] = json!(true);
        c["flex_minutes"] = json!(30.0);
        let mut tags = good_tags();
        tags.push(t(&["nonce", "1234", "12"]));
        tags.push(t(&["client", "someone-else"]));
        tags.push(t(&["g", "w7"])); // duplicate g is harmless
        tags.push(t(&["t", "sg-rideshare"])); // market repeated among topics is dropped
        let p = parse_intent(&raw(32101, &tags, &c.to_string()), now).unwrap();
        assert_eq!(p.flex_minutes, Some(30));
        assert_eq!(p.geohashes, ["w", "w7"]);
        assert!(p.topics.is_empty());
        assert!(p.caps.is_empty(), "the reference sends no caps tag");
        // Our caps tag: known words kept, junk ignored, never an error.
        let mut tags = good_tags();
        tags.push(t(&[
            "caps",
            "nip17",
            "NOPE",
            "accept2",
            &"x".repeat(40),
            "future-1",
        ]));
        let p = parse_intent(&raw(32101, &tags, &good_content().to_string()), now).unwrap();
        assert_eq!(p.caps, ["nip17", "accept2", "future-1"]);
        assert!(p.has_cap(CAP_NIP17) && p.has_cap(CAP_DOUBLE_ACCEPT));
        // An unknown market with an unknown schema parses structurally, any payload shape.
        let mut c = good_content();
        c["market"] = json!("vn-tutoring");
        c["schema"] = json!("tutoring/3");
        c["payload"] = json!({"subject": "maths"});
        let tags = replace_t(good_tags(), "vn-tutoring");
        let p = parse_intent(
            &raw(
                32102,
                &tags,
                &c.to_string().replace("\"offer\"", "\"request\""),
            ),
            now,
        )
        .unwrap();
        assert_eq!(p.market, "vn-tutoring");
        assert_eq!(p.payload["subject"], json!("maths"));
    }

    fn replace_t(tags: Vec<Vec<String>>, market: &str) -> Vec<Vec<String>> {
        tags.into_iter()
            .map(|x| if x[0] == "t" { t(&["t", market]) } else { x })
            .collect()
    }

    #[test]
    fn geohash_cover_rings_and_neighbours() {
        let c = "9q60y60rhs";
        let one = geohash_cover(c, 1).unwrap();
        assert_eq!(one.len(), 9);
        assert_eq!(one[0], c);
        for n in [
            "9q60y60rht",
            "9q60y60rhv",
            "9q60y60rhu",
            "9q60y60rhg",
            "9q60y60rhe",
            "9q60y60rh7",
            "9q60y60rhk",
            "9q60y60rhm",
        ] {
            assert!(one.contains(&n.to_string()), "{n}");
        }
        assert_eq!(geohash_cover(c, 0).unwrap(), [c]);
        let two = geohash_cover("w7er8", 2).unwrap();
        assert_eq!(two.len(), 25);
        let uniq: HashSet<&String> = two.iter().collect();
        assert_eq!(uniq.len(), 25);
        assert_eq!(geohash_cover("w7er8", MAX_COVER_RADIUS).unwrap().len(), 81);
        assert!(geohash_cover("w7er8", MAX_COVER_RADIUS + 1).is_err());
        assert!(geohash_cover("w7eR8", 1).is_err());
        assert!(geohash_cover("", 1).is_err());
        // Corner cells at the pole and antimeridian wrap; the result stays duplicate-free.
        for corner in ["b", "z", "0", "p", "zzzz"] {
            let cells = geohash_cover(corner, 2).unwrap();
            let uniq: HashSet<&String> = cells.iter().collect();
            assert_eq!(uniq.len(), cells.len(), "{corner}");
        }
    }

    #[test]
    fn cover_catches_an_intent_across_a_cell_boundary() {
        // Two points 20 m apart on either side of a 5-character cell edge.
        let (lat, lon) = (21.0285, 105.8542);
        let cell = encode_geohash(lat, lon, 5).unwrap();
        let (center, lon_err, _) = geohash::decode(&cell).unwrap();
        let edge = center.x + lon_err;
        let west = encode_geohash(lat, edge - 0.0001, 5).unwrap();
        let east = encode_geohash(lat, edge + 0.0001, 5).unwrap();
        assert_ne!(west, east);
        assert!(geohash_cover(&west, 1).unwrap().contains(&east));
        assert!(geohash_cover(&east, 1).unwrap().contains(&west));
    }

    #[test]
    fn geohash_validation_and_encoding() {
        assert!(validate_geohash("g", "0123456789bcdefghjkmnpqrstuvwxyz"[..12].as_ref()).is_ok());
        for bad in ["a", "i", "l", "o", "W", "w7 ", "ü", "w7er8u9x0bcde"] {
            assert!(validate_geohash("g", bad).is_err(), "{bad}");
        }
        assert_eq!(encode_geohash(37.7749, -122.4194, 5).unwrap(), "9q8yy");
        assert!(encode_geohash(f64::NAN, 0.0, 5).is_err());
        assert!(encode_geohash(91.0, 0.0, 5).is_err());
        assert!(encode_geohash(0.0, 0.0, 13).is_err());
    }

    #[test]
    fn intent_d_is_16_random_lowercase_hex() {
        let a = new_intent_d();
        let b = new_intent_d();
        assert!(is_reference_d(&a) && is_reference_d(&b));
        assert_ne!(a, b);
        assert!(validate_d(&a).is_ok());
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use nostr::Keys;
    use proptest::prelude::*;
    use serde_json::json;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "[a-z0-9 ~\\-]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    const FIELDS: [&str; 10] = [
        "v",
        "side",
        "market",
        "schema",
        "title",
        "payload",
        "window",
        "flex_minutes",
        "expires_at",
        "payload.from",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any field of a valid intent replaced by any JSON value, with random extra tags:
        /// the parser returns Ok or a typed error and never panics.
        #[test]
        fn parse_intent_never_panics(
            field in 0..FIELDS.len(),
            value in json_value(),
            extra in prop::collection::vec(("[a-z]{1,10}", "[a-zA-Z0-9_: -]{0,20}"), 0..6),
            kind in prop_oneof![Just(32101u16), Just(32102u16)],
            now_offset in 0u64..10_000,
        ) {
            let mut c = json!({
                "v": 1, "side": "offer", "market": "sg-rideshare", "schema": "rideshare/1",
                "title": "t", "payload": {"from": {"name": "a", "geohash": "w7"},
                "to": {"name": "b", "geohash": "w8"}}, "expires_at": 2_000_000_000u64
            });
            match FIELDS[field].split_once('.') {
                Some((a, b)) => c[a][b] = value,
                None => c[FIELDS[field]] = value,
            }
            let mut tags = vec![
                Tag::identifier("0123456789abcdef"),
                Tag::custom(TagKind::custom("t"), ["sg-rideshare"]),
                Tag::expiration(Timestamp::from(2_000_000_000)),
                Tag::custom(TagKind::custom("freeport"), ["1"]),
            ];
            for (k, v) in extra {
                tags.push(Tag::custom(TagKind::custom(k), [v]));
            }
            let ev = EventBuilder::new(Kind::Custom(kind), c.to_string())
                .tags(tags)
                .sign_with_keys(&Keys::generate())
                .unwrap();
            let _ = parse_intent(&ev, Timestamp::from(1_999_995_000 + now_offset));
        }

        /// Arbitrary content text never panics any parser.
        #[test]
        fn arbitrary_content_never_panics(content in ".{0,200}") {
            let k = Keys::generate();
            for kind in [0u16, 3, 32101, 32103] {
                let ev = EventBuilder::new(Kind::Custom(kind), content.clone())
                    .sign_with_keys(&k)
                    .unwrap();
                let _ = parse_intent(&ev, Timestamp::from(0));
                let _ = crate::protocol::rating::parse_rating(&ev);
                let _ = crate::protocol::profile::parse_profile(&ev);
                let _ = crate::protocol::follows::parse_follows(&ev);
            }
        }
    }
}
