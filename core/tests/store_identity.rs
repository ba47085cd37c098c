//! Store + identity integration tests: real SQLite files in temp dirs, real crypto, child
//! processes for kill -9 durability and the headless-keyring path.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use freeport_core::identity::{
    DEFAULT_LOG_N, DecryptCost, IDENTITY_ENTRY, Identity, IdentityError, MAX_UNCONFIRMED_LOG_N,
    MemorySecretStore, PassphraseFileSecretStore, SecretStore, SecretStoreError, inspect_ncryptsec,
    parse_public_key, parse_secret_key, to_npub,
};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::receipt::MeetNonce;
use freeport_core::store::{
    DATA_KEY_ENTRY, DataKey, EventQuery, InsertReport, MessageInsert, MessageRecord,
    NegotiationRecord, PROFILE_HISTORY_LEN, SCHEMA_VERSION, Store, StoreError,
};
use nostr::nips::nip19::{FromBech32, ToBech32};
use nostr::nips::nip49::EncryptedSecretKey;
use nostr::{Event, EventBuilder, EventId, Keys, Kind, Tag, Timestamp};

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

fn event(keys: &Keys, kind: u16, content: &str, created_at: u64, tags: Vec<Tag>) -> Event {
    EventBuilder::new(Kind::Custom(kind), content)
        .tags(tags)
        .custom_created_at(Timestamp::from(created_at))
        .sign_with_keys(keys)
        .unwrap()
}

fn addressable(keys: &Keys, d: &str, content: &str, created_at: u64) -> Event {
    event(keys, 32101, content, created_at, vec![Tag::identifier(d)])
}

fn test_key() -> DataKey {
    DataKey::from_bytes(&[0x42; 32]).unwrap()
}

fn nego_for(a: &Keys, b: &Keys) -> NegoId {
    NegoId::new("0123456789abcdef", a.public_key(), b.public_key()).unwrap()
}

fn negotiation(nego: &NegoId, detail: &[u8]) -> NegotiationRecord {
    NegotiationRecord {
        nego: nego.clone(),
        intent_id: EventId::all_zeros(),
        role: "responder".into(),
        state: "confirmed".into(),
        updated_at: 1_700_000_000,
        detail: detail.to_vec(),
    }
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts none of `needles` occurs in any file under `dir`.
fn assert_not_on_disk(dir: &Path, needles: &[(&str, Vec<u8>)]) {
    let files = all_files(dir);
    assert!(!files.is_empty());
    for f in files {
        let bytes = fs::read(&f).unwrap();
        for (what, n) in needles {
            assert!(!contains(&bytes, n), "{what} found in {}", f.display());
        }
    }
}

fn ids(events: &[Event]) -> Vec<EventId> {
    events.iter().map(|e| e.id).collect()
}

/// Runs one test of this binary in a child process with `env`; returns its exit status.
fn run_child(test: &str, env: &[(&str, String)]) -> std::process::ExitStatus {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--test-threads=1", "--nocapture"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.status().unwrap()
}

// ---------------------------------------------------------------------------------------------
// schema and opening
// ---------------------------------------------------------------------------------------------

#[test]
fn fresh_store_uses_wal_foreign_keys_and_current_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fp.db");
    let secrets = MemorySecretStore::new();
    let store = Store::open(&path, &secrets).unwrap();
    store.setting_set("probe", "1").unwrap();
    drop(store);
    assert!(secrets.get(DATA_KEY_ENTRY.into()).unwrap().is_some());

    let c = rusqlite::Connection::open(&path).unwrap();
    let v: u32 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // Whole events live in a rowid table (no WITHOUT ROWID).
    let sql: String = c
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!sql.to_uppercase().contains("WITHOUT ROWID"));
}

