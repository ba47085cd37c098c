//! Property tests: every Freeport wire type that has a builder and a parser survives
//! build → sign → serialise → parse → verify → parse with every field intact, and the parsers
//! are total on mutations of valid input.
//!
//! Events go through the path the app uses for relay input: NIP-01 JSON text, `Event::from_json`,
//! the ingest gate (size caps, NIP-40, our own id and Schnorr check), then the Freeport parser.
//! Envelopes travel inside a real NIP-17 gift wrap opened with `open_dm`. Keys are random.
//!
//! Mutation properties: a mutated event either fails the gate (signature kept) or, re-signed by a
//! hostile author, is refused by the parser or yields a value that re-builds to an identical
//! value. Each mutation property counts how many mutants parsed, so it cannot pass vacuously.

use std::cell::Cell;
use std::collections::BTreeSet;

use freeport_core::contact::{
    E164, Mask, MaskMatch, PublishedPhone, Salt, commitment, parse_phone, reference_mask,
};
use freeport_core::identity::{parse_public_key, parse_secret_key, to_npub};
use freeport_core::meet::token::{MEET_CODE_CHARS, RETURN_CODE_CHARS, deal_tag};
use freeport_core::meet::{
    Code, MeetContext, MeetPolicy, MeetToken, ReturnToken, countersign, make_meet_code, parse_code,
    verify_return_code, verify_shower_token,
};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::envelope::{
    ContactSalt, Envelope, EnvelopeType, MAX_TEXT_BYTES, Stage, Terms, build_envelope,
    parse_envelope,
};
use freeport_core::protocol::follows::parse_follows;
use freeport_core::protocol::intent::{
    IntentDraft, MAX_FLEX_MINUTES, MAX_G_PRECISION, Side, TimeWindow, build_intent,
    build_withdrawal, parse_intent,
};
use freeport_core::protocol::market;
use freeport_core::protocol::profile::{Profile, build_profile, parse_profile};
use freeport_core::protocol::rating::{RatingDraft, Score, build_rating, parse_rating};
use freeport_core::protocol::receipt::{
    DealTier, MeetNonce, ReceiptDraft, build_receipt, classify, parse_receipt,
};
use freeport_core::relay::IngestLimits;
use freeport_core::relay::ingest::IngestGate;
use freeport_core::relay::transport::{Transport, build_nip17, open_dm};
use nostr::secp256k1::schnorr::Signature;
use nostr::{
    Event, EventBuilder, EventId, JsonUtil, Keys, Kind, PublicKey, SecretKey, Tag, Timestamp,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

const NOW: u64 = 1_750_000_000;

// ---------------------------------------------------------------------------------------------
// The wire: JSON text → Event → ingest gate.
// ---------------------------------------------------------------------------------------------

/// Serialises `e` to NIP-01 JSON, reads it back and admits it through a fresh ingest gate, as
/// relay input is. Returns the event read back.
fn over_the_wire(e: &Event, now: u64) -> Result<Event, String> {
    let text = e.as_json();
    let back = Event::from_json(&text).map_err(|err| format!("from_json: {err}"))?;
    let mut gate = IngestGate::new(IngestLimits::default());
    gate.admit(&back, None, now)
        .map_err(|err| format!("gate: {err}"))?;
    Ok(back)
}

fn sign(b: EventBuilder, keys: &Keys) -> Event {
    b.sign_with_keys(keys).expect("signing with local keys")
}

/// The id a builder would give an event by `author` (no signature needed).
fn unsigned_id(b: EventBuilder, author: PublicKey) -> EventId {
    b.build(author).id()
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

fn keys() -> impl Strategy<Value = Keys> {
    any::<[u8; 32]>().prop_filter_map("valid secret key", |b| {
        SecretKey::from_slice(&b).ok().map(Keys::new)
    })
}

fn two_keys() -> impl Strategy<Value = (Keys, Keys)> {
    (keys(), keys()).prop_filter("distinct parties", |(a, b)| {
        a.public_key() != b.public_key()
    })
}

fn event_id() -> impl Strategy<Value = EventId> {
    any::<[u8; 32]>().prop_map(EventId::from_byte_array)
}

/// Any `d` an intent may carry on read (1..=64 of `[A-Za-z0-9._-]`).
fn any_d() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,64}"
}

/// The `d` we send: 16 lowercase hex.
fn ref_d() -> impl Strategy<Value = String> {
    "[0-9a-f]{16}"
}

fn nego_of(a: &Keys, b: &Keys, d: &str) -> NegoId {
    NegoId::new(d, a.public_key(), b.public_key()).expect("valid nego")
}

/// Unicode text of 1..=`max` characters, control characters and astral planes included, not
/// blank.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 1..=max)
        .prop_map(String::from_iter)
        .prop_filter("not blank", |s| !s.trim().is_empty())
}

/// Mostly printable text with some unicode, 0..=`max` characters.
fn short_text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter),
        2 => proptest::string::string_regex(&format!("[a-zA-Z0-9 ,.€₫đ→日本語😀-]{{0,{max}}}"))
            .expect("regex"),
    ]
}

fn geohash() -> impl Strategy<Value = String> {
    "[0-9bcdefghjkmnpqrstuvwxyz]{1,12}"
}

fn place() -> impl Strategy<Value = Value> {
    (text(200), geohash()).prop_map(|(name, g)| json!({"name": name, "geohash": g}))
}

/// A JSON number: integer or float, as a price or a duration might be written.
fn amount(max: u64) -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..=max).prop_map(Value::from),
        (0..=max.saturating_mul(100)).prop_map(|c| Value::from(c as f64 / 100.0)),
        (0.0..=(max as f64)).prop_map(Value::from),
    ]
}

fn insert_opt(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(k.to_string(), v);
    }
}

fn images() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        prop_oneof![
            "https://img\\.example/[a-z0-9]{1,20}\\.jpg".prop_map(Value::from),
            (text(30)).prop_map(|s| json!({"url": s})),
        ],
        0..=20,
    )
    .prop_map(Value::Array)
}

