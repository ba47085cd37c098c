//! Memory of the relay client under a hostile relay's flood.
//!
//! The example runs a scripted relay in a child process (so the relay's own buffers are not
//! counted) and the real [`RelayClient`] in this process with its default limits. The client
//! subscribes; on each REQ the relay sends one phase of the flood, ending with a sentinel note.
//! After each phase the client's resident set (`VmRSS`) and peak (`VmHWM`) are read from
//! `/proc/self/status`. The whole flood runs twice: a bounded client plateaus in round 2.
//!
//! Run (release, shared target dir):
//! `CARGO_TARGET_DIR=/root/.cache/freeport/release cargo run --release -p freeport-core --example relay_flood`
//! Options: `--scale <f>` multiplies every phase's count (default 1.0); `--rounds <n>` (default
//! 2); `--phases Valid,Forged,…` (default all); `--no-stall` skips the stalled-consumer phase.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use freeport_core::relay::{IngestStats, MemoryOutbox, RelayClient, RelayConfig};
use nostr::{Event, EventBuilder, Filter, JsonUtil, Keys, Kind, Tag, Timestamp};
use serde_json::{Value, json};
use tokio::sync::watch;
use tungstenite::Message;

/// Kind of the valid flood (addressable, so newest-wins tracks a coordinate per event).
const VALID_KIND: u16 = 30_078;
/// Kind the client does not subscribe to.
const OFF_KIND: u16 = 30_079;

/// One phase of the flood.
#[derive(Clone, Copy, Debug)]
enum Phase {
    Valid,
    Forged,
    OffFilter,
    Oversized,
    BigContent,
    TagFloods,
    Auth,
    /// Big valid follow lists sent while the consumer does not read.
    StalledBig,
    /// Big valid follow lists answering a one-shot query (the app's catch-up).
    QueryBig,
}

impl Phase {
    const ROUND: [Phase; 7] = [
        Phase::Valid,
        Phase::Forged,
        Phase::OffFilter,
        Phase::Oversized,
        Phase::BigContent,
        Phase::TagFloods,
        Phase::Auth,
    ];

    fn count(self, scale: f64) -> usize {
        let base: f64 = match self {
            Phase::Valid => 100_000.0,
            Phase::Forged => 50_000.0,
            Phase::OffFilter => 20_000.0,
            Phase::Oversized => 200.0,
            Phase::BigContent => 2_000.0,
            Phase::TagFloods => 400.0,
            Phase::Auth => 30_000.0,
            Phase::StalledBig => 200.0,
            Phase::QueryBig => 200.0,
        };
        ((base * scale).round() as usize).max(1)
    }

    fn describe(self) -> &'static str {
        match self {
            Phase::Valid => "valid addressable events, distinct ids and coordinates, 5 000 authors",
            Phase::Forged => "forged signatures",
            Phase::OffFilter => "valid events off the subscription filter",
            Phase::Oversized => "1 MiB messages (over the 256 KiB socket cap)",
            Phase::BigContent => {
                "200 KiB content (under the socket cap, over the 64 KiB content cap)"
            }
            Phase::TagFloods => {
                "10 000-tag events: half kind 1 (SDK cap 2 000), half kind 3 (admitted)"
            }
            Phase::Auth => "NIP-42 AUTH challenges",
            Phase::StalledBig => "kind 3 with 10 000 tags while the consumer does not read",
            Phase::QueryBig => "kind 3 with 10 000 tags answering a query (held until it returns)",
        }
    }

    fn by_name(name: &str) -> Option<Phase> {
        Phase::ROUND
            .into_iter()
            .chain([Phase::StalledBig, Phase::QueryBig])
            .find(|p| format!("{p:?}").eq_ignore_ascii_case(name))
    }
}

/// What to run: `rounds` times the round's phases, then the stalled phase.
#[derive(Clone, Debug)]
struct Plan {
    scale: f64,
    round: Vec<Phase>,
    rounds: usize,
    stalled: bool,
}

