//! Cost of one sync that touches 50 peers whose events live on 10 relays (issue 23), through
//! `App` exactly as a phone runs it: the user reads and writes on one home relay and knows the
//! 50 peers through their follow list; each peer writes on two of ten relays (`r[i % 10]`,
//! `r[(i + 1) % 10]`) and published its relay lists on a shared index relay; each peer has a
//! profile and receipt halves of deals with three others on its write relays.
//!
//! A cold sync looks the 50 peers' lists up (one batched query on the home and index relays),
//! picks the fewest relays that cover them all (within the cap on extra connections), reads each
//! once for its authors, and stores what it finds; a warm sync (lists fresh, cursors set) reads
//! only what is new. Prints wall time, connections opened, bytes and events for each.
//!
//! Run: `nice cargo bench -p freeport-core --bench relay_sync` (numbers in docs/RELAY.md).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{Person, embedded_relay, observer};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::intent::new_intent_d;
use freeport_core::protocol::receipt::{ReceiptDraft, build_receipt};
use freeport_core::relay::{EmbeddedRelay, RelaySettings, Traffic};
use nostr::{Event, EventBuilder, EventId, Keys, Kind, Metadata, Tag, Timestamp};

const PEERS: usize = 50;
const RELAYS: usize = 10;
/// Each peer has deals with the next `PARTNERS` peers (both halves published).
const PARTNERS: usize = 3;

fn receipt(author: &Keys, peer: &Keys, nego: &NegoId, at: u64) -> Event {
    build_receipt(
        &ReceiptDraft {
            nego: nego.clone(),
            peer: peer.public_key(),
            intent_id: EventId::all_zeros(),
            meet: None,
            countersigns: None,
        },
        Timestamp::from(at),
    )
    .sign_with_keys(author)
    .expect("sign")
}

struct Row {
    what: &'static str,
    ms: f64,
    opened: u64,
    sent: u64,
    received: u64,
    events: u32,
}

fn delta(a: Traffic, b: Traffic) -> (u64, u64, u64) {
    (
        b.extra_opened - a.extra_opened,
        b.bytes_sent - a.bytes_sent,
        b.bytes_received - a.bytes_received,
    )
}

async fn run() {
    let home = embedded_relay().await;
    let index = embedded_relay().await;
    let mut relays: Vec<EmbeddedRelay> = Vec::new();
    for _ in 0..RELAYS {
        relays.push(embedded_relay().await);
    }
    let peers: Vec<Keys> = (0..PEERS).map(|_| Keys::generate()).collect();
    let writes = |i: usize| [i % RELAYS, (i + 1) % RELAYS];

    // Seed: each peer's lists on the index relay, its profile and receipt halves where it writes.
    let now = common::now();
    let mut per_relay: Vec<Vec<Event>> = vec![Vec::new(); RELAYS];
    let mut on_index = Vec::new();
    for (i, k) in peers.iter().enumerate() {
        let mine: Vec<String> = writes(i).iter().map(|r| relays[*r].url()).collect();
        let s = RelaySettings::uniform(&mine).expect("settings");
        on_index.push(s.relay_list_builder().sign_with_keys(k).expect("sign"));
        on_index.push(s.inbox_list_builder().sign_with_keys(k).expect("sign"));
        let profile = EventBuilder::metadata(&Metadata::new().name(format!("peer {i}")))
            .sign_with_keys(k)
            .expect("sign");
        for r in writes(i) {
            per_relay[r].push(profile.clone());
        }
    }
    for i in 0..PEERS {
        for d in 1..=PARTNERS {
            let j = (i + d) % PEERS;
            let nego = NegoId::new(
                &new_intent_d(),
                peers[i].public_key(),
                peers[j].public_key(),
            )
            .expect("nego");
            let at = now - 86_400;
            for (a, b, who) in [(&peers[i], &peers[j], i), (&peers[j], &peers[i], j)] {
                let e = receipt(a, b, &nego, at);
                for r in writes(who) {
                    per_relay[r].push(e.clone());
                }
            }
        }
    }
    let idx = observer(&[index.url()]).await;
    for e in &on_index {
        assert!(idx.publish_now(e).await.is_accepted());
    }
    idx.shutdown().await;
    let mut seeded = 0;
    for (r, events) in per_relay.iter().enumerate() {
        let c = observer(&[relays[r].url()]).await;
        for e in events {
            assert!(c.publish_now(e).await.is_accepted());
            seeded += 1;
        }
        c.shutdown().await;
    }

    // The user: reads and writes on the home relay, follows the 50 peers.
    let user = Person::offline_with("User", &[home.url()], |c| {
        c.index_relays = vec![index.url()];
    });
    let follows = EventBuilder::new(Kind::ContactList, "")
        .tags(peers.iter().map(|p| Tag::public_key(p.public_key())))
        .sign_with_keys(&user.keys)
        .expect("sign");
    let h = observer(&[home.url()]).await;
    assert!(h.publish_now(&follows).await.is_accepted());
    h.shutdown().await;
    user.connect().await;

    let mut rows = Vec::new();
    for what in ["cold sync", "warm sync"] {
        let before = user.app.relay_traffic().await.expect("online");
        let t = Instant::now();
        let r = user.app.sync().await.expect("sync");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let after = user.app.relay_traffic().await.expect("online");
        let (opened, sent, received) = delta(before, after);
        rows.push(Row {
            what,
            ms,
            opened,
            sent,
            received,
            events: r.events_received,
        });
    }
    let card = user
        .app
        .screen(&peers[0].public_key().to_hex(), false)
        .expect("screen");
    assert!(card.partners >= 2, "the peers' deals were read: {card:?}");

    println!(
        "\none sync touching {PEERS} peers on {RELAYS} relays (+ home and index relay), loopback \
         embedded relays; {seeded} events seeded\n"
    );
    println!(
        "{:<10} {:>9} {:>12} {:>11} {:>12} {:>8}",
        "run", "ms", "connections", "bytes out", "bytes in", "events"
    );
    for r in rows {
        println!(
            "{:<10} {:>9.0} {:>12} {:>11} {:>12} {:>8}",
            r.what, r.ms, r.opened, r.sent, r.received, r.events
        );
    }
    let t = user.app.relay_traffic().await.expect("online");
    println!(
        "\nextra connections: {} opened, {} open now, {} refused (cap {})",
        t.extra_opened,
        t.extra_open,
        t.extra_refused,
        freeport_core::relay::RelayConfig::new(Vec::new()).max_extra_relays
    );
    user.app.stop_network().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}
