//! Bad input at every command: one clear line on stderr, a non-zero exit code (3 for refused
//! input, 2 for usage, 4 for no identity), and nothing changed — no event queued or published,
//! no deal moved.

use freeport_core::identity::{MIN_EXPORT_LOG_N, SecretKeyMaterial, export_ncryptsec};
use freeport_core::meet::{MeetContext, make_meet_code};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::receipt::MeetNonce;
use nostr::{EventId, PublicKey, Timestamp};
use serde_json::Value;

use crate::harness::{Home, Relay, WHERE, goods_payload};

const NOSUCH_NEGO: &str = "0123456789abcdef:\
    8f47adea76d0126fa4e31dba63cd3f8fa15c430bd26fa52a8d082128643571d7:\
    bd051dfe4aa21a8337085144ee0005e3c7b705986386b7d0b59ed990d8b1246e";

/// What must not change when a command is refused.
#[derive(Debug, PartialEq)]
struct Snapshot {
    outbox: usize,
    deals: Vec<Value>,
}

fn snapshot(h: &Home) -> Snapshot {
    Snapshot {
        outbox: h.outbox_len(),
        deals: h.deals(),
    }
}

/// `post` with valid arguments, except those given in `over` (`--flag value` pairs replace the
/// default; a lone flag such as `--json` is appended).
fn post(h: &Home, over: &[&str]) -> crate::harness::Run {
    let payload = goods_payload("city bike", 150, WHERE);
    let mut args: Vec<(&str, Option<&str>)> = vec![
        ("--market", Some("goods")),
        ("--side", Some("request")),
        ("--title", Some("Wanted: bike")),
        ("--payload", Some(&payload)),
        ("--geohash", Some(WHERE)),
    ];
    let mut i = 0;
    while i < over.len() {
        let flag = over[i];
        match (over.get(i + 1), args.iter_mut().find(|(f, _)| *f == flag)) {
            (Some(v), Some(slot)) => {
                slot.1 = Some(v);
                i += 2;
            }
            (Some(v), None) if !v.starts_with("--") => {
                args.push((flag, Some(v)));
                i += 2;
            }
            _ => {
                args.push((flag, None));
                i += 1;
            }
        }
    }
    let mut flat = vec!["post"];
    for (f, v) in args {
        flat.push(f);
        flat.extend(v);
    }
    h.run(&flat)
}

/// Alice posted, Bob responded (an open negotiation on both sides).
fn open_negotiation(relays: &[String]) -> (Home, Home, String, String) {
    let alice = Home::init(relays, "Alice");
    let bob = Home::init(relays, "Bob");
    let intent = post(&alice, &["--json"]).json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let d = bob
        .run(&[
            "respond",
            &intent,
            "--counter",
            r#"{"price":120}"#,
            "--json",
        ])
        .json();
    let nego = d["nego"].as_str().expect("nego").to_string();
    (alice, bob, intent, nego)
}

