//! `freeport contacts` and `freeport checkin`: a meetup check-in shared with a trusted contact,
//! closed safe or under duress, extended and cancelled; the contact hearing each step from
//! `freeport notices`; "safe" offline waiting in the outbox; and every bad input refused with one
//! line and exit 3, changing nothing.

use serde_json::Value;

use crate::harness::{Home, Relay, WHERE, goods_payload};

/// Alice (owner) and Bob with a confirmed deal; Carol and Alice trust each other.
fn town(relays: &[String]) -> (Home, Home, Home, String) {
    let alice = Home::init(relays, "Alice");
    let bob = Home::init(relays, "Bob");
    let carol = Home::init(relays, "Carol");
    bob.run(&[
        "profile",
        "set",
        "--name",
        "Bob",
        "--phone",
        "+65 8765 4321",
    ])
    .ok();
    let payload = goods_payload("city bike", 120, WHERE);
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
            "0",
            "--json",
        ])
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let nego = bob
        .run(&[
            "respond",
            &intent,
            "--counter",
            r#"{"price":100}"#,
            "--json",
        ])
        .json()["nego"]
        .as_str()
        .expect("nego")
        .to_string();
    alice.run(&["accept", &nego, "--json"]).ok();
    // Bob's phone confirms by itself when it next runs; then Alice hears it.
    bob.wait_state(&nego, "confirmed");
    alice.wait_state(&nego, "confirmed");
    // What the deal screen shows before sharing: Bob's card (and his profile).
    let (bob_hex, _) = bob.whoami();
    alice.run(&["screen", &bob_hex]).ok();

    let (_, carol_npub) = carol.whoami();
    let (_, alice_npub) = alice.whoami();
    let added = alice
        .run(&["contacts", "add", &carol_npub, "--name", "Carol", "--json"])
        .json();
    assert_eq!(added["label"], "Carol");
    carol.run(&["contacts", "add", &alice_npub]).ok();
    (alice, bob, carol, nego)
}

fn notices(h: &Home) -> Vec<Value> {
    match h.run(&["notices", "--json"]).json() {
        Value::Array(a) => a,
        v => panic!("notices is not an array: {v}"),
    }
}

fn kinds(v: &[Value]) -> Vec<&str> {
    v.iter()
        .map(|n| n["kind"].as_str().expect("kind"))
        .collect()
}

