//! `freeport demo` end to end, and the offline `screen --events FILE --viewer …` evaluation over a
//! JSON-lines file of signed events built here with the core's protocol builders.

use std::process::{Command, Stdio};

use freeport_core::protocol::NegoId;
use freeport_core::protocol::intent::new_intent_d;
use freeport_core::protocol::rating::{RatingDraft, Score, build_rating};
use freeport_core::protocol::receipt::{MeetNonce, ReceiptDraft, build_receipt};
use nostr::{Event, EventId, JsonUtil, Keys, Timestamp};
use serde_json::Value;

use crate::harness::{Home, Run, bin};

const DAY: u64 = 86_400;

fn now() -> u64 {
    Timestamp::now().as_secs()
}

/// A deal met in person `days_ago`: `a`'s half, then `b`'s half countersigning it.
fn met_deal(a: &Keys, b: &Keys, days_ago: u64) -> (NegoId, Vec<Event>) {
    let nego = NegoId::new(&new_intent_d(), a.public_key(), b.public_key()).expect("nego");
    let at = now() - days_ago * DAY;
    let nonce = MeetNonce::random();
    let draft = |peer: &Keys, countersigns| ReceiptDraft {
        nego: nego.clone(),
        peer: peer.public_key(),
        intent_id: EventId::all_zeros(),
        meet: Some(nonce),
        countersigns,
    };
    let ha = build_receipt(&draft(b, None), Timestamp::from(at))
        .sign_with_keys(a)
        .expect("sign");
    let hb = build_receipt(&draft(a, Some(ha.id)), Timestamp::from(at + 5))
        .sign_with_keys(b)
        .expect("sign");
    (nego, vec![ha, hb])
}

fn rating(rater: &Keys, ratee: &Keys, nego: &NegoId, days_ago: u64, good: bool) -> Event {
    let draft = RatingDraft {
        nego: nego.clone(),
        ratee: ratee.public_key(),
        score: Score::new(if good { 2 } else { -1 }).expect("score"),
        safe: good,
        reliable: good,
        contact_masked: None,
        contact_commit: None,
    };
    build_rating(&draft, Timestamp::from(now() - days_ago * DAY + 60))
        .expect("rating")
        .sign_with_keys(rater)
        .expect("sign")
}

/// Viewer ↔ Helen (met), Helen ↔ Sam (met, Helen rates Sam well); Mallory, praised by a ring of
/// puppets that met her and each other but no one the viewer can reach. Plus one garbage line
/// and one forged event.
struct Town {
    viewer: Keys,
    helen: Keys,
    sam: Keys,
    mallory: Keys,
    file: std::path::PathBuf,
}

fn town(dir: &std::path::Path, puppets: usize) -> Town {
    let (viewer, helen, sam, mallory) = (
        Keys::generate(),
        Keys::generate(),
        Keys::generate(),
        Keys::generate(),
    );
    let mut events = Vec::new();
    let (n1, e1) = met_deal(&viewer, &helen, 60);
    events.extend(e1);
    events.push(rating(&viewer, &helen, &n1, 60, true));
    let (n2, e2) = met_deal(&helen, &sam, 40);
    events.extend(e2);
    events.push(rating(&helen, &sam, &n2, 40, true));
    let ring: Vec<Keys> = (0..puppets).map(|_| Keys::generate()).collect();
    for (i, p) in ring.iter().enumerate() {
        let (_, e) = met_deal(p, &ring[(i + 1) % ring.len()], 20);
        events.extend(e);
        let (n, e) = met_deal(p, &mallory, 10);
        events.extend(e);
        events.push(rating(p, &mallory, &n, 10, true));
    }
    let mut lines: Vec<String> = events.iter().map(|e| e.as_json()).collect();
    lines.push("this is not an event".into());
    let mut forged: Value = serde_json::from_str(&events[0].as_json()).expect("json");
    forged["content"] = Value::String("{\"v\":1,\"intent_id\":\"forged\"}".into());
    lines.push(forged.to_string());
    let file = dir.join("events.jsonl");
    std::fs::write(&file, lines.join("\n")).expect("write");
    Town {
        viewer,
        helen,
        sam,
        mallory,
        file,
    }
}

