//! The rest of the negotiation vocabulary through the binary (issue 22): posting with a time
//! window and flex minutes, chat (`chat NEGO TEXT`, `chat NEGO --json`), stage and unread in
//! `deals`, mutual cancel, block / unblock, `settings --nip17-only`, and `deals --refused`.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Home, PATIENCE, Relay, WHERE, goods_payload};

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

fn post(h: &Home, title: &str, extra: &[&str]) -> Value {
    let payload = goods_payload("city bike", 150, WHERE);
    let mut args = vec![
        "post",
        "--market",
        "goods",
        "--side",
        "request",
        "--title",
        title,
        "--payload",
        &payload,
        "--geohash",
        WHERE,
        "--pow",
        "0",
        "--json",
    ];
    args.extend_from_slice(extra);
    h.run(&args).json()
}

/// Sends `text` to `to` as a NIP-04 direct message from a throwaway key (a stranger, or a
/// client that sends what ours never would).
fn stranger_dm(relay_url: &str, to_hex: &str, text: &str) {
    use freeport_core::relay::{MemoryOutbox, RelayClient, RelayConfig, transport};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let keys = nostr::Keys::generate();
        let to = nostr::PublicKey::from_hex(to_hex).expect("key");
        let (client, _incoming) = RelayClient::start(
            keys.clone(),
            RelayConfig::new(vec![relay_url.to_string()]),
            std::sync::Arc::new(MemoryOutbox::new()),
        )
        .await
        .expect("client");
        assert!(client.wait_for_connected(1, PATIENCE).await >= 1);
        let now = nostr::Timestamp::now();
        let ev = transport::build_nip04(&keys, &to, text, now).expect("dm");
        assert!(client.publish_now(&ev).await.is_accepted());
        client.shutdown().await;
    });
}

