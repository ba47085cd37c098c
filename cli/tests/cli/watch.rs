//! `freeport watch`: a long-running process that prints one JSON line per live update (new
//! intents in a market, negotiation changes) and exits cleanly on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use serde_json::Value;

use crate::harness::{Home, PATIENCE, Relay, WHERE, goods_payload};

fn post(h: &Home, title: &str, side: &str) -> String {
    let payload = goods_payload("city bike", 120, WHERE);
    h.run(&[
        "post",
        "--market",
        "goods",
        "--side",
        side,
        "--title",
        title,
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
        .to_string()
}

#[test]
fn watch_prints_new_intents_and_negotiation_changes_then_stops_on_ctrl_c() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];
    let alice = Home::init(&relays, "Alice");
    let bob = Home::init(&relays, "Bob");
    let mine = post(&alice, "Wanted: bike", "request");

    let mut watch = alice
        .cmd(&["watch", "--market", "goods"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watch");
    let (tx, rx) = mpsc::channel::<(bool, String)>();
    let out = watch.stdout.take().expect("stdout");
    let err = watch.stderr.take().expect("stderr");
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send((true, l));
        }
    });
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx2.send((false, l));
        }
    });
    let deadline = Instant::now() + PATIENCE;
    let mut events: Vec<Value> = Vec::new();
    let next = |what: &str| -> (bool, String) {
        let left = deadline.saturating_duration_since(Instant::now());
        rx.recv_timeout(left)
            .unwrap_or_else(|_| panic!("watch never printed {what}"))
    };
    // Subscribed once it says so on stderr.
    while !next("its banner").1.starts_with("watching") {}

    let theirs = post(&bob, "Selling: bike", "offer");
    let nego = bob.run(&["respond", &mine, "--accept", "--json"]).json()["nego"]
        .as_str()
        .expect("nego")
        .to_string();
    let seen = |events: &[Value]| {
        let intent = events
            .iter()
            .any(|e| e["type"] == "intent_seen" && e["intent_id"] == theirs.as_str());
        let thread = events
            .iter()
            .any(|e| e["type"] == "negotiation_changed" && e["nego"] == nego.as_str());
        intent && thread
    };
    while !seen(&events) {
        let (stdout, line) = next("the new intent and the new negotiation");
        if stdout {
            events.push(
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}")),
            );
        }
    }
    assert!(
        events.iter().all(|e| e["type"].is_string()),
        "every line is a typed event: {events:?}"
    );

    // Ctrl-C: the process finishes its work and exits 0.
    let status = Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let deadline = Instant::now() + PATIENCE;
    let code = loop {
        if let Some(s) = watch.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "watch ignored Ctrl-C");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(code.success(), "watch exited with {code}");
}