#[test]
fn database_from_a_newer_version_is_refused_and_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fp.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE future(x); INSERT INTO future VALUES (1);",
        )
        .unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 7)
            .unwrap();
    }
    let before = fs::read(&path).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    let secrets = MemorySecretStore::new();
    match Store::open(&path, &secrets) {
        Err(StoreError::TooNew { found, supported }) => {
            assert_eq!(found, SCHEMA_VERSION + 7);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert_eq!(fs::read(&path).unwrap(), before, "file bytes changed");
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    assert_eq!(
        secrets.get(DATA_KEY_ENTRY.into()).unwrap(),
        None,
        "a data key was created for a refused database"
    );
}

// ---------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------

#[test]
fn addressable_newest_wins_in_any_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(dir.path().join("fp.db"), test_key()).unwrap();
    let k = Keys::generate();
    let v100 = addressable(&k, "aaaa", "v100", 100);
    let v200 = addressable(&k, "aaaa", "v200", 200);
    let v150 = addressable(&k, "aaaa", "v150", 150);
    let other_d = addressable(&k, "bbbb", "other", 50);

    let r = store.insert_events(&[v100.clone(), v200.clone()]).unwrap();
    assert_eq!((r.inserted, r.replaced, r.superseded), (2, 1, 0));
    let r = store
        .insert_events(&[v150.clone(), v100.clone(), other_d.clone()])
        .unwrap();
    assert_eq!(
        r,
        InsertReport {
            inserted: 1,
            superseded: 2,
            ..Default::default()
        }
    );
    let got = store
        .query_events(
            &EventQuery::new()
                .kinds([32101])
                .author(k.public_key())
                .d("aaaa"),
        )
        .unwrap();
    assert_eq!(ids(&got), vec![v200.id]);
    assert_eq!(store.event_count().unwrap(), 2);
    assert!(store.get_event(&v100.id).unwrap().is_none());
    // Another author's same d is a different address.
    let k2 = Keys::generate();
    let r = store
        .insert_events(&[addressable(&k2, "aaaa", "x", 10)])
        .unwrap();
    assert_eq!(r.inserted, 1);
}

#[test]
fn addressable_tie_goes_to_the_lowest_id() {
    let k = Keys::generate();
    let a = addressable(&k, "tie", "first", 500);
    let b = addressable(&k, "tie", "second", 500);
    let low = if a.id < b.id { a.id } else { b.id };
    for order in [[a.clone(), b.clone()], [b.clone(), a.clone()]] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with_key(dir.path().join("fp.db"), test_key()).unwrap();
        // Once in one batch, once in two batches.
        store.insert_events(&order).unwrap();
        let got = store.query_events(&EventQuery::new().d("tie")).unwrap();
        assert_eq!(ids(&got), vec![low]);
        let dir2 = tempfile::tempdir().unwrap();
        let store2 = Store::open_with_key(dir2.path().join("fp.db"), test_key()).unwrap();
        store2.insert_events(&order[..1]).unwrap();
        store2.insert_events(&order[1..]).unwrap();
        let got = store2.query_events(&EventQuery::new().d("tie")).unwrap();
        assert_eq!(ids(&got), vec![low]);
    }
}

#[test]
fn profiles_keep_newest_and_a_bounded_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(dir.path().join("fp.db"), test_key()).unwrap();
    let k = Keys::generate();
    let versions: Vec<Event> = (0..8u64)
        .map(|i| {
            event(
                &k,
                0,
                &format!("{{\"phone\":\"+84•••••{i:04}\"}}"),
                1000 + i,
                vec![],
            )
        })
        .collect();
    // Arrive newest first except one old straggler at the end.
    let mut arrival: Vec<Event> = versions.iter().rev().cloned().collect();
    arrival.push(versions[0].clone());
    let r = store.insert_events(&arrival).unwrap();
    assert_eq!(r.inserted, 1);
    // The straggler is an older version again (its first copy was never stored as current).
    assert_eq!(r.superseded, 8);
    assert_eq!(r.duplicates, 0);
    let current = store
        .query_events(&EventQuery::new().kinds([0]).author(k.public_key()))
        .unwrap();
    assert_eq!(ids(&current), vec![versions[7].id]);
    let hist = store.profile_history(&k.public_key()).unwrap();
    assert_eq!(hist.len(), PROFILE_HISTORY_LEN);
    let want: Vec<EventId> = versions[2..7].iter().rev().map(|e| e.id).collect();
    assert_eq!(ids(&hist), want);
}

#[test]
fn batch_insert_reports_duplicates_and_ephemeral() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(dir.path().join("fp.db"), test_key()).unwrap();
    let k = Keys::generate();
    let notes: Vec<Event> = (0..20)
        .map(|i| event(&k, 1, &format!("n{i}"), 10 + i, vec![]))
        .collect();
    let mut batch = notes.clone();
    batch.push(notes[3].clone());
    batch.push(event(&k, 20001, "ephemeral", 5, vec![]));
    let r = store.insert_events(&batch).unwrap();
    assert_eq!(
        r,
        InsertReport {
            inserted: 20,
            duplicates: 1,
            ephemeral: 1,
            ..Default::default()
        }
    );
    let r = store.insert_events(&notes).unwrap();
    assert_eq!((r.inserted, r.duplicates), (0, 20));
    assert_eq!(store.event_count().unwrap(), 20);
}

