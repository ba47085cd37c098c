//! Key safety: after every user flow through `App` (identity, profile with a phone number, post,
//! respond, pick, meet, rate, backup and restore) against an embedded relay, no file the app
//! wrote — its data directories, SQLite files with their WAL, the passphrase-protected secret
//! store, and any temp file created meanwhile — holds a secret key (hex, nsec or raw bytes) or a
//! full phone number in the clear.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use freeport_core::app::{
    App, AppConfig, AppError, DealAction, FieldViolation, ProfileUpdate, RateInput, Refusal,
    Response, Rule, ScanInput,
};
use freeport_core::identity::{
    DEFAULT_LOG_N, PassphraseFileSecretStore, SecretStore, inspect_ncryptsec,
};
use nostr::{Keys, ToBech32};

const ALICE_PHONE: &str = "+6581234567";
const BOB_PHONE: &str = "+6591234567";
const CAROL_PHONE: &str = "+6583334444";

/// Every regular file under `root` (recursively).
fn files_under(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&p, out),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

fn temp_entries() -> HashSet<PathBuf> {
    std::fs::read_dir(std::env::temp_dir())
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The forms a secret key could leak in.
fn secret_needles(keys: &Keys) -> Vec<(String, Vec<u8>)> {
    let sk = keys.secret_key();
    let hex = sk.to_secret_hex();
    vec![
        ("secret hex".into(), hex.clone().into_bytes()),
        ("secret HEX".into(), hex.to_uppercase().into_bytes()),
        ("nsec".into(), sk.to_bech32().expect("nsec").into_bytes()),
        ("secret raw bytes".into(), sk.secret_bytes().to_vec()),
    ]
}

/// The forms a full phone number could leak in (E.164 with and without `+`).
fn phone_needles(e164: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (format!("phone {e164}"), e164.as_bytes().to_vec()),
        (
            format!("phone digits {e164}"),
            e164.trim_start_matches('+').as_bytes().to_vec(),
        ),
    ]
}

/// Bob's side of the deal: Alice asks, Bob answers, Alice picks; both confirmed.
async fn confirmed_deal(alice: &Person, bob: &Person) -> String {
    let intent = alice.post_request("Wanted: a city bike", 150, 3600).await;
    let seen = bob.find(&intent.id).await;
    let nego = bob
        .app
        .respond(
            &seen.id,
            Response::Counter(priced(&intent_terms(&intent), 120)),
        )
        .await
        .expect("respond")
        .nego;
    alice.until_known(&nego).await;
    alice.app.pick(&nego).await.expect("pick");
    alice.until_state(&nego, DealState::Confirmed).await;
    bob.until_state(&nego, DealState::Confirmed).await;
    nego
}

