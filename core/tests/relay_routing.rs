//! The relay client's routing and its extra connections, on real loopback relays (issue 23):
//! a recipient's inbox relays capped per peer, the global cap on extra connections (least
//! recently used idle one closed, busy ones never), idle connections closed, a dead inbox relay
//! widened to the peer's read relays after repeated failures, and our relays' roles changed at
//! runtime.

use std::sync::Arc;
use std::time::Duration;

use freeport_core::relay::{
    EmbeddedRelay, EmbeddedRelayOptions, MemoryOutbox, PeerRelays, RelayClient, RelayConfig,
    Transport,
};
use nostr::{EventBuilder, Filter, Keys, Kind, RelayUrl, Timestamp};

const PATIENCE: Duration = Duration::from_secs(30);

async fn relay() -> EmbeddedRelay {
    EmbeddedRelay::start_with(EmbeddedRelayOptions {
        notes_per_minute: 1_000_000,
        ..Default::default()
    })
    .await
    .expect("relay")
}

fn fast(mut c: RelayConfig) -> RelayConfig {
    c.reconnect_interval = Duration::from_millis(300);
    c.adaptive_reconnect = false;
    c.outbox_poll = Duration::from_millis(200);
    c.backoff.base = Duration::from_millis(100);
    c.backoff.cap = Duration::from_millis(400);
    c.ok_timeout = Duration::from_secs(3);
    c.extra_connect_timeout = Duration::from_secs(2);
    c
}

async fn start(keys: Keys, c: RelayConfig) -> RelayClient {
    let n = c.read.len();
    let (client, _inc) = RelayClient::start(keys, fast(c), Arc::new(MemoryOutbox::new()))
        .await
        .expect("start");
    assert_eq!(client.wait_for_connected(n, PATIENCE).await, n);
    client
}

fn url(s: &str) -> RelayUrl {
    RelayUrl::parse(s).expect("url")
}

