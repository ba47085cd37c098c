//! Interoperability with the deployed Freeport reference client (FREEPORT-V1.md).
//!
//! Two directions:
//! - events written out literally, exactly as the reference sends them (tag order, JSON key
//!   order, `JSON.stringify` spacing), signed with fresh keys here, must parse;
//! - what we build must pass a model of the reference's own acceptance checks, which reads the
//!   raw event JSON like the TypeScript client does and ignores unknown fields.

use freeport_core::protocol::follows::parse_follows;
use freeport_core::protocol::intent::{
    IntentDraft, Side, build_intent, build_withdrawal, geohash_cover, new_intent_d, parse_intent,
};
use freeport_core::protocol::market;
use freeport_core::protocol::profile::{Profile, build_profile, parse_profile};
use freeport_core::protocol::rating::{RatingDraft, Score, build_rating, parse_rating};
use freeport_core::protocol::{NegoId, ProtocolError};
use nostr::{Event, EventBuilder, Filter, JsonUtil, Keys, Kind, Tag, Timestamp};
use serde_json::{Value, json};

const NOW: u64 = 1_760_000_000;

/// Signs a reference-shaped event given as a literal JSON template `{kind, tags, content}`, then
/// sends it through the JSON wire form, as a relay would deliver it.
fn signed_from_template(template: &str, keys: &Keys) -> Event {
    let t: Value = serde_json::from_str(template).expect("template is JSON");
    let kind = t["kind"].as_u64().expect("kind") as u16;
    let tags: Vec<Tag> = t["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|tag| {
            let parts: Vec<String> = tag
                .as_array()
                .expect("tag array")
                .iter()
                .map(|s| s.as_str().expect("tag string").to_string())
                .collect();
            Tag::parse(parts).expect("tag")
        })
        .collect();
    let content = t["content"].as_str().expect("content").to_string();
    let ev = EventBuilder::new(Kind::Custom(kind), content)
        .tags(tags)
        .allow_self_tagging()
        .custom_created_at(Timestamp::from(NOW))
        .sign_with_keys(keys)
        .expect("sign");
    Event::from_json(ev.as_json()).expect("wire round trip")
}

fn tag_value<'a>(ev: &'a Value, name: &str) -> Option<&'a str> {
    ev["tags"]
        .as_array()?
        .iter()
        .find(|t| t[0] == name)
        .and_then(|t| t[1].as_str())
}

fn has_tag(ev: &Value, name: &str, value: &str) -> bool {
    ev["tags"]
        .as_array()
        .is_some_and(|ts| ts.iter().any(|t| t[0] == name && t[1] == value))
}

/// The reference's acceptance of an intent from its `#t` subscription, modelled on the raw
/// event JSON. Returns `Ok(withdrawn)`.
fn reference_accepts_intent(event: &Event, market: &str, now: u64) -> Result<bool, String> {
    let ev: Value = serde_json::from_str(&event.as_json()).map_err(|e| e.to_string())?;
    let kind = ev["kind"].as_u64().ok_or("kind")?;
    let side = match kind {
        32101 => "offer",
        32102 => "request",
        _ => return Err("kind".into()),
    };
    let d = tag_value(&ev, "d").ok_or("no d")?;
    if d.is_empty() {
        return Err("empty d".into());
    }
    if !has_tag(&ev, "t", market) {
        return Err("no market t".into());
    }
    if tag_value(&ev, "freeport") != Some("1") {
        return Err("no freeport tag".into());
    }
    let expiration: u64 = tag_value(&ev, "expiration")
        .ok_or("no expiration")?
        .parse()
        .map_err(|_| "expiration not a number")?;
    if expiration <= now {
        return Err("expired".into());
    }
    let c: Value = serde_json::from_str(ev["content"].as_str().ok_or("content")?)
        .map_err(|_| "content not JSON")?;
    if c["v"] != 1 {
        return Err("v".into());
    }
    if c["side"] != side {
        return Err("side".into());
    }
    if c["market"] != market {
        return Err("market".into());
    }
    if !c["schema"].is_string() || !c["title"].is_string() || !c["payload"].is_object() {
        return Err("schema/title/payload".into());
    }
    if c["expires_at"].as_u64() != Some(expiration) {
        return Err("expires_at".into());
    }
    if let Some(w) = c.get("window") {
        let (s, e) = (w["start"].as_u64(), w["end"].as_u64());
        if s.is_none() || e.is_none() {
            return Err("window".into());
        }
    }
    // g tags the reference writes: every prefix 1..=5 of one geohash.
    let gs: Vec<&str> = ev["tags"]
        .as_array()
        .ok_or("tags")?
        .iter()
        .filter(|t| t[0] == "g")
        .filter_map(|t| t[1].as_str())
        .collect();
    for (i, g) in gs.iter().enumerate() {
        if g.len() != i + 1 || !gs.last().is_some_and(|l| l.starts_with(g)) {
            return Err(format!("g tags not a prefix chain: {gs:?}"));
        }
    }
    let withdrawn = c["payload"]["withdrawn"] == true || c["title"] == "(withdrawn)";
    Ok(withdrawn)
}