#[test]
fn screen_events_prints_the_reputation_fields_and_ignores_forgeries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = town(dir.path(), 30);
    let home = Home::new(&[]);
    let f = t.file.to_str().expect("path");
    let v = t.viewer.public_key().to_hex();
    let (helen, sam, mallory) = (
        t.helen.public_key().to_hex(),
        t.sam.public_key().to_hex(),
        t.mallory.public_key().to_hex(),
    );
    let screen = |who: &str, extra: &[&str]| {
        let mut args = vec!["screen", who, "--events", f, "--viewer", &v];
        args.extend_from_slice(extra);
        home.run(&args)
    };
    let s = screen(&sam, &["--json"]).json();
    for field in [
        "deals",
        "partners",
        "partners_in_network",
        "met_in_person",
        "verified_by",
        "new_account",
        "safety",
        "reliability",
        "score",
        "weight_total",
        "unreachable_weight",
        "verdict",
        "reasons",
        "path",
    ] {
        assert!(s.get(field).is_some(), "missing `{field}` in {s}");
    }
    for dim in ["safety", "reliability"] {
        for k in ["value", "flagged", "weight", "raters"] {
            assert!(s[dim].get(k).is_some(), "missing `{dim}.{k}`");
        }
    }
    assert!(s.get("raters").is_none(), "raters only with --explain");
    assert_eq!(s["deals"], 1);
    assert_eq!(s["partners_in_network"], 1);
    assert_eq!(s["met_in_person"], 1);
    assert_eq!(s["safety"]["value"], 1.0);
    assert_eq!(s["path"], serde_json::json!([v, helen, sam]));
    assert_eq!(s["input"]["unreadable_lines"], 1);
    assert_eq!(s["input"]["bad_signature"], 1);

    // Mallory's 30 praising puppets are outside the viewer's network: together they weigh at
    // most ε, there is no path, and she is no more than unknown.
    let m = screen(&mallory, &["--json", "--explain"]).json();
    assert_eq!(m["deals"], 30);
    assert_eq!(m["partners_in_network"], 0);
    assert_eq!(m["path"], serde_json::json!([]));
    assert!(
        m["unreachable_weight"]
            .as_f64()
            .is_some_and(|w| w <= 0.05 + 1e-9),
        "{m}"
    );
    assert_ne!(m["verdict"], "trusted");
    let raters = m["raters"].as_array().expect("--explain adds raters");
    assert_eq!(raters.len(), 30);
    for r in raters {
        for k in ["pubkey", "weight", "hop", "tier"] {
            assert!(r.get(k).is_some(), "rater without `{k}`: {r}");
        }
        assert!(r["hop"].is_null(), "a puppet is unreachable: {r}");
    }

    // Human output: the compact card.
    let card = screen(&mallory, &["--explain"]).ok();
    assert!(
        card.contains("30 deals · 30 partners · 0 in your network"),
        "{card}"
    );
    assert!(
        card.contains("raters (30)") && card.contains("1 unreadable lines"),
        "{card}"
    );
    let card = screen(&sam, &[]).ok();
    assert!(
        card.contains("1 in your network") && card.contains("path: you → "),
        "{card}"
    );

    // Bad input: malformed keys, a missing file, no viewer.
    home.run(&["screen", "npub1nope", "--events", f, "--viewer", &v])
        .refused(3, "");
    home.run(&["screen", &v, "--events", f, "--viewer", "nope"])
        .refused(3, "");
    home.run(&[
        "screen",
        &v,
        "--events",
        "/nonexistent.jsonl",
        "--viewer",
        &v,
    ])
    .refused(3, "events");
    home.run(&["screen", &v, "--events", f])
        .refused(2, "viewer");
}

