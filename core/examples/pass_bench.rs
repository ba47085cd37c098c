//! Cost of one background pass (`App::background_pass`): CPU time and peak memory of the process
//! that runs it, with 0, 100 and 1 000 new events waiting on the embedded relay, an idle pass
//! right after those 1 000 (they are still in the two-day gift-wrap window and are re-read), and
//! a pass against a relay that floods it.
//!
//! The relay and the senders run in this process; each pass runs in a child process (this
//! binary with `--child`) that opens the app, resets its peak-RSS counter
//! (`/proc/self/clear_refs`), then measures the pass alone: CPU with
//! `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)` (user + system, all threads), peak with `VmHWM`.
//! Each row is the median of `--runs` children (default 3), each on a fresh copy of the same
//! data directory, so every run does the same work.
//!
//! New events are negotiation messages to the user (gift-wrapped NIP-17 counters from distinct
//! people on the user's intents: each opens a thread and yields one `new_quote` notice) — the
//! heaviest kind a pass handles (two decryptions and a signature check beyond the wrap's own).
//!
//! Run (release, shared target dir):
//! `CARGO_TARGET_DIR=/root/.cache/freeport/release RUSTFLAGS="-C link-arg=-fuse-ld=mold" cargo run --release -p freeport-core --example pass_bench`

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use freeport_core::app::{App, AppConfig, IntentView, Payload, PostIntent};
use freeport_core::identity::{Identity, MemorySecretStore, SecretStore};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::envelope::{Envelope, EnvelopeType, Terms, build_envelope};
use freeport_core::protocol::intent::Side;
use freeport_core::relay::{
    EmbeddedRelay, EmbeddedRelayOptions, MemoryOutbox, RelayClient, RelayConfig, transport,
};
use freeport_core::store::DATA_KEY_ENTRY;
use nostr::{EventBuilder, EventId, JsonUtil, Keys, Kind, Tag, Timestamp};
use serde_json::{Value, json};
use tungstenite::Message;

const WHERE: &str = "w21z74";

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

unsafe extern "C" {
    fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
}