/// The reference's acceptance of a rating, modelled on the raw event JSON.
fn reference_accepts_rating(event: &Event) -> Result<(i64, bool), String> {
    let ev: Value = serde_json::from_str(&event.as_json()).map_err(|e| e.to_string())?;
    if ev["kind"] != 32103 {
        return Err("kind".into());
    }
    let d = tag_value(&ev, "d").ok_or("no d")?;
    let parts: Vec<&str> = d.split(':').collect();
    if parts.len() != 3 {
        return Err("d is not a nego id".into());
    }
    let p = tag_value(&ev, "p").ok_or("no p")?;
    let author = ev["pubkey"].as_str().ok_or("pubkey")?;
    let is_party = |k: &str| k == parts[1] || k == parts[2];
    if !is_party(author) || !is_party(p) || author == p {
        return Err("not the parties".into());
    }
    let c: Value = serde_json::from_str(ev["content"].as_str().ok_or("content")?)
        .map_err(|_| "content not JSON")?;
    if c["v"] != 1 {
        return Err("v".into());
    }
    let score = c["score"].as_i64().ok_or("score not an integer")?;
    if !(-1..=2).contains(&score) {
        return Err("score range".into());
    }
    if c.get("contact_masked").is_some() && c["contact_verified"] != true {
        return Err("contact_masked without contact_verified".into());
    }
    let nonce_target_met = ev["tags"].as_array().is_some_and(|ts| {
        ts.iter().any(|t| {
            t[0] == "nonce"
                && t[2]
                    .as_str()
                    .and_then(|s| s.parse::<u8>().ok())
                    .is_some_and(|target| event.id.check_pow(target))
        })
    });
    Ok((score, nonce_target_met))
}

/// The reference's mask check of a published phone (FREEPORT-V1.md "Profile").
fn reference_phone_is_mask(phone: &str) -> bool {
    let chars: Vec<char> = phone.chars().collect();
    chars.len() > 7
        && chars[0] == '+'
        && chars[1..3].iter().all(char::is_ascii_digit)
        && chars[3..chars.len() - 4].iter().all(|c| *c == '•')
        && chars[chars.len() - 4..].iter().all(char::is_ascii_digit)
}

// ---------------------------------------------------------------------------------------------
// What the reference sends → we parse.
// ---------------------------------------------------------------------------------------------

#[test]
fn reference_rideshare_offer_parses() {
    let keys = Keys::generate();
    let ev = signed_from_template(
        r#"{"kind":32101,"tags":[
            ["d","9f2c4e1ab37d0c55"],["t","sg-rideshare"],["expiration","1760086400"],
            ["freeport","1"],["g","w"],["g","w7"],["g","w7e"],["g","w7er"],["g","w7er8"],
            ["t","vn_hanoi"],["t","vn_hanoi_ridesharing"],["nonce","4127","12"]],
          "content":"{\"v\":1,\"side\":\"offer\",\"market\":\"sg-rideshare\",\"schema\":\"rideshare/1\",\"title\":\"Hoan Kiem → Noi Bai, 3 seats\",\"payload\":{\"from\":{\"name\":\"Hoan Kiem\",\"geohash\":\"w7er8u\"},\"to\":{\"name\":\"Noi Bai Airport\",\"geohash\":\"w7g2p1\"},\"category\":\"car\",\"payment\":\"VND 250000\",\"note\":\"2 bags ok\",\"images\":[]},\"window\":{\"start\":1760040000,\"end\":1760043600},\"flex_minutes\":15,\"expires_at\":1760086400}"}"#,
        &keys,
    );
    let i = parse_intent(&ev, Timestamp::from(NOW)).unwrap();
    assert_eq!(i.author, keys.public_key());
    assert_eq!(i.side, Side::Offer);
    assert_eq!(i.d, "9f2c4e1ab37d0c55");
    assert_eq!(i.market, "sg-rideshare");
    assert_eq!(i.schema, "rideshare/1");
    assert_eq!(i.geohash(), Some("w7er8"));
    assert_eq!(i.topics, ["vn_hanoi", "vn_hanoi_ridesharing"]);
    assert_eq!(i.flex_minutes, Some(15));
    assert_eq!(
        i.window.map(|w| (w.start, w.end)),
        Some((1_760_040_000, 1_760_043_600))
    );
    assert_eq!(i.payload["to"]["geohash"], "w7g2p1");
    assert!(!i.is_withdrawn());
    // And it is what the reference itself accepts (the model is consistent with the facts).
    assert_eq!(
        reference_accepts_intent(&ev, "sg-rideshare", NOW),
        Ok(false)
    );
}