#[test]
fn window_chat_stage_unread_mutual_cancel_block_and_refusals() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];
    let alice = Home::init(&relays, "Alice");
    let bob = Home::init(&relays, "Bob");
    let carol = Home::init(&relays, "Carol");
    let (alice_hex, _) = alice.whoami();
    let (_, carol_npub) = carol.whoami();

    // Posting takes a window and flex minutes, as the reference's agent matches them.
    let i = post(
        &alice,
        "Wanted: bike",
        &["--window", "+2h..+3h", "--flex", "30"],
    );
    let intent = i["id"].as_str().expect("id").to_string();
    let (ws, we) = (
        i["window_start"].as_u64().expect("start"),
        i["window_end"].as_u64().expect("end"),
    );
    assert_eq!(we - ws, 3600);
    assert_eq!(i["flex_minutes"], 30);
    alice
        .run(&[
            "post",
            "--market",
            "goods",
            "--side",
            "request",
            "--title",
            "x",
            "--payload",
            &goods_payload("x", 1, WHERE),
            "--window",
            "+3h..+2h",
        ])
        .refused(3, "window");
    alice
        .run(&[
            "post",
            "--market",
            "goods",
            "--side",
            "request",
            "--title",
            "x",
            "--payload",
            &goods_payload("x", 1, WHERE),
            "--flex",
            "5",
        ])
        .refused(2, "window");

    // A deal: Bob quotes, Alice picks, Bob confirms.
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
    wait_for(&alice, &nego, "seen", |_| true);
    alice.run(&["pick", &nego, "--json"]).json();
    bob.wait_state(&nego, "confirmed");

    // Chat: Bob writes twice; Alice's `deals` shows them unread; `chat --json` reads them.
    assert_eq!(
        bob.run(&["chat", &nego, "Blue bike, red bell"]).ok().trim(),
        "sent"
    );
    bob.run(&["chat", &nego, "At exit B"]).ok();
    let d = wait_for(&alice, &nego, "chatted", |d| d["unread"] == 2);
    assert_eq!(d["state"], "confirmed");
    let human = alice.run(&["deals"]).ok();
    assert!(human.contains("2 unread"), "{human}");
    let history = alice.run(&["chat", &nego, "--json"]).json();
    let msgs = history.as_array().expect("array");
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["text"], "Blue bike, red bell");
    assert_eq!(msgs[0]["from_me"], false);
    assert!(msgs[0]["at"].as_u64().is_some());
    assert_eq!(alice.deal(&nego)["unread"], 0, "reading marks it read");
    let mine = bob.run(&["chat", &nego, "--json"]).json();
    assert_eq!(mine.as_array().expect("array").len(), 2);
    assert!(
        mine.as_array()
            .expect("array")
            .iter()
            .all(|m| m["from_me"] == true)
    );
    bob.run(&["chat", &nego, "   "]).refused(3, "text");

    // Stage: Bob reports picked up; Alice sees it.
    bob.run(&["stage", &nego, "picked-up", "--json"]).json();
    let d = wait_for(&alice, &nego, "picked up", |d| d["stage"] == "picked_up");
    assert_eq!(d["state"], "confirmed");
    assert!(alice.run(&["deals"]).ok().contains("picked up"));

    // Mutual cancel: Alice asks, Bob declines; the deal stands.
    let a = alice.run(&["cancel", &nego, "--request", "--json"]).json();
    assert_eq!(a["state"], "cancel_requested_by_us");
    let b = bob.wait_state(&nego, "cancel_requested_by_them");
    assert!(
        b["actions"]
            .as_array()
            .is_some_and(|a| a.contains(&serde_json::json!("agree_cancel"))),
        "{b}"
    );
    assert_eq!(
        bob.run(&["cancel", &nego, "--decline", "--json"]).json()["state"],
        "confirmed"
    );
    alice.wait_state(&nego, "confirmed");

    // Block: Carol's intent disappears from Alice's market, and comes back when unblocked.
    let ci = post(&carol, "Selling: bike", &[]);
    let cid = ci["id"].as_str().expect("id").to_string();
    let listed = |h: &Home| -> bool {
        h.run(&["browse", "--market", "goods", "--near", WHERE, "--json"])
            .json()
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["id"] == cid.as_str()))
    };
    assert!(listed(&alice));
    assert!(alice.run(&["block", &carol_npub]).ok().contains("blocked"));
    assert!(!listed(&alice), "a blocked key's intents are hidden");
    assert_eq!(
        alice
            .run(&["blocked", "--json"])
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    alice.run(&["block", "npub1nope"]).refused(3, "");
    assert_eq!(
        alice.run(&["unblock", &carol_npub, "--json"]).json()["unblocked"],
        true
    );
    assert!(listed(&alice));

    // Refused messages: recorded once with their reason, however often they are fetched.
    let bad = serde_json::json!({
        "v": 1, "type": "negotiate.counter",
        "nego": format!("{}:{alice_hex}:{}", i["d"].as_str().expect("d"), "ab".repeat(32)),
        "intent_id": intent, "intent_d": i["d"], "market": "sg-goods",
        "terms": {"price": "a lot", "payment": 12}, "ts": 1
    });
    stranger_dm(&relay.url(), &alice_hex, &bad.to_string());
    stranger_dm(&relay.url(), &alice_hex, "hello, is this still available?");
    let deadline = Instant::now() + PATIENCE;
    let refused = loop {
        let r = alice.run(&["deals", "--refused", "--json"]).json();
        if r.as_array().map(Vec::len) == Some(2) {
            break r;
        }
        assert!(Instant::now() < deadline, "refusals: {r}");
        std::thread::sleep(Duration::from_millis(200));
    };
    alice.run(&["sync"]).ok();
    alice.run(&["sync"]).ok();
    let again = alice.run(&["deals", "--refused", "--json"]).json();
    assert_eq!(again, refused, "recorded once");
    let codes: Vec<&str> = refused
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    assert!(
        codes.contains(&"malformed") && codes.contains(&"not_freeport"),
        "{codes:?}"
    );
    let human = alice.run(&["deals", "--refused"]).ok();
    assert!(human.contains("`terms` breaks the format"), "{human}");
    assert!(
        human.contains("not a Freeport negotiation message"),
        "{human}"
    );

    // The privacy setting.
    assert_eq!(
        alice.run(&["settings", "--json"]).json()["nip17_only"],
        false
    );
    assert_eq!(
        alice
            .run(&["settings", "--nip17-only", "yes", "--json"])
            .json()["nip17_only"],
        true
    );
}