#[test]
fn queries_filter_by_kind_author_d_p_time_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(dir.path().join("fp.db"), test_key()).unwrap();
    let alice = Keys::generate();
    let bob = Keys::generate();
    let carol = Keys::generate();
    let nego = nego_for(&alice, &bob).to_string();
    let receipt_a = event(
        &alice,
        32104,
        "{}",
        300,
        vec![Tag::identifier(&nego), Tag::public_key(bob.public_key())],
    );
    let receipt_b = event(
        &bob,
        32104,
        "{}",
        310,
        vec![Tag::identifier(&nego), Tag::public_key(alice.public_key())],
    );
    let rating = event(
        &carol,
        32103,
        "{}",
        320,
        vec![Tag::identifier("x:y"), Tag::public_key(bob.public_key())],
    );
    let notes: Vec<Event> = (0..10)
        .map(|i| event(&alice, 1, &format!("{i}"), 100 + i, vec![]))
        .collect();
    let mut all = vec![receipt_a.clone(), receipt_b.clone(), rating.clone()];
    all.extend(notes.iter().cloned());
    store.insert_events(&all).unwrap();

    let q = |q: EventQuery| ids(&store.query_events(&q).unwrap());
    assert_eq!(
        q(EventQuery::new().kinds([32104]).d(&nego)),
        vec![receipt_b.id, receipt_a.id]
    );
    assert_eq!(
        q(EventQuery::new().p(bob.public_key())),
        vec![rating.id, receipt_a.id]
    );
    assert_eq!(
        q(EventQuery::new()
            .kinds([32103, 32104])
            .p(bob.public_key())
            .author(carol.public_key())),
        vec![rating.id]
    );
    assert_eq!(
        q(EventQuery::new()
            .author(alice.public_key())
            .kinds([1])
            .limit(3))
        .len(),
        3
    );
    assert_eq!(
        q(EventQuery::new().kinds([1]).since(103).until(105)),
        vec![notes[5].id, notes[4].id, notes[3].id]
    );
    assert!(q(EventQuery::new().kinds([1]).since(1000)).is_empty());
    assert_eq!(q(EventQuery::new()).len(), 13);
}

#[test]
fn oversized_queries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(dir.path().join("fp.db"), test_key()).unwrap();
    assert!(matches!(
        store.query_events(&EventQuery::new().limit(10_001)),
        Err(StoreError::InvalidInput { field: "limit", .. })
    ));
    assert!(matches!(
        store.query_events(&EventQuery::new().kinds(0..2000)),
        Err(StoreError::InvalidInput { field: "kinds", .. })
    ));
    assert!(matches!(
        store.query_events(&EventQuery::new().since(u64::MAX)),
        Err(StoreError::InvalidInput { field: "since", .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// outbox
// ---------------------------------------------------------------------------------------------

#[test]
fn outbox_is_idempotent_durable_and_removed_only_on_accept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fp.db");
    let k = Keys::generate();
    let e1 = event(&k, 1, "one", 100, vec![]);
    let e2 = event(&k, 1, "two", 101, vec![]);
    {
        let store = Store::open_with_key(&path, test_key()).unwrap();
        assert!(store.outbox_enqueue(&e1).unwrap());
        assert!(!store.outbox_enqueue(&e1).unwrap());
        assert!(store.outbox_enqueue(&e2).unwrap());
        assert!(
            store
                .outbox_record_failure(&e1.id, "wss://a", "rate-limited", 500)
                .unwrap()
        );
    }
    let store = Store::open_with_key(&path, test_key()).unwrap();
    let list = store.outbox_list().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].event, e1);
    assert_eq!(list[0].attempts, 1);
    assert_eq!(list[0].last_error.as_deref(), Some("wss://a: rate-limited"));
    // e1 is not due before 500.
    let due: Vec<EventId> = store
        .outbox_due(499, 10)
        .unwrap()
        .iter()
        .map(|e| e.event.id)
        .collect();
    assert_eq!(due, vec![e2.id]);
    let due: Vec<EventId> = store
        .outbox_due(500, 10)
        .unwrap()
        .iter()
        .map(|e| e.event.id)
        .collect();
    assert_eq!(due, vec![e2.id, e1.id]);
    assert_eq!(store.outbox_due(500, 1).unwrap().len(), 1);
    // A failure does not remove; an accept does.
    assert!(store.outbox_record_accept(&e2.id, "wss://b").unwrap());
    assert!(!store.outbox_record_accept(&e2.id, "wss://b").unwrap());
    assert!(
        !store
            .outbox_record_failure(&e2.id, "wss://b", "x", 1)
            .unwrap()
    );
    assert_eq!(
        ids(&store
            .outbox_list()
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect::<Vec<_>>()),
        vec![e1.id]
    );
}

const ABORT_DB: &str = "FREEPORT_TEST_ABORT_DB";
const ABORT_EVENT: &str = "FREEPORT_TEST_ABORT_EVENT";

#[test]
fn outbox_survives_kill_9() {
    if let (Ok(db), Ok(json)) = (std::env::var(ABORT_DB), std::env::var(ABORT_EVENT)) {
        // Child: enqueue, then die without running any destructor (like kill -9).
        use nostr::JsonUtil;
        let store = Store::open_with_key(&db, test_key()).unwrap();
        let e = Event::from_json(json).unwrap();
        assert!(store.outbox_enqueue(&e).unwrap());
        std::process::abort();
    }
    use nostr::JsonUtil;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fp.db");
    let e = event(&Keys::generate(), 1, "must survive", 100, vec![]);
    let status = run_child(
        "outbox_survives_kill_9",
        &[
            (ABORT_DB, db.to_string_lossy().into_owned()),
            (ABORT_EVENT, e.as_json()),
        ],
    );
    assert!(!status.success(), "child should have aborted");
    let store = Store::open_with_key(&db, test_key()).unwrap();
    let list = store.outbox_list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].event, e);
}

