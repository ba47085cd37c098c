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