fn profile_with(name: &str, phone: &str) -> ProfileUpdate {
    ProfileUpdate {
        name: Some(name.into()),
        about: Some("key safety".into()),
        phone: Some(phone.into()),
        publish_full_number: false,
        full_number_warning_shown: None,
        vehicle_model: None,
        plate: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_key_or_full_phone_number_in_any_file_after_every_flow() {
    let temp_before = temp_entries();
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;

    // Profiles with phone numbers (masked on the relay, the full number in the secret store).
    alice
        .app
        .set_profile(profile_with("Alice", ALICE_PHONE))
        .await
        .expect("alice profile");
    bob.app
        .set_profile(profile_with("Bob", BOB_PHONE))
        .await
        .expect("bob profile");

    // Post, respond, pick.
    let nego = confirmed_deal(&alice, &bob).await;
    alice.flushed().await;
    bob.flushed().await;

    // Meet: Bob shows, Alice scans, Bob scans the return code.
    let code = bob.app.meet_show(&nego, 256).expect("show");
    let out = alice
        .app
        .meet_scan(ScanInput::Image(code.png.clone()))
        .await
        .expect("scan");
    assert_eq!(out.state, DealState::Met);
    let ret = out.return_token.expect("return code");
    bob.app
        .meet_scan(ScanInput::Text(ret))
        .await
        .expect("return scan");

    // Rate, both ways, attesting the number reached.
    let rate = RateInput {
        safe: true,
        reliable: true,
        score: None,
        reached_number: true,
    };
    assert!(alice.deal(&nego).actions.contains(&DealAction::Rate));
    alice.app.rate(&nego, rate).await.expect("alice rates");
    bob.app.rate(&nego, rate).await.expect("bob rates");
    // One rating per deal: no longer offered, and refused.
    let rated = alice.deal(&nego);
    assert!(rated.rated && !rated.actions.contains(&DealAction::Rate));
    assert!(matches!(
        alice.app.rate(&nego, rate).await,
        Err(AppError::NotPossible {
            why: Refusal::AlreadyRated,
            ..
        })
    ));
    alice.flushed().await;
    bob.flushed().await;

    // Backup and restore onto a third phone whose secrets live in a passphrase-protected file in
    // its data directory (the desktop/CLI store).
    // The passphrase rule is the core's: a short one is refused with its code.
    match alice.app.export_backup("short") {
        Err(AppError::InvalidInput { violations }) => assert_eq!(
            violations,
            [FieldViolation::new("passphrase", Rule::TooShort { min: 8 })]
        ),
        other => panic!("{other:?}"),
    }
    let backup = alice
        .app
        .export_backup("correct horse battery")
        .expect("backup");
    assert_eq!(
        inspect_ncryptsec(&backup).expect("our backup parses").log_n,
        DEFAULT_LOG_N
    );
    assert_eq!(DEFAULT_LOG_N, 16);
    let carol_home = tempfile::tempdir().expect("tempdir");
    let carol_dir = carol_home.path().join("carol");
    std::fs::create_dir_all(&carol_dir).expect("mkdir");
    let store = Arc::new(
        PassphraseFileSecretStore::open(carol_dir.join("secrets.fpk"), "device passphrase")
            .expect("file store"),
    );
    let mut cfg = AppConfig::new(&carol_dir, relays.clone());
    cfg.intent_pow_bits = 0;
    cfg.rating_pow_bits = 0;
    cfg.default_region = Some("SG".into());
    let carol = App::open(cfg, store.clone() as Arc<dyn SecretStore>).expect("carol opens");
    let restored = carol
        .restore_identity(&backup, "correct horse battery")
        .expect("restore");
    assert_eq!(restored, alice.keys.public_key());
    carol.start_network().await.expect("network");
    carol
        .set_profile(profile_with("Carol", CAROL_PHONE))
        .await
        .expect("carol profile");
    carol.sync().await.expect("sync");
    carol.flush_outbox(PATIENCE).await.expect("carol flushes");

    // Everything on disk now.
    alice.app.stop_network().await;
    bob.app.stop_network().await;
    carol.stop_network().await;
    drop(carol);

    let mut files = Vec::new();
    files_under(&alice.dir, &mut files);
    files_under(&bob.dir, &mut files);
    files_under(&carol_dir, &mut files);
    let ours: HashSet<PathBuf> = files.iter().cloned().collect();
    for p in temp_entries().difference(&temp_before) {
        if p.is_file() {
            files.push(p.clone());
        } else {
            files_under(p, &mut files);
        }
    }
    files.sort();
    files.dedup();

    let mut needles = Vec::new();
    for k in [&alice.keys, &bob.keys] {
        needles.extend(secret_needles(k));
    }
    for p in [ALICE_PHONE, BOB_PHONE, CAROL_PHONE] {
        needles.extend(phone_needles(p));
    }

    let mut leaks = Vec::new();
    let mut scanned_bytes = 0usize;
    let mut saw_alice_pubkey = false;
    for f in &files {
        // A file that vanished since the listing (SQLite's -shm on close) cannot leak; other
        // processes' temp files may be unreadable; ours must be readable.
        let bytes = match std::fs::read(f) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) if !ours.contains(f) => {
                eprintln!("skipping {}: {e}", f.display());
                continue;
            }
            Err(e) => panic!("{}: {e}", f.display()),
        };
        scanned_bytes += bytes.len();
        saw_alice_pubkey |= contains(&bytes, alice.keys.public_key().to_hex().as_bytes());
        for (what, n) in &needles {
            if contains(&bytes, n) {
                leaks.push(format!("{what} in {}", f.display()));
            }
        }
    }
    // The scan is not vacuous: it read the databases (they hold Alice's public key).
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(&carol_dir) && f.ends_with("secrets.fpk")),
        "the file secret store exists: {files:?}"
    );
    assert!(saw_alice_pubkey, "public key not found in {files:?}");
    assert!(scanned_bytes > 10_000, "only {scanned_bytes} bytes scanned");
    assert!(leaks.is_empty(), "leaks: {leaks:#?}");
}
