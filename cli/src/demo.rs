//! `freeport demo`: the whole product end to end through the same `app` code paths a phone uses,
//! on an embedded relay (or `--relay`). Also `freeport relay` and the offline `screen --events`.
//!
//! The town's *history* (deals weeks ago, and the Sybil ring) is seeded as signed events built
//! with the core's protocol builders — a phone only ever sees such events from relays. Everything
//! after that (post, quotes, pick, Filled, meet by QR image, ratings, screening) runs through
//! `App`, exactly as the mobile apps call it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use freeport_core::app::{
    App, AppConfig, AppError, CONTACT_ENTRY, Payload, PostIntent, ProfileUpdate, RateInput,
    Response, ScanInput, ScreeningView,
};

use crate::english;
use freeport_core::contact::{Salt, attestation_for, parse_phone};
use freeport_core::identity::{Identity, MemorySecretStore, SecretStore};
use freeport_core::protocol::envelope::Terms;
use freeport_core::protocol::intent::Side;
use freeport_core::protocol::profile::{Profile, build_profile};
use freeport_core::protocol::rating::{RatingDraft, Score, build_rating};
use freeport_core::protocol::receipt::{MeetNonce, ReceiptDraft, build_receipt};
use freeport_core::protocol::{NegoId, intent::new_intent_d};
use freeport_core::relay::{
    EmbeddedRelay, EmbeddedRelayOptions, MemoryOutbox, RelayClient, RelayConfig,
};
use freeport_core::reputation::Screening;
use indicatif::{ProgressBar, ProgressStyle};
use nostr::{Event, EventId, Keys, Timestamp};

/// With `--json`, stdout carries only the final JSON document; the narrative goes to stderr.
static NARRATE_TO_STDERR: AtomicBool = AtomicBool::new(false);

macro_rules! say {
    ($($t:tt)*) => {
        if NARRATE_TO_STDERR.load(Ordering::Relaxed) {
            eprintln!($($t)*)
        } else {
            println!($($t)*)
        }
    };
}

macro_rules! say_nonl {
    ($($t:tt)*) => {
        if NARRATE_TO_STDERR.load(Ordering::Relaxed) {
            eprint!($($t)*)
        } else {
            print!($($t)*)
        }
    };
}

/// The files the demo writes into its output directory.
pub const ARTIFACTS: [&str; 4] = [
    "meet-code.png",
    "meet-code.svg",
    "screening.json",
    "trust-neighbourhood.png",
];

/// What `freeport demo` was asked to do.
pub struct DemoOptions {
    pub relays: Vec<String>,
    pub out: Option<PathBuf>,
    pub puppets: usize,
    pub json: bool,
}