// ---------------------------------------------------------------------------------------------
// nonces and the atomic meet
// ---------------------------------------------------------------------------------------------

#[test]
fn nonce_is_single_use_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fp.db");
    let nego = nego_for(&Keys::generate(), &Keys::generate());
    let n = MeetNonce::random();
    {
        let store = Store::open_with_key(&path, test_key()).unwrap();
        assert!(!store.is_nonce_used(&n).unwrap());
        store.use_nonce(&n, &nego, 1000).unwrap();
        assert!(matches!(
            store.use_nonce(&n, &nego, 1001),
            Err(StoreError::NonceUsed { used_at: 1000 })
        ));
    }
    let store = Store::open_with_key(&path, test_key()).unwrap();
    assert!(store.is_nonce_used(&n).unwrap());
    assert_eq!(store.nonce_used_at(&n).unwrap(), Some(1000));
    assert!(matches!(
        store.use_nonce(&n, &nego, 2000),
        Err(StoreError::NonceUsed { used_at: 1000 })
    ));
    // A different nonce is fine.
    store.use_nonce(&MeetNonce::random(), &nego, 2000).unwrap();
}

#[test]
fn meet_co_sign_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(dir.path().join("fp.db"), test_key()).unwrap();
    let a = Keys::generate();
    let b = Keys::generate();
    let nego = nego_for(&a, &b);
    let n = MeetNonce::random();
    let half_a = event(&a, 32104, "{}", 10, vec![Tag::identifier(nego.to_string())]);
    let half_b = event(&b, 32104, "{}", 11, vec![Tag::identifier(nego.to_string())]);
    let mut rec = negotiation(&nego, b"confirmed terms");
    store.upsert_negotiation(&rec).unwrap();

    rec.state = "met".into();
    store
        .record_meet(&n, 50, &[half_a.clone(), half_b.clone()], &rec)
        .unwrap();
    assert_eq!(store.outbox_list().unwrap().len(), 2);
    assert_eq!(store.get_negotiation(&nego).unwrap().unwrap().state, "met");

    // Replaying the same code: nothing changes at all.
    let mut replay = rec.clone();
    replay.state = "completed".into();
    let extra = event(&a, 1, "extra", 12, vec![]);
    assert!(matches!(
        store.record_meet(&n, 60, std::slice::from_ref(&extra), &replay),
        Err(StoreError::NonceUsed { used_at: 50 })
    ));
    assert_eq!(store.outbox_list().unwrap().len(), 2);
    assert_eq!(store.get_negotiation(&nego).unwrap().unwrap().state, "met");

    // A failure late in a generic transaction rolls back the earlier steps.
    let n2 = MeetNonce::random();
    let err = store.transaction(|tx| {
        tx.use_nonce(&n2, &nego, 70)?;
        tx.outbox_enqueue(&extra)?;
        let mut bad = rec.clone();
        bad.role = String::new(); // invalid label → error after two successful steps
        tx.upsert_negotiation(&bad)
    });
    assert!(matches!(
        err,
        Err(StoreError::InvalidInput { field: "role", .. })
    ));
    assert!(!store.is_nonce_used(&n2).unwrap());
    assert_eq!(store.outbox_list().unwrap().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// encryption at rest
// ---------------------------------------------------------------------------------------------

#[test]
fn sealed_columns_never_hold_plaintext_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecretStore::new();
    let a = Keys::generate();
    let b = Keys::generate();
    let nego = nego_for(&a, &b);
    let contact = "Minh · +84912345678 · 🚗 Honda Wave • 29A-12345";
    let envelope = r#"{"v":1,"type":"negotiate.accept","terms":{"payment":"SECRET-PRICE-991"}}"#;
    {
        let store = Store::open(dir.path().join("fp.db"), &secrets).unwrap();
        store
            .upsert_negotiation(&negotiation(&nego, contact.as_bytes()))
            .unwrap();
        let msg = MessageRecord {
            nego: nego.clone(),
            event_id: event(&b, 4, "x", 1, vec![]).id,
            sender: b.public_key(),
            msg_type: "negotiate.accept".into(),
            ts: 1,
            envelope: envelope.as_bytes().to_vec(),
        };
        assert_eq!(store.insert_message(&msg).unwrap(), MessageInsert::Inserted);
        // While open (WAL populated) and after close (checkpointed).
        assert_not_on_disk(
            dir.path(),
            &[
                ("phone", b"+84912345678".to_vec()),
                ("plate", b"29A-12345".to_vec()),
                ("price", b"SECRET-PRICE-991".to_vec()),
            ],
        );
        let got = store.messages_for(&nego).unwrap();
        assert_eq!(got[0].envelope, envelope.as_bytes());
    }
    let data_key = secrets.get(DATA_KEY_ENTRY.into()).unwrap().unwrap();
    assert_not_on_disk(
        dir.path(),
        &[
            ("phone", b"+84912345678".to_vec()),
            ("price", b"SECRET-PRICE-991".to_vec()),
            ("data key", data_key.clone()),
            ("data key hex", hex::encode(&data_key).into_bytes()),
        ],
    );
    let store = Store::open(dir.path().join("fp.db"), &secrets).unwrap();
    assert_eq!(
        store.get_negotiation(&nego).unwrap().unwrap().detail,
        contact.as_bytes()
    );
}