#[test]
fn a_check_in_reaches_the_contact_and_duress_reads_safe_on_the_users_side() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];
    let (alice, bob, carol, nego) = town(&relays);
    let (_, carol_npub) = carol.whoami();
    let (bob_hex, bob_npub) = bob.whoami();

    let list = alice.run(&["contacts", "list", "--json"]).json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["npub"], carol_npub.as_str());

    let v = alice
        .run(&[
            "checkin",
            "share",
            &nego,
            "--with",
            &carol_npub,
            "--until",
            "+2h",
            "--place",
            "Tanjong Pagar MRT, exit A",
            "--geohash",
            "w21z7",
            "--json",
        ])
        .json();
    assert_eq!(v["state"], "active");
    assert_eq!(v["delivery"], "sent");
    assert_eq!(v["meeting"]["pubkey"], bob_hex.as_str());
    assert_eq!(
        v["actions"],
        serde_json::json!(["extend", "safe", "cancel"])
    );

    let got = notices(&carol);
    assert_eq!(kinds(&got), vec!["checkin_received"]);
    let n = &got[0];
    assert_eq!(n["channel"], "safety");
    assert_eq!(n["checkin"]["meeting"]["npub"], bob_npub.as_str());
    assert_eq!(n["checkin"]["meeting"]["phone"], "+65••••4321");
    assert_eq!(n["checkin"]["place_name"], "Tanjong Pagar MRT, exit A");
    let text = n.to_string();
    assert!(!text.contains("87654321"), "{text}");
    let watching = carol.run(&["checkin", "list", "--json"]).json();
    assert_eq!(watching["watching"][0]["state"], "active");

    // Duress: Alice's phone says "safe"; Carol's says duress.
    let v = alice
        .run(&["checkin", "safe", &nego, "--duress", "--json"])
        .json();
    assert_eq!(v["state"], "safe");
    assert_eq!(v["actions"], serde_json::json!([]));
    let got = notices(&carol);
    assert_eq!(kinds(&got), vec!["checkin_duress"]);
    let mine = alice.run(&["checkin", "list", "--json"]).json();
    assert_eq!(mine["mine"][0]["state"], "safe");
    let human = carol.run(&["checkin", "list"]).ok();
    assert!(human.contains("DURESS"), "{human}");

    // A new one for the same deal, extended, then cancelled.
    let v = alice
        .run(&[
            "checkin",
            "share",
            &nego,
            "--with",
            &carol_npub,
            "--until",
            "+1h",
            "--json",
        ])
        .json();
    let first = v["deadline"].as_u64().expect("deadline");
    // The deal's place by default.
    assert_eq!(v["place_name"], "Tanjong Pagar MRT");
    let v = alice
        .run(&["checkin", "extend", &nego, "--until", "+3h", "--json"])
        .json();
    assert!(v["deadline"].as_u64().expect("deadline") >= first + 7000);
    let human = carol.run(&["notices"]).ok();
    assert!(human.contains("check-in shared with you"), "{human}");
    assert!(human.contains("Bob"), "{human}");
    let v = alice.run(&["checkin", "cancel", &nego, "--json"]).json();
    assert_eq!(v["state"], "cancelled");
    let w = carol.run(&["checkin", "list", "--json"]).json();
    // Carol's list reads after her next pass.
    assert!(w["watching"].as_array().is_some_and(|a| a.len() == 2));
    notices(&carol);
    let w = carol.run(&["checkin", "list", "--json"]).json();
    assert!(
        w["watching"]
            .as_array()
            .expect("watching")
            .iter()
            .any(|x| x["state"] == "cancelled"),
        "{w}"
    );

    // Removing a contact.
    assert_eq!(
        alice
            .run(&["contacts", "remove", &carol_npub, "--json"])
            .json()["removed"],
        true
    );
    assert_eq!(
        alice.run(&["contacts", "list", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn bad_check_in_input_is_refused_with_one_line_and_changes_nothing() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];
    let (alice, bob, carol, nego) = town(&relays);
    let (_, carol_npub) = carol.whoami();
    let (_, bob_npub) = bob.whoami();
    let stranger = Home::init(&relays, "Dave");
    let (_, dave_npub) = stranger.whoami();

    alice
        .run(&[
            "checkin", "share", &nego, "--with", &dave_npub, "--until", "+2h",
        ])
        .refused(3, "not one of your trusted contacts");
    alice
        .run(&[
            "checkin",
            "share",
            &nego,
            "--with",
            &carol_npub,
            "--until",
            "tomorrow",
        ])
        .refused(3, "until");
    alice
        .run(&[
            "checkin",
            "share",
            &nego,
            "--with",
            &carol_npub,
            "--until",
            "+10s",
        ])
        .refused(3, "at least 1 minute from now");
    alice
        .run(&[
            "checkin",
            "share",
            &nego,
            "--with",
            &carol_npub,
            "--until",
            "+5d",
        ])
        .refused(3, "at most 3 days from now");
    alice
        .run(&[
            "checkin",
            "share",
            &nego,
            "--with",
            &carol_npub,
            "--until",
            "+2h",
            "--geohash",
            "aaaa",
        ])
        .refused(3, "geohash");
    alice
        .run(&["checkin", "safe", &nego])
        .refused(3, "no open check-in");
    // Bob as a trusted contact cannot get the check-in of a deal with Bob.
    alice.run(&["contacts", "add", &bob_npub]).ok();
    alice
        .run(&[
            "checkin", "share", &nego, "--with", &bob_npub, "--until", "+2h",
        ])
        .refused(3, "never goes to the person you are meeting");
    alice
        .run(&["contacts", "add", "npub1nope"])
        .refused(3, "key");
    let (alice_hex, _) = alice.whoami();
    alice
        .run(&["contacts", "add", &alice_hex])
        .refused(3, "your own key");
    alice
        .run(&[
            "checkin",
            "share",
            "not-a-deal",
            "--with",
            &carol_npub,
            "--until",
            "+2h",
        ])
        .refused(3, "not-a-deal");
    let mine = alice.run(&["checkin", "list", "--json"]).json();
    assert_eq!(mine["mine"], serde_json::json!([]));
    assert!(notices(&carol).is_empty());
    // A stranger's check-in alerts nobody: Dave is not on Carol's list.
    assert!(notices(&bob).iter().all(|n| n["channel"] != "safety"));
}

#[test]
fn safe_offline_waits_in_the_outbox_and_goes_when_a_relay_is_back() {
    let relay = Relay::embedded();
    let port = relay.port();
    let relays = vec![relay.url()];
    let (alice, _bob, carol, nego) = town(&relays);
    let (_, carol_npub) = carol.whoami();
    alice
        .run(&[
            "checkin",
            "share",
            &nego,
            "--with",
            &carol_npub,
            "--until",
            "+2h",
            "--json",
        ])
        .json();
    assert_eq!(kinds(&notices(&carol)), vec!["checkin_received"]);

    relay.stop();
    let out = alice.run(&["checkin", "safe", &nego]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("not yet sent"), "{}", out.stdout);
    let v = alice.run(&["checkin", "list", "--json"]).json();
    assert_eq!(v["mine"][0]["delivery"], "not_yet_sent");
    assert_eq!(v["mine"][0]["state"], "safe");

    // The relay is back: the next command publishes what waited.
    let _relay = Relay::embedded_at(port, None);
    alice.run(&["sync"]).ok();
    let v = alice.run(&["checkin", "list", "--json"]).json();
    assert_eq!(v["mine"][0]["delivery"], "sent");
    assert_eq!(kinds(&notices(&carol)), vec!["checkin_safe"]);
}
