//! `freeport`: a desktop / headless Freeport client over the core's `app` layer, the embedded
//! relay, and the demo. This crate parses arguments and prints; all behaviour is in the core.
//!
//! Exit codes: 0 success · 1 the operation failed (network, storage) · 2 usage error ·
//! 3 refused input (invalid, expired, foreign or used code, unknown market/intent/deal, wrong
//! passphrase…) · 4 no identity yet (run `freeport init`).

mod demo;
mod draw;
mod english;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand, ValueEnum};
use freeport_core::app::{
    App, AppConfig, AppError, AppEvent, CheckinShare, CheckinView, DealStage, DealView, Format,
    IntentView, Notice, PassOutcome, Payload, PostIntent, ProfileUpdate, RateInput, RefusalView,
    Response, Rule, ScanInput, ScreeningView, TrustedContactView, ValueKind, WatchedCheckinView,
};
use freeport_core::protocol::envelope::Terms;
use freeport_core::protocol::intent::{Side, TimeWindow};

#[derive(Parser, Debug)]
#[command(
    name = "freeport",
    version,
    about = "Safe peer-to-peer exchange without a platform",
    long_about = "Post intents to Nostr relays, negotiate privately, meet and co-sign a deal \
                  receipt with a single-use QR code, rate, and screen a contact before a meetup."
)]
struct Cli {
    /// Data directory (store, settings; secrets go to the OS keyring or an encrypted file).
    #[arg(long, global = true, env = "FREEPORT_HOME")]
    home: Option<PathBuf>,
    /// Relay to read and write on for this run (repeatable); saved as your relays at `init`.
    /// Default: your relay settings (`freeport relays`), else assets/relays.json.
    #[arg(
        long = "relay",
        global = true,
        env = "FREEPORT_RELAYS",
        value_delimiter = ','
    )]
    relays: Vec<String>,
    /// Index relay for this run (repeatable): your relay lists are also published there and
    /// other people's looked up there. Default: assets/relays.json's, or none with --relay.
    #[arg(
        long = "index-relay",
        global = true,
        env = "FREEPORT_INDEX_RELAYS",
        value_delimiter = ','
    )]
    index_relays: Vec<String>,
    /// Print JSON instead of human text.
    #[arg(long, global = true)]
    json: bool,
    /// Show the error chain and debug logs.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Environment variable holding the passphrase of the encrypted key file (headless
    /// machines without a keyring service).
    #[arg(long, global = true, default_value = "FREEPORT_PASSPHRASE")]
    passphrase_env: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Create an identity (keys in the OS keyring or an encrypted key file).
    Init {
        #[arg(long)]
        name: Option<String>,
    },
    /// Show your public key.
    Whoami,
    /// Export an NIP-49 encrypted backup (ncryptsec) of your key.
    Backup {
        /// Environment variable with the backup passphrase (else a prompt).
        #[arg(long)]
        backup_passphrase_env: Option<String>,
    },
    /// Restore your key from an ncryptsec backup.
    Restore {
        /// The `ncryptsec1…` string.
        ncryptsec: String,
        #[arg(long)]
        backup_passphrase_env: Option<String>,
    },
    /// Your profile.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Your relays: where you read, where you write, where your messages arrive.
    Relays {
        #[command(subcommand)]
        cmd: Option<RelaysCmd>,
    },
    /// Run a relay on this machine (in memory, or persistent with --db).
    Relay {
        #[arg(long, default_value_t = 7777)]
        port: u16,
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Post an intent.
    Post(PostArgs),
    /// Withdraw one of your intents.
    Withdraw { intent: String },
    /// Browse a market near a place.
    Browse {
        #[arg(long)]
        market: String,
        /// Geohash of the area (its 8 neighbouring cells are included).
        #[arg(long)]
        near: Option<String>,
        /// Rings of neighbouring cells to include.
        #[arg(long, default_value_t = 1)]
        radius: u32,
    },
    /// Respond to someone's intent.
    Respond {
        intent: String,
        #[arg(long, conflicts_with = "counter", required_unless_present = "counter")]
        accept: bool,
        /// The terms to change, as a JSON object, e.g. '{"payment":"SGD 40"}' (the rest of the
        /// intent's terms stand; `null` removes a key).
        #[arg(long)]
        counter: Option<String>,
    },
    /// The responders' quotes on one of your intents, side by side.
    Quotes { intent: String },
    /// Pick one quote (the others get "Filled — taken by another offer").
    Pick { nego: String },
    /// Propose other terms.
    Counter {
        nego: String,
        /// The terms to change, as a JSON object (the rest stand; `null` removes a key).
        terms: String,
    },
    /// Accept the terms on the table (reveals your contact).
    Accept { nego: String },
    /// Cancel a negotiation; a confirmed deal may instead ask the other side to agree
    /// (--request), and the other side answers (--agree / --decline).
    Cancel {
        nego: String,
        #[arg(long)]
        reason: Option<String>,
        /// Ask them to agree to cancel the confirmed deal.
        #[arg(long, conflicts_with_all = ["agree", "decline"])]
        request: bool,
        /// Agree to their request to cancel.
        #[arg(long, conflicts_with_all = ["decline", "reason"])]
        agree: bool,
        /// Decline their request to cancel: the deal stays confirmed.
        #[arg(long, conflicts_with = "reason")]
        decline: bool,
    },
    /// Every negotiation: state, stage and unread chat.
    Deals {
        /// Instead: the messages from counterparties that were refused, and why.
        #[arg(long)]
        refused: bool,
    },
    /// Chat inside a deal: `chat NEGO TEXT` sends; `chat NEGO` prints the history (and marks
    /// it read).
    Chat {
        nego: String,
        /// The message to send (text only).
        text: Option<String>,
    },
    /// Report the deal's progress to the counterparty.
    Stage { nego: String, stage: StageArg },
    /// Block a key: its intents are hidden and its messages dropped, silently.
    Block {
        /// npub, nprofile, hex or nostr: URI.
        key: String,
    },
    /// Unblock a key.
    Unblock { key: String },
    /// The keys you blocked.
    Blocked,
    /// Show or change settings of this device.
    Settings {
        /// Send NIP-17 gift wraps only, never NIP-04 (reference agents then cannot read you).
        #[arg(long)]
        nip17_only: Option<YesNo>,
    },
    /// Follow live updates until interrupted.
    Watch {
        /// Also watch new intents in this market.
        #[arg(long)]
        market: Option<String>,
    },
    /// Meet in person: show or scan the single-use code.
    #[command(subcommand)]
    Meet(MeetCmd),
    /// Rate the counterparty of a deal.
    Rate {
        nego: String,
        #[arg(long)]
        safe: YesNo,
        #[arg(long)]
        reliable: YesNo,
        #[arg(long, allow_hyphen_values = true)]
        score: Option<i8>,
        /// "I reached them at their number."
        #[arg(long, default_value = "no")]
        reached_number: YesNo,
    },
    /// Screen a contact before a meetup.
    Screen {
        /// Public key: npub, nprofile, 64 hex characters, or a nostr: URI.
        subject: String,
        /// Evaluate offline over a JSON-lines file of signed events.
        #[arg(long, requires = "viewer")]
        events: Option<PathBuf>,
        /// The viewer (with --events).
        #[arg(long)]
        viewer: Option<String>,
        /// Show each rater's weight, hop and tier.
        #[arg(long)]
        explain: bool,
    },
    /// Catch up with the relays.
    Sync,
    /// One background pass (what a phone's background work runs): print what happened since
    /// the last one — new quotes, counters, confirmations, cancellations, meetings, ratings —
    /// each once.
    Notices {
        /// Time budget of the pass, e.g. 20s, 2m.
        #[arg(long, default_value = "20s")]
        budget: String,
    },
    /// What is still waiting to be published.
    Outbox,
    /// Your trusted contacts (local only, never published): the people your meetup check-ins
    /// go to, and whose check-ins your phone watches.
    #[command(subcommand)]
    Contacts(ContactsCmd),
    /// Meetup check-ins: tell trusted contacts who you meet, where, and until when; they are
    /// alerted if you do not say you are safe by then.
    #[command(subcommand)]
    Checkin(CheckinCmd),
    /// The whole product end to end on an embedded relay (or --relay).
    Demo {
        /// Where to write the artifacts (QR PNG, screening JSON, trust drawing).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Puppets in the Sybil ring.
        #[arg(long, default_value_t = 200)]
        puppets: usize,
    },
}