#[test]
fn wrong_or_missing_data_key_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fp.db");
    let secrets = MemorySecretStore::new();
    let nego = nego_for(&Keys::generate(), &Keys::generate());
    Store::open(&path, &secrets)
        .unwrap()
        .upsert_negotiation(&negotiation(&nego, b"terms"))
        .unwrap();
    assert!(matches!(
        Store::open_with_key(&path, DataKey::generate()),
        Err(StoreError::WrongDataKey)
    ));
    assert!(matches!(
        Store::open(&path, &MemorySecretStore::new()),
        Err(StoreError::DataKeyMissing)
    ));
    let short = MemorySecretStore::new();
    short.set(DATA_KEY_ENTRY.into(), vec![1; 16]).unwrap();
    assert!(matches!(
        Store::open(&path, &short),
        Err(StoreError::DataKeyInvalid { len: 16 })
    ));
    // The right key still works.
    assert!(
        Store::open(&path, &secrets)
            .unwrap()
            .get_negotiation(&nego)
            .unwrap()
            .is_some()
    );
}

#[test]
fn ciphertext_moved_to_another_row_fails_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fp.db");
    let n1 = nego_for(&Keys::generate(), &Keys::generate());
    let n2 = nego_for(&Keys::generate(), &Keys::generate());
    {
        let store = Store::open_with_key(&path, test_key()).unwrap();
        store
            .upsert_negotiation(&negotiation(&n1, b"alice terms"))
            .unwrap();
        store
            .upsert_negotiation(&negotiation(&n2, b"bob terms"))
            .unwrap();
    }
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute(
            "UPDATE negotiations SET detail = (SELECT detail FROM negotiations WHERE nego = ?1)
             WHERE nego = ?2",
            [n1.to_string(), n2.to_string()],
        )
        .unwrap();
    }
    let store = Store::open_with_key(&path, test_key()).unwrap();
    assert!(store.get_negotiation(&n1).unwrap().is_some());
    assert!(matches!(
        store.get_negotiation(&n2),
        Err(StoreError::Crypto {
            table: "negotiations",
            column: "detail",
            ..
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// messages, settings, cursors
// ---------------------------------------------------------------------------------------------

#[test]
fn message_replays_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_key(dir.path().join("fp.db"), test_key()).unwrap();
    let a = Keys::generate();
    let b = Keys::generate();
    let nego = nego_for(&a, &b);
    let msg = |content: &str, ts: u64, ty: &str| MessageRecord {
        nego: nego.clone(),
        event_id: event(&b, 4, content, ts, vec![]).id,
        sender: b.public_key(),
        msg_type: ty.into(),
        ts,
        envelope: content.as_bytes().to_vec(),
    };
    // Unknown negotiation.
    assert!(matches!(
        store.insert_message(&msg("m", 1, "negotiate.chat")),
        Err(StoreError::NotFound {
            what: "negotiation",
            ..
        })
    ));
    store.upsert_negotiation(&negotiation(&nego, b"d")).unwrap();
    let first = msg("counter-1", 10, "negotiate.counter");
    assert_eq!(
        store.insert_message(&first).unwrap(),
        MessageInsert::Inserted
    );
    assert_eq!(store.insert_message(&first).unwrap(), MessageInsert::Replay);
    // Same (sender, type, ts) re-wrapped in a new event: still a replay.
    let rewrapped = msg("counter-1-rewrapped", 10, "negotiate.counter");
    assert_ne!(rewrapped.event_id, first.event_id);
    assert_eq!(
        store.insert_message(&rewrapped).unwrap(),
        MessageInsert::Replay
    );
    // Different type at the same ts is a different message.
    assert_eq!(
        store
            .insert_message(&msg("chat", 10, "negotiate.chat"))
            .unwrap(),
        MessageInsert::Inserted
    );
    let all = store.messages_for(&nego).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].envelope, b"counter-1");
    assert!(matches!(
        store.insert_message(&msg("bad", 11, "has space")),
        Err(StoreError::InvalidInput {
            field: "msg_type",
            ..
        })
    ));
}

#[test]
fn settings_and_monotonic_sync_cursors_persist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fp.db");
    {
        let store = Store::open_with_key(&path, test_key()).unwrap();
        assert_eq!(store.setting_get("relays").unwrap(), None);
        store.setting_set("relays", "wss://a").unwrap();
        store.setting_set("relays", "wss://b").unwrap();
        assert_eq!(store.sync_cursor_get("intents:sg").unwrap(), None);
        assert_eq!(store.sync_cursor_advance("intents:sg", 500).unwrap(), 500);
        assert_eq!(store.sync_cursor_advance("intents:sg", 400).unwrap(), 500);
        assert_eq!(store.sync_cursor_advance("intents:sg", 600).unwrap(), 600);
        assert!(matches!(
            store.setting_set("", "x"),
            Err(StoreError::InvalidInput { .. })
        ));
        assert!(matches!(
            store.setting_set("k", &"x".repeat(64 * 1024 + 1)),
            Err(StoreError::InvalidInput { .. })
        ));
        assert!(matches!(
            store.sync_cursor_advance("c", u64::MAX),
            Err(StoreError::InvalidInput { .. })
        ));
    }
    let store = Store::open_with_key(&path, test_key()).unwrap();
    assert_eq!(
        store.setting_get("relays").unwrap().as_deref(),
        Some("wss://b")
    );
    assert_eq!(store.sync_cursor_get("intents:sg").unwrap(), Some(600));
}