/// A payload valid against the market schema `schema`.
fn payload(schema: &'static str) -> BoxedStrategy<Value> {
    match schema {
        "rideshare/1" => (
            place(),
            place(),
            prop::option::of(short_text(64)),
            prop::option::of(short_text(120)),
            prop::option::of(short_text(400)),
            prop::option::of(images()),
        )
            .prop_map(|(from, to, category, payment, note, imgs)| {
                let mut m = Map::new();
                m.insert("from".into(), from);
                m.insert("to".into(), to);
                insert_opt(&mut m, "category", category.map(Value::from));
                insert_opt(&mut m, "payment", payment.map(Value::from));
                insert_opt(&mut m, "note", note.map(Value::from));
                insert_opt(&mut m, "images", imgs);
                Value::Object(m)
            })
            .boxed(),
        "service/1" => (
            place(),
            text(200),
            text(64),
            prop::option::of(short_text(64)),
            prop::option::of(short_text(120)),
            prop::option::of(amount(10_080)),
            prop::option::of(short_text(400)),
        )
            .prop_map(|(loc, service, cat, sub, payment, dur, notes)| {
                let mut m = Map::new();
                m.insert("location".into(), loc);
                m.insert("service".into(), Value::from(service));
                m.insert("category".into(), Value::from(cat));
                insert_opt(&mut m, "subcategory", sub.map(Value::from));
                insert_opt(&mut m, "payment", payment.map(Value::from));
                insert_opt(&mut m, "duration_minutes", dur);
                insert_opt(&mut m, "notes", notes.map(Value::from));
                Value::Object(m)
            })
            .boxed(),
        _ => (
            text(200),
            prop::sample::select(vec!["new", "like_new", "good", "fair", "for_parts"]),
            amount(1_000_000_000),
            "[A-Z]{3}",
            place(),
            prop::option::of(short_text(400)),
            prop::option::of(prop::collection::vec(
                "https://img\\.example/[a-z0-9]{1,40}",
                0..=8,
            )),
        )
            .prop_map(|(item, cond, price, cur, loc, notes, photos)| {
                let mut m = Map::new();
                m.insert("item".into(), Value::from(item));
                m.insert("condition".into(), Value::from(cond));
                m.insert("price".into(), price);
                m.insert("currency".into(), Value::from(cur));
                m.insert("location".into(), loc);
                insert_opt(&mut m, "notes", notes.map(Value::from));
                insert_opt(&mut m, "photos", photos.map(|p| json!(p)));
                Value::Object(m)
            })
            .boxed(),
    }
}

fn expiry() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => (NOW + 1)..(NOW + 400 * 86_400),
        1 => (NOW + 1)..=u64::MAX,
        1 => Just(u64::MAX),
    ]
}

fn topic() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,64}"
}

/// A valid intent draft for one of the built-in markets (or an unknown topic that uses a
/// built-in schema), with all optional parts exercised.
fn intent_draft() -> impl Strategy<Value = IntentDraft> {
    let schemas: Vec<&'static str> = vec!["rideshare/1", "service/1", "goods/1"];
    prop::sample::select(schemas).prop_flat_map(|schema| {
        (
            any::<bool>(),
            prop_oneof![3 => Just(None), 1 => topic().prop_map(Some)],
            payload(schema),
            text(200),
            prop::option::of((0u64..=u64::MAX / 2, 0u64..=1_000_000)),
            prop::option::of(0u32..=MAX_FLEX_MINUTES),
            expiry(),
            prop::option::of(geohash()),
            1usize..=MAX_G_PRECISION,
            prop::collection::btree_set(topic(), 0..=6),
        )
            .prop_map(
                move |(offer, custom, payload, title, window, flex, exp, gh, prec, topics)| {
                    let registry = market::builtin();
                    let m = registry.by_schema(schema).expect("built-in market");
                    let market = custom
                        .filter(|t| registry.by_topic(t).is_none())
                        .unwrap_or_else(|| m.topic().to_string());
                    IntentDraft {
                        side: if offer { Side::Offer } else { Side::Request },
                        schema: schema.to_string(),
                        topics: topics.into_iter().filter(|t| *t != market).collect(),
                        market,
                        title,
                        payload,
                        window: window.map(|(start, len)| TimeWindow {
                            start,
                            end: start + len,
                        }),
                        flex_minutes: flex,
                        expires_at: exp,
                        geohash: gh,
                        g_precision: prec,
                    }
                },
            )
    })
}

/// Arbitrary JSON of small depth: the values a peer may put in terms or a hostile relay in
/// a field.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        short_text(20).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Terms with correctly typed known keys and arbitrary extra keys (1..=8 keys).
fn terms() -> impl Strategy<Value = Terms> {
    let known = prop_oneof![
        short_text(60).prop_map(|s| ("payment".to_string(), Value::from(s))),
        short_text(60).prop_map(|s| ("note".to_string(), Value::from(s))),
        short_text(60).prop_map(|s| ("service".to_string(), Value::from(s))),
        place().prop_map(|p| ("from".to_string(), p)),
        place().prop_map(|p| ("to".to_string(), p)),
        place().prop_map(|p| ("location".to_string(), p)),
        (0u64..10_000, 0u64..10_000)
            .prop_map(|(s, l)| ("window".to_string(), json!({"start": s, "end": s + l}))),
        amount(10_080).prop_map(|d| ("duration_minutes".to_string(), d)),
        Just(("note".to_string(), Value::Null)),
    ];
    let extra = ("x_[a-z]{1,10}", json_value());
    prop::collection::vec(prop_oneof![3 => known, 1 => extra], 1..=8)
        .prop_map(|kv| kv.into_iter().fold(Terms::new(), |t, (k, v)| t.with(&k, v)))
}

fn envelope() -> impl Strategy<Value = (Keys, Keys, Envelope)> {
    (
        two_keys(),
        any_d(),
        event_id(),
        prop::sample::select(EnvelopeType::ALL.to_vec()),
        text(200),
        terms(),
        text(120),
        any::<[u8; 32]>(),
        prop::option::of(short_text(100)),
        prop::option::of(short_text(250)),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(any::<char>(), 1..2000),
            0u64..=u64::MAX,
        ),
    )
        .prop_map(
            |(
                (owner, resp),
                d,
                iid,
                kind,
                market,
                terms,
                contact,
                salt,
                pay,
                reason,
                (opt_terms, opt_salt, picked_up, text_chars, ts),
            )| {
                let nego = nego_of(&owner, &resp, &d);
                let mut e = Envelope::new(kind, nego, iid, market, ts);
                e.pay_address = pay;
                e.reason = reason;
                if opt_terms || kind == EnvelopeType::Counter || kind == EnvelopeType::Accept {
                    e.terms = Some(terms);
                }
                match kind {
                    EnvelopeType::Accept => {
                        e.contact = Some(format!("C{contact}"));
                        if opt_salt {
                            e.contact_salt = Some(ContactSalt(salt));
                        }
                    }
                    EnvelopeType::Chat => {
                        let t: String = text_chars.into_iter().collect();
                        let mut cut = t.len().min(MAX_TEXT_BYTES);
                        while !t.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        e.text = Some(t[..cut].to_string());
                    }
                    EnvelopeType::Status => {
                        e.stage = Some(if picked_up {
                            Stage::PickedUp
                        } else {
                            Stage::Completed
                        });
                    }
                    _ => {}
                }
                (owner, resp, e)
            },
        )
}