impl Plan {
    fn from_args(args: &[String]) -> Plan {
        let value = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        let round: Vec<Phase> = value("--phases")
            .map(|l| l.split(',').filter_map(Phase::by_name).collect())
            .unwrap_or_else(|| Phase::ROUND.to_vec());
        Plan {
            scale: value("--scale").and_then(|s| s.parse().ok()).unwrap_or(1.0),
            rounds: value("--rounds").and_then(|s| s.parse().ok()).unwrap_or(2),
            stalled: !args.iter().any(|a| a == "--no-stall"),
            round,
        }
    }

    /// The phases in order, each with its round number.
    fn sequence(&self) -> Vec<(Phase, usize)> {
        let mut v = Vec::new();
        for r in 1..=self.rounds {
            v.extend(self.round.iter().map(|p| (*p, r)));
        }
        if self.stalled {
            v.push((Phase::StalledBig, self.rounds));
            v.push((Phase::QueryBig, self.rounds));
        }
        v
    }

    fn to_args(&self) -> Vec<String> {
        let names: Vec<String> = self.round.iter().map(|p| format!("{p:?}")).collect();
        let mut a = vec![
            "--scale".to_string(),
            self.scale.to_string(),
            "--rounds".to_string(),
            self.rounds.to_string(),
            "--phases".to_string(),
            names.join(","),
        ];
        if !self.stalled {
            a.push("--no-stall".into());
        }
        a
    }
}

// ---------------------------------------------------------------------------------------------
// The relay (child process).
// ---------------------------------------------------------------------------------------------

fn event_text(sub: &Value, e: &Event) -> String {
    format!("[\"EVENT\",{sub},{}]", e.as_json())
}

/// Sends one phase to `ws`. Events are generated as they are sent, so the relay holds little.
fn send_phase(
    ws: &mut tungstenite::WebSocket<std::net::TcpStream>,
    sub: &Value,
    phase: Phase,
    n: usize,
    authors: &[Keys],
    round: usize,
) -> Result<(), Box<tungstenite::Error>> {
    let t0 = Timestamp::now().as_secs() - 100_000;
    let mut send = |s: String| ws.send(Message::text(s)).map_err(Box::new);
    match phase {
        Phase::Valid => {
            for i in 0..n {
                let k = &authors[i % authors.len()];
                let e = EventBuilder::new(Kind::from(VALID_KIND), format!("r{round} v{i}"))
                    .tags([Tag::identifier(format!("r{round}-{i}"))])
                    .custom_created_at(Timestamp::from_secs(t0 + 10))
                    .sign_with_keys(k)
                    .expect("sign");
                send(event_text(sub, &e))?;
            }
        }
        Phase::Forged => {
            let template = EventBuilder::text_note("genuine")
                .sign_with_keys(&authors[0])
                .expect("sign");
            let mut v: Value = serde_json::from_str(&template.as_json()).expect("json");
            for i in 0..n {
                v["content"] = json!(format!("forged r{round} {i}"));
                send(format!("[\"EVENT\",{sub},{v}]"))?;
            }
        }
        Phase::OffFilter => {
            for i in 0..n {
                let e = EventBuilder::new(Kind::from(OFF_KIND), format!("off r{round} {i}"))
                    .tags([Tag::identifier(format!("o{i}"))])
                    .sign_with_keys(&authors[i % authors.len()])
                    .expect("sign");
                send(event_text(sub, &e))?;
            }
        }
        Phase::Oversized => {
            let e = EventBuilder::text_note("m".repeat(1024 * 1024))
                .sign_with_keys(&authors[0])
                .expect("sign");
            let text = event_text(sub, &e);
            for _ in 0..n {
                send(text.clone())?;
            }
        }
        Phase::BigContent => {
            for i in 0..n {
                let e = EventBuilder::text_note(format!("{i}{}", "b".repeat(200 * 1024)))
                    .sign_with_keys(&authors[i % authors.len()])
                    .expect("sign");
                send(event_text(sub, &e))?;
            }
        }
        Phase::TagFloods | Phase::StalledBig | Phase::QueryBig => {
            for i in 0..n {
                let kind = if matches!(phase, Phase::TagFloods) && i % 2 == 0 {
                    Kind::TextNote
                } else {
                    Kind::ContactList
                };
                let e = EventBuilder::new(kind, "")
                    .tags((0..10_000).map(|j| Tag::hashtag(format!("{j}"))))
                    .custom_created_at(Timestamp::from_secs(t0 + i as u64))
                    .sign_with_keys(&authors[i % authors.len()])
                    .expect("sign");
                send(event_text(sub, &e))?;
            }
        }
        Phase::Auth => {
            for i in 0..n {
                send(json!(["AUTH", format!("challenge-{round}-{i}")]).to_string())?;
            }
        }
    }
    let sentinel = EventBuilder::text_note(format!("sentinel {phase:?} {round}"))
        .sign_with_keys(&authors[0])
        .expect("sign");
    send(event_text(sub, &sentinel))?;
    send(json!(["EOSE", sub]).to_string())
}