// ---------------------------------------------------------------------------------------------
// identity
// ---------------------------------------------------------------------------------------------

#[test]
fn npub_and_nsec_round_trip_through_hex_and_bech32() {
    let keys = Keys::generate();
    let pk = keys.public_key();
    let npub = to_npub(&pk);
    assert!(npub.starts_with("npub1"));
    assert_eq!(parse_public_key(&npub).unwrap(), pk);
    assert_eq!(parse_public_key(&pk.to_hex()).unwrap(), pk);
    assert_eq!(
        parse_public_key(&format!("  {}\n", pk.to_hex().to_uppercase())).unwrap(),
        pk
    );

    let sk_hex = keys.secret_key().to_secret_hex();
    let from_hex = parse_secret_key(&sk_hex).unwrap();
    let nsec = from_hex.to_nsec();
    assert!(nsec.starts_with("nsec1"));
    assert_eq!(nsec.as_str(), keys.secret_key().to_bech32().unwrap());
    let from_nsec = parse_secret_key(&nsec).unwrap();
    assert_eq!(from_nsec.public_key(), pk);
    // An npub is not a secret key and vice versa.
    assert!(matches!(
        parse_secret_key(&npub),
        Err(IdentityError::InvalidSecretKey { .. })
    ));
    assert!(matches!(
        parse_public_key(&nsec),
        Err(IdentityError::InvalidPublicKey { .. })
    ));
}