#[derive(Subcommand, Debug)]
enum ProfileCmd {
    /// Set your profile (the phone is published masked unless --publish-full).
    Set {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// Publish the full number (permanent; you will be asked to confirm).
        #[arg(long, requires = "phone")]
        publish_full: bool,
        /// Confirm the permanence warning non-interactively.
        #[arg(long, requires = "publish_full")]
        yes: bool,
        #[arg(long)]
        vehicle: Option<String>,
        #[arg(long)]
        plate: Option<String>,
    },
    /// Show a profile (yours by default).
    Show { pubkey: Option<String> },
}

#[derive(Subcommand, Debug)]
enum RelaysCmd {
    /// List your read, write and inbox relays (the default).
    List,
    /// Replace the lists given; the others stay as they are. Published (NIP-65 kind 10002,
    /// NIP-17 kind 10050) at the next sync.
    #[command(arg_required_else_help = true)]
    Set {
        /// A relay to read from (repeatable): replaces your read relays.
        #[arg(long = "read", value_name = "URL")]
        read: Vec<String>,
        /// A relay to publish to (repeatable): replaces your write relays.
        #[arg(long = "write", value_name = "URL")]
        write: Vec<String>,
        /// A relay where others send your messages (repeatable): replaces your inbox relays.
        #[arg(long = "inbox", value_name = "URL")]
        inbox: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ContactsCmd {
    /// Add a trusted contact: their key (npub, nprofile, hex or nostr: URI), or --deal NEGO
    /// for the person of a past deal. They must add you too to watch your check-ins.
    Add {
        #[arg(required_unless_present = "deal", conflicts_with = "deal")]
        key: Option<String>,
        /// The counterparty of this deal.
        #[arg(long)]
        deal: Option<String>,
        /// Your label for them (e.g. "Mum").
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a trusted contact: their check-ins are ignored from now on.
    Remove { key: String },
    /// List your trusted contacts.
    List,
}

#[derive(Subcommand, Debug)]
enum CheckinCmd {
    /// Share a check-in for a confirmed deal with trusted contacts (gift-wrapped to them only).
    Share {
        nego: String,
        /// A trusted contact to share with (repeatable).
        #[arg(long = "with", value_name = "NPUB", required = true)]
        with: Vec<String>,
        /// The deadline: RFC 3339 (2025-06-01T18:30:00+08:00) or from now (+30s, +90m, +2h).
        #[arg(long, value_name = "TIME")]
        until: String,
        /// Where (default: the deal's place).
        #[arg(long)]
        place: Option<String>,
        /// The area as a geohash, at the precision you choose (default: the deal's place's).
        #[arg(long)]
        geohash: Option<String>,
    },
    /// "I'm safe": close the deal's check-in (works offline: it goes when a relay is back).
    Safe {
        nego: String,
        /// Tell your contacts you are NOT OK (this phone shows the same as a safe closing).
        #[arg(long)]
        duress: bool,
    },
    /// Move the deadline of the deal's open check-in.
    Extend {
        nego: String,
        /// The new deadline: RFC 3339 or from now (+30m).
        #[arg(long, value_name = "TIME")]
        until: String,
    },
    /// Call off the deal's open check-in.
    Cancel { nego: String },
    /// Your check-ins and the ones your contacts share with you.
    List,
}

#[derive(Subcommand, Debug)]
enum MeetCmd {
    /// Show the rotating code for a confirmed deal.
    Show {
        nego: String,
        #[arg(long)]
        png: Option<PathBuf>,
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Print one code and exit instead of refreshing until scanned.
        #[arg(long)]
        once: bool,
    },
    /// Scan the other phone's code (or their return code).
    Scan {
        #[arg(long, conflicts_with = "text", required_unless_present = "text")]
        image: Option<PathBuf>,
        #[arg(long)]
        text: Option<String>,
        /// Write the return code's QR here (for the shower to scan back).
        #[arg(long)]
        return_png: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct PostArgs {
    #[arg(long)]
    market: String,
    #[arg(long)]
    side: SideArg,
    #[arg(long)]
    title: String,
    /// Payload JSON, or @file.
    #[arg(long)]
    payload: String,
    #[arg(long)]
    geohash: Option<String>,
    /// Lifetime, e.g. 90m, 6h, 3d (default: the market's).
    #[arg(long)]
    expires_in: Option<String>,
    /// Proof-of-work bits (default 12).
    #[arg(long)]
    pow: Option<u8>,
    /// When: START..END, each unix seconds or relative to now (+90m, +2h), e.g. +2h..+3h.
    #[arg(long)]
    window: Option<String>,
    /// Minutes of flexibility around the window (reference `flex_minutes`).
    #[arg(long, requires = "window")]
    flex: Option<u32>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum StageArg {
    /// Picked up (a report; the meet code makes a deal met).
    PickedUp,
    /// Completed: the deal is done and nothing reverses it.
    Completed,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SideArg {
    Offer,
    Request,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum YesNo {
    Yes,
    No,
}

impl YesNo {
    fn yes(self) -> bool {
        self == YesNo::Yes
    }
}

/// An error with the exit code it maps to.
struct Failure {
    code: u8,
    err: anyhow::Error,
}

/// A command-line argument the CLI itself cannot use (unreadable file, bad duration): refused
/// like any bad input (exit 3), with what is wrong with it.
#[derive(Debug)]
pub(crate) struct ArgError {
    field: &'static str,
    message: String,
}

impl ArgError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ArgError {}

/// The first line of an error: the core's codes in English (one place, `english.rs`).
fn first_line(e: &anyhow::Error) -> String {
    match e.downcast_ref::<AppError>() {
        Some(app) => english::error(app),
        None => e.to_string(),
    }
}

fn classify(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<ArgError>().is_some() {
        return 3;
    }
    match e.downcast_ref::<AppError>() {
        Some(AppError::NoIdentity) => 4,
        Some(
            AppError::InvalidInput { .. }
            | AppError::UnknownMarket { .. }
            | AppError::UnknownIntent { .. }
            | AppError::UnknownNegotiation { .. }
            | AppError::NotPossible { .. }
            | AppError::Protocol(_)
            | AppError::Identity(_)
            | AppError::Negotiation(_)
            | AppError::Meet(_)
            | AppError::Phone(_)
            | AppError::Contact(_)
            | AppError::InvalidRelays { .. }
            | AppError::Relay(freeport_core::relay::RelayError::InvalidUrl { .. }),
        ) => 3,
        _ => {
            if e.downcast_ref::<secrets::SecretsError>().is_some() {
                3
            } else {
                1
            }
        }
    }
}

/// A usage error as one line (clap's own rendering spans several; `--verbose` shows it all).
fn usage_error(e: &clap::Error, verbose: bool) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // `freeport meet`: the subcommand's help, on stderr, as a usage error.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{}", e.render());
            return ExitCode::from(2);
        }
        _ => {}
    }
    if verbose {
        let _ = e.print();
    } else {
        eprintln!("{}", one_line(&e.render().to_string()));
    }
    ExitCode::from(2)
}

/// The first paragraph of a clap error on one line, with a pointer to `--help`.
fn one_line(rendered: &str) -> String {
    let first: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let mut line = first.join(" ");
    if !line.starts_with("error:") {
        line = format!("error: {line}");
    }
    format!("{line} (see --help)")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let verbose = std::env::args().any(|a| a == "--verbose" || a == "-v");
            return usage_error(&e, verbose);
        }
    };
    // The relay pool logs every closed socket as an error; users only need ours.
    let filter = if cli.verbose {
        "debug"
    } else {
        "warn,nostr_relay_pool=off,nostr_sdk=off,nostr_relay_builder=off"
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FREEPORT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let verbose = cli.verbose;
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let first = first_line(&f.err);
            eprintln!("error: {first}");
            if verbose {
                for cause in f.err.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> std::result::Result<(), Failure> {
    let result = dispatch(cli).await;
    // Every exit path disconnects cleanly (a failed command must not leave background tasks
    // to be torn down mid-write, which would log spurious errors after ours).
    let opened: Vec<App> = std::mem::take(&mut *OPENED.lock().unwrap_or_else(|p| p.into_inner()));
    for app in opened {
        app.stop_network().await;
    }
    result.map_err(|err| Failure {
        code: classify(&err),
        err,
    })
}

/// The apps this run opened, to disconnect at exit.
static OPENED: std::sync::Mutex<Vec<App>> = std::sync::Mutex::new(Vec::new());

fn home_dir(cli: &Cli) -> PathBuf {
    cli.home.clone().unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".freeport")
    })
}

/// `--relay` for this run, checked by the core's rules (each URL named on refusal).
fn run_relays(cli: &Cli) -> Result<Vec<String>> {
    check_urls("relay", &cli.relays)
}

/// Index relays for this run: `--index-relay`, else none with `--relay` (the run stays on the
/// relays given), else the shipped ones.
fn index_relays(cli: &Cli) -> Result<Vec<String>> {
    if !cli.index_relays.is_empty() {
        return check_urls("index-relay", &cli.index_relays);
    }
    if !cli.relays.is_empty() {
        return Ok(Vec::new());
    }
    Ok(freeport_core::relay::default_index_relays()?)
}

fn check_urls(field: &'static str, urls: &[String]) -> Result<Vec<String>> {
    use freeport_core::relay::{UrlPolicy, lists};
    urls.iter()
        .map(|u| {
            lists::check_relay_url(u, UrlPolicy::OWN)
                .map(|u| lists::canonical(&u))
                .map_err(|rule| ArgError::new(field, format!("`{u}` {rule}")).into())
        })
        .collect()
}

fn open_app(cli: &Cli) -> Result<App> {
    let home = home_dir(cli);
    std::fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;
    let store = secrets::open(&home, &cli.passphrase_env)?;
    let mut cfg = AppConfig::new(home.clone(), run_relays(cli)?);
    cfg.index_relays = index_relays(cli)?;
    let app = App::open(cfg, store)?;
    OPENED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(app.clone());
    // Earlier versions kept the relays in a text file: it becomes the settings once.
    let legacy = home.join(LEGACY_RELAY_FILE);
    if legacy.exists() {
        let done = app.import_relay_file(&legacy)?;
        if done.imported {
            eprintln!(
                "note: your relays from {} are now your relay settings (`freeport relays`)",
                legacy.display()
            );
        }
    }
    Ok(app)
}

/// The relay list file of earlier versions (one URL per line).
const LEGACY_RELAY_FILE: &str = "relays.txt";

fn print_relays(v: &freeport_core::app::RelaySettingsView, json: bool) -> Result<()> {
    if json {
        return print_json(v);
    }
    for (role, list) in [("read", &v.read), ("write", &v.write), ("inbox", &v.inbox)] {
        for u in list {
            println!("{role:<6} {u}");
        }
    }
    for u in &v.index {
        println!("index  {u}  (lists published and looked up here; --index-relay)");
    }
    if !v.saved {
        eprintln!("note: these are the default relays; `freeport relays set` changes them");
    }
    if v.overridden {
        eprintln!("note: --relay replaces the read and write relays for this run");
    }
    if !v.published {
        eprintln!("note: not published yet; the next `freeport sync` publishes them");
    }
    Ok(())
}

/// A spinner on stderr for a long operation (drawn only when stderr is a terminal, so stdout
/// and redirected output stay clean).
fn progress(msg: impl Into<std::borrow::Cow<'static, str>>) -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(msg);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Connects, catches up, and returns the app ready for a networked command.
async fn online(cli: &Cli) -> Result<App> {
    let app = open_app(cli)?;
    connect(&app).await?;
    Ok(app)
}

/// Connects an opened app and catches up.
async fn connect(app: &App) -> Result<()> {
    if !app.has_identity() {
        return Err(AppError::NoIdentity.into());
    }
    let bar = progress("connecting to the relays");
    app.start_network().await?;
    let n = app.wait_connected(Duration::from_secs(5)).await?;
    if n == 0 {
        bar.finish_and_clear();
        eprintln!("warning: no relay reachable; working offline (the outbox publishes later)");
    } else {
        bar.set_message(format!("catching up with {n} relay(s)"));
        let synced = app.sync().await;
        bar.finish_and_clear();
        synced?;
    }
    Ok(())
}

/// Pushes the outbox and disconnects.
async fn finish(app: &App) -> Result<()> {
    let bar = progress("publishing");
    let left = app.flush_outbox(Duration::from_secs(10)).await;
    bar.finish_and_clear();
    let left = left?;
    if left > 0 {
        eprintln!("note: {left} event(s) wait in the outbox; `freeport sync` publishes them");
    }
    app.stop_network().await;
    Ok(())
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn parse_duration(s: &str) -> Result<u64> {
    parse_duration_for("expires-in", s)
}

/// `90`, `90s`, `20m`, `6h`, `3d` → seconds (> 0); errors name `field`.
fn parse_duration_for(field: &'static str, s: &str) -> Result<u64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| ArgError::new(field, format!("`{s}` is not like 90s, 20m, 6h, 3d")))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => {
            return Err(ArgError::new(field, format!("unknown unit in `{s}`")).into());
        }
    };
    n.checked_mul(mult)
        .filter(|v| *v > 0)
        .ok_or_else(|| ArgError::new(field, "out of range").into())
}

fn read_json_arg(field: &'static str, s: &str) -> Result<serde_json::Value> {
    let text = match s.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| ArgError::new(field, format!("cannot read {path}: {e}")))?,
        None => s.to_string(),
    };
    serde_json::from_str(&text).map_err(|_| {
        AppError::invalid(
            field,
            Rule::BadFormat {
                format: Format::Json,
            },
        )
        .into()
    })
}

fn parse_terms(s: &str) -> Result<Terms> {
    match read_json_arg("terms", s)? {
        serde_json::Value::Object(m) => Ok(Terms::from_map(&m).map_err(AppError::from)?),
        _ => Err(AppError::invalid(
            "terms",
            Rule::WrongType {
                expected: ValueKind::Object,
            },
        )
        .into()),
    }
}

fn print_intent(i: &IntentView) {
    let place = i.geohash.as_deref().unwrap_or("-");
    let short = i.id.get(..12).unwrap_or(&i.id);
    println!(
        "{short}  {} · {} · {}",
        english::side(i.side),
        i.title,
        place
    );
    for t in &i.terms {
        println!("      {}", english::term(t));
    }
    if let (Some(start), Some(end)) = (i.window_start, i.window_end) {
        let flex = match i.flex_minutes {
            Some(m) if m > 0 => format!(" (± {m} min)"),
            _ => String::new(),
        };
        println!("      When: {}{flex}", english::window(start, end));
    }
    if let Some(b) = &i.badge {
        println!(
            "      {} [{}]",
            english::badge(b),
            english::verdict(b.verdict)
        );
    }
}

fn print_deal(d: &DealView) {
    let stage = match d.stage {
        Some(DealStage::PickedUp) => " · picked up",
        Some(DealStage::Completed) => " · completed",
        None => "",
    };
    let unread = if d.unread > 0 {
        format!(" · {} unread", d.unread)
    } else {
        String::new()
    };
    println!(
        "{}\n   {} · {} · {}{stage} · {} rounds left · proposed by {}{unread}",
        d.nego,
        d.intent_title,
        english::role(d.role),
        english::state(d.state),
        d.rounds_left,
        english::party(d.proposed_by)
    );
    if d.refused > 0 {
        println!(
            "   {} message(s) from them refused: `freeport deals --refused`",
            d.refused
        );
    }
    if d.counterparty_blocked {
        println!("   counterparty blocked");
    }
    for t in &d.terms {
        println!("   {}", english::term(t));
    }
    if let Some(c) = &d.their_contact {
        println!("   contact: {c}");
    }
    if let Some(c) = &d.cancellation {
        println!(
            "   cancelled by {}: {}",
            english::party(c.by),
            english::cancel_reason(&c.reason)
        );
    }
    if !d.actions.is_empty() {
        let actions: Vec<&str> = d.actions.iter().map(|a| english::action(*a)).collect();
        println!("   you can: {}", actions.join(" · "));
    }
}

fn print_refusal(r: &RefusalView, verbose: bool) {
    let about = r.nego.as_deref().unwrap_or("(no deal of yours)");
    println!("{} from {}\n   {about}", r.at, r.sender_npub);
    println!(
        "   refused: {}",
        english::refusal_code(r.code, r.field.as_deref())
    );
    if verbose {
        println!("   detail: {}", r.detail);
    }
}

/// `START..END`, each unix seconds or `+DURATION` from now (`+90m`, `+2h`, `+1d`).
fn parse_window(s: &str) -> Result<TimeWindow> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| anyhow!("--window: `{s}` is not START..END (e.g. +2h..+3h)"))?;
    let at = |t: &str| -> Result<u64> {
        let t = t.trim();
        match t.strip_prefix('+') {
            Some(rel) => Ok(now()
                .saturating_add(parse_duration(rel).map_err(|_| {
                    ArgError::new("window", format!("`{t}` is not like +90m, +2h"))
                })?)),
            None => t.parse::<u64>().map_err(|_| {
                ArgError::new("window", format!("`{t}` is not unix seconds or +DURATION")).into()
            }),
        }
    };
    // Whether the window makes sense (start before end) is the core's rule.
    Ok(TimeWindow {
        start: at(a)?,
        end: at(b)?,
    })
}

