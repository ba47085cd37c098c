//! Time from the owner's accept (pick) to both phones confirmed, over a loopback embedded relay,
//! through `App` exactly as the phones run it (durable outbox, NIP-17 gift wraps, live
//! subscriptions, sealed SQLite records). 50 deals; prints median and p90.
//!
//! Run: `CARGO_TARGET_DIR=/root/.cache/freeport/release cargo bench -p freeport-core --bench flow`
//! (numbers in docs/BENCHMARKS.md).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Person, embedded_relay, intent_terms, priced};
use freeport_core::app::Response;

const DEALS: usize = 50;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn confirmed(p: &Person, nego: &str) -> bool {
    p.app
        .deal(nego)
        .map(|d| d.state == freeport_core::app::DealState::Confirmed)
        .unwrap_or(false)
}

async fn run() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let mut times = Vec::with_capacity(DEALS);
    for i in 0..DEALS {
        let intent = alice
            .post_request(&format!("Wanted: item {i}"), 100, 3600)
            .await;
        let seen = bob.find(&intent.id).await;
        let nego = bob
            .app
            .respond(
                &seen.id,
                Response::Counter(priced(&intent_terms(&intent), 90)),
            )
            .await
            .expect("respond")
            .nego;
        alice.until_known(&nego).await;
        let t = Instant::now();
        alice.app.pick(&nego).await.expect("pick");
        while !(confirmed(&alice, &nego).await && confirmed(&bob, &nego).await) {
            tokio::time::sleep(Duration::from_micros(500)).await;
            assert!(t.elapsed() < common::PATIENCE, "deal {i} never confirmed");
        }
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("\naccept → both confirmed, {DEALS} deals, loopback embedded relay\n");
    println!("{:<10} {:>10}", "stat", "ms");
    println!("{:<10} {:>10.1}", "min", ms(times[0]));
    println!("{:<10} {:>10.1}", "median", ms(pct(&times, 0.5)));
    println!("{:<10} {:>10.1}", "p90", ms(pct(&times, 0.9)));
    println!("{:<10} {:>10.1}", "max", ms(times[times.len() - 1]));
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}