#[test]
fn identity_create_load_export_wipe_restore() {
    let store = MemorySecretStore::new();
    assert!(Identity::load(&store).unwrap().is_none());
    assert!(matches!(
        Identity::require(&store),
        Err(IdentityError::NotFound)
    ));
    let id = Identity::create(&store).unwrap();
    assert!(matches!(
        Identity::create(&store),
        Err(IdentityError::AlreadyExists { .. })
    ));
    assert_eq!(
        Identity::require(&store).unwrap().public_key(),
        id.public_key()
    );
    let backup = id
        .export_ncryptsec("correct horse battery", DEFAULT_LOG_N)
        .unwrap();
    assert!(backup.starts_with("ncryptsec1"));
    assert_eq!(inspect_ncryptsec(&backup).unwrap().log_n, DEFAULT_LOG_N);
    assert!(matches!(
        Identity::restore_from_ncryptsec(
            &store,
            &backup,
            "correct horse battery",
            DecryptCost::Default
        ),
        Err(IdentityError::AlreadyExists { .. })
    ));
    Identity::wipe(&store).unwrap();
    assert!(store.get(IDENTITY_ENTRY.into()).unwrap().is_none());
    let restored = Identity::restore_from_ncryptsec(
        &store,
        &backup,
        "correct horse battery",
        DecryptCost::Default,
    )
    .unwrap();
    assert_eq!(restored.public_key(), id.public_key());
    assert_eq!(restored.npub(), id.npub());
    // Signing works with the restored keys.
    let e = event(restored.keys(), 1, "hi", 1, vec![]);
    assert!(e.verify().is_ok());
    assert_eq!(e.pubkey, id.public_key());
}

#[test]
fn wrong_passphrase_is_typed_and_leaves_no_partial_state() {
    let src = MemorySecretStore::new();
    let id = Identity::create(&src).unwrap();
    let backup = id.export_ncryptsec("right", DEFAULT_LOG_N).unwrap();
    let dst = MemorySecretStore::new();
    assert!(matches!(
        Identity::restore_from_ncryptsec(&dst, &backup, "wrong", DecryptCost::Default),
        Err(IdentityError::WrongPassphrase)
    ));
    assert!(dst.get(IDENTITY_ENTRY.into()).unwrap().is_none());
    assert!(Identity::load(&dst).unwrap().is_none());
    // NFKC: a full-width rendering of the same passphrase decrypts (NIP-49 normalisation).
    let restored =
        Identity::restore_from_ncryptsec(&dst, &backup, "ｒｉｇｈｔ", DecryptCost::Default)
            .unwrap();
    assert_eq!(restored.public_key(), id.public_key());
}

/// Re-encodes a backup with a different scrypt cost byte (the ciphertext stays the same), to
/// test the cost gate without actually spending gigabytes on scrypt.
fn with_log_n(ncryptsec: &str, log_n: u8) -> String {
    let mut raw = EncryptedSecretKey::from_bech32(ncryptsec).unwrap().as_vec();
    raw[1] = log_n;
    EncryptedSecretKey::from_slice(&raw)
        .unwrap()
        .to_bech32()
        .unwrap()
}

#[test]
fn expensive_backups_need_confirmation_and_absurd_ones_are_refused() {
    let store = MemorySecretStore::new();
    let id = Identity::create(&store).unwrap();
    let backup = id.export_ncryptsec("pw", DEFAULT_LOG_N).unwrap();
    let costly = with_log_n(&backup, MAX_UNCONFIRMED_LOG_N + 1);
    let info = inspect_ncryptsec(&costly).unwrap();
    assert!(info.needs_confirmation);
    let dst = MemorySecretStore::new();
    match Identity::restore_from_ncryptsec(&dst, &costly, "pw", DecryptCost::Default) {
        Err(IdentityError::CostTooHigh {
            log_n,
            max,
            confirmable: true,
        }) => {
            assert_eq!(log_n, MAX_UNCONFIRMED_LOG_N + 1);
            assert_eq!(max, MAX_UNCONFIRMED_LOG_N);
        }
        other => panic!("{other:?}"),
    }
    let absurd = with_log_n(&backup, 40);
    assert!(matches!(
        Identity::restore_from_ncryptsec(&dst, &absurd, "pw", DecryptCost::Confirmed),
        Err(IdentityError::CostTooHigh {
            confirmable: false,
            ..
        })
    ));
    assert!(dst.get(IDENTITY_ENTRY.into()).unwrap().is_none());
}