#[test]
fn refused_intents_negotiations_and_keys_change_nothing() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];
    let (alice, bob, intent, nego) = open_negotiation(&relays);
    let (a0, b0) = (snapshot(&alice), snapshot(&bob));
    assert_eq!(a0.outbox, 0);

    // post: unknown market, schema violation, not JSON, unreadable @file, bad geohash, bad
    // lifetime.
    post(&alice, &["--market", "nosuch"]).refused(3, "unknown market `nosuch`");
    post(&alice, &["--payload", r#"{"item":"bike","price":150}"#]).refused(3, "payload");
    post(&alice, &["--payload", r#"{"item":"bike","price":"free","currency":"SGD","condition":"good","location":{"name":"x","geohash":"w21z74"}}"#])
        .refused(3, "payload");
    post(&alice, &["--payload", "{not json"]).refused(3, "not valid JSON");
    post(&alice, &["--payload", "@/nonexistent/payload.json"]).refused(3, "cannot read");
    post(&alice, &["--geohash", "w21za!"]).refused(3, "geohash");
    post(&alice, &["--geohash", "ailo"]).refused(3, "geohash");
    post(&alice, &["--expires-in", "3y"]).refused(3, "expires-in");
    post(&alice, &["--expires-in", "99999999999999999999d"]).refused(3, "expires-in");
    post(&alice, &["--side", "sideways"]).refused(2, "sideways");

    // browse: unknown market, bad geohash.
    alice
        .run(&["browse", "--market", "nosuch", "--near", WHERE])
        .refused(3, "unknown market");
    alice
        .run(&["browse", "--market", "goods", "--near", "w21z!"])
        .refused(3, "near");

    // respond: unknown intent, malformed id, terms that are not an object.
    let zero = "0".repeat(64);
    bob.run(&["respond", &zero, "--accept"])
        .refused(3, "unknown intent");
    bob.run(&["respond", "not-an-id", "--accept"])
        .refused(3, "unknown intent");
    bob.run(&["respond", &intent, "--counter", "[1,2]"])
        .refused(3, "JSON object");
    bob.run(&["respond", &intent]).refused(2, "--accept");
    // withdraw: only the author may.
    bob.run(&["withdraw", &intent])
        .refused(3, "only the author");
    bob.run(&["withdraw", &zero]).refused(3, "unknown intent");

    // Every command naming a negotiation: unknown (well-formed) and malformed ids.
    for bad in [NOSUCH_NEGO, "garbage"] {
        for args in [
            vec!["pick", bad],
            vec!["accept", bad],
            vec!["cancel", bad],
            vec!["counter", bad, r#"{"price":1}"#],
            vec!["rate", bad, "--safe", "yes", "--reliable", "yes"],
            vec!["meet", "show", bad, "--once"],
        ] {
            alice.run(&args).refused(3, "unknown negotiation");
        }
    }
    // A real negotiation in the wrong state: no meet code, no rating before confirmation.
    alice
        .run(&["meet", "show", &nego, "--once"])
        .refused(3, "confirmed deal");
    alice
        .run(&["rate", &nego, "--safe", "yes", "--reliable", "no"])
        .refused(3, "not possible");
    alice
        .run(&["counter", &nego, "{not json"])
        .refused(3, "terms");

    // Keys and profiles: malformed npub / hex.
    for bad in ["npub1qqqqqqqq", "not-a-key", &"g".repeat(64)] {
        alice.run(&["screen", bad]).refused(3, "");
        alice.run(&["profile", "show", bad]).refused(3, "");
    }
    alice
        .run(&["profile", "set", "--phone", "call me maybe"])
        .refused(3, "phone");
    alice
        .run(&["profile", "set", "--phone", "+6591234567", "--publish-full"])
        .refused(3, "not confirmed");

    // The key file: a wrong passphrase opens nothing.
    alice
        .run_env(&["deals"], &[("FREEPORT_PASSPHRASE", "wrong horse")])
        .refused(3, "passphrase");
    alice
        .run_env(&["whoami"], &[("FREEPORT_PASSPHRASE", "")])
        .refused(3, "empty");

    // Usage: an unknown command, a missing subcommand, a bad relay URL.
    alice.run(&["bogus"]).refused(2, "bogus");
    let r = alice.run(&["meet"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty() && r.stderr.contains("show"), "{r:?}");
    Home::init(&relays, "X")
        .run(&["--relay", "notaurl", "deals"])
        .refused(3, "`notaurl` is not a relay address");
    Home::init(&relays, "Y")
        .run(&["--relay", "ws://relay.example.com", "deals"])
        .refused(3, "plain ws:// is only allowed for a relay on this device");

    // No identity yet.
    let empty = Home::new(&relays);
    empty.run(&["whoami"]).refused(4, "no identity");
    empty
        .run(&[
            "post",
            "--market",
            "goods",
            "--side",
            "offer",
            "--title",
            "x",
            "--payload",
            "{}",
        ])
        .refused(4, "no identity");

    // Nothing moved on either side.
    assert_eq!(snapshot(&alice), a0, "a refusal changed Alice's state");
    assert_eq!(snapshot(&bob), b0, "a refusal changed Bob's state");
    let list = bob
        .run(&["browse", "--market", "goods", "--near", WHERE, "--json"])
        .json();
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "no second intent: {list}"
    );
}

#[test]
fn meet_codes_expired_foreign_or_used_and_bad_ratings_are_refused() {
    let relay = Relay::embedded();
    let relays = vec![relay.url()];

    // Bob's key is made here and restored from its backup, so the test can sign an expired
    // code with it exactly as an old phone screen would have shown it.
    let bob_key = SecretKeyMaterial::generate();
    let backup =
        export_ncryptsec(&bob_key, "bob's backup words", MIN_EXPORT_LOG_N).expect("export");
    let bob = Home::new(&relays);
    bob.run_env(
        &["restore", &backup, "--backup-passphrase-env", "BACKUP_PW"],
        &[("BACKUP_PW", "not the words")],
    )
    .refused(3, "passphrase");
    bob.run(&["whoami"]).refused(4, "no identity");
    bob.run_env(
        &[
            "restore",
            "ncryptsec1garbage",
            "--backup-passphrase-env",
            "BACKUP_PW",
        ],
        &[("BACKUP_PW", "bob's backup words")],
    )
    .refused(3, "");
    bob.run(&["whoami"]).refused(4, "no identity");
    let restored = bob
        .run_env(
            &[
                "restore",
                &backup,
                "--backup-passphrase-env",
                "BACKUP_PW",
                "--json",
            ],
            &[("BACKUP_PW", "bob's backup words")],
        )
        .json();
    assert_eq!(restored["pubkey"], bob_key.public_key().to_hex());
    // A second restore over an existing identity is refused and keeps the first.
    let other =
        export_ncryptsec(&SecretKeyMaterial::generate(), "x", MIN_EXPORT_LOG_N).expect("export");
    bob.run_env(
        &["restore", &other, "--backup-passphrase-env", "BACKUP_PW"],
        &[("BACKUP_PW", "x")],
    )
    .refused(3, "");
    assert_eq!(bob.whoami().0, bob_key.public_key().to_hex());
    // Backups: a usable ncryptsec; the key file's wrong passphrase exports nothing.
    let exported = bob
        .run_env(
            &["backup", "--backup-passphrase-env", "BACKUP_PW", "--json"],
            &[("BACKUP_PW", "new words")],
        )
        .json();
    assert!(
        exported["ncryptsec"]
            .as_str()
            .is_some_and(|s| s.starts_with("ncryptsec1"))
    );
    bob.run_env(
        &["backup", "--backup-passphrase-env", "BACKUP_PW"],
        &[("BACKUP_PW", "new words"), ("FREEPORT_PASSPHRASE", "wrong")],
    )
    .refused(3, "passphrase");
    bob.run(&[
        "profile",
        "set",
        "--name",
        "Bob",
        "--phone",
        "+65 9123 4567",
    ])
    .ok();

    // A confirmed deal between Alice and Bob; Carol is a bystander.
    let alice = Home::init(&relays, "Alice");
    let carol = Home::init(&relays, "Carol");
    let intent = post(&alice, &["--json"]).json()["id"]
        .as_str()
        .expect("id")
        .to_string();
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
    alice.run(&["pick", &nego]).ok();
    bob.wait_state(&nego, "confirmed");
    alice.wait_state(&nego, "confirmed");
    let (a0, b0) = (snapshot(&alice), snapshot(&bob));

    // An expired code: really signed by Bob for this deal, an hour ago.
    let alice_pk = PublicKey::from_hex(&alice.whoami().0).expect("pk");
    let ctx = MeetContext {
        nego: nego.parse::<NegoId>().expect("nego id"),
        my_pubkey: bob_key.public_key(),
        peer: alice_pk,
        intent_id: EventId::from_hex(&intent).expect("intent id"),
    };
    let old = make_meet_code(
        &ctx,
        bob_key.keys(),
        MeetNonce::random(),
        Timestamp::from(Timestamp::now().as_secs() - 3600),
    )
    .expect("code");
    alice
        .run(&["meet", "scan", "--text", &old.text])
        .refused(3, "expired");

    // Malformed codes and images.
    alice
        .run(&["meet", "scan", "--text", "https://example.com"])
        .refused(3, "not a Freeport code");
    alice
        .run(&["meet", "scan", "--text", &old.text[..old.text.len() - 10]])
        .refused(3, "incomplete");
    let junk = alice.path("junk.png");
    std::fs::write(&junk, b"\x89PNG not really").expect("write");
    alice
        .run(&["meet", "scan", "--image", junk.to_str().expect("path")])
        .refused(3, "");
    alice
        .run(&["meet", "scan", "--image", "/nonexistent.png"])
        .refused(3, "image");
    // A return code for which this phone showed nothing.
    alice
        .run(&[
            "meet",
            "scan",
            "--text",
            &format!("FPR1:{}", &old.text[5..]),
        ])
        .refused(3, "");

    // A fresh code from Bob: a bystander can't use it, Bob can't scan his own.
    let code = bob.run(&["meet", "show", &nego, "--once", "--json"]).json();
    let token = code["token"].as_str().expect("token").to_string();
    carol
        .run(&["meet", "scan", "--text", &token])
        .refused(3, "different deal");
    bob.run(&["meet", "scan", "--text", &token]).refused(3, "");
    // A tampered character breaks the signature.
    let mut tampered: Vec<char> = token.chars().collect();
    let i = tampered.len() - 20;
    tampered[i] = if tampered[i] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    alice
        .run(&["meet", "scan", "--text", &tampered])
        .refused(3, "");

    // Rating a confirmed deal with a score out of range publishes nothing.
    alice
        .run(&[
            "rate",
            &nego,
            "--safe",
            "yes",
            "--reliable",
            "yes",
            "--score",
            "5",
        ])
        .refused(3, "score");
    alice
        .run(&[
            "rate",
            &nego,
            "--safe",
            "yes",
            "--reliable",
            "yes",
            "--score",
            "300",
        ])
        .refused(2, "300");
    alice
        .run(&["rate", &nego, "--safe", "maybe", "--reliable", "yes"])
        .refused(2, "maybe");
    assert_eq!(snapshot(&alice), a0, "refusals changed Alice's state");
    assert_eq!(snapshot(&bob), b0, "refusals changed Bob's state");
    assert_eq!(alice.deal(&nego)["rated"], false);

    // The real scan works once; the same code again is refused and changes nothing more.
    alice.run(&["meet", "scan", "--text", &token]).ok();
    let a1 = snapshot(&alice);
    assert_eq!(alice.deal(&nego)["state"], "met");
    alice
        .run(&["meet", "scan", "--text", &token])
        .refused(3, "already");
    assert_eq!(snapshot(&alice), a1);
}