/// CPU time of this process (all threads), in milliseconds.
fn cpu_ms() -> f64 {
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    t.sec as f64 * 1e3 + t.nsec as f64 / 1e6
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn config(dir: &Path, relay: &str) -> AppConfig {
    let mut c = AppConfig::new(dir, vec![relay.to_string()]);
    c.intent_pow_bits = 0;
    c.rating_pow_bits = 0;
    c
}

fn secrets(nsec_hex: &str, data_key: &[u8]) -> Arc<MemorySecretStore> {
    let s = Arc::new(MemorySecretStore::new());
    Identity::import_secret(s.as_ref(), nsec_hex).expect("identity");
    s.set(DATA_KEY_ENTRY.to_string(), data_key.to_vec())
        .expect("data key");
    s
}

/// The child: one pass over `dir`, one JSON line on stdout.
fn child(args: &[String]) {
    let dir = PathBuf::from(&args[0]);
    let relay = &args[1];
    let budget = Duration::from_millis(args[2].parse().expect("budget ms"));
    let nsec = std::env::var("PB_NSEC").expect("PB_NSEC");
    let key = hex::decode(std::env::var("PB_KEY").expect("PB_KEY")).expect("key hex");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = App::open(config(&dir, relay), secrets(&nsec, &key)).expect("open");
    // Only the pass from here: reset the peak-RSS counter.
    std::fs::write("/proc/self/clear_refs", "5").expect("clear_refs");
    let (rss_before, _) = memory_kib();
    let (c0, w0) = (cpu_ms(), Instant::now());
    let r = rt.block_on(app.background_pass(budget)).expect("pass");
    let (cpu, wall) = (cpu_ms() - c0, w0.elapsed().as_secs_f64() * 1e3);
    let (_, peak) = memory_kib();
    println!(
        "{}",
        json!({
            "cpu_ms": cpu, "wall_ms": wall, "rss_before_kib": rss_before, "peak_kib": peak,
            "messages": r.messages_applied, "outcome": format!("{:?}", r.outcome),
        })
    );
}

struct Sample {
    cpu_ms: f64,
    wall_ms: f64,
    rss_before_mib: f64,
    peak_mib: f64,
    messages: u64,
    outcome: String,
}

/// Runs `runs` children on fresh copies of `dir`; returns the median by CPU.
fn measure(dir: &Path, relay: &str, budget_ms: u64, runs: usize, env: &[(&str, String)]) -> Sample {
    let mut samples = Vec::new();
    for i in 0..runs {
        let copy = dir.with_extension(format!("run{i}"));
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(dir, &copy);
        let mut cmd = Command::new(std::env::current_exe().expect("exe"));
        cmd.arg("--child")
            .arg(&copy)
            .arg(relay)
            .arg(budget_ms.to_string());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("child");
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(line.lines().last().expect("line")).expect("json");
        samples.push(Sample {
            cpu_ms: v["cpu_ms"].as_f64().expect("cpu"),
            wall_ms: v["wall_ms"].as_f64().expect("wall"),
            rss_before_mib: v["rss_before_kib"].as_f64().expect("rss") / 1024.0,
            peak_mib: v["peak_kib"].as_f64().expect("peak") / 1024.0,
            messages: v["messages"].as_u64().expect("messages"),
            outcome: v["outcome"].as_str().expect("outcome").to_string(),
        });
        let _ = std::fs::remove_dir_all(&copy);
    }
    samples.sort_by(|a, b| a.cpu_ms.total_cmp(&b.cpu_ms));
    samples.swap_remove(samples.len() / 2)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

/// `n` gift-wrapped counters from distinct people on `intents`, published to the relay.
async fn quotes(sender: &RelayClient, owner: &Keys, intents: &[IntentView], n: usize) {
    for k in 0..n {
        let who = Keys::generate();
        let i = &intents[k % intents.len()];
        let nego = NegoId::new(&i.d, owner.public_key(), who.public_key()).expect("nego");
        let mut env = Envelope::new(
            EnvelopeType::Counter,
            nego,
            EventId::from_hex(&i.id).expect("id"),
            i.market.clone(),
            now(),
        );
        let map: serde_json::Map<String, Value> =
            serde_json::from_str(&i.payload_json).expect("payload");
        let terms = Terms::from_map(&map)
            .expect("terms")
            .with("price", json!(90 + (k % 10) as u64));
        env.terms = Some(terms);
        let text = build_envelope(&env).expect("envelope");
        let wrap = transport::build_nip17(&who, &owner.public_key(), &text, Timestamp::from(now()))
            .expect("wrap")
            .to_peer;
        assert!(
            sender.publish_now(&wrap).await.is_accepted(),
            "relay accepts"
        );
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A relay that answers every REQ with valid junk addressed to `to`, endlessly, never EOSE.
fn flood_relay(to: nostr::PublicKey) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // A pool of signed junk (kind 4, 2 KiB content) reused for every answer.
    let k = Keys::generate();
    let pool: Vec<String> = (0..500)
        .map(|i| {
            EventBuilder::new(
                Kind::EncryptedDirectMessage,
                "x".repeat(2048) + &i.to_string(),
            )
            .tags([Tag::public_key(to)])
            .custom_created_at(Timestamp::from(now() - 3_600))
            .sign_with_keys(&k)
            .expect("sign")
            .as_json()
        })
        .collect();
    let pool = Arc::new(pool);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let pool = pool.clone();
            std::thread::spawn(move || {
                let Ok(mut ws) = tungstenite::accept(stream) else {
                    return;
                };
                loop {
                    match ws.read() {
                        Ok(Message::Text(t)) => {
                            let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                                continue;
                            };
                            if v[0] != "REQ" {
                                continue;
                            }
                            let sub = v[1].to_string();
                            // Until the client goes away.
                            for e in pool.iter().cycle() {
                                let m = format!("[\"EVENT\",{sub},{e}]");
                                if ws.send(Message::text(m)).is_err() {
                                    return;
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            });
        }
    });
    format!("ws://127.0.0.1:{port}")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
        return;
    }
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let relay = EmbeddedRelay::start_with(EmbeddedRelayOptions {
            notes_per_minute: 1_000_000,
            ..Default::default()
        })
        .await
        .expect("relay");
        let url = relay.url();
        let home = tempfile::tempdir().expect("tempdir");
        let dir = home.path().join("alice");
        let owner = Keys::generate();
        let nsec = owner.secret_key().to_secret_hex();
        let store = Arc::new(MemorySecretStore::new());
        Identity::import_secret(store.as_ref(), &nsec).expect("identity");
        // Alice posts eight intents (the 1 100 quotes stay under the 256 threads an intent takes),
        // then her app closes: only passes run from here on.
        let intents = {
            let app = App::open(config(&dir, &url), store.clone()).expect("open");
            app.start_network().await.expect("network");
            let mut v = Vec::new();
            for k in 0..8 {
                v.push(
                    app.post_intent(PostIntent {
                        market: "goods/1".into(),
                        side: Side::Request,
                        title: format!("Wanted: bike {k}"),
                        payload: Payload::Json(json!({
                            "item": "city bike", "condition": "good", "price": 100,
                            "currency": "SGD",
                            "location": {"name": "Tanjong Pagar MRT", "geohash": WHERE}
                        })),
                        geohash: Some(WHERE.into()),
                        expires_in_secs: Some(7 * 24 * 3600),
                        pow_bits: Some(0),
                        window: None,
                        flex_minutes: None,
                    })
                    .await
                    .expect("post"),
                );
            }
            assert_eq!(
                app.flush_outbox(Duration::from_secs(30))
                    .await
                    .expect("flush"),
                0
            );
            app.stop_network().await;
            v
        };
        let key = store
            .get(DATA_KEY_ENTRY.to_string())
            .expect("get")
            .expect("data key");
        let env = [("PB_NSEC", nsec.clone()), ("PB_KEY", hex::encode(&key))];
        // Applies a pass for real (not on a copy), so the next row starts after it; the first
        // settles the cursors of a fresh install.
        let settle = |dir: &Path| {
            let out = Command::new(std::env::current_exe().expect("exe"))
                .arg("--child")
                .arg(dir)
                .arg(&url)
                .arg("60000")
                .envs(env.iter().map(|(k, v)| (*k, v.clone())))
                .output()
                .expect("child");
            assert!(out.status.success());
        };
        settle(&dir);
        let (sender, _inc) = RelayClient::start(
            Keys::generate(),
            RelayConfig::new(vec![url.clone()]),
            Arc::new(MemoryOutbox::new()),
        )
        .await
        .expect("sender");
        assert_eq!(
            sender.wait_for_connected(1, Duration::from_secs(10)).await,
            1
        );

        let mut rows: Vec<(String, Sample)> = Vec::new();
        rows.push((
            "0 new events".into(),
            measure(&dir, &url, 60_000, runs, &env),
        ));
        quotes(&sender, &owner, &intents, 100).await;
        rows.push((
            "100 new events".into(),
            measure(&dir, &url, 60_000, runs, &env),
        ));
        settle(&dir);
        quotes(&sender, &owner, &intents, 1_000).await;
        rows.push((
            "1 000 new events".into(),
            measure(&dir, &url, 60_000, runs, &env),
        ));
        settle(&dir);
        rows.push((
            "0 new, 1 100 already applied in the wrap window".into(),
            measure(&dir, &url, 60_000, runs, &env),
        ));
        let flood = flood_relay(owner.public_key());
        rows.push((
            "flooding relay, 3 s budget".into(),
            measure(&dir, &flood, 3_000, runs, &env),
        ));
        sender.shutdown().await;

        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "| pass | CPU ms | wall ms | peak RSS MiB (before pass) | messages applied | outcome |"
        )
        .ok();
        writeln!(out, "|---|---:|---:|---:|---:|---|").ok();
        for (name, s) in rows {
            writeln!(
                out,
                "| {name} | {:.1} | {:.0} | {:.1} ({:.1}) | {} | {} |",
                s.cpu_ms, s.wall_ms, s.peak_mib, s.rss_before_mib, s.messages, s.outcome
            )
            .ok();
        }
    });
}
