//! Round trips against a real production relay, nostr-rs-relay, run as a child process on
//! loopback with a temporary SQLite data directory.
//!
//! Ignored by default; `scripts/test.sh` installs the relay (scripts/install-nostr-rs-relay.sh)
//! and runs these with `--include-ignored`, pointing `FREEPORT_NOSTR_RS_RELAY` at the binary.

use std::sync::Arc;
use std::time::Duration;

use freeport_core::relay::{Incoming, MemoryOutbox, RelayClient, RelayConfig, Transport};
use nostr::{EventBuilder, EventId, Filter, Keys, Timestamp};

const PATIENCE: Duration = Duration::from_secs(30);

#[path = "../../tests/support/nostr_rs_relay.rs"]
mod nostr_rs_relay;
use nostr_rs_relay::RealRelay;

fn config(relays: Vec<String>) -> RelayConfig {
    let mut c = RelayConfig::new(relays);
    c.reconnect_interval = Duration::from_millis(300);
    c.adaptive_reconnect = false;
    c.outbox_poll = Duration::from_millis(500);
    c.backoff.base = Duration::from_millis(200);
    c.backoff.cap = Duration::from_secs(1);
    c
}

async fn client(keys: Keys, url: String, outbox: Arc<MemoryOutbox>) -> (RelayClient, Incoming) {
    let (c, inc) = RelayClient::start(keys, config(vec![url]), outbox)
        .await
        .expect("start");
    assert_eq!(c.wait_for_connected(1, PATIENCE).await, 1, "connects");
    (c, inc)
}

async fn eventually(mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nostr-rs-relay; scripts/test.sh runs them"]
async fn publish_subscribe_and_dm_round_trip() {
    let relay = RealRelay::start();
    let (alice, bob) = (Keys::generate(), Keys::generate());
    let (ca, _ia) = client(alice.clone(), relay.url(), Arc::new(MemoryOutbox::new())).await;
    let (cb, mut ib) = client(bob.clone(), relay.url(), Arc::new(MemoryOutbox::new())).await;

    cb.subscribe(Filter::new().author(alice.public_key()))
        .await
        .expect("sub");
    cb.subscribe_dms(Timestamp::from_secs(Timestamp::now().as_secs() - 60))
        .await
        .expect("dm sub");

    let note = EventBuilder::text_note("hello from alice")
        .sign_with_keys(&alice)
        .expect("sign");
    ca.publish(note.clone()).await.expect("enqueue");
    let got = tokio::time::timeout(PATIENCE, ib.events.recv())
        .await
        .expect("event arrives")
        .expect("open");
    assert_eq!(got.event().id, note.id);

    for transport in [Transport::Nip17, Transport::Nip04] {
        let text = format!("secret over {transport:?}");
        ca.send_dm(bob.public_key(), &text, transport)
            .await
            .expect("send");
        let dm = tokio::time::timeout(PATIENCE, ib.dms.recv())
            .await
            .expect("dm arrives")
            .expect("open");
        assert_eq!(dm.plaintext, text);
        assert_eq!(dm.sender, alice.public_key());
        assert_eq!(dm.transport, transport);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nostr-rs-relay; scripts/test.sh runs them"]
async fn relay_killed_and_restarted_on_the_same_port_loses_nothing() {
    let mut relay = RealRelay::start();
    let keys = Keys::generate();
    let outbox = Arc::new(MemoryOutbox::new());
    let (c, _inc) = client(keys.clone(), relay.url(), outbox.clone()).await;

    let before = EventBuilder::text_note("before the crash")
        .sign_with_keys(&keys)
        .expect("sign");
    c.publish(before.clone()).await.expect("enqueue");
    eventually(async || outbox.is_empty()).await;

    relay.kill();
    eventually(async || c.relays().await.iter().all(|r| !r.connected)).await;
    let mut ids: Vec<EventId> = vec![before.id];
    for i in 0..3 {
        let e = EventBuilder::text_note(format!("while down {i}"))
            .sign_with_keys(&keys)
            .expect("sign");
        ids.push(c.publish(e).await.expect("enqueue"));
    }
    assert_eq!(outbox.len(), 3);

    relay.spawn();
    eventually(async || outbox.is_empty()).await;
    let got = c
        .query(Filter::new().author(keys.public_key()), PATIENCE)
        .await
        .expect("query");
    let mut got: Vec<EventId> = got.iter().map(|v| v.event().id).collect();
    got.sort();
    ids.sort();
    assert_eq!(
        got, ids,
        "the relay kept what it had and got what was queued"
    );
}