/// Issue 25, as an attacker would try it with signed events: scammer Sam met two of the viewer's
/// partners, who rated him unsafe and unreliable; his 30 puppets met each other and him and
/// praise him; Mia, a new account, met 20 of the puppets only, who praise her.
#[test]
fn screen_events_a_flagged_scammer_vouches_for_none_of_his_puppets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (viewer, sam, mia) = (Keys::generate(), Keys::generate(), Keys::generate());
    let mut events = Vec::new();
    for _ in 0..2 {
        let partner = Keys::generate();
        let (n, e) = met_deal(&viewer, &partner, 90);
        events.extend(e);
        events.push(rating(&viewer, &partner, &n, 90, true));
        let (n, e) = met_deal(&partner, &sam, 60);
        events.extend(e);
        events.push(rating(&partner, &sam, &n, 60, false));
    }
    let puppets: Vec<Keys> = (0..30).map(|_| Keys::generate()).collect();
    for (i, p) in puppets.iter().enumerate() {
        let (_, e) = met_deal(p, &puppets[(i + 1) % puppets.len()], 30);
        events.extend(e);
        let (n, e) = met_deal(p, &sam, 20);
        events.extend(e);
        events.push(rating(p, &sam, &n, 20, true));
        if i < 20 {
            let (n, e) = met_deal(p, &mia, 2);
            events.extend(e);
            events.push(rating(p, &mia, &n, 2, true));
        }
    }
    let lines: Vec<String> = events.iter().map(|e| e.as_json()).collect();
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, lines.join("\n")).expect("write");
    let home = Home::new(&[]);
    let (f, v) = (file.to_str().expect("path"), viewer.public_key().to_hex());
    let screen = |who: &Keys, extra: &[&str]| {
        let who = who.public_key().to_hex();
        let mut args = vec!["screen", who.as_str(), "--events", f, "--viewer", &v];
        args.extend_from_slice(extra);
        home.run(&args)
    };

    // Sam is flagged; his puppets' praise weighs at most ε together, from outside the network.
    let s = screen(&sam, &["--json", "--explain"]).json();
    assert_eq!(s["verdict"], "warning", "{s}");
    assert_eq!(s["safety"]["flagged"], true);
    assert_eq!(
        (s["partners"].as_u64(), s["partners_in_network"].as_u64()),
        (Some(32), Some(2))
    );
    let raters = s["raters"].as_array().expect("--explain adds raters");
    let outside: Vec<&Value> = raters.iter().filter(|r| r["hop"].is_null()).collect();
    assert_eq!(
        outside.len(),
        30,
        "every puppet is outside the network: {s}"
    );
    let puppet_weight: f64 = outside.iter().filter_map(|r| r["weight"].as_f64()).sum();
    assert!(puppet_weight <= 0.05 + 1e-9, "{puppet_weight}");

    // Mia's partners are puppets only: none of them is in the viewer's network.
    let m = screen(&mia, &["--json"]).json();
    assert_eq!(m["partners"], 20);
    assert_eq!(m["partners_in_network"], 0, "{m}");
    assert_eq!(m["new_account"], true);
    assert_eq!(m["path"], serde_json::json!([]));
    assert_ne!(m["verdict"], "trusted");
    let card = screen(&mia, &[]).ok();
    assert!(
        card.contains("20 deals · 20 partners · 0 in your network"),
        "{card}"
    );
    // A puppet is not shown as connected to the viewer through Sam.
    let p = screen(&puppets[0], &["--json"]).json();
    assert_eq!(p["path"], serde_json::json!([]), "{p}");
}

#[test]
fn demo_runs_end_to_end_and_writes_its_artifacts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("demo");
    let run = Run::from_output(
        Command::new(bin())
            .args(["demo", "--puppets", "12", "--json", "--out"])
            .arg(&out)
            .env_remove("FREEPORT_RELAYS")
            .stdin(Stdio::null())
            .output()
            .expect("run demo"),
    );
    let narrative = run.stderr.clone();
    let doc = run.json();
    for step in [
        "Alice posts",
        "private quotes",
        "picks Bob",
        "single-use code",
        "Both rate",
        "Screening",
    ] {
        assert!(
            narrative.contains(step),
            "narrative lacks `{step}`:\n{narrative}"
        );
    }
    for name in ["meet-code.png", "trust-neighbourhood.png"] {
        let bytes = std::fs::read(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{name} is not a PNG"
        );
    }
    let svg = std::fs::read_to_string(out.join("meet-code.svg")).expect("svg");
    assert!(svg.contains("<svg"));
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("screening.json")).expect("json"))
            .expect("screening.json is JSON");
    assert_eq!(file, doc["screening"]);
    assert_eq!(doc["artifacts"].as_array().map(Vec::len), Some(4));
    // The honest seller is in Alice's network; the boosted scammer and the newcomer are not.
    let bob = &doc["screening"]["Bob"];
    assert!(
        bob["partners_in_network"].as_u64().is_some_and(|n| n >= 1),
        "{bob}"
    );
    let mallory = &doc["screening"]["Mallory"];
    assert_eq!(mallory["partners_in_network"], 0, "{mallory}");
    assert_eq!(mallory["new_account"], true);
    assert!(
        mallory["partners"].as_u64().is_some_and(|n| n >= 12),
        "{mallory}"
    );
    assert_eq!(mallory["badge"]["partners_in_network"], 0, "{mallory}");
    assert_eq!(mallory["badge"]["new_account"], true, "{mallory}");
    assert!(
        mallory["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["code"] == "new_account")),
        "{mallory}"
    );
    assert_eq!(doc["screening"]["Nina"]["deals"], 0);
}