#[test]
fn reference_service_request_parses() {
    let keys = Keys::generate();
    let ev = signed_from_template(
        r#"{"kind":32102,"tags":[
            ["d","00ff00ff00ff00ff"],["t","sg-service"],["expiration","1760600000"],
            ["freeport","1"],["g","w"],["g","w2"],["g","w21"],["g","w21z"],["g","w21z6"]],
          "content":"{\"v\":1,\"side\":\"request\",\"market\":\"sg-service\",\"schema\":\"service/1\",\"title\":\"Need a plumber\",\"payload\":{\"location\":{\"name\":\"Tiong Bahru\",\"geohash\":\"w21z6k\"},\"service\":\"Fix leaking tap\",\"category\":\"home\",\"subcategory\":\"plumbing\",\"payment\":\"SGD 40\",\"duration_minutes\":45,\"notes\":\"kitchen\"},\"expires_at\":1760600000}"}"#,
        &keys,
    );
    let i = parse_intent(&ev, Timestamp::from(NOW)).unwrap();
    assert_eq!(i.side, Side::Request);
    assert_eq!(i.payload["service"], "Fix leaking tap");
    assert_eq!(i.window, None);
    assert_eq!(i.flex_minutes, None);
    assert_eq!(i.expires_at, 1_760_600_000);
}

#[test]
fn reference_withdrawals_parse_as_withdrawn() {
    let keys = Keys::generate();
    for payload in [r#"{\"withdrawn\":true}"#, "{}"] {
        let template = format!(
            r#"{{"kind":32101,"tags":[["d","9f2c4e1ab37d0c55"],["t","sg-rideshare"],["expiration","{exp}"],["freeport","1"]],
               "content":"{{\"v\":1,\"side\":\"offer\",\"market\":\"sg-rideshare\",\"schema\":\"rideshare/1\",\"title\":\"(withdrawn)\",\"payload\":{payload},\"expires_at\":{exp}}}"}}"#,
            exp = NOW + 600,
        );
        let ev = signed_from_template(&template, &keys);
        let i = parse_intent(&ev, Timestamp::from(NOW)).unwrap();
        assert!(i.is_withdrawn(), "{payload}");
        assert_eq!(i.d, "9f2c4e1ab37d0c55");
    }
}

#[test]
fn reference_rating_with_note_and_attestation_parses() {
    let owner = Keys::generate();
    let rater = Keys::generate();
    let nego = format!(
        "9f2c4e1ab37d0c55:{}:{}",
        owner.public_key().to_hex(),
        rater.public_key().to_hex()
    );
    let template = format!(
        r#"{{"kind":32103,"tags":[["d","{nego}"],["p","{p}"],["nonce","311","8"]],
           "content":"{{\"v\":1,\"score\":-1,\"note\":\"did not show up\",\"contact_verified\":true,\"contact_masked\":\"+84•••••5678\"}}"}}"#,
        p = owner.public_key().to_hex()
    );
    let ev = signed_from_template(&template, &rater);
    let r = parse_rating(&ev).unwrap();
    assert_eq!(r.rater, rater.public_key());
    assert_eq!(r.ratee, owner.public_key());
    assert_eq!(r.nego.to_string(), nego);
    assert_eq!(r.score, Score::BAD);
    assert_eq!(r.note.as_deref(), Some("did not show up"));
    assert!(r.contact_verified);
    assert_eq!(r.contact_masked.as_deref(), Some("+84•••••5678"));
    assert_eq!(r.pow_target, Some(8));
    // Reference-only rating: −1 means unreliable, safety unknown.
    assert_eq!(r.signals(), (None, Some(false)));
    assert!(reference_accepts_rating(&ev).is_ok());
}

