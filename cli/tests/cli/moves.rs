//! The other negotiation moves (counter, accept, pick after an accept, cancel, withdraw) with their JSON output, and a
//! live `meet show` that refreshes until the other phone's co-signature arrives.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Home, PATIENCE, Relay, WHERE, goods_payload};

fn terms(d: &Value) -> Value {
    serde_json::from_str(d["terms_json"].as_str().expect("terms_json")).expect("terms JSON")
}

/// Polls `deals` until `check` holds for `nego`.
fn wait_for(h: &Home, nego: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let d = h.deal(nego);
        if check(&d) {
            return d;
        }
        assert!(Instant::now() < deadline, "{nego}: never {what}: {d}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn counter_accept_cancel_withdraw_and_a_live_meet_code() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];
    let alice = Home::init(&relays, "Alice");
    let bob = Home::init(&relays, "Bob");
    let carol = Home::init(&relays, "Carol");
    bob.run(&["profile", "set", "--phone", "+65 9123 4567"])
        .ok();
    let payload = goods_payload("city bike", 150, WHERE);
    let intent = alice
        .run(&[
            "post",
            "--market",
            "goods",
            "--side",
            "request",
            "--title",
            "Wanted: bike",
            "--payload",
            &payload,
            "--geohash",
            WHERE,
            "--pow",
            "4",
            "--json",
        ])
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();

    // Carol accepts as posted; Alice declines her with a reason (cancelling her own move).
    let carol_nego = carol
        .run(&["respond", &intent, "--accept", "--json"])
        .json()["nego"]
        .as_str()
        .expect("nego")
        .to_string();
    wait_for(&alice, &carol_nego, "seen", |_| true);
    let c = alice
        .run(&["cancel", &carol_nego, "--reason", "already sold", "--json"])
        .json();
    assert_eq!(c["state"], "cancelled");
    let c = carol.wait_state(&carol_nego, "cancelled");
    assert_eq!(
        c["cancellation"],
        serde_json::json!({"by": "them", "reason": {"code": "said", "text": "already sold"}}),
        "{c}"
    );
    assert_eq!(c["actions"], serde_json::json!([]), "{c}");
    assert!(
        c["their_contact"].is_null(),
        "a declined responder never sees a contact"
    );

    // Bob quotes 120; Alice counters 135; Bob accepts; both confirmed.
    let nego = bob
        .run(&[
            "respond",
            &intent,
            "--counter",
            r#"{"price":120}"#,
            "--json",
        ])
        .json()["nego"]
        .as_str()
        .expect("nego")
        .to_string();
    let a = alice
        .run(&["counter", &nego, r#"{"price":135}"#, "--json"])
        .json();
    assert_eq!(a["proposed_by"], "us");
    assert_eq!(terms(&a)["price"], 135);
    let b = wait_for(&bob, &nego, "countered", |d| d["proposed_by"] == "them");
    assert_eq!(terms(&b)["price"], 135);
    let b = bob.run(&["accept", &nego, "--json"]).json();
    assert_eq!(b["state"], "accepted_by_us");
    // The owner confirms by picking the accepted quote.
    alice.wait_state(&nego, "accepted_by_them");
    assert_eq!(
        alice.run(&["pick", &nego, "--json"]).json()["state"],
        "confirmed"
    );
    let b = bob.wait_state(&nego, "confirmed");
    assert_eq!(
        terms(&b)["price"],
        135,
        "the confirmed terms are the accepted ones"
    );
    alice.run(&["cancel", &carol_nego]).refused(3, "cancelled");

    // Cancelling a confirmed deal takes both: Bob asks, Alice declines, the deal stands. What
    // each may do is the core's (`actions`), and an answer nobody asked for is refused.
    let b = bob
        .run(&[
            "cancel",
            &nego,
            "--request",
            "--reason",
            "flat tyre",
            "--json",
        ])
        .json();
    assert_eq!(b["state"], "cancel_requested_by_us");
    assert_eq!(
        b["actions"],
        serde_json::json!(["cancel", "chat", "mark_picked_up", "mark_completed"])
    );
    let a = alice.wait_state(&nego, "cancel_requested_by_them");
    assert_eq!(
        a["actions"],
        serde_json::json!([
            "cancel",
            "agree_cancel",
            "decline_cancel",
            "chat",
            "mark_picked_up",
            "mark_completed"
        ])
    );
    let human = alice.run(&["deals"]).ok();
    assert!(
        human.contains("they ask to cancel") && human.contains("cancel --agree"),
        "{human}"
    );
    alice.run(&["cancel", &nego, "--decline", "--json"]).json();
    bob.wait_state(&nego, "confirmed");
    bob.run(&["cancel", &nego, "--agree"])
        .refused(3, "no request to cancel");

    // Withdrawing the intent takes it off the market; the confirmed deal stands.
    let w = alice.run(&["withdraw", &intent, "--json"]).json();
    assert_eq!(w["withdrawn"], intent.as_str());
    assert_eq!(alice.deal(&nego)["state"], "confirmed");
    let list = carol
        .run(&["browse", "--market", "goods", "--near", WHERE, "--json"])
        .json();
    assert!(
        list.as_array()
            .is_some_and(|l| l.iter().all(|i| i["id"] != intent.as_str())),
        "withdrawn intent still listed: {list}"
    );

    // A live code: Bob's `meet show` keeps running (JSON lines) until Alice's co-signed receipt
    // reaches him through the relay, then says so and exits 0.
    let mut show = bob
        .cmd(&["meet", "show", &nego, "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("meet show");
    let mut lines = BufReader::new(show.stdout.take().expect("stdout")).lines();
    let first: Value =
        serde_json::from_str(&lines.next().expect("a code").expect("read")).expect("a JSON line");
    let token = first["token"].as_str().expect("token").to_string();
    let scan = alice
        .run(&["meet", "scan", "--text", &token, "--json"])
        .json();
    assert_eq!(scan["state"], "met");
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(s) = show.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = show.kill();
            panic!("meet show did not notice the co-signature");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success());
    let rest: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.expect("read")).expect("every line is JSON"))
        .collect();
    assert_eq!(
        rest.last().map(|v| &v["met"]),
        Some(&Value::String(nego.clone()))
    );
    assert_eq!(bob.deal(&nego)["state"], "met");
}