/// Valid international numbers: known mobile prefixes with random subscriber digits (kept only
/// when the phone-number metadata accepts them).
fn e164() -> impl Strategy<Value = E164> {
    let bases = vec![
        ("+8491", 7usize),
        ("+6591", 6),
        ("+1415", 7),
        ("+447911", 6),
        ("+49151", 8),
        ("+35840", 7),
        ("+33612", 6),
        ("+8190", 8),
        ("+5511", 9),
        ("+91981", 7),
    ];
    (prop::sample::select(bases), any::<u64>()).prop_filter_map(
        "valid for the metadata",
        |((prefix, n), seed)| {
            let digits: String = format!("{seed:020}").chars().rev().take(n).collect();
            parse_phone(&format!("{prefix}{digits}"), None).ok()
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------------------

/// One edit of an event's content object or tags.
#[derive(Debug, Clone)]
enum Mutation {
    DropKey(usize),
    SetKey(usize, Value),
    AddKey(String, Value),
    DropTag(usize),
    DupTag(usize),
    SwapTags(usize, usize),
    SetTagValue(usize, usize, String),
    AddTag(Vec<String>),
    /// Replace the content with text that may not be JSON at all.
    RawContent(String),
    /// Change one character of the content text.
    ContentChar(usize, char),
}

fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_value(),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!(1e300)),
        Just(json!("")),
        Just(json!({})),
        Just(json!([])),
        Just(json!("withdrawn")),
        Just(json!({"withdrawn": true})),
        Just(json!("offer")),
        Just(json!(1)),
        Just(json!(2)),
        Just(json!("a".repeat(2000))),
    ]
}