pub(crate) fn screening_card(s: &ScreeningView) -> String {
    let mut out = String::new();
    let who = s.name.clone().unwrap_or_else(|| s.subject_npub.clone());
    out.push_str(&format!("{who}\n  {}\n", english::badge(&s.badge)));
    out.push_str(&format!("  verdict: {}", english::verdict(s.verdict)));
    if !s.reasons.is_empty() {
        let reasons: Vec<String> = s.reasons.iter().map(english::reason).collect();
        out.push_str(&format!(" — {}", reasons.join("; ")));
    }
    out.push('\n');
    let sig = |name: &str, v: &freeport_core::app::SignalView| match v.value {
        Some(x) => format!(
            "  {name}: {:.0}% ok ({} raters{})\n",
            x * 100.0,
            v.raters,
            if v.flagged { ", FLAGGED" } else { "" }
        ),
        None => format!("  {name}: no ratings from your network\n"),
    };
    out.push_str(&sig("safety", &s.safety));
    out.push_str(&sig("reliability", &s.reliability));
    if !s.path_names.is_empty() {
        out.push_str(&format!(
            "  path: you → {}\n",
            s.path_names[1..].join(" → ")
        ));
    }
    if let Some(p) = &s.phone {
        out.push_str(&format!(
            "  phone: {p} ({})\n",
            english::phone_status(s.phone_status)
        ));
    }
    out
}