#[test]
fn reference_profile_and_follow_list_parse() {
    let keys = Keys::generate();
    let friend = Keys::generate().public_key();
    let ev = signed_from_template(
        r#"{"kind":0,"tags":[],"content":"{\"name\":\"Minh\",\"picture\":\"https://i.example/m.png\",\"about\":\"Grab driver\",\"link\":\"https://minh.example\",\"lud16\":\"minh@ln.example\",\"phone\":\"+84912345678\",\"vehicle_model\":\"Toyota Vios\",\"plate\":\"30A-123.45\",\"display_name\":\"Minh T\",\"nip05\":\"minh@example.vn\"}"}"#,
        &keys,
    );
    let p = parse_profile(&ev).unwrap();
    assert_eq!(p.name.as_deref(), Some("Minh"));
    assert_eq!(p.phone.as_deref(), Some("+84912345678"));
    assert_eq!(p.vehicle_model.as_deref(), Some("Toyota Vios"));
    assert_eq!(p.plate.as_deref(), Some("30A-123.45"));
    assert_eq!(p.phone_commit, None);

    let follows = signed_from_template(
        &format!(
            r#"{{"kind":3,"tags":[["p","{f}","wss://relay.example","friend"],["p","{f}"],["t","freeport"]],"content":""}}"#,
            f = friend.to_hex()
        ),
        &keys,
    );
    assert_eq!(parse_follows(&follows).unwrap(), vec![friend]);
}