fn hostile_tag_value() -> impl Strategy<Value = String> {
    prop_oneof![
        short_text(20),
        "[0-9a-f]{64}",
        "[0-9a-f]{32}",
        "[0-9bcdefghjkmnpqrstuvwxyz]{1,13}",
        "[0-9]{1,21}",
        Just(String::new()),
        Just("1".to_string()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tag_name = prop::sample::select(vec![
        "d",
        "p",
        "e",
        "t",
        "g",
        "expiration",
        "freeport",
        "meet",
        "nonce",
        "x",
    ]);
    prop_oneof![
        2 => (0usize..16).prop_map(Mutation::DropKey),
        3 => (0usize..16, hostile_value()).prop_map(|(i, v)| Mutation::SetKey(i, v)),
        1 => ("[a-z_]{1,16}", hostile_value()).prop_map(|(k, v)| Mutation::AddKey(k, v)),
        2 => (0usize..16).prop_map(Mutation::DropTag),
        1 => (0usize..16).prop_map(Mutation::DupTag),
        1 => (0usize..16, 0usize..16).prop_map(|(a, b)| Mutation::SwapTags(a, b)),
        3 => (0usize..16, 0usize..3, hostile_tag_value())
            .prop_map(|(t, p, v)| Mutation::SetTagValue(t, p, v)),
        1 => (tag_name, prop::collection::vec(hostile_tag_value(), 0..3)).prop_map(|(n, mut v)| {
            v.insert(0, n.to_string());
            Mutation::AddTag(v)
        }),
        1 => prop_oneof![short_text(40), Just("null".to_string()), Just("[]".to_string())]
            .prop_map(Mutation::RawContent),
        1 => (0usize..400, any::<char>()).prop_map(|(i, c)| Mutation::ContentChar(i, c)),
    ]
}

/// Content and tags of an event, to edit and re-sign.
#[derive(Debug, Clone)]
struct Parts {
    kind: u16,
    created_at: u64,
    content: String,
    tags: Vec<Vec<String>>,
}

impl Parts {
    fn of(e: &Event) -> Self {
        Self {
            kind: e.kind.as_u16(),
            created_at: e.created_at.as_secs(),
            content: e.content.clone(),
            tags: e.tags.iter().map(|t| t.as_slice().to_vec()).collect(),
        }
    }

    fn apply(&mut self, m: &Mutation) {
        let n_tags = self.tags.len();
        match m {
            Mutation::DropKey(_) | Mutation::SetKey(..) | Mutation::AddKey(..) => {
                let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(&self.content)
                else {
                    return;
                };
                let keys: Vec<String> = map.keys().cloned().collect();
                match m {
                    Mutation::DropKey(i) if !keys.is_empty() => {
                        map.shift_remove(&keys[i % keys.len()]);
                    }
                    Mutation::SetKey(i, v) if !keys.is_empty() => {
                        map.insert(keys[i % keys.len()].clone(), v.clone());
                    }
                    Mutation::AddKey(k, v) => {
                        map.insert(k.clone(), v.clone());
                    }
                    _ => {}
                }
                self.content = Value::Object(map).to_string();
            }
            Mutation::DropTag(i) if n_tags > 0 => {
                self.tags.remove(i % n_tags);
            }
            Mutation::DupTag(i) if n_tags > 0 => {
                let t = self.tags[i % n_tags].clone();
                self.tags.push(t);
            }
            Mutation::SwapTags(a, b) if n_tags > 0 => self.tags.swap(a % n_tags, b % n_tags),
            Mutation::SetTagValue(t, p, v) if n_tags > 0 => {
                let tag = &mut self.tags[t % n_tags];
                let pos = 1 + p % tag.len().max(1);
                if pos < tag.len() {
                    tag[pos] = v.clone();
                } else {
                    tag.push(v.clone());
                }
            }
            Mutation::AddTag(v) => self.tags.push(v.clone()),
            Mutation::RawContent(s) => self.content = s.clone(),
            Mutation::ContentChar(i, c) => {
                let mut chars: Vec<char> = self.content.chars().collect();
                if !chars.is_empty() {
                    let at = i % chars.len();
                    chars[at] = *c;
                    self.content = chars.into_iter().collect();
                }
            }
            _ => {}
        }
    }

    /// Re-signs the edited parts as `keys` (a hostile author signs whatever it likes).
    fn sign(&self, keys: &Keys) -> Option<Event> {
        let tags: Vec<Tag> = self
            .tags
            .iter()
            .map(|t| Tag::parse(t.clone()).ok())
            .collect::<Option<_>>()?;
        EventBuilder::new(Kind::from(self.kind), self.content.clone())
            .tags(tags)
            .custom_created_at(Timestamp::from(self.created_at))
            .sign_with_keys(keys)
            .ok()
    }

    /// The edited parts under the ORIGINAL id and signature, as JSON (a relay forging content).
    fn forged_json(&self, original: &Event) -> String {
        json!({
            "id": original.id.to_hex(),
            "pubkey": original.pubkey.to_hex(),
            "created_at": self.created_at,
            "kind": self.kind,
            "tags": self.tags,
            "content": self.content,
            "sig": original.sig.to_string(),
        })
        .to_string()
    }
}

/// Applies `muts` to `original`; checks that the forged copy (old signature) never passes the
/// gate unless it is byte-identical in substance; returns the hostile re-signed mutant.
fn mutate(original: &Event, keys: &Keys, muts: &[Mutation]) -> Result<Option<Event>, String> {
    let before = Parts::of(original);
    let mut p = before.clone();
    for m in muts {
        p.apply(m);
    }
    let changed = p.content != before.content || p.tags != before.tags;
    if let Ok(forged) = Event::from_json(p.forged_json(original)) {
        let mut gate = IngestGate::new(IngestLimits::default());
        if changed
            && gate
                .admit(&forged, None, original.created_at.as_secs())
                .is_ok()
        {
            return Err(format!("forged mutant passed the gate: {muts:?}"));
        }
    }
    Ok(p.sign(keys))
}

/// Runs `test` for `cases` generated values and returns how many times it reported `true`.
fn run_counting<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> u32 {
    let hits = Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |v| {
        if test(v)? {
            hits.set(hits.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!("{} of {cases} cases reached the checked branch", hits.get());
    hits.get()
}

// ---------------------------------------------------------------------------------------------
// Intents.
// ---------------------------------------------------------------------------------------------

/// What we expect the `g` tags of a draft to be.
fn expected_geohashes(d: &IntentDraft) -> Vec<String> {
    match &d.geohash {
        None => Vec::new(),
        Some(g) => (1..=d.g_precision.min(g.len()))
            .map(|i| g[..i].to_string())
            .collect(),
    }
}

/// A draft that would rebuild `i` (the parser's view of an intent).
fn draft_of(i: &freeport_core::protocol::intent::Intent) -> IntentDraft {
    IntentDraft {
        side: i.side,
        market: i.market.clone(),
        schema: i.schema.clone(),
        title: i.title.clone(),
        payload: i.payload_value(),
        window: i.window,
        flex_minutes: i.flex_minutes,
        expires_at: i.expires_at,
        geohash: i.geohash().map(str::to_string),
        g_precision: i.geohashes.len().max(1),
        topics: i.topics.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn intent_round_trips(draft in intent_draft(), d in ref_d(), k in keys()) {
        let b = build_intent(&draft, &d, Timestamp::from(NOW));
        let b = b.map_err(|e| TestCaseError::fail(format!("builder refused a valid draft: {e}")))?;
        let e = sign(b, &k);
        let wire = over_the_wire(&e, NOW).map_err(TestCaseError::fail)?;
        let i = parse_intent(&wire, Timestamp::from(NOW))
            .map_err(|err| TestCaseError::fail(format!("parser refused our intent: {err}")))?;
        prop_assert_eq!(i.id, e.id);
        prop_assert_eq!(i.author, k.public_key());
        prop_assert_eq!(i.created_at, Timestamp::from(NOW));
        prop_assert_eq!(i.side, draft.side);
        prop_assert_eq!(&i.d, &d);
        prop_assert_eq!(&i.market, &draft.market);
        prop_assert_eq!(&i.schema, &draft.schema);
        prop_assert_eq!(&i.title, &draft.title);
        prop_assert_eq!(i.payload_value(), draft.payload.clone());
        prop_assert_eq!(i.window, draft.window);
        prop_assert_eq!(i.flex_minutes, draft.flex_minutes);
        prop_assert_eq!(i.expires_at, draft.expires_at);
        prop_assert_eq!(&i.geohashes, &expected_geohashes(&draft));
        prop_assert_eq!(&i.topics, &draft.topics);
        prop_assert!(!i.is_withdrawn());
        // Rebuilding from the parsed intent gives the very same event id.
        let again = build_intent(&draft_of(&i), &i.d, i.created_at)
            .map_err(|err| TestCaseError::fail(format!("rebuild refused: {err}")))?;
        prop_assert_eq!(unsigned_id(again, k.public_key()), e.id);

        // Withdrawal of it: same coordinate, newer, withdrawn, parses.
        let w = sign(build_withdrawal(&i, Timestamp::from(NOW)).map_err(|err| TestCaseError::fail(err.to_string()))?, &k);
        let w = over_the_wire(&w, NOW + 1).map_err(TestCaseError::fail)?;
        let wi = parse_intent(&w, Timestamp::from(NOW + 1))
            .map_err(|err| TestCaseError::fail(format!("withdrawal refused: {err}")))?;
        prop_assert!(wi.is_withdrawn());
        prop_assert!(wi.created_at > i.created_at);
        prop_assert_eq!((&wi.d, &wi.market, &wi.schema), (&i.d, &i.market, &i.schema));
        prop_assert_eq!((&wi.geohashes, &wi.topics, wi.side), (&i.geohashes, &i.topics, i.side));
    }
}

#[test]
fn intent_mutants_are_refused_or_rebuild_identically() {
    let strategy = (
        intent_draft(),
        ref_d(),
        keys(),
        prop::collection::vec(mutation(), 1..4),
    );
    let parsed = run_counting(256, strategy, |(draft, d, k, muts)| {
        let Ok(b) = build_intent(&draft, &d, Timestamp::from(NOW)) else {
            return Ok(false);
        };
        let e = sign(b, &k);
        let m = mutate(&e, &k, &muts).map_err(TestCaseError::fail)?;
        let Some(m) = m else { return Ok(false) };
        let Ok(wire) = over_the_wire(&m, NOW) else {
            return Ok(false);
        };
        let Ok(i) = parse_intent(&wire, Timestamp::from(NOW)) else {
            return Ok(false);
        };
        // The parser reads more than we send (reference `d` shapes, unknown schemas, loose
        // topics); where the builder accepts the parsed value, a rebuild must parse back equal.
        let chain = i
            .geohashes
            .iter()
            .enumerate()
            .all(|(n, g)| g.len() == n + 1);
        if chain && let Ok(b) = build_intent(&draft_of(&i), &i.d, i.created_at) {
            let again = parse_intent(
                &over_the_wire(&sign(b, &k), NOW).map_err(TestCaseError::fail)?,
                Timestamp::from(NOW),
            )
            .map_err(|err| TestCaseError::fail(format!("rebuilt mutant refused: {err}")))?;
            let mut expect = i.clone();
            expect.id = again.id;
            // Our builder always advertises our own capabilities (`caps`), whatever the
            // mutant's tag said: they are the client's, not part of the draft.
            expect.caps.clone_from(&again.caps);
            prop_assert_eq!(again, expect);
        }
        Ok(true)
    });
    assert!(
        parsed >= 10,
        "only {parsed} of 256 mutants parsed: the property is vacuous"
    );
}

// ---------------------------------------------------------------------------------------------
// Negotiation envelopes, inside a NIP-17 gift wrap.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn envelope_round_trips_through_build_and_parse((_o, _r, env) in envelope()) {
        let json = build_envelope(&env)
            .map_err(|e| TestCaseError::fail(format!("builder refused a valid envelope: {e}")))?;
        let back = parse_envelope(&json)
            .map_err(|e| TestCaseError::fail(format!("parser refused our envelope: {e}")))?;
        prop_assert_eq!(&back, &env);
        prop_assert_eq!(back.intent_d(), env.nego.intent_d());
        prop_assert_eq!(build_envelope(&back).ok(), Some(json), "not byte-stable");
    }

    #[test]
    fn mutated_envelope_json_is_refused_or_rebuilds((_o, _r, env) in envelope(), muts in prop::collection::vec(mutation(), 1..4)) {
        let json = build_envelope(&env).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut p = Parts { kind: 0, created_at: 0, content: json, tags: Vec::new() };
        for m in &muts {
            p.apply(m);
        }
        if let Ok(parsed) = parse_envelope(&p.content) {
            let rebuilt = build_envelope(&parsed)
                .map_err(|e| TestCaseError::fail(format!("parsed envelope does not rebuild: {e}")))?;
            prop_assert_eq!(parse_envelope(&rebuilt).ok(), Some(parsed));
        }
    }
}

proptest! {
    // Each case does two NIP-44 encryptions, three Schnorr signatures and a decryption.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn envelope_round_trips_inside_a_gift_wrap((owner, resp, env) in envelope(), to_owner in any::<bool>()) {
        let (from, to) = if to_owner { (&resp, &owner) } else { (&owner, &resp) };
        let json = build_envelope(&env).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let out = build_nip17(from, &to.public_key(), &json, Timestamp::from(NOW))
            .map_err(|e| TestCaseError::fail(format!("gift wrap refused: {e}")))?;
        // The wrap's created_at is tweaked into the past (NIP-59); the gate's clock is NOW.
        let wrap = over_the_wire(&out.to_peer, NOW).map_err(TestCaseError::fail)?;
        let dm = open_dm(to, &wrap).map_err(|e| TestCaseError::fail(format!("open_dm: {e}")))?;
        prop_assert_eq!(dm.sender, from.public_key());
        prop_assert_eq!(dm.recipient, to.public_key());
        prop_assert_eq!(dm.transport, Transport::Nip17);
        prop_assert_eq!(dm.rumor_id, Some(out.rumor_id));
        prop_assert_eq!(dm.created_at, Timestamp::from(NOW));
        let back = parse_envelope(&dm.plaintext).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, env);
        // Our own copy opens for us too.
        let mine = open_dm(from, &over_the_wire(&out.to_self, NOW).map_err(TestCaseError::fail)?)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(mine.plaintext, json);
        prop_assert_eq!(mine.recipient, to.public_key());
    }
}

// ---------------------------------------------------------------------------------------------
// Receipts.
// ---------------------------------------------------------------------------------------------

fn receipt_case() -> impl Strategy<Value = (Keys, Keys, ReceiptDraft, u64)> {
    (
        two_keys(),
        any_d(),
        event_id(),
        prop::option::of(any::<[u8; 16]>()),
        prop::option::of(event_id()),
        any::<bool>(),
        0u64..=u64::from(u32::MAX),
    )
        .prop_map(|((owner, resp), d, iid, meet, e, owner_signs, created)| {
            let nego = nego_of(&owner, &resp, &d);
            let (signer, peer) = if owner_signs {
                (owner, resp)
            } else {
                (resp, owner)
            };
            let draft = ReceiptDraft {
                nego,
                peer: peer.public_key(),
                intent_id: iid,
                meet: meet.map(MeetNonce),
                countersigns: e,
            };
            (signer, peer, draft, created)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn receipt_half_round_trips((signer, _peer, draft, created) in receipt_case()) {
        let e = sign(build_receipt(&draft, Timestamp::from(created)), &signer);
        let wire = over_the_wire(&e, created).map_err(TestCaseError::fail)?;
        let r = parse_receipt(&wire).map_err(|err| TestCaseError::fail(format!("parser refused our receipt: {err}")))?;
        prop_assert_eq!(r.id, e.id);
        prop_assert_eq!(r.author, signer.public_key());
        prop_assert_eq!(&r.nego, &draft.nego);
        prop_assert_eq!(r.peer, draft.peer);
        prop_assert_eq!(r.intent_id, draft.intent_id);
        prop_assert_eq!(r.meet, draft.meet);
        prop_assert_eq!(r.countersigns, draft.countersigns);
        prop_assert_eq!(r.created_at, Timestamp::from(created));
        prop_assert_eq!(classify(&r, None), DealTier::OneSided);
    }

    #[test]
    fn both_halves_classify_by_what_they_carry(
        (owner, resp) in two_keys(), d in any_d(), iid in event_id(),
        meet_a in prop::option::of(any::<[u8; 16]>()), same_nonce in any::<bool>(), link in any::<bool>(),
    ) {
        let nego = nego_of(&owner, &resp, &d);
        let meet_a = meet_a.map(MeetNonce);
        let meet_b = if same_nonce { meet_a } else { meet_a.map(|m| { let mut b = m.0; b[0] ^= 1; MeetNonce(b) }) };
        let a = sign(build_receipt(&ReceiptDraft { nego: nego.clone(), peer: resp.public_key(), intent_id: iid, meet: meet_a, countersigns: None }, Timestamp::from(NOW)), &owner);
        let b = sign(build_receipt(&ReceiptDraft { nego, peer: owner.public_key(), intent_id: iid, meet: meet_b, countersigns: link.then_some(a.id) }, Timestamp::from(NOW + 1)), &resp);
        let ra = parse_receipt(&over_the_wire(&a, NOW).map_err(TestCaseError::fail)?).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let rb = parse_receipt(&over_the_wire(&b, NOW).map_err(TestCaseError::fail)?).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = if meet_a.is_some() && same_nonce && link { DealTier::Met } else { DealTier::Proven };
        prop_assert_eq!(classify(&ra, Some(&rb)), expected);
        prop_assert_eq!(classify(&rb, Some(&ra)), expected);
        prop_assert_eq!(classify(&ra, Some(&ra)), DealTier::OneSided);
    }
}

fn receipt_draft_of(r: &freeport_core::protocol::receipt::Receipt) -> ReceiptDraft {
    ReceiptDraft {
        nego: r.nego.clone(),
        peer: r.peer,
        intent_id: r.intent_id,
        meet: r.meet,
        countersigns: r.countersigns,
    }
}

#[test]
fn receipt_mutants_are_refused_or_rebuild_identically() {
    let strategy = (receipt_case(), prop::collection::vec(mutation(), 1..4));
    let parsed = run_counting(256, strategy, |((signer, _peer, draft, created), muts)| {
        let e = sign(build_receipt(&draft, Timestamp::from(created)), &signer);
        let Some(m) = mutate(&e, &signer, &muts).map_err(TestCaseError::fail)? else {
            return Ok(false);
        };
        let Ok(wire) = over_the_wire(&m, created) else {
            return Ok(false);
        };
        let Ok(r) = parse_receipt(&wire) else {
            return Ok(false);
        };
        let rebuilt = sign(build_receipt(&receipt_draft_of(&r), r.created_at), &signer);
        let again = parse_receipt(&over_the_wire(&rebuilt, created).map_err(TestCaseError::fail)?)
            .map_err(|err| TestCaseError::fail(format!("rebuilt receipt refused: {err}")))?;
        let mut expect = r.clone();
        expect.id = again.id;
        prop_assert_eq!(again, expect);
        Ok(true)
    });
    assert!(
        parsed >= 10,
        "only {parsed} of 256 mutants parsed: the property is vacuous"
    );
}

// ---------------------------------------------------------------------------------------------
// Ratings.
// ---------------------------------------------------------------------------------------------

fn rating_case() -> impl Strategy<Value = (Keys, RatingDraft, u64)> {
    (
        two_keys(),
        any_d(),
        -1i64..=2,
        any::<bool>(),
        any::<bool>(),
        prop::option::of(prop::collection::vec(any::<char>(), 1..=32)),
        prop::option::of("[0-9a-f]{64}"),
        any::<bool>(),
        0u64..=u64::from(u32::MAX),
    )
        .prop_map(
            |((owner, resp), d, score, safe, reliable, masked, commit, owner_rates, created)| {
                let nego = nego_of(&owner, &resp, &d);
                let (rater, ratee) = if owner_rates {
                    (owner, resp)
                } else {
                    (resp, owner)
                };
                let draft = RatingDraft {
                    nego,
                    ratee: ratee.public_key(),
                    score: Score::new(score).expect("score in range"),
                    safe,
                    reliable,
                    contact_masked: masked.map(String::from_iter),
                    contact_commit: commit,
                };
                (rater, draft, created)
            },
        )
}

fn rating_draft_of(r: &freeport_core::protocol::rating::Rating) -> Option<RatingDraft> {
    // The builder writes `safe`, `reliable` always, never `note`, and `contact_verified` only
    // with a mask: other shapes are reference ratings we read but do not write.
    if r.note.is_some() || r.contact_verified != r.contact_masked.is_some() {
        return None;
    }
    Some(RatingDraft {
        nego: r.nego.clone(),
        ratee: r.ratee,
        score: r.score,
        safe: r.safe?,
        reliable: r.reliable?,
        contact_masked: r.contact_masked.clone(),
        contact_commit: r.contact_commit.clone(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rating_round_trips((rater, draft, created) in rating_case()) {
        let e = sign(build_rating(&draft, Timestamp::from(created)).map_err(|err| TestCaseError::fail(format!("builder refused: {err}")))?, &rater);
        let wire = over_the_wire(&e, created).map_err(TestCaseError::fail)?;
        let r = parse_rating(&wire).map_err(|err| TestCaseError::fail(format!("parser refused our rating: {err}")))?;
        prop_assert_eq!(r.id, e.id);
        prop_assert_eq!(r.rater, rater.public_key());
        prop_assert_eq!(r.ratee, draft.ratee);
        prop_assert_eq!(&r.nego, &draft.nego);
        prop_assert_eq!(r.score, draft.score);
        prop_assert_eq!(r.note.as_deref(), None);
        prop_assert_eq!(r.safe, Some(draft.safe));
        prop_assert_eq!(r.reliable, Some(draft.reliable));
        prop_assert_eq!(r.contact_verified, draft.contact_masked.is_some());
        prop_assert_eq!(&r.contact_masked, &draft.contact_masked);
        prop_assert_eq!(&r.contact_commit, &draft.contact_commit);
        prop_assert_eq!(r.created_at, Timestamp::from(created));
        prop_assert_eq!(r.pow_target, None);
        prop_assert_eq!(rating_draft_of(&r), Some(draft));
        prop_assert!(r.is_structured());
    }

    /// Every combination of the optional fields, written raw as a reference client (or ours)
    /// would, reads back field for field.
    #[test]
    fn rating_optional_field_combinations_parse_exactly(
        (rater, draft, created) in rating_case(),
        note in prop::option::of(prop::collection::vec(any::<char>(), 0..=200)),
        safe in prop::option::of(any::<bool>()),
        reliable in prop::option::of(any::<bool>()),
        verified in prop::option::of(any::<bool>()),
        score_as_float in any::<bool>(),
    ) {
        let note: Option<String> = note.map(String::from_iter);
        let mut m = Map::new();
        m.insert("v".into(), json!(1));
        let s = i64::from(draft.score.value());
        m.insert("score".into(), if score_as_float { json!(s as f64) } else { json!(s) });
        insert_opt(&mut m, "note", note.clone().map(Value::from));
        insert_opt(&mut m, "safe", safe.map(Value::from));
        insert_opt(&mut m, "reliable", reliable.map(Value::from));
        insert_opt(&mut m, "contact_verified", verified.map(Value::from));
        let masked = draft.contact_masked.clone().filter(|_| verified == Some(true));
        insert_opt(&mut m, "contact_masked", masked.clone().map(Value::from));
        insert_opt(&mut m, "contact_commit", draft.contact_commit.clone().map(Value::from));
        let e = sign(
            EventBuilder::new(Kind::from(32103), Value::Object(m).to_string())
                .tags([Tag::identifier(draft.nego.to_string()), Tag::public_key(draft.ratee)])
                .custom_created_at(Timestamp::from(created)),
            &rater,
        );
        let r = parse_rating(&over_the_wire(&e, created).map_err(TestCaseError::fail)?)
            .map_err(|err| TestCaseError::fail(format!("valid rating refused: {err}")))?;
        prop_assert_eq!(r.score, draft.score);
        prop_assert_eq!(&r.note, &note);
        prop_assert_eq!(r.safe, safe);
        prop_assert_eq!(r.reliable, reliable);
        prop_assert_eq!(r.contact_verified, verified == Some(true));
        prop_assert_eq!(&r.contact_masked, &masked);
        prop_assert_eq!(&r.contact_commit, &draft.contact_commit);
        prop_assert_eq!(r.is_structured(), safe.is_some() || reliable.is_some());
        let expected_reliable = reliable.or(match s { -1 => Some(false), 1 | 2 => Some(true), _ => None });
        prop_assert_eq!(r.signals(), (safe, expected_reliable));
    }
}

#[test]
fn rating_mutants_are_refused_or_rebuild_identically() {
    let strategy = (rating_case(), prop::collection::vec(mutation(), 1..4));
    let parsed = run_counting(256, strategy, |((rater, draft, created), muts)| {
        let Ok(b) = build_rating(&draft, Timestamp::from(created)) else {
            return Ok(false);
        };
        let e = sign(b, &rater);
        let Some(m) = mutate(&e, &rater, &muts).map_err(TestCaseError::fail)? else {
            return Ok(false);
        };
        let Ok(wire) = over_the_wire(&m, created) else {
            return Ok(false);
        };
        let Ok(r) = parse_rating(&wire) else {
            return Ok(false);
        };
        if let Some(d) = rating_draft_of(&r) {
            let b = build_rating(&d, r.created_at).map_err(|err| {
                TestCaseError::fail(format!("parsed rating does not rebuild: {err}"))
            })?;
            let again = parse_rating(
                &over_the_wire(&sign(b, &rater), created).map_err(TestCaseError::fail)?,
            )
            .map_err(|err| TestCaseError::fail(format!("rebuilt rating refused: {err}")))?;
            prop_assert_eq!(rating_draft_of(&again), Some(d));
        }
        Ok(true)
    });
    assert!(
        parsed >= 10,
        "only {parsed} of 256 mutants parsed: the property is vacuous"
    );
}

// ---------------------------------------------------------------------------------------------
// Profiles (masked phone, unicode names) and follow lists.
// ---------------------------------------------------------------------------------------------

fn opt_field(max: usize) -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::collection::vec(any::<char>(), 1..=max).prop_map(String::from_iter))
}

fn profile_case() -> impl Strategy<Value = (Profile, E164, bool)> {
    (
        (
            opt_field(100),
            opt_field(200),
            opt_field(300),
            opt_field(200),
            opt_field(100),
        ),
        (opt_field(100), opt_field(32)),
        prop::option::of(e164()),
        any::<[u8; 32]>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |((name, picture, about, link, lud16), (vehicle, plate), phone, salt, commit, keep)| {
                let number = phone.unwrap_or_else(|| {
                    parse_phone("+6591234567", None).expect("a valid Singapore number")
                });
                let p = Profile {
                    name,
                    picture,
                    about,
                    link,
                    lud16,
                    phone: Some(reference_mask(&number)),
                    vehicle_model: vehicle,
                    plate,
                    phone_commit: commit.then(|| commitment(&number, &Salt::from_bytes(salt))),
                };
                (p, number, keep)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn profile_round_trips_with_masked_phone((profile, number, keep_existing) in profile_case(), k in keys()) {
        // An existing profile written by another client: its own fields must survive.
        let existing = sign(
            EventBuilder::new(Kind::Metadata, json!({"display_name": "Ｌｉｎｈ 🚕", "nip05": "linh@example.org", "name": "old", "phone": "+000"}).to_string())
                .custom_created_at(Timestamp::from(NOW - 10)),
            &k,
        );
        let b = build_profile(&profile, keep_existing.then_some(&existing), Timestamp::from(NOW))
            .map_err(|e| TestCaseError::fail(format!("builder refused: {e}")))?;
        let e = sign(b, &k);
        let wire = over_the_wire(&e, NOW).map_err(TestCaseError::fail)?;
        let back = parse_profile(&wire).map_err(|err| TestCaseError::fail(format!("parser refused our profile: {err}")))?;
        prop_assert_eq!(&back, &profile);
        let content: Value = serde_json::from_str(&wire.content).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(content.get("nip05").is_some(), keep_existing);
        prop_assert_eq!(content.get("display_name").is_some(), keep_existing);
        // The published mask reads back as a mask of exactly this number.
        let phone = back.phone.as_deref().unwrap_or_default();
        let published = PublishedPhone::parse(phone).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(matches!(published, PublishedPhone::Mask(_)), "{phone} read as a full number");
        prop_assert_eq!(published.to_mask().compare(&Mask::from_e164(&number)), MaskMatch::Match);
        prop_assert_eq!(phone.chars().filter(|c| *c == '•').count(), number.as_str().len() - 7);
        if let Some(c) = &back.phone_commit {
            prop_assert_eq!(c.len(), 64);
        }
    }

    #[test]
    fn follow_list_round_trips(owner in keys(), follows in prop::collection::vec(keys(), 0..40), junk in prop::collection::vec(hostile_tag_value(), 0..10)) {
        let mut tags: Vec<Tag> = follows.iter().map(|k| Tag::public_key(k.public_key())).collect();
        // Malformed entries and a self-follow are skipped; duplicates collapse.
        tags.extend(junk.iter().filter_map(|j| Tag::parse(["p", j.as_str()]).ok()));
        tags.push(Tag::public_key(owner.public_key()));
        if let Some(first) = follows.first() {
            tags.push(Tag::public_key(first.public_key()));
        }
        let e = sign(EventBuilder::new(Kind::ContactList, "").tags(tags).custom_created_at(Timestamp::from(NOW)), &owner);
        let back = parse_follows(&over_the_wire(&e, NOW).map_err(TestCaseError::fail)?)
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        let mut expected: Vec<PublicKey> = Vec::new();
        let mut seen = BTreeSet::new();
        for k in &follows {
            let pk = k.public_key();
            if pk != owner.public_key() && seen.insert(pk.to_hex()) {
                expected.push(pk);
            }
        }
        // Junk that happens to be a valid key (random 64 hex on the curve) is a follow too.
        let junk_keys: Vec<PublicKey> = junk.iter().filter_map(|j| parse_public_key(j).ok().filter(|pk| pk.to_hex() == *j)).collect();
        for pk in junk_keys {
            if pk != owner.public_key() && seen.insert(pk.to_hex()) {
                expected.push(pk);
            }
        }
        prop_assert_eq!(back, expected);
    }
}

#[test]
fn profile_mutants_are_refused_or_rebuild_identically() {
    let strategy = (
        profile_case(),
        keys(),
        prop::collection::vec(mutation(), 1..4),
    );
    let parsed = run_counting(256, strategy, |((profile, _n, _keep), k, muts)| {
        let e = sign(
            build_profile(&profile, None, Timestamp::from(NOW))
                .map_err(|err| TestCaseError::fail(err.to_string()))?,
            &k,
        );
        let Some(m) = mutate(&e, &k, &muts).map_err(TestCaseError::fail)? else {
            return Ok(false);
        };
        let Ok(wire) = over_the_wire(&m, NOW) else {
            return Ok(false);
        };
        let Ok(p) = parse_profile(&wire) else {
            return Ok(false);
        };
        let b = build_profile(&p, None, Timestamp::from(NOW)).map_err(|err| {
            TestCaseError::fail(format!("parsed profile does not rebuild: {err}"))
        })?;
        let again = parse_profile(&over_the_wire(&sign(b, &k), NOW).map_err(TestCaseError::fail)?)
            .map_err(|err| TestCaseError::fail(format!("rebuilt profile refused: {err}")))?;
        prop_assert_eq!(again, p);
        Ok(true)
    });
    assert!(
        parsed >= 10,
        "only {parsed} of 256 mutants parsed: the property is vacuous"
    );
}

// ---------------------------------------------------------------------------------------------
// Meet codes (FPM1 / FPR1) and NIP-19.
// ---------------------------------------------------------------------------------------------

fn signature() -> impl Strategy<Value = Signature> {
    prop::collection::vec(any::<u8>(), 64)
        .prop_filter_map("64 bytes", |b| Signature::from_slice(&b).ok())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn meet_and_return_tokens_round_trip(
        tag in any::<[u8; 4]>(), hint in any::<[u8; 4]>(), created in any::<u32>(), nonce in any::<[u8; 16]>(),
        k in keys(), sig in signature(), lower in any::<bool>(), pad in "[ \t\r\n]{0,3}",
    ) {
        let m = MeetToken { deal_tag: tag, created_at: created, nonce: MeetNonce(nonce), shower: k.public_key(), sig };
        let text = m.encode();
        prop_assert_eq!(text.len(), MEET_CODE_CHARS);
        prop_assert!(text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b':'));
        let shown = if lower { text.to_lowercase() } else { text.clone() };
        prop_assert_eq!(parse_code(&format!("{pad}{shown}{pad}")).ok(), Some(Code::Meet(m.clone())));
        prop_assert_eq!(MeetToken::parse(&text).ok(), Some(m));

        let r = ReturnToken { deal_tag: tag, nonce_hint: hint, created_at: created, scanner: k.public_key(), sig };
        let text = r.encode();
        prop_assert_eq!(text.len(), RETURN_CODE_CHARS);
        let shown = if lower { text.to_lowercase() } else { text.clone() };
        prop_assert_eq!(parse_code(&format!("{pad}{shown}{pad}")).ok(), Some(Code::Return(r.clone())));
        prop_assert_eq!(ReturnToken::parse(&text).ok(), Some(r));
    }

    /// The whole exchange with random parties and clocks: the shower's code verifies on the
    /// scanner, the return code on the shower, both halves parse and classify as met; and any
    /// single-character change to either code is refused.
    #[test]
    fn meet_exchange_round_trips_and_refuses_every_one_char_change(
        (owner, resp) in two_keys(), d in any_d(), iid in event_id(), nonce in any::<[u8; 16]>(),
        shown_at in (NOW - 1_000_000)..NOW, scan_delay in 0u64..=60, reply_delay in 0u64..=500,
        owner_shows in any::<bool>(), at in 5usize..400, pick in 0usize..32,
    ) {
        let nego = nego_of(&owner, &resp, &d);
        let (shower, scanner) = if owner_shows { (&owner, &resp) } else { (&resp, &owner) };
        let ctx = |me: &Keys, peer: &Keys| MeetContext { nego: nego.clone(), my_pubkey: me.public_key(), peer: peer.public_key(), intent_id: iid };
        let policy = MeetPolicy::default();
        let shown = make_meet_code(&ctx(shower, scanner), shower, MeetNonce(nonce), Timestamp::from(shown_at))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let scan_at = Timestamp::from(shown_at + scan_delay);
        let verified = verify_shower_token(&shown.text, &ctx(scanner, shower), scan_at, &policy)
            .map_err(|e| TestCaseError::fail(format!("scanner refused a fresh code: {e}")))?;
        prop_assert_eq!(&verified.event, &shown.half);
        prop_assert_eq!(verified.nonce, MeetNonce(nonce));
        let claimed = verified.claim(true).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let pair = countersign(&claimed, scanner, scan_at).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let code = pair.return_code().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = verify_return_code(&code, &shown.half, &ctx(shower, scanner), Timestamp::from(shown_at + scan_delay + reply_delay), &policy)
            .map_err(|e| TestCaseError::fail(format!("shower refused the return code: {e}")))?;
        prop_assert_eq!(&back, &pair);
        prop_assert_eq!(back.words(), pair.words());
        let a = parse_receipt(&over_the_wire(&pair.shower, NOW).map_err(TestCaseError::fail)?).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b = parse_receipt(&over_the_wire(&pair.scanner, NOW).map_err(TestCaseError::fail)?).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(classify(&a, Some(&b)), DealTier::Met);
        prop_assert_eq!(deal_tag(&nego), MeetToken::parse(&shown.text).map_err(|e| TestCaseError::fail(e.to_string()))?.deal_tag);

        // One character changed to another base32 character: refused, whichever field it hits.
        const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let flip = |t: &str| -> Option<String> {
            let mut bytes = t.as_bytes().to_vec();
            let i = at % (bytes.len() - 5) + 5;
            let c = B32[pick % 32];
            if bytes[i] == c { return None; }
            bytes[i] = c;
            String::from_utf8(bytes).ok()
        };
        if let Some(bad) = flip(&shown.text) {
            prop_assert!(verify_shower_token(&bad, &ctx(scanner, shower), scan_at, &policy).is_err(), "accepted {}", bad);
        }
        if let Some(bad) = flip(&code) {
            prop_assert!(verify_return_code(&bad, &shown.half, &ctx(shower, scanner), scan_at, &policy).is_err(), "accepted {}", bad);
        }
    }

    #[test]
    fn nip19_keys_round_trip(k in keys()) {
        let pk = k.public_key();
        let npub = to_npub(&pk);
        prop_assert!(npub.starts_with("npub1"));
        prop_assert_eq!(parse_public_key(&npub).ok(), Some(pk));
        prop_assert_eq!(parse_public_key(&format!("  {npub}\n")).ok(), Some(pk));
        prop_assert_eq!(parse_public_key(&pk.to_hex()).ok(), Some(pk));
        let material = parse_secret_key(&k.secret_key().to_secret_hex()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(material.public_key(), pk);
        let nsec = material.to_nsec();
        prop_assert!(nsec.starts_with("nsec1"));
        let again = parse_secret_key(&nsec).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again.public_key(), pk);
        prop_assert_eq!(&*again.to_secret_bytes(), &k.secret_key().to_secret_bytes()[..]);
    }

    /// Any event JSON text with characters changed, inserted or removed: the whole read path
    /// (JSON, gate, every parser) never panics, and nothing with a changed id or body passes.
    #[test]
    fn text_mutations_of_event_json_never_panic(
        (signer, _peer, draft, created) in receipt_case(),
        edits in prop::collection::vec((0usize..2000, any::<char>(), 0u8..3), 1..6),
    ) {
        let e = sign(build_receipt(&draft, Timestamp::from(created)), &signer);
        let mut chars: Vec<char> = e.as_json().chars().collect();
        for (at, c, op) in edits {
            let i = at % chars.len().max(1);
            match op {
                0 => chars[i] = c,
                1 => chars.insert(i, c),
                _ => { chars.remove(i); }
            }
        }
        let text: String = chars.into_iter().collect();
        if let Ok(m) = Event::from_json(&text) {
            let mut gate = IngestGate::new(IngestLimits::default());
            if gate.admit(&m, None, created).is_ok() {
                prop_assert_eq!(m.id, e.id, "a different event passed the gate");
                prop_assert_eq!(&m.content, &e.content);
                prop_assert_eq!(&m.tags, &e.tags);
            }
            let now = Timestamp::from(created);
            let _ = parse_receipt(&m);
            let _ = parse_rating(&m);
            let _ = parse_intent(&m, now);
            let _ = parse_profile(&m);
            let _ = parse_follows(&m);
        }
    }
}