/// Gift wraps addressed to `pk` that `relay` holds.
async fn wraps_on(relay: &str, pk: nostr::PublicKey) -> usize {
    let (c, _i) = RelayClient::start(
        Keys::generate(),
        RelayConfig::new(vec![relay.to_string()]),
        Arc::new(MemoryOutbox::new()),
    )
    .await
    .expect("observer");
    c.wait_for_connected(1, PATIENCE).await;
    let n = c
        .query(
            Filter::new().kind(Kind::GiftWrap).pubkey(pk),
            Duration::from_secs(5),
        )
        .await
        .expect("query")
        .len();
    c.shutdown().await;
    n
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_goes_to_at_most_the_per_peer_cap_of_the_recipients_inbox_relays() {
    let ours = relay().await;
    let inboxes: Vec<EmbeddedRelay> = {
        let mut v = Vec::new();
        for _ in 0..5 {
            v.push(relay().await);
        }
        v
    };
    let me = start(Keys::generate(), RelayConfig::new(vec![ours.url()])).await;
    let peer = Keys::generate().public_key();
    me.set_peer_relays(
        peer,
        PeerRelays {
            inbox: inboxes.iter().map(|r| url(&r.url())).collect(),
            ..Default::default()
        },
    );
    let sent = me
        .send_dm(peer, "hello", Transport::Nip17)
        .await
        .expect("send");
    // The outbox delivers: to the first three inbox relays (the per-peer cap), not ours.
    for r in &inboxes[..3] {
        eventually("delivered to an inbox relay", async || {
            wraps_on(&r.url(), peer).await == 1
        })
        .await;
    }
    for r in &inboxes[3..] {
        assert_eq!(wraps_on(&r.url(), peer).await, 0, "beyond the per-peer cap");
    }
    assert_eq!(wraps_on(&ours.url(), peer).await, 0, "not on our relay");
    // Our copy went to our inbox relay.
    assert_eq!(wraps_on(&ours.url(), me.public_key()).await, 1);
    assert_eq!(sent.event_ids.len(), 2);
    let t = me.traffic().await;
    assert_eq!(t.extra_opened, 3, "{t:?}");
    assert!(t.bytes_sent > 0 && t.bytes_received > 0, "{t:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_connections_are_capped_reused_and_closed_when_idle() {
    let ours = relay().await;
    let others: Vec<EmbeddedRelay> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(relay().await);
        }
        v
    };
    let mut cfg = RelayConfig::new(vec![ours.url()]);
    cfg.max_extra_relays = 2;
    cfg.extra_idle = Duration::from_millis(600);
    let me = start(Keys::generate(), cfg).await;
    let author = Keys::generate();
    // Three people, each reading on another relay; our events tagging them go there too.
    let people: Vec<nostr::PublicKey> = (0..3).map(|_| Keys::generate().public_key()).collect();
    for (p, r) in people.iter().zip(&others) {
        me.set_peer_relays(
            *p,
            PeerRelays {
                read: vec![url(&r.url())],
                ..Default::default()
            },
        );
    }
    for (i, p) in people.iter().enumerate() {
        let e = EventBuilder::text_note(format!("hello {i}"))
            .tags([nostr::Tag::public_key(*p)])
            .sign_with_keys(&author)
            .expect("sign");
        let report = me.publish_now(&e).await;
        assert!(report.is_accepted(), "{report:?}");
        // Published one after the other: each extra connection is idle again before the next,
        // so the third evicts the least recently used rather than being refused.
        assert_eq!(report.accepted.len(), 2, "ours and theirs: {report:?}");
    }
    let t = me.traffic().await;
    assert_eq!(t.extra_opened, 3, "{t:?}");
    assert!(t.extra_open <= 2, "never more than the cap: {t:?}");
    assert_eq!(t.extra_refused, 0);
    // Reuse: the relay already open is not opened again.
    let again = EventBuilder::text_note("again")
        .tags([nostr::Tag::public_key(people[2])])
        .sign_with_keys(&author)
        .expect("sign");
    assert_eq!(me.publish_now(&again).await.accepted.len(), 2);
    assert_eq!(me.traffic().await.extra_opened, 3);
    // Idle: every extra connection closes; our relay stays.
    eventually("extra connections closed when idle", async || {
        me.traffic().await.extra_open == 0
    })
    .await;
    assert_eq!(me.relays().await.len(), 1);
    assert!(me.relays().await[0].connected);
    assert!(me.traffic().await.extra_closed >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_inbox_relay_widens_to_the_read_relays_after_repeated_failures() {
    let ours = relay().await;
    let read = relay().await;
    let dead = {
        // A port nothing listens on.
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        format!("ws://127.0.0.1:{port}")
    };
    let me = start(Keys::generate(), RelayConfig::new(vec![ours.url()])).await;
    let peer = Keys::generate().public_key();
    me.set_peer_relays(
        peer,
        PeerRelays {
            inbox: vec![url(&dead)],
            read: vec![url(&read.url())],
            ..Default::default()
        },
    );
    me.send_dm(peer, "are you there?", Transport::Nip17)
        .await
        .expect("send");
    eventually("widened to the read relay", async || {
        wraps_on(&read.url(), peer).await == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_relays_roles_change_at_runtime() {
    let (r1, r2) = (relay().await, relay().await);
    let me = Keys::generate();
    let (c, mut inc) = RelayClient::start(
        me.clone(),
        fast(RelayConfig::new(vec![r1.url()])),
        Arc::new(MemoryOutbox::new()),
    )
    .await
    .expect("start");
    c.wait_for_connected(1, PATIENCE).await;
    let author = Keys::generate();
    c.subscribe(Filter::new().author(author.public_key()))
        .await
        .expect("sub");
    // Now: read on r2 only, write on r1 only, inbox on r2.
    c.set_own_relays(&[r2.url()], &[r1.url()], &[r2.url()], &[])
        .await
        .expect("roles");
    c.wait_for_connected(2, PATIENCE).await;
    let own = c.own_relays();
    assert_eq!(own.read, vec![url(&r2.url())]);
    assert_eq!(own.write, vec![url(&r1.url())]);
    // Published only where we write.
    let mine = EventBuilder::text_note("mine")
        .sign_with_keys(&me)
        .expect("sign");
    let report = c.publish_now(&mine).await;
    assert_eq!(report.accepted, vec![url(&r1.url())]);
    // Our copy of a message goes to the inbox relay, which is not a write relay.
    let peer = Keys::generate().public_key();
    c.send_dm(peer, "hi", Transport::Nip17).await.expect("send");
    eventually("our copy on the inbox relay", async || {
        wraps_on(&r2.url(), me.public_key()).await == 1
    })
    .await;
    assert_eq!(wraps_on(&r1.url(), me.public_key()).await, 0);
    // The live subscription moved to the read relay.
    let (p, _pi) = RelayClient::start(
        Keys::generate(),
        RelayConfig::new(vec![r2.url()]),
        Arc::new(MemoryOutbox::new()),
    )
    .await
    .expect("publisher");
    p.wait_for_connected(1, PATIENCE).await;
    let theirs = EventBuilder::text_note("on r2")
        .custom_created_at(Timestamp::now())
        .sign_with_keys(&author)
        .expect("sign");
    assert!(p.publish_now(&theirs).await.is_accepted());
    let got = tokio::time::timeout(PATIENCE, inc.events.recv())
        .await
        .expect("arrives")
        .expect("open");
    assert_eq!(got.event().id, theirs.id);
}
