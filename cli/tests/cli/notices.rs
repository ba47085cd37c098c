//! `freeport notices`: one background pass, printing what happened since the last run — each
//! notice once — as a JSON array of items with a snake_case `kind` and the deal's `nego`; and
//! `freeport watch` showing notices live (and acknowledging them: `notices` does not repeat them).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use serde_json::Value;

use crate::harness::{Home, PATIENCE, Relay, WHERE, goods_payload};

fn post(h: &Home, title: &str) -> String {
    let payload = goods_payload("city bike", 120, WHERE);
    h.run(&[
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
    ])
    .json()["id"]
        .as_str()
        .expect("id")
        .to_string()
}

fn notices(h: &Home) -> Vec<Value> {
    match h.run(&["notices", "--json"]).json() {
        Value::Array(a) => a,
        v => panic!("notices is not an array: {v}"),
    }
}

fn kinds(v: &[Value]) -> Vec<(String, String)> {
    v.iter()
        .map(|n| {
            (
                n["kind"].as_str().expect("kind").to_string(),
                n["nego"].as_str().expect("nego").to_string(),
            )
        })
        .collect()
}

#[test]
fn notices_prints_each_new_notice_once() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];
    let alice = Home::init(&relays, "Alice");
    let bob = Home::init(&relays, "Bob");
    assert!(notices(&alice).is_empty());
    let intent = post(&alice, "Wanted: bike");
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

    let got = notices(&alice);
    assert_eq!(kinds(&got), vec![("new_quote".to_string(), nego.clone())]);
    assert_eq!(got[0]["accepted_as_posted"], false);
    assert_eq!(got[0]["intent_id"], intent.as_str());
    assert_eq!(got[0]["intent_title"], "Wanted: bike");
    assert_eq!(got[0]["channel"], "deals");
    assert!(notices(&alice).is_empty(), "each notice once");

    // Alice accepts Bob's counter; Bob's phone confirms by itself; both hear "confirmed".
    alice.run(&["accept", &nego, "--json"]).ok();
    assert_eq!(
        kinds(&notices(&bob)),
        vec![("confirmed".to_string(), nego.clone())]
    );
    let deadline = Instant::now() + PATIENCE;
    let mut alice_got = Vec::new();
    while alice_got.is_empty() {
        assert!(
            Instant::now() < deadline,
            "Alice never heard of the confirmation"
        );
        alice_got = notices(&alice);
    }
    assert_eq!(
        kinds(&alice_got),
        vec![("confirmed".to_string(), nego.clone())]
    );

    // Human output: one line per notice, or "nothing new".
    let out = alice.run(&["notices"]).ok();
    assert_eq!(out.trim(), "nothing new");

    // Bad input: a typed refusal naming the field; no identity: exit 4.
    alice
        .run(&["notices", "--budget", "3y"])
        .refused(3, "budget");
    let nobody = Home::new(&relays);
    nobody.run(&["notices"]).refused(4, "identity");
}

#[test]
fn watch_shows_notices_live_and_notices_then_has_nothing_to_repeat() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];
    let alice = Home::init(&relays, "Alice");
    let bob = Home::init(&relays, "Bob");
    let intent = post(&alice, "Wanted: bike");

    let mut watch = alice
        .cmd(&["watch"])
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
    let next = |what: &str| -> (bool, String) {
        let left = deadline.saturating_duration_since(Instant::now());
        rx.recv_timeout(left)
            .unwrap_or_else(|_| panic!("watch never printed {what}"))
    };
    while !next("its banner").1.starts_with("watching") {}

    let nego = bob.run(&["respond", &intent, "--accept", "--json"]).json()["nego"]
        .as_str()
        .expect("nego")
        .to_string();
    let notice = loop {
        let (stdout, line) = next("the new quote notice");
        if !stdout {
            continue;
        }
        let v: Value = serde_json::from_str(&line).expect("one JSON object per line");
        if v["type"] == "notice" {
            break v["notice"].clone();
        }
    };
    assert_eq!(notice["kind"], "new_quote");
    assert_eq!(notice["nego"], nego.as_str());
    assert_eq!(notice["accepted_as_posted"], true);

    let status = Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let code = watch.wait().expect("wait");
    assert!(code.success(), "watch exited with {code}");
    // Shown by watch: acknowledged.
    assert!(notices(&alice).is_empty());
}