#[test]
fn reference_events_we_refuse_say_why() {
    // Strict on receipt: a reference-shaped intent with a payload the market schema rejects, or
    // tags that disagree with the content, is refused with a typed reason.
    let keys = Keys::generate();
    let bad_payload = signed_from_template(
        r#"{"kind":32101,"tags":[["d","9f2c4e1ab37d0c55"],["t","sg-rideshare"],["expiration","1760086400"],["freeport","1"]],
          "content":"{\"v\":1,\"side\":\"offer\",\"market\":\"sg-rideshare\",\"schema\":\"rideshare/1\",\"title\":\"x\",\"payload\":{\"from\":{\"name\":\"A\",\"geohash\":\"w7er8u\"}},\"expires_at\":1760086400}"}"#,
        &keys,
    );
    let err = parse_intent(&bad_payload, Timestamp::from(NOW)).unwrap_err();
    assert!(err.to_string().contains("`required`"), "{err}");
    let mismatch = signed_from_template(
        r#"{"kind":32102,"tags":[["d","9f2c4e1ab37d0c55"],["t","sg-rideshare"],["expiration","1760086400"],["freeport","1"]],
          "content":"{\"v\":1,\"side\":\"offer\",\"market\":\"sg-rideshare\",\"schema\":\"rideshare/1\",\"title\":\"x\",\"payload\":{},\"expires_at\":1760086400}"}"#,
        &keys,
    );
    assert!(matches!(
        parse_intent(&mismatch, Timestamp::from(NOW)),
        Err(ProtocolError::Mismatch { a: "side", .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// What we send → the reference accepts.
// ---------------------------------------------------------------------------------------------

fn our_rideshare(keys: &Keys) -> Event {
    let m = market::builtin().by_topic("sg-rideshare").unwrap();
    let mut draft = IntentDraft::for_market(
        Side::Offer,
        m,
        "Hoan Kiem → Noi Bai",
        json!({
            "from": {"name": "Hoan Kiem", "geohash": "w7er8u"},
            "to": {"name": "Noi Bai", "geohash": "w7g2p1"}
        }),
        Timestamp::from(NOW),
    );
    draft.geohash = Some("w7er8u".into());
    draft.topics = vec!["vn_hanoi".into()];
    build_intent(&draft, &new_intent_d(), Timestamp::from(NOW))
        .unwrap()
        .pow(4)
        .sign_with_keys(keys)
        .unwrap()
}

#[test]
fn our_intent_passes_reference_rules_and_subscription() {
    let keys = Keys::generate();
    let ev = our_rideshare(&keys);
    assert_eq!(
        reference_accepts_intent(&ev, "sg-rideshare", NOW),
        Ok(false)
    );
    // The reference's own subscription filter matches it.
    let sub = Filter::from_json(format!(
        r##"{{"kinds":[32101,32102],"#t":["sg-rideshare"],"since":{}}}"##,
        NOW - 3600
    ))
    .unwrap();
    assert!(sub.match_event(&ev, Default::default()));
    // A browser one cell away finds it through the neighbour cover on `#g`.
    let neighbour = geohash_cover("w7er8", 1).unwrap()[3].clone();
    let cover = geohash_cover(&neighbour, 1).unwrap();
    assert!(cover.contains(&"w7er8".to_string()));
    let by_g = Filter::new()
        .kinds([Kind::Custom(32101)])
        .custom_tags(nostr::SingleLetterTag::lowercase(nostr::Alphabet::G), cover);
    assert!(by_g.match_event(&ev, Default::default()));
    // Our own parser agrees, and PoW from the app layer did not disturb the layout.
    assert!(parse_intent(&ev, Timestamp::from(NOW)).is_ok());
}

#[test]
fn our_withdrawal_passes_reference_rules() {
    let keys = Keys::generate();
    let ev = our_rideshare(&keys);
    let original = parse_intent(&ev, Timestamp::from(NOW)).unwrap();
    let w = build_withdrawal(&original, Timestamp::from(NOW + 60))
        .unwrap()
        .sign_with_keys(&keys)
        .unwrap();
    assert_eq!(
        reference_accepts_intent(&w, "sg-rideshare", NOW + 60),
        Ok(true)
    );
    assert!(
        w.content
            .contains(r#""title":"(withdrawn)","payload":{"withdrawn":true}"#)
    );
    assert!(w.created_at > ev.created_at);
}

#[test]
fn our_goods_intent_is_structurally_valid_for_the_reference() {
    let keys = Keys::generate();
    let m = market::builtin().by_schema("goods/1").unwrap();
    let mut draft = IntentDraft::for_market(
        Side::Offer,
        m,
        "Road bike 54 cm",
        json!({"item": "Road bike", "condition": "good", "price": 120, "currency": "SGD",
               "location": {"name": "Bishan", "geohash": "w21zf"}}),
        Timestamp::from(NOW),
    );
    draft.geohash = Some("w21zf".into());
    let ev = build_intent(&draft, &new_intent_d(), Timestamp::from(NOW))
        .unwrap()
        .sign_with_keys(&keys)
        .unwrap();
    assert_eq!(reference_accepts_intent(&ev, "sg-goods", NOW), Ok(false));
}

#[test]
fn our_rating_passes_reference_rules_with_pow() {
    let owner = Keys::generate();
    let rater = Keys::generate();
    let nego = NegoId::new("9f2c4e1ab37d0c55", owner.public_key(), rater.public_key()).unwrap();
    let draft = RatingDraft {
        nego,
        ratee: owner.public_key(),
        score: Score::GREAT,
        safe: true,
        reliable: true,
        contact_masked: Some("+84•••••5678".into()),
        contact_commit: None,
    };
    let ev = build_rating(&draft, Timestamp::from(NOW))
        .unwrap()
        .pow(8)
        .sign_with_keys(&rater)
        .unwrap();
    assert_eq!(reference_accepts_rating(&ev), Ok((2, true)));
    assert!(!ev.content.contains("note"));
    let r = parse_rating(&ev).unwrap();
    assert!(r.pow_difficulty >= 8);
    assert_eq!(r.signals(), (Some(true), Some(true)));
}

#[test]
fn our_profile_update_keeps_foreign_fields_and_publishes_a_mask() {
    let keys = Keys::generate();
    let theirs = signed_from_template(
        r#"{"kind":0,"tags":[],"content":"{\"name\":\"Minh\",\"display_name\":\"Minh T\",\"nip05\":\"minh@example.vn\",\"phone\":\"+84912345678\"}"}"#,
        &keys,
    );
    let mut p: Profile = parse_profile(&theirs).unwrap();
    p.phone = Some("+84•••••5678".into());
    p.phone_commit = Some("1f".repeat(32));
    let ev = build_profile(&p, Some(&theirs), Timestamp::from(NOW + 1))
        .unwrap()
        .sign_with_keys(&keys)
        .unwrap();
    let c: Value = serde_json::from_str(&ev.content).unwrap();
    assert_eq!(c["display_name"], "Minh T");
    assert_eq!(c["nip05"], "minh@example.vn");
    assert_eq!(c["name"], "Minh");
    assert!(reference_phone_is_mask(c["phone"].as_str().unwrap()));
    assert!(!reference_phone_is_mask("+84912345678"));
    assert_eq!(parse_profile(&ev).unwrap(), p);
}