async fn dispatch(cli: Cli) -> Result<()> {
    match &cli.cmd {
        Cmd::Init { name } => {
            let app = open_app(&cli)?;
            let pk = if app.has_identity() {
                eprintln!("an identity already exists here");
                app.public_key()?
            } else {
                app.create_identity()?
            };
            let home = home_dir(&cli);
            if !cli.relays.is_empty() {
                // `--relay` at init: your read, write and inbox relays from now on.
                app.save_uniform_relay_settings(&run_relays(&cli)?)?;
            }
            if let Some(n) = name {
                app.start_network().await?;
                app.wait_connected(Duration::from_secs(5)).await?;
                app.set_profile(ProfileUpdate {
                    name: Some(n.clone()),
                    ..Default::default()
                })
                .await?;
                finish(&app).await?;
            }
            if cli.json {
                print_json(
                    &serde_json::json!({"pubkey": pk.to_hex(), "npub": freeport_core::identity::to_npub(&pk)}),
                )?;
            } else {
                println!("{}", freeport_core::identity::to_npub(&pk));
                if let Some(note) = secrets::backend_note(&home, &cli.passphrase_env) {
                    eprintln!("{note}");
                }
                eprintln!("back it up now: freeport backup");
            }
        }
        Cmd::Whoami => {
            let app = open_app(&cli)?;
            let pk = app.public_key()?;
            if cli.json {
                print_json(
                    &serde_json::json!({"pubkey": pk.to_hex(), "npub": freeport_core::identity::to_npub(&pk)}),
                )?;
            } else {
                println!("{}\n{}", freeport_core::identity::to_npub(&pk), pk.to_hex());
            }
        }
        Cmd::Backup {
            backup_passphrase_env,
        } => {
            let app = open_app(&cli)?;
            let pass = secrets::passphrase(
                backup_passphrase_env.as_deref(),
                "Backup passphrase: ",
                true,
            )?;
            let backup = app.export_backup(&pass)?;
            if cli.json {
                print_json(&serde_json::json!({ "ncryptsec": backup }))?;
            } else {
                println!("{backup}");
            }
        }
        Cmd::Restore {
            ncryptsec,
            backup_passphrase_env,
        } => {
            let app = open_app(&cli)?;
            let pass = secrets::passphrase(
                backup_passphrase_env.as_deref(),
                "Backup passphrase: ",
                false,
            )?;
            let pk = app.restore_identity(ncryptsec, &pass)?;
            if let Some(note) = secrets::backend_note(&home_dir(&cli), &cli.passphrase_env) {
                eprintln!("{note}");
            }
            if cli.json {
                print_json(
                    &serde_json::json!({"pubkey": pk.to_hex(), "npub": freeport_core::identity::to_npub(&pk)}),
                )?;
            } else {
                println!("{}", freeport_core::identity::to_npub(&pk));
            }
        }
        Cmd::Profile(ProfileCmd::Set {
            name,
            phone,
            publish_full,
            yes,
            vehicle,
            plate,
        }) => {
            let warning = if *publish_full {
                use std::io::IsTerminal;
                if !*yes && !std::io::stdin().is_terminal() {
                    return Err(ArgError::new(
                        "publish-full",
                        "not confirmed: publishing your full number is permanent; \
                         run in a terminal to read the warning, or add --yes",
                    )
                    .into());
                }
                eprintln!("{}", freeport_core::app::FULL_NUMBER_WARNING);
                if !*yes && !secrets::confirm("Publish your full number? [y/N] ")? {
                    return Err(ArgError::new("publish-full", "not confirmed").into());
                }
                Some(freeport_core::app::FULL_NUMBER_WARNING.to_string())
            } else {
                None
            };
            let app = online(&cli).await?;
            let p = app
                .set_profile(ProfileUpdate {
                    name: name.clone(),
                    phone: phone.clone(),
                    publish_full_number: *publish_full,
                    full_number_warning_shown: warning,
                    vehicle_model: vehicle.clone(),
                    plate: plate.clone(),
                    ..Default::default()
                })
                .await?;
            finish(&app).await?;
            if cli.json {
                print_json(&p)?;
            } else {
                println!(
                    "{} · phone published as {}",
                    p.name.unwrap_or_default(),
                    p.phone_published.unwrap_or_else(|| "(none)".into())
                );
            }
        }
        Cmd::Profile(ProfileCmd::Show { pubkey }) => {
            let p = match pubkey {
                // Someone else's: fetch their latest profile first.
                Some(who) => {
                    freeport_core::identity::parse_public_key(who).map_err(AppError::from)?;
                    let app = online(&cli).await?;
                    let p = app.profile_remote(who).await?;
                    finish(&app).await?;
                    p
                }
                None => {
                    let app = open_app(&cli)?;
                    app.profile(&app.public_key()?.to_hex())?
                }
            };
            if cli.json {
                print_json(&p)?;
            } else {
                println!(
                    "{}\n  name: {}\n  phone: {}",
                    p.npub,
                    p.name.unwrap_or_default(),
                    p.phone_published.unwrap_or_else(|| "(none)".into())
                );
            }
        }
        Cmd::Relay { port, db } => demo::run_relay(*port, db.clone()).await?,
        Cmd::Relays { cmd } => {
            let app = open_app(&cli)?;
            match cmd {
                None | Some(RelaysCmd::List) => print_relays(&app.relay_settings()?, cli.json)?,
                Some(RelaysCmd::Set { read, write, inbox }) => {
                    let given = |l: &Vec<String>| (!l.is_empty()).then(|| l.clone());
                    let v = app
                        .set_relay_settings(given(read), given(write), given(inbox))
                        .await?;
                    print_relays(&v, cli.json)?;
                }
            }
        }
        Cmd::Post(a) => {
            let payload = read_json_arg("payload", &a.payload)?;
            let expires = a.expires_in.as_deref().map(parse_duration).transpose()?;
            let window = a.window.as_deref().map(parse_window).transpose()?;
            let app = online(&cli).await?;
            let bar = progress(format!(
                "signing with {}-bit proof of work",
                a.pow.unwrap_or(app.config().intent_pow_bits)
            ));
            let posted = app
                .post_intent(PostIntent {
                    market: a.market.clone(),
                    side: match a.side {
                        SideArg::Offer => Side::Offer,
                        SideArg::Request => Side::Request,
                    },
                    title: a.title.clone(),
                    payload: Payload::Json(payload),
                    geohash: a.geohash.clone(),
                    expires_in_secs: expires,
                    pow_bits: a.pow,
                    window,
                    flex_minutes: a.flex,
                })
                .await;
            bar.finish_and_clear();
            let i = posted?;
            finish(&app).await?;
            if cli.json {
                print_json(&i)?;
            } else {
                println!("{}", i.id);
            }
        }
        Cmd::Withdraw { intent } => {
            let app = online(&cli).await?;
            app.withdraw_intent(intent).await?;
            finish(&app).await?;
            if cli.json {
                print_json(&serde_json::json!({ "withdrawn": intent }))?;
            } else {
                println!("withdrawn");
            }
        }
        Cmd::Browse {
            market,
            near,
            radius,
        } => {
            let app = online(&cli).await?;
            let list = app.browse(market, near.as_deref(), *radius).await?;
            finish(&app).await?;
            if cli.json {
                print_json(&list)?;
            } else if list.is_empty() {
                println!("nothing in {market} here yet");
            } else {
                list.iter().for_each(print_intent);
            }
        }
        Cmd::Respond {
            intent,
            accept,
            counter,
        } => {
            let response = match (accept, counter) {
                (true, _) => Response::Accept,
                (false, Some(t)) => Response::Counter(parse_terms(t)?),
                (false, None) => return Err(anyhow!("give --accept or --counter TERMS")),
            };
            let app = online(&cli).await?;
            let d = app.respond(intent, response).await?;
            finish(&app).await?;
            out_deal(&cli, &d)?;
        }
        Cmd::Quotes { intent } => {
            let app = online(&cli).await?;
            let q = app.quotes(intent)?;
            finish(&app).await?;
            if cli.json {
                print_json(&q)?;
            } else if q.is_empty() {
                println!("no quotes yet");
            } else {
                for x in &q {
                    print_deal(&x.deal);
                    print!("{}", indent(&screening_card(&x.screening)));
                }
            }
        }
        Cmd::Pick { nego } => {
            let app = online(&cli).await?;
            let d = app.pick(nego).await?;
            finish(&app).await?;
            out_deal(&cli, &d)?;
        }
        Cmd::Counter { nego, terms } => {
            let t = parse_terms(terms)?;
            let app = online(&cli).await?;
            let d = app.counter(nego, t).await?;
            finish(&app).await?;
            out_deal(&cli, &d)?;
        }
        Cmd::Accept { nego } => {
            let app = online(&cli).await?;
            let d = app.accept(nego).await?;
            finish(&app).await?;
            out_deal(&cli, &d)?;
        }
        Cmd::Cancel {
            nego,
            reason,
            request,
            agree,
            decline,
        } => {
            let app = online(&cli).await?;
            let d = if *request {
                app.request_cancel(nego, reason.clone()).await?
            } else if *agree {
                app.agree_cancel(nego).await?
            } else if *decline {
                app.decline_cancel(nego).await?
            } else {
                app.cancel(nego, reason.clone()).await?
            };
            finish(&app).await?;
            out_deal(&cli, &d)?;
        }
        Cmd::Deals { refused } => {
            let app = online(&cli).await?;
            if *refused {
                let list = app.refusals(None)?;
                finish(&app).await?;
                if cli.json {
                    print_json(&list)?;
                } else if list.is_empty() {
                    println!("nothing refused");
                } else {
                    list.iter().for_each(|r| print_refusal(r, cli.verbose));
                }
            } else {
                let deals = app.deals()?;
                finish(&app).await?;
                if cli.json {
                    print_json(&deals)?;
                } else if deals.is_empty() {
                    println!("no negotiations yet");
                } else {
                    deals.iter().for_each(print_deal);
                }
            }
        }
        Cmd::Chat { nego, text } => {
            let app = online(&cli).await?;
            match text {
                Some(t) => {
                    let m = app.chat_send(nego, t).await?;
                    finish(&app).await?;
                    if cli.json {
                        print_json(&m)?;
                    } else {
                        println!("sent");
                    }
                }
                None => {
                    let history = app.chat(nego)?;
                    app.mark_chat_read(nego)?;
                    finish(&app).await?;
                    if cli.json {
                        print_json(&history)?;
                    } else if history.is_empty() {
                        println!("no messages yet");
                    } else {
                        for m in &history {
                            let who = if m.from_me { "you" } else { "them" };
                            let new = if m.unread { " (new)" } else { "" };
                            println!("{} {who}{new}: {}", m.at, m.text);
                        }
                    }
                }
            }
        }
        Cmd::Stage { nego, stage } => {
            let app = online(&cli).await?;
            let stage = match stage {
                StageArg::PickedUp => DealStage::PickedUp,
                StageArg::Completed => DealStage::Completed,
            };
            let d = app.mark_stage(nego, stage).await?;
            finish(&app).await?;
            out_deal(&cli, &d)?;
        }
        Cmd::Block { key } => {
            let app = open_app(&cli)?;
            let b = app.block(key)?;
            if cli.json {
                print_json(&b)?;
            } else {
                println!("blocked {}", b.npub);
            }
        }
        Cmd::Unblock { key } => {
            let app = open_app(&cli)?;
            let was = app.unblock(key)?;
            if cli.json {
                print_json(&serde_json::json!({ "unblocked": was }))?;
            } else if was {
                println!("unblocked");
            } else {
                println!("that key was not blocked");
            }
        }
        Cmd::Blocked => {
            let app = open_app(&cli)?;
            let list = app.blocked()?;
            if cli.json {
                print_json(&list)?;
            } else if list.is_empty() {
                println!("no blocked keys");
            } else {
                for b in list {
                    println!("{} {}", b.npub, b.name.unwrap_or_default());
                }
            }
        }
        Cmd::Settings { nip17_only } => {
            let app = open_app(&cli)?;
            if let Some(v) = nip17_only {
                app.set_require_nip17(v.yes())?;
            }
            let on = app.require_nip17();
            if cli.json {
                print_json(&serde_json::json!({ "nip17_only": on }))?;
            } else {
                println!(
                    "nip17-only: {}",
                    if on {
                        "yes (NIP-04-only peers such as the reference agent cannot read you)"
                    } else {
                        "no (NIP-04 for peers that have not shown they read gift wraps)"
                    }
                );
            }
        }
        Cmd::Watch { market } => {
            let app = open_app(&cli)?;
            // Subscribed before connecting: nothing the catch-up applies is missed.
            let mut rx = app.subscribe();
            connect(&app).await?;
            if let Some(m) = market {
                app.watch_market(m).await?;
            }
            // What happened while nobody watched, then live: each notice once (the catch-up's
            // own notices are both pending and on the live stream).
            let mut shown = std::collections::HashSet::new();
            for n in app.pending_notices()? {
                app.ack_notices(&[n.id])?;
                shown.insert(n.id);
                println!(
                    "{}",
                    serde_json::to_string(&AppEvent::Notice { notice: n })?
                );
            }
            eprintln!("watching; Ctrl-C to stop");
            loop {
                tokio::select! {
                    ev = rx.recv() => match ev {
                        Ok(AppEvent::Notice { notice }) => {
                            if shown.insert(notice.id) {
                                app.ack_notices(&[notice.id])?;
                                println!("{}", serde_json::to_string(&AppEvent::Notice { notice })?);
                            }
                        }
                        Ok(ev) => {
                            if let AppEvent::MessageRejected { code, .. } = &ev {
                                eprintln!("refused a message: {}", english::refusal_code(*code, None));
                            }
                            println!("{}", serde_json::to_string(&ev)?);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => eprintln!("(missed {n} updates)"),
                        Err(_) => break,
                    },
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
            finish(&app).await?;
        }
        Cmd::Meet(MeetCmd::Show {
            nego,
            png,
            svg,
            once,
        }) => {
            let app = online(&cli).await?;
            let mut rx = app.subscribe();
            loop {
                let code = app.meet_show(nego, 512)?;
                if let Some(p) = png {
                    std::fs::write(p, &code.png)?;
                }
                if let Some(s) = svg {
                    std::fs::write(s, &code.svg)?;
                }
                if cli.json {
                    // One object per code: valid JSON with --once, JSON lines while rotating.
                    println!("{}", serde_json::to_string(&code)?);
                } else {
                    if !*once {
                        print!("\x1b[2J\x1b[H");
                    }
                    print!("{}", code.terminal);
                    println!("{}", code.token);
                    println!("refreshes in {}s", code.refresh_at.saturating_sub(now()));
                }
                if *once {
                    break;
                }
                let wait = Duration::from_secs(code.refresh_at.saturating_sub(now()).max(1));
                let met = tokio::time::timeout(wait, async {
                    while let Ok(ev) = rx.recv().await {
                        if matches!(&ev, freeport_core::app::AppEvent::DealMet { nego: n } if n == nego) {
                            return true;
                        }
                    }
                    false
                })
                .await
                .unwrap_or(false);
                if met {
                    if cli.json {
                        println!("{}", serde_json::json!({ "met": nego }));
                    } else {
                        println!("met: the other phone co-signed the receipt");
                    }
                    break;
                }
            }
            finish(&app).await?;
        }
        Cmd::Meet(MeetCmd::Scan {
            image,
            text,
            return_png,
        }) => {
            let input = match (image, text) {
                (Some(p), _) => ScanInput::Image(
                    std::fs::read(p)
                        .map_err(|e| ArgError::new("image", format!("{}: {e}", p.display())))?,
                ),
                (None, Some(t)) => ScanInput::Text(t.clone()),
                (None, None) => return Err(anyhow!("give --image FILE or --text TOKEN")),
            };
            // Scanning works offline: open the app, try the network, but never require it.
            let app = open_app(&cli)?;
            if !app.has_identity() {
                return Err(AppError::NoIdentity.into());
            }
            let _ = app.start_network().await;
            let out = app.meet_scan(input).await?;
            if let (Some(p), Some(png)) = (return_png, &out.return_png) {
                std::fs::write(p, png)?;
            }
            finish(&app).await?;
            if cli.json {
                print_json(&out)?;
            } else {
                println!("met ✓  say these words aloud: {}", out.sas_words.join(" "));
                if let Some(r) = &out.return_token {
                    println!("return code (let them scan it): {r}");
                }
            }
        }
        Cmd::Rate {
            nego,
            safe,
            reliable,
            score,
            reached_number,
        } => {
            let app = online(&cli).await?;
            app.rate(
                nego,
                RateInput {
                    safe: safe.yes(),
                    reliable: reliable.yes(),
                    score: *score,
                    reached_number: reached_number.yes(),
                },
            )
            .await?;
            finish(&app).await?;
            if cli.json {
                print_json(&serde_json::json!({ "rated": nego }))?;
            } else {
                println!("rated");
            }
        }
        Cmd::Screen {
            subject,
            events,
            viewer,
            explain,
        } => match (events, viewer) {
            (Some(file), Some(viewer)) => {
                let (record, s, input) = demo::screen_file(file, viewer, subject, *explain)?;
                if cli.json {
                    let mut v = serde_json::to_value(&record)?;
                    if let Some(m) = v.as_object_mut() {
                        m.insert("input".into(), serde_json::to_value(&input)?);
                    }
                    print_json(&v)?;
                } else {
                    print!("{}", screening_card(&s));
                    if *explain {
                        print!("{}", explain_lines(&s));
                    }
                    println!(
                        "  from {} events ({} unreadable lines, {} bad signatures, {} malformed)",
                        input.events, input.unreadable_lines, input.bad_signature, input.malformed
                    );
                }
            }
            _ => {
                let app = online(&cli).await?;
                let s = app.screen_remote(subject, *explain).await?;
                finish(&app).await?;
                if cli.json {
                    print_json(&s)?;
                } else {
                    print!("{}", screening_card(&s));
                    if *explain {
                        print!("{}", explain_lines(&s));
                    }
                }
            }
        },
        Cmd::Sync => {
            let app = online(&cli).await?;
            let r = app.sync().await?;
            finish(&app).await?;
            if cli.json {
                print_json(&r)?;
            } else {
                println!(
                    "{} events, {} messages; {} relays; {} waiting to publish",
                    r.events_received, r.messages_applied, r.relays_connected, r.outbox_pending
                );
            }
        }
        Cmd::Notices { budget } => {
            let app = open_app(&cli)?;
            let budget = Duration::from_secs(parse_duration_for("budget", budget)?);
            let report = app.background_pass(budget).await?;
            match report.outcome {
                PassOutcome::Complete => {}
                PassOutcome::Deadline => eprintln!(
                    "note: the budget ran out before everything was read; the next run continues"
                ),
                PassOutcome::Offline => {
                    eprintln!("warning: no relay reachable; showing what was already known")
                }
            }
            // Everything pending, each once: printed, then acknowledged.
            let mut all = Vec::new();
            let mut batch = report.notices;
            while !batch.is_empty() {
                let ids: Vec<u64> = batch.iter().map(|n| n.id).collect();
                if !cli.json {
                    batch.iter().for_each(print_notice);
                }
                all.extend(batch);
                app.ack_notices(&ids)?;
                batch = app.pending_notices()?;
            }
            if cli.json {
                print_json(&all)?;
            } else if all.is_empty() {
                println!("nothing new");
            }
        }
        Cmd::Outbox => {
            let app = open_app(&cli)?;
            let items = app.outbox()?;
            if cli.json {
                print_json(&items)?;
            } else if items.is_empty() {
                println!("outbox empty: everything is published");
            } else {
                for i in items {
                    println!(
                        "{} kind {} · {} attempts{}",
                        i.id,
                        i.kind,
                        i.attempts,
                        i.last_error.map(|e| format!(" · {e}")).unwrap_or_default()
                    );
                }
            }
        }
        Cmd::Contacts(cmd) => {
            let app = open_app(&cli)?;
            match cmd {
                ContactsCmd::Add { key, deal, name } => {
                    let c = match (key, deal) {
                        (_, Some(nego)) => app.add_trusted_contact_from_deal(nego, name.clone())?,
                        (Some(k), None) => app.add_trusted_contact(k, name.clone())?,
                        (None, None) => return Err(anyhow!("give a KEY or --deal NEGO")),
                    };
                    if cli.json {
                        print_json(&c)?;
                    } else {
                        println!("trusted: {}", contact_line(&c));
                        eprintln!("note: they watch your check-ins only once they add you too");
                    }
                }
                ContactsCmd::Remove { key } => {
                    let was = app.remove_trusted_contact(key)?;
                    if cli.json {
                        print_json(&serde_json::json!({ "removed": was }))?;
                    } else if was {
                        println!("removed");
                    } else {
                        println!("that key was not a trusted contact");
                    }
                }
                ContactsCmd::List => {
                    let list = app.trusted_contacts()?;
                    if cli.json {
                        print_json(&list)?;
                    } else if list.is_empty() {
                        println!("no trusted contacts yet: `freeport contacts add NPUB`");
                    } else {
                        list.iter().for_each(|c| println!("{}", contact_line(c)));
                    }
                }
            }
        }
        Cmd::Checkin(CheckinCmd::List) => {
            let app = open_app(&cli)?;
            let mine = app.my_checkins()?;
            let watching = app.watched_checkins()?;
            if cli.json {
                print_json(&serde_json::json!({ "mine": mine, "watching": watching }))?;
            } else if mine.is_empty() && watching.is_empty() {
                println!("no check-ins");
            } else {
                if !mine.is_empty() {
                    println!("yours:");
                    mine.iter().for_each(print_checkin);
                }
                if !watching.is_empty() {
                    println!("shared with you:");
                    watching.iter().for_each(print_watched);
                }
            }
        }
        Cmd::Checkin(cmd) => {
            // Times are read before anything connects (a bad one changes nothing).
            let deadline = match cmd {
                CheckinCmd::Share { until, .. } | CheckinCmd::Extend { until, .. } => {
                    Some(parse_time("until", until)?)
                }
                _ => None,
            };
            let app = online(&cli).await?;
            let v = match cmd {
                CheckinCmd::Share {
                    nego,
                    with,
                    place,
                    geohash,
                    ..
                } => {
                    app.checkin_share(CheckinShare {
                        nego: nego.clone(),
                        contacts: with.clone(),
                        deadline: deadline.unwrap_or_default(),
                        place_name: place.clone(),
                        geohash: geohash.clone(),
                    })
                    .await?
                }
                CheckinCmd::Safe { nego, duress } => app.checkin_safe(nego, *duress).await?,
                CheckinCmd::Extend { nego, .. } => {
                    app.checkin_extend(nego, deadline.unwrap_or_default())
                        .await?
                }
                CheckinCmd::Cancel { nego } => app.checkin_cancel(nego).await?,
                CheckinCmd::List => return Err(anyhow!("`checkin list` is handled above")),
            };
            finish(&app).await?;
            // After publishing: whether the messages left the outbox.
            let v = app
                .my_checkins()?
                .into_iter()
                .find(|c| c.id == v.id)
                .unwrap_or(v);
            if cli.json {
                print_json(&v)?;
            } else {
                print_checkin(&v);
            }
        }
        Cmd::Demo { out, puppets } => {
            demo::run(demo::DemoOptions {
                relays: cli.relays.clone(),
                out: out.clone(),
                puppets: *puppets,
                json: cli.json,
            })
            .await?
        }
    }
    Ok(())
}

fn out_deal(cli: &Cli, d: &DealView) -> Result<()> {
    if cli.json {
        print_json(d)
    } else {
        print_deal(d);
        Ok(())
    }
}

/// `--explain`: each rater's weight, hop and tier, heaviest first.
fn explain_lines(s: &ScreeningView) -> String {
    let mut raters = s.raters.clone();
    raters.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let mut out = format!("  raters ({}):\n", raters.len());
    for r in raters {
        let short = r.pubkey.get(..12).unwrap_or(&r.pubkey);
        let hop = r
            .hop
            .map(|h| format!("hop {h}"))
            .unwrap_or_else(|| "unreachable".into());
        out.push_str(&format!(
            "    {short}…  weight {:.3} · {hop} · {}\n",
            r.weight,
            english::tier(r.tier)
        ));
    }
    out
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("   {l}\n")).collect()
}

fn contact_line(c: &TrustedContactView) -> String {
    let mut line = c.npub.clone();
    if let Some(l) = c.label.as_ref().or(c.name.as_ref()) {
        line.push_str(&format!("  {l}"));
    }
    if let Some(d) = &c.from_deal {
        line.push_str(&format!("  (from deal {d})"));
    }
    line
}

fn print_checkin(v: &CheckinView) {
    let now = now();
    println!(
        "{} · {} · until {} ({})",
        v.nego,
        english::checkin_state(v.state),
        english::time(v.deadline),
        english::relative(v.deadline, now)
    );
    println!("   meeting {}", english::meeting(&v.meeting));
    println!(
        "   at {}",
        english::place(v.place_name.as_deref(), v.geohash.as_deref())
    );
    let with: Vec<String> = v
        .contacts
        .iter()
        .map(|c| c.name.clone().unwrap_or_else(|| c.npub.clone()))
        .collect();
    println!("   shared with {}", with.join(", "));
    println!("   {}", english::delivery(v.delivery, v.unsent));
    if !v.actions.is_empty() {
        let actions: Vec<&str> = v
            .actions
            .iter()
            .map(|a| english::checkin_action(*a))
            .collect();
        println!("   you can: {}", actions.join(" · "));
    }
}

fn print_watched(w: &WatchedCheckinView) {
    let now = now();
    let who = w.from.name.clone().unwrap_or_else(|| w.from.npub.clone());
    // Their deadline in our clock while open; as they set it once closed.
    let until = w.due_at.unwrap_or(w.deadline);
    println!(
        "{who} · {} · until {} ({})",
        english::checkin_state(w.state),
        english::time(until),
        english::relative(until, now)
    );
    println!("   meeting {}", english::meeting(&w.meeting));
    println!(
        "   at {}",
        english::place(w.place_name.as_deref(), w.geohash.as_deref())
    );
    if w.clock_skewed
        && let Some(o) = w.clock_offset_secs
    {
        let how = if o > 0 { "ahead of" } else { "behind" };
        println!(
            "   their clock seems {} {how} yours (or their messages came late)",
            freeport_core::meet::humane_duration(o.unsigned_abs())
        );
    }
    if let Some(a) = w.alarm_at {
        println!(
            "   this phone alerts at {} unless they check in",
            english::time(a)
        );
    }
}

/// A time: RFC 3339 (`2025-06-01T18:30:00+08:00`, `…Z`, fractions ignored) or relative to now
/// (`+30s`, `+90m`, `+2h`, `+1d`). Unix seconds.
fn parse_time(field: &'static str, s: &str) -> Result<u64> {
    let s = s.trim();
    if let Some(rel) = s.strip_prefix('+') {
        let secs = parse_duration_for(field, rel)?;
        return Ok(now().saturating_add(secs));
    }
    rfc3339(s).ok_or_else(|| {
        ArgError::new(
            field,
            format!("`{s}` is not RFC 3339 (2025-06-01T18:30:00+08:00) or +DURATION (+90m)"),
        )
        .into()
    })
}

/// RFC 3339 date-time to unix seconds (`None` if malformed or before 1970).
fn rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let t = days * 86_400 + h * 3600 + mi * 60 + se.min(59) - offset;
    u64::try_from(t).ok()
}

/// One notice as a line: what happened, on which deal.
fn print_notice(n: &Notice) {
    let what = english::notice(&n.kind);
    match &n.deal {
        Some(d) => println!("{what} · {} · {}", d.intent_title, d.nego),
        None => println!("{what}"),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_read_with_their_offset() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        assert_eq!(rfc3339("2024-02-29T20:00:00+08:00"), Some(1_709_208_000));
        assert_eq!(
            rfc3339("2024-02-29T11:30:00.250-00:30"),
            Some(1_709_208_000)
        );
        assert_eq!(rfc3339("2024-02-29 12:00:00z"), Some(1_709_208_000));
        for bad in [
            "2024-02-29",
            "2024-13-01T00:00:00Z",
            "2024-02-29T12:00:00",
            "2024-02-29T12:00:00+8",
            "1969-12-31T23:59:59Z",
            "2024-02-29T12:00:00.Z",
            "２０２４-02-29T12:00:00Z",
        ] {
            assert_eq!(rfc3339(bad), None, "{bad}");
        }
        // The printer agrees with the parser.
        assert_eq!(english::time(1_709_208_000), "2024-02-29 12:00 UTC");
    }

    #[test]
    fn relative_times_count_from_now() {
        let t = parse_time("until", "+90m").unwrap();
        assert!(t.abs_diff(now() + 5400) <= 2);
        assert!(parse_time("until", "+soon").is_err());
        assert!(parse_time("until", "tomorrow").is_err());
    }
}