fn run_relay(plan: Plan) {
    let authors: Vec<Keys> = (0..5_000).map(|_| Keys::generate()).collect();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    println!("{port}");
    std::io::stdout().flush().expect("flush");
    let authors = Arc::new(authors);
    let reqs = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (authors, reqs) = (authors.clone(), reqs.clone());
        let plan = plan.clone();
        std::thread::spawn(move || serve(stream, &authors, &reqs, &plan));
    }
}

/// Serves one connection: the n-th REQ (over all connections) gets the n-th phase.
fn serve(stream: std::net::TcpStream, authors: &[Keys], reqs: &AtomicUsize, plan: &Plan) {
    let Ok(mut ws) = tungstenite::accept(stream) else {
        eprintln!("relay: websocket handshake failed");
        return;
    };
    let phases = plan.sequence();
    loop {
        let t = match ws.read() {
            Ok(Message::Text(t)) => t,
            Ok(_) => continue,
            Err(_) => return,
        };
        let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
            continue;
        };
        if v[0] != "REQ" {
            continue;
        }
        let n = reqs.fetch_add(1, Ordering::SeqCst);
        let Some((phase, round)) = phases.get(n).copied() else {
            continue;
        };
        if send_phase(
            &mut ws,
            &v[1],
            phase,
            phase.count(plan.scale),
            authors,
            round,
        )
        .is_err()
        {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The client (this process).
// ---------------------------------------------------------------------------------------------

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

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    /// glibc: returns free heap memory to the OS.
    fn malloc_trim(pad: usize) -> i32;
}

/// `VmRSS` after asking glibc to release free heap pages: what is actually live (freed memory
/// kept in malloc's arenas is otherwise still counted in RSS).
fn live_kib() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it has no preconditions.
    unsafe {
        malloc_trim(0);
    }
    memory_kib().0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn row(label: &str, n: usize, secs: f64, s: &IngestStats, delivered: u64) {
    let (rss, hwm) = memory_kib();
    let live = live_kib();
    println!(
        "| {label:<14} | {n:>7} | {secs:>6.1} | {:>7.1} | {:>7.1} | {:>8.1} | {delivered:>9} | {:>8} | {:>7} | {:>9} | {:>6} | {:>6} |",
        mib(rss),
        mib(hwm),
        mib(live),
        s.accepted,
        s.dropped(),
        s.off_filter + s.too_large + s.too_many_tags,
        s.lagged,
        s.shed,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let plan = Plan::from_args(&args);
    if args.iter().any(|a| a == "--relay") {
        run_relay(plan);
        return;
    }

    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .arg("--relay")
        .args(plan.to_args())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn relay");
    let mut port = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut port)
        .expect("relay port");
    let url = format!("ws://127.0.0.1:{}", port.trim());

    let config = RelayConfig::new(vec![url]);
    let limits = config.limits.clone();
    let channel_capacity = config.channel_capacity;
    let stream_mib = config.stream_max_bytes / (1024 * 1024);
    let (client, mut incoming) =
        RelayClient::start(Keys::generate(), config, Arc::new(MemoryOutbox::new()))
            .await
            .expect("start client");
    if client.wait_for_connected(1, Duration::from_secs(30)).await != 1 {
        eprintln!("relay did not connect: {:?}", client.relays().await);
        let _ = child.kill();
        std::process::exit(1);
    }

    // The consumer: reads everything (as the app does) unless paused; reports sentinels.
    let delivered = Arc::new(AtomicU64::new(0));
    let paused = Arc::new(AtomicBool::new(false));
    let (sentinel_tx, mut sentinel_rx) = watch::channel(String::new());
    {
        let (delivered, paused) = (delivered.clone(), paused.clone());
        tokio::spawn(async move {
            loop {
                while paused.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let Some(v) = incoming.events.recv().await else {
                    return;
                };
                delivered.fetch_add(1, Ordering::SeqCst);
                if v.event().content.starts_with("sentinel ") {
                    let _ = sentinel_tx.send(v.event().content.clone());
                }
            }
        });
    }

    println!(
        "limits: dedup {} ids, newest-wins {} coordinates, key cache {}, delivery channel {} events / {} MiB, pool notifications 8192, socket message cap 256 KiB\n",
        limits.dedup_capacity,
        limits.coordinate_capacity,
        limits.key_cache_capacity,
        channel_capacity,
        stream_mib
    );
    println!(
        "| phase          |   count |      s | RSS MiB | HWM MiB | live MiB | delivered | accepted | dropped | filt/size | lagged |   shed |"
    );
    println!(
        "|----------------|--------:|-------:|--------:|--------:|---------:|----------:|---------:|--------:|----------:|-------:|-------:|"
    );
    row("connected", 0, 0.0, &client.stats(), 0);

    let filter = Filter::new().kinds([Kind::from(VALID_KIND), Kind::TextNote, Kind::ContactList]);
    let mut previous = None;
    let mut total = 0usize;
    for (phase, round) in plan.sequence() {
        let n = phase.count(plan.scale);
        total += n;
        let started = Instant::now();
        if matches!(phase, Phase::StalledBig) {
            paused.store(true, Ordering::SeqCst);
        }
        if let Some(id) = previous.take() {
            client.unsubscribe(&id).await;
        }
        if matches!(phase, Phase::QueryBig) {
            let q = Filter::new().kind(Kind::ContactList).limit(10_000);
            let held = client
                .query(q, Duration::from_secs(300))
                .await
                .expect("query");
            let label = format!("query: {} held", held.len());
            row(
                &label,
                n,
                started.elapsed().as_secs_f64(),
                &client.stats(),
                delivered.load(Ordering::SeqCst),
            );
            drop(held);
            continue;
        }
        previous = Some(client.subscribe(filter.clone()).await.expect("subscribe"));
        if matches!(phase, Phase::StalledBig) {
            // Wait until the pipeline stops moving (the channel is full), then measure.
            let mut last = client.stats();
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let now = client.stats();
                if now == last {
                    break;
                }
                last = now;
            }
            row(
                "stalled (full)",
                n,
                started.elapsed().as_secs_f64(),
                &client.stats(),
                delivered.load(Ordering::SeqCst),
            );
            paused.store(false, Ordering::SeqCst);
        }
        let want = format!("sentinel {phase:?} {round}");
        let arrived = tokio::time::timeout(
            Duration::from_secs(if matches!(phase, Phase::StalledBig) {
                10
            } else {
                600
            }),
            sentinel_rx.wait_for(|s| *s == want),
        )
        .await;
        // A stall longer than the client's patience sheds the tail of the phase, sentinel
        // included (the app's catch-up query would recover it); anything else must arrive.
        if !matches!(arrived, Ok(Ok(_))) && client.stats().shed == 0 {
            panic!("sentinel {want} never arrived");
        }
        let label = format!("{phase:?} r{round}");
        row(
            &label,
            n,
            started.elapsed().as_secs_f64(),
            &client.stats(),
            delivered.load(Ordering::SeqCst),
        );
    }
    // Everything released? Live memory once the floods are over and nothing is held.
    tokio::time::sleep(Duration::from_secs(3)).await;
    row(
        "idle after",
        0,
        0.0,
        &client.stats(),
        delivered.load(Ordering::SeqCst),
    );
    println!("\n{total} flood messages in total. Phases:");
    for p in plan
        .round
        .iter()
        .chain([Phase::StalledBig, Phase::QueryBig].iter())
    {
        println!("- {p:?}: {}", p.describe());
    }
    client.shutdown().await;
    let _ = child.kill();
    let _ = child.wait();
}