#[test]
fn corrupt_identity_entry_is_reported_not_overwritten() {
    let store = MemorySecretStore::new();
    store.set(IDENTITY_ENTRY.into(), vec![1, 2, 3]).unwrap();
    assert!(matches!(
        Identity::load(&store),
        Err(IdentityError::SecretStore(SecretStoreError::Corrupt { .. }))
    ));
    assert!(Identity::create(&store).is_err());
    assert_eq!(
        store.get(IDENTITY_ENTRY.into()).unwrap(),
        Some(vec![1, 2, 3])
    );
}

const HEADLESS_CHILD: &str = "FREEPORT_TEST_HEADLESS_CHILD";

#[cfg(all(target_os = "linux", feature = "desktop-keyring"))]
#[test]
fn keyring_on_headless_linux_is_unavailable_not_a_panic() {
    use freeport_core::identity::KeyringSecretStore;
    if std::env::var_os(HEADLESS_CHILD).is_some() {
        match KeyringSecretStore::new() {
            Err(SecretStoreError::Unavailable { reason }) => {
                assert!(!reason.is_empty());
                let msg = SecretStoreError::Unavailable { reason }.to_string();
                assert!(msg.starts_with("no keyring service available"), "{msg}");
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
        return;
    }
    // Parent: force "no session bus" deterministically, whatever this machine has.
    let status = run_child(
        "keyring_on_headless_linux_is_unavailable_not_a_panic",
        &[
            (HEADLESS_CHILD, "1".into()),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/freeport-test/bus".into(),
            ),
        ],
    );
    assert!(status.success(), "child failed: {status:?}");
}

#[test]
fn passphrase_file_store_holds_identity_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.fp");
    let pk = {
        let s = PassphraseFileSecretStore::open(&path, "file pass").unwrap();
        Identity::create(&s).unwrap().public_key()
    };
    assert!(matches!(
        PassphraseFileSecretStore::open(&path, "not it"),
        Err(SecretStoreError::Locked { .. })
    ));
    let s = PassphraseFileSecretStore::open(&path, "file pass").unwrap();
    assert_eq!(Identity::require(&s).unwrap().public_key(), pk);
}

#[test]
fn secret_key_is_never_written_to_disk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let secrets = PassphraseFileSecretStore::open(data.join("secrets.fp"), "pass phrase").unwrap();
    let id = Identity::create(&secrets).unwrap();
    let peer = Keys::generate();
    let nego = NegoId::new("00112233aabbccdd", id.public_key(), peer.public_key()).unwrap();
    let backup = id.export_ncryptsec("backup pass", DEFAULT_LOG_N).unwrap();
    fs::write(data.join("backup.txt"), &backup).unwrap();
    {
        let store = Store::open(data.join("freeport.db"), &secrets).unwrap();
        let mine: Vec<Event> = (0..5)
            .map(|i| event(id.keys(), 1, &format!("note {i}"), 100 + i, vec![]))
            .collect();
        store.insert_events(&mine).unwrap();
        store.outbox_enqueue(&mine[0]).unwrap();
        store
            .upsert_negotiation(&negotiation(&nego, b"{\"contact\":\"+6591234567\"}"))
            .unwrap();
        store.use_nonce(&MeetNonce::random(), &nego, 1).unwrap();
        store.setting_set("npub", &id.npub()).unwrap();
        // Wipe and restore through the backup, with the store still open.
        Identity::wipe(&secrets).unwrap();
        let back = Identity::restore_from_ncryptsec(
            &secrets,
            &backup,
            "backup pass",
            DecryptCost::Default,
        )
        .unwrap();
        assert_eq!(back.public_key(), id.public_key());
        check_secret_absent(data, &id, &secrets);
    }
    check_secret_absent(data, &id, &secrets);
}

fn check_secret_absent(dir: &Path, id: &Identity, secrets: &dyn SecretStore) {
    let sk = id.keys().secret_key();
    let data_key = secrets.get(DATA_KEY_ENTRY.into()).unwrap().unwrap();
    assert_not_on_disk(
        dir,
        &[
            ("secret key hex", sk.to_secret_hex().into_bytes()),
            (
                "secret key HEX",
                sk.to_secret_hex().to_uppercase().into_bytes(),
            ),
            ("nsec", id.secret().to_nsec().as_bytes().to_vec()),
            ("raw secret key", sk.as_secret_bytes().to_vec()),
            ("raw data key", data_key.clone()),
            ("data key hex", hex::encode(&data_key).into_bytes()),
        ],
    );
}