const DAY: u64 = 86_400;
const WHERE: &str = "w21z74"; // Tanjong Pagar, Singapore

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Bold on a terminal, plain text in files and pipes.
fn bold(s: &str) -> String {
    use std::io::IsTerminal;
    let tty = if NARRATE_TO_STDERR.load(Ordering::Relaxed) {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    if tty {
        format!("\x1b[1m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn step(n: u32, text: &str) {
    say!("\n{}", bold(&format!("{n:>2}. {text}")));
}

/// One resident with a phone: an `App` over a data dir, keys in an in-memory secret store.
struct Persona {
    name: &'static str,
    app: App,
    secrets: Arc<MemorySecretStore>,
}

async fn persona(
    name: &'static str,
    keys: &Keys,
    homes: &Path,
    relays: &[String],
) -> Result<Persona> {
    let secrets = Arc::new(MemorySecretStore::new());
    Identity::import_secret(secrets.as_ref(), &keys.secret_key().to_secret_hex())?;
    let mut cfg = AppConfig::new(homes.join(name.to_lowercase()), relays.to_vec());
    cfg.default_region = Some("SG".into());
    cfg.query_timeout = Duration::from_secs(3);
    let app = App::open(cfg, secrets.clone())?;
    app.start_network().await?;
    if app.wait_connected(Duration::from_secs(10)).await? == 0 {
        return Err(anyhow!("{name}: no relay reachable"));
    }
    Ok(Persona { name, app, secrets })
}

fn sign(b: nostr::EventBuilder, k: &Keys) -> Result<Event> {
    Ok(b.sign_with_keys(k)?)
}

/// A met deal long ago: both halves with the meet nonce, the scanner's linking the shower's.
fn past_deal(a: &Keys, b: &Keys, at: u64) -> Result<(NegoId, Vec<Event>)> {
    let nego = NegoId::new(&new_intent_d(), a.public_key(), b.public_key())?;
    let intent = EventId::all_zeros();
    let nonce = MeetNonce::random();
    let ha = sign(
        build_receipt(
            &ReceiptDraft {
                nego: nego.clone(),
                peer: b.public_key(),
                intent_id: intent,
                meet: Some(nonce),
                countersigns: None,
            },
            Timestamp::from(at),
        ),
        a,
    )?;
    let hb = sign(
        build_receipt(
            &ReceiptDraft {
                nego: nego.clone(),
                peer: a.public_key(),
                intent_id: intent,
                meet: Some(nonce),
                countersigns: Some(ha.id),
            },
            Timestamp::from(at + 5),
        ),
        b,
    )?;
    Ok((nego, vec![ha, hb]))
}

fn past_rating(
    rater: &Keys,
    ratee: &Keys,
    nego: &NegoId,
    at: u64,
    good: bool,
    attest: Option<(&str, &Salt)>,
) -> Result<Event> {
    let (masked, commit) = match attest {
        Some((phone, salt)) => {
            let n = parse_phone(phone, Some("SG"))?;
            let a = attestation_for(&n, Some(salt));
            (a.contact_masked, a.contact_commit)
        }
        None => (None, None),
    };
    let draft = RatingDraft {
        nego: nego.clone(),
        ratee: ratee.public_key(),
        score: Score::new(if good { 2 } else { -1 }).ok_or_else(|| anyhow!("score"))?,
        safe: good,
        reliable: good,
        contact_masked: masked,
        contact_commit: commit,
    };
    Ok(build_rating(&draft, Timestamp::from(at))?
        .pow(8)
        .sign_with_keys(rater)?)
}

fn past_profile(k: &Keys, name: &str, at: u64) -> Result<Event> {
    let p = Profile {
        name: Some(name.to_string()),
        ..Default::default()
    };
    sign(build_profile(&p, None, Timestamp::from(at))?, k)
}

/// Publishes seeded history through a relay client (concurrently, waiting for each `OK`).
async fn publish_all(relays: &[String], events: Vec<Event>, bar: &ProgressBar) -> Result<usize> {
    let (client, _incoming) = RelayClient::start(
        Keys::generate(),
        RelayConfig::new(relays.to_vec()),
        Arc::new(MemoryOutbox::new()),
    )
    .await?;
    client.wait_for_connected(1, Duration::from_secs(10)).await;
    let mut ok = 0usize;
    for chunk in events.chunks(64) {
        let mut set = tokio::task::JoinSet::new();
        for e in chunk {
            let c = client.clone();
            let e = e.clone();
            set.spawn(async move { c.publish_now(&e).await.is_accepted() });
        }
        while let Some(r) = set.join_next().await {
            if r.unwrap_or(false) {
                ok += 1;
            }
            bar.inc(1);
        }
    }
    client.shutdown().await;
    Ok(ok)
}

fn contact_salt(secrets: &MemorySecretStore) -> Result<Salt> {
    let raw = secrets
        .get(CONTACT_ENTRY.to_string())?
        .ok_or_else(|| anyhow!("no private contact stored"))?;
    let v: serde_json::Value = serde_json::from_slice(&raw)?;
    let hex = v["salt"].as_str().ok_or_else(|| anyhow!("no salt"))?;
    Salt::from_hex(hex).map_err(|e| anyhow!("{e}"))
}

fn spinner(msg: &str) -> ProgressBar {
    let b = ProgressBar::new_spinner();
    b.set_style(
        ProgressStyle::with_template("    {spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    b.set_message(msg.to_string());
    b.enable_steady_tick(Duration::from_millis(100));
    b
}

fn bar(len: usize, msg: &str) -> ProgressBar {
    let b = ProgressBar::new(len as u64);
    b.set_style(
        ProgressStyle::with_template("    [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message(msg.to_string());
    b
}

fn card_line(name: &str, s: &ScreeningView) -> String {
    format!(
        "    {name:<8} {:<62} [{}]",
        english::badge(&s.badge),
        english::verdict(s.verdict)
    )
}

/// Runs the demo.
pub async fn run(opts: DemoOptions) -> Result<()> {
    let started = Instant::now();
    NARRATE_TO_STDERR.store(opts.json, Ordering::Relaxed);
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("freeport-demo-{}", now())));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let homes = out.join("homes");

    // ---------------------------------------------------------------------------------------
    step(1, "A relay");
    let mut embedded = None;
    let relays = if opts.relays.is_empty() {
        let r = EmbeddedRelay::start_with(EmbeddedRelayOptions {
            notes_per_minute: 1_000_000,
            ..Default::default()
        })
        .await?;
        say!("    embedded relay on {} (loopback only)", r.url());
        let url = r.url();
        embedded = Some(r);
        vec![url]
    } else {
        say!("    using {}", opts.relays.join(", "));
        opts.relays.clone()
    };

    // ---------------------------------------------------------------------------------------
    step(2, "The town: residents with history, and a Sybil ring");
    let t = now();
    let (alice_k, bob_k, dave_k, erin_k, frank_k, grace_k, mallory_k, nina_k) = (
        Keys::generate(),
        Keys::generate(),
        Keys::generate(),
        Keys::generate(),
        Keys::generate(),
        Keys::generate(),
        Keys::generate(),
        Keys::generate(),
    );
    let sp = spinner("phones start");
    let alice = persona("Alice", &alice_k, &homes, &relays).await?;
    let bob = persona("Bob", &bob_k, &homes, &relays).await?;
    let mallory = persona("Mallory", &mallory_k, &homes, &relays).await?;
    let nina = persona("Nina", &nina_k, &homes, &relays).await?;
    for (p, phone) in [
        (&alice, Some("+65 8123 4567")),
        (&bob, Some("+65 9123 4567")),
        (&mallory, None),
        (&nina, Some("9765 4321")),
    ] {
        p.app
            .set_profile(ProfileUpdate {
                name: Some(p.name.to_string()),
                phone: phone.map(str::to_string),
                ..Default::default()
            })
            .await?;
    }
    sp.finish_and_clear();
    say!("    Alice (buyer), Bob (seller, trades here for months), Mallory (new), Nina (new)");
    say!(
        "    phones publish masked numbers only: Bob → {}",
        bob.app
            .profile(&bob_k.public_key().to_hex())?
            .phone_published
            .unwrap_or_default()
    );

    // History: met deals weeks ago (Alice ↔ Dave, Alice ↔ Erin; Dave, Erin, Frank, Grace ↔ Bob).
    let bob_salt = contact_salt(&bob.secrets)?;
    let mut seed: Vec<Event> = Vec::new();
    for (k, n, d) in [
        (&dave_k, "Dave", 90),
        (&erin_k, "Erin", 80),
        (&frank_k, "Frank", 70),
        (&grace_k, "Grace", 60),
    ] {
        seed.push(past_profile(k, n, t - d * DAY)?);
    }
    let history = [
        (&alice_k, &dave_k, 60u64, false),
        (&alice_k, &erin_k, 45, false),
        (&dave_k, &bob_k, 40, true),
        (&erin_k, &bob_k, 30, true),
        (&frank_k, &bob_k, 20, true),
        (&grace_k, &bob_k, 15, true),
    ];
    for (a, b, days, b_is_bob) in history {
        let at = t - days * DAY;
        let (nego, halves) = past_deal(a, b, at)?;
        seed.extend(halves);
        let attest_b = b_is_bob.then_some(("+65 9123 4567", &bob_salt));
        seed.push(past_rating(a, b, &nego, at + 3600, true, attest_b)?);
        seed.push(past_rating(b, a, &nego, at + 3700, true, None)?);
    }
    // The Sybil ring: puppets trade densely among themselves and with Mallory, and praise her.
    let puppets: Vec<Keys> = (0..opts.puppets).map(|_| Keys::generate()).collect();
    for (i, p) in puppets.iter().enumerate() {
        let at = t - DAY - (i as u64 % 3000);
        for j in 1..=2 {
            let q = &puppets[(i + j) % puppets.len()];
            if q.public_key() != p.public_key() {
                let (_, halves) = past_deal(p, q, at)?;
                seed.extend(halves);
            }
        }
        let (nego, halves) = past_deal(p, &mallory_k, at)?;
        seed.extend(halves);
        seed.push(past_rating(p, &mallory_k, &nego, at + 60, true, None)?);
    }
    let b = bar(seed.len(), "signed events to the relay");
    let n_seed = seed.len();
    let accepted = publish_all(&relays, seed, &b).await?;
    b.finish_and_clear();
    say!(
        "    history: 6 met deals with ratings, 2–13 weeks old; Sybil ring: {} puppets, {} fake deals, all praising Mallory ({accepted}/{n_seed} events accepted)",
        opts.puppets,
        opts.puppets * 3
    );

    // ---------------------------------------------------------------------------------------
    step(3, "Alice posts a request in goods/1");
    let intent = alice
        .app
        .post_intent(PostIntent {
            market: "goods/1".into(),
            side: Side::Request,
            title: "Wanted: a city bike, under SGD 150".into(),
            payload: Payload::Json(serde_json::json!({
                "item": "city bike", "condition": "good", "price": 150, "currency": "SGD",
                "location": {"name": "Tanjong Pagar MRT", "geohash": WHERE}
            })),
            geohash: Some(WHERE.into()),
            expires_in_secs: Some(3 * DAY),
            pow_bits: None,
            window: None,
            flex_minutes: None,
        })
        .await?;
    alice.app.flush_outbox(Duration::from_secs(10)).await?;
    say!(
        "    \"{}\" near {WHERE} (12-bit proof of work, expires in 3 days)",
        intent.title
    );

    // ---------------------------------------------------------------------------------------
    step(4, "Three sellers find it nearby and send private quotes");
    let base = Terms::from_map(&serde_json::from_str::<
        serde_json::Map<String, serde_json::Value>,
    >(&intent.payload_json)?)?;
    let mut negos = Vec::new();
    for (p, price, note) in [
        (&bob, 120, "Giant Escape 3, serviced last month"),
        (&mallory, 60, "Brand new!! pay deposit first"),
        (&nina, 110, "Decathlon Elops, some scratches"),
    ] {
        let seen = p.app.browse("goods", Some(WHERE), 1).await?;
        let found = seen
            .iter()
            .find(|i| i.id == intent.id)
            .ok_or_else(|| anyhow!("{} did not find the intent", p.name))?;
        let terms = base
            .clone()
            .with("price", serde_json::json!(price))
            .with("notes", serde_json::json!(note));
        let d = p.app.respond(&found.id, Response::Counter(terms)).await?;
        p.app.flush_outbox(Duration::from_secs(10)).await?;
        say!("    {:<8} quotes SGD {price}: \"{note}\"", p.name);
        negos.push((p.name, d.nego));
    }

    // ---------------------------------------------------------------------------------------
    step(
        5,
        "Alice compares the quotes with each seller's screening card",
    );
    alice.app.sync().await?;
    for who in [&bob_k, &mallory_k, &nina_k] {
        alice
            .app
            .screen_remote(&who.public_key().to_hex(), false)
            .await?;
    }
    let quotes = alice.app.quotes(&intent.id)?;
    for q in &quotes {
        let name = q.screening.name.clone().unwrap_or_default();
        let price = q
            .deal
            .terms
            .iter()
            .find(|t| t.path == "/price")
            .map(|t| english::term_value(&t.value))
            .unwrap_or_default();
        say!(
            "    {:<8} {:<9} {} [{}]",
            name,
            price,
            english::badge(&q.screening.badge),
            english::verdict(q.screening.verdict)
        );
    }

    // ---------------------------------------------------------------------------------------
    step(
        6,
        "Alice picks Bob; the others are told, privately, that it's filled",
    );
    let bob_nego = negos
        .iter()
        .find(|(n, _)| *n == "Bob")
        .map(|(_, id)| id.clone())
        .ok_or_else(|| anyhow!("no Bob quote"))?;
    alice.app.pick(&bob_nego).await?;
    alice.app.flush_outbox(Duration::from_secs(10)).await?;
    bob.app.sync().await?; // Bob's phone auto-accepts his own quote, revealing his contact
    bob.app.flush_outbox(Duration::from_secs(10)).await?;
    alice.app.sync().await?;
    alice.app.flush_outbox(Duration::from_secs(10)).await?;
    for p in [&mallory, &nina] {
        p.app.sync().await?;
        let d = p.app.deals()?;
        let d = d.first().ok_or_else(|| anyhow!("{}: no deal", p.name))?;
        say!(
            "    {:<8} {} — {}",
            p.name,
            english::state(d.state),
            d.cancellation
                .as_ref()
                .map(|c| english::cancel_reason(&c.reason))
                .unwrap_or_default()
        );
    }
    let deal = alice.app.deal(&bob_nego)?;
    say!(
        "    Alice ↔ Bob: {} · contact (sent encrypted, only now): {}",
        english::state(deal.state),
        deal.their_contact.clone().unwrap_or_default()
    );

    // ---------------------------------------------------------------------------------------
    step(
        7,
        "They meet: Bob shows a single-use code, Alice's phone scans it (no network needed)",
    );
    let code = bob.app.meet_show(&bob_nego, 512)?;
    let png_path = out.join("meet-code.png");
    std::fs::write(&png_path, &code.png)?;
    std::fs::write(out.join("meet-code.svg"), &code.svg)?;
    say_nonl!("{}", indent(&code.terminal));
    say!(
        "    {} ({} chars, QR version {}, rotates every 20 s, valid 60 s) → {}",
        code.token,
        code.token.len(),
        code.qr_version,
        png_path.display()
    );
    let png = std::fs::read(&png_path)?;
    let scanned = alice.app.meet_scan(ScanInput::Image(png)).await?;
    say!(
        "    Alice scanned the PNG: co-signed ✓ — compare aloud: {}",
        bold(&scanned.sas_words.join(" "))
    );
    let ret = scanned
        .return_token
        .clone()
        .ok_or_else(|| anyhow!("no return code"))?;
    let back = bob.app.meet_scan(ScanInput::Text(ret)).await?;
    say!(
        "    Bob scanned the return code:    met ✓ — his phone shows:   {}",
        bold(&back.sas_words.join(" "))
    );
    if back.sas_words != scanned.sas_words {
        return Err(anyhow!("the two phones show different words"));
    }

    // ---------------------------------------------------------------------------------------
    step(8, "Both rate: two yes/no questions, no free text");
    alice
        .app
        .rate(
            &bob_nego,
            RateInput {
                safe: true,
                reliable: true,
                score: None,
                reached_number: true,
            },
        )
        .await?;
    bob.app
        .rate(
            &bob_nego,
            RateInput {
                safe: true,
                reliable: true,
                score: None,
                reached_number: true,
            },
        )
        .await?;
    for p in [&alice, &bob] {
        p.app.flush_outbox(Duration::from_secs(10)).await?;
    }
    say!(
        "    Alice: safe ✓ reliable ✓, and \"I reached Bob at his number\" (her phone attests {})",
        bob.app
            .profile(&bob_k.public_key().to_hex())?
            .phone_published
            .unwrap_or_default()
    );

    // ---------------------------------------------------------------------------------------
    step(
        9,
        "Screening before the next meetup, from Alice's own position",
    );
    alice.app.sync().await?;
    let mut cards = Vec::new();
    for (name, k) in [("Bob", &bob_k), ("Mallory", &mallory_k), ("Nina", &nina_k)] {
        let s = alice
            .app
            .screen_remote(&k.public_key().to_hex(), true)
            .await?;
        say!("{}", card_line(name, &s));
        cards.push((name, s));
    }
    if let Some((_, s)) = cards.first()
        && s.path_names.len() > 1
    {
        say!(
            "    Bob's connection: you → {}",
            s.path_names[1..].join(" → ")
        );
    }
    if let Some((_, m)) = cards.get(1) {
        say!(
            "    Mallory's {} praising raters together weigh {:.3} (ε = 0.05 of one direct partner)",
            m.raters.len(),
            m.unreachable_weight
        );
    }
    let json = serde_json::json!(
        cards
            .iter()
            .map(|(n, s)| (n.to_string(), serde_json::to_value(s).unwrap_or_default()))
            .collect::<serde_json::Map<_, _>>()
    );
    std::fs::write(
        out.join("screening.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    let extra = [mallory_k.public_key(), nina_k.public_key()];
    let hood = alice.app.trust_neighbourhood(40, &extra)?;
    let png = crate::draw::neighbourhood_png(&hood, "Alice's trust neighbourhood")?;
    std::fs::write(out.join("trust-neighbourhood.png"), png)?;

    // ---------------------------------------------------------------------------------------
    for p in [&alice, &bob, &mallory, &nina] {
        p.app.stop_network().await;
    }
    drop(embedded);
    say!(
        "\nArtifacts in {}: meet-code.png, meet-code.svg, screening.json, trust-neighbourhood.png",
        out.display()
    );
    say!("Done in {:.1} s.", started.elapsed().as_secs_f64());
    if opts.json {
        let artifacts: Vec<String> = ARTIFACTS
            .iter()
            .map(|a| out.join(a).display().to_string())
            .collect();
        let doc = serde_json::json!({
            "out": out.display().to_string(),
            "artifacts": artifacts,
            "screening": json,
            "seconds": started.elapsed().as_secs_f64(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(())
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// `freeport relay`: an embedded relay in the foreground, persistent with `--db`.
pub async fn run_relay(port: u16, db: Option<PathBuf>) -> Result<()> {
    let mut opts = EmbeddedRelayOptions {
        port: Some(port),
        ..Default::default()
    };
    if let Some(path) = &db {
        std::fs::create_dir_all(path)
            .with_context(|| format!("cannot create relay database {}", path.display()))?;
        let lmdb = nostr_lmdb::NostrLMDB::open(path)
            .map_err(|e| anyhow!("cannot open relay database {}: {e}", path.display()))?;
        opts.database = Some(Arc::new(lmdb));
    }
    let relay = EmbeddedRelay::start_with(opts).await?;
    eprintln!(
        "relay listening on {}{}; Ctrl-C to stop",
        relay.url(),
        db.map(|p| format!(" (database {})", p.display()))
            .unwrap_or_else(|| " (in memory)".into())
    );
    tokio::signal::ctrl_c().await?;
    drop(relay);
    Ok(())
}

/// Offline evaluation: screen `subject` from `viewer` over a JSON-lines file of signed events.
/// What `screen --events` read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputStats {
    /// Verified events used.
    pub events: usize,
    /// Lines that are not a JSON event.
    pub unreadable_lines: usize,
    /// Events whose signature or id does not verify.
    pub bad_signature: usize,
    /// Signed events that are not well-formed Freeport events.
    pub malformed: usize,
}

/// Returns the reputation record (the JSON the reputation issue defines), its card view, and
/// what was read.
pub fn screen_file(
    file: &Path,
    viewer: &str,
    subject: &str,
    explain: bool,
) -> Result<(Screening, ScreeningView, InputStats)> {
    use nostr::JsonUtil;
    let text = std::fs::read_to_string(file).map_err(|e| {
        crate::ArgError::new("events", format!("cannot read {}: {e}", file.display()))
    })?;
    let mut events = Vec::new();
    let mut unreadable = 0usize;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match Event::from_json(line) {
            Ok(e) => events.push(e),
            Err(_) => unreadable += 1,
        }
    }
    let viewer = freeport_core::identity::parse_public_key(viewer).map_err(AppError::from)?;
    let subject_pk = freeport_core::identity::parse_public_key(subject).map_err(AppError::from)?;
    let (s, stats) = freeport_core::app::screen_events(
        &events,
        &viewer,
        &subject_pk,
        now(),
        Default::default(),
        explain,
    )?;
    let path_names = s.path.iter().map(|h| h.chars().take(8).collect()).collect();
    let view = freeport_core::app::screening_view(&subject_pk, &s, None, path_names, None);
    Ok((
        s,
        view,
        InputStats {
            events: stats.events,
            unreadable_lines: unreadable,
            bad_signature: stats.rejected_signature,
            malformed: stats.rejected_parse,
        },
    ))
}
