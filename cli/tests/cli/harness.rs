//! Driving the `freeport` binary as a user would: a relay child process, and homes (data
//! directories) whose keys live in the NIP-49 encrypted key file (no keyring service in CI).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a child relay may take to listen, and how long state may take to propagate.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_freeport"))
}

/// A free loopback port.
pub fn free_port() -> u16 {
    freeport_core::relay::embedded::free_port().expect("a free port")
}

fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[path = "../../../tests/support/nostr_rs_relay.rs"]
mod nostr_rs_relay;
use nostr_rs_relay::RealRelay;

/// A relay child process on loopback, killed on drop.
pub struct Relay {
    proc: Proc,
    port: u16,
}

enum Proc {
    /// `freeport relay`.
    Embedded(Child),
    /// nostr-rs-relay (kills itself on drop).
    Real(RealRelay),
}

impl Proc {
    fn kill(&mut self) {
        match self {
            Proc::Embedded(c) => {
                let _ = c.kill();
                let _ = c.wait();
            }
            Proc::Real(r) => r.kill(),
        }
    }
}

impl Relay {
    /// `freeport relay --port P` (the embedded relay, in memory).
    pub fn embedded() -> Self {
        Self::embedded_at(free_port(), None)
    }

    /// `freeport relay --port PORT [--db DIR]`.
    pub fn embedded_at(port: u16, db: Option<&Path>) -> Self {
        let mut cmd = Command::new(bin());
        cmd.args(["relay", "--port", &port.to_string()]);
        if let Some(d) = db {
            cmd.arg("--db").arg(d);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start freeport relay");
        wait_listening(port, &mut child, "freeport relay");
        Self {
            proc: Proc::Embedded(child),
            port,
        }
    }

    /// nostr-rs-relay from `$FREEPORT_NOSTR_RS_RELAY` with a temporary SQLite directory.
    pub fn nostr_rs_relay() -> Self {
        let real = RealRelay::start();
        Self {
            port: real.port(),
            proc: Proc::Real(real),
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops it (as Ctrl-C or a crash would).
    pub fn stop(mut self) {
        self.proc.kill();
    }

    /// Its websocket URL.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.proc.kill();
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The outcome of a finished process.
    pub fn from_output(out: Output) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.stdout
    }

    /// Asserts success and parses stdout as JSON.
    #[track_caller]
    pub fn json(self) -> Value {
        let out = self.ok();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out}"))
    }

    /// Asserts a refusal: exit `code`, exactly one line on stderr (`error: …` containing
    /// `needle`), nothing on stdout. Returns the line.
    #[track_caller]
    pub fn refused(self, code: i32, needle: &str) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert_eq!(lines.len(), 1, "one line on stderr, got: {:?}", self.stderr);
        let line = lines[0].to_string();
        assert!(line.starts_with("error: "), "{line}");
        assert!(
            line.to_lowercase().contains(&needle.to_lowercase()),
            "`{line}` should mention `{needle}`"
        );
        assert!(self.stdout.trim().is_empty(), "stdout: {}", self.stdout);
        line
    }
}

/// A user's data directory with the relays it talks to.
pub struct Home {
    pub dir: tempfile::TempDir,
    relays: Vec<String>,
    passphrase: String,
}

impl Home {
    /// An empty home using `relays` (not initialised).
    pub fn new(relays: &[String]) -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            relays: relays.to_vec(),
            passphrase: "correct horse battery staple".into(),
        }
    }

    /// A home after `freeport init --name NAME`.
    pub fn init(relays: &[String], name: &str) -> Self {
        let h = Self::new(relays);
        let out = h.run(&["init", "--name", name, "--json"]).json();
        assert!(out["npub"].as_str().is_some_and(|s| s.starts_with("npub1")));
        h
    }

    /// The command with this home, its relays and the key file passphrase.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("--home").arg(self.dir.path());
        for r in &self.relays {
            c.arg("--relay").arg(r);
        }
        c.args(args)
            .env("FREEPORT_PASSPHRASE", &self.passphrase)
            .env_remove("FREEPORT_HOME")
            .env_remove("FREEPORT_RELAYS")
            .env_remove("FREEPORT_INDEX_RELAYS")
            .env_remove("FREEPORT_LOG")
            .stdin(Stdio::null());
        c
    }

    /// Runs the command without `--relay` (the saved relay settings apply).
    pub fn run_bare(&self, args: &[&str]) -> Run {
        let mut c = Command::new(bin());
        c.arg("--home")
            .arg(self.dir.path())
            .args(args)
            .env("FREEPORT_PASSPHRASE", &self.passphrase)
            .env_remove("FREEPORT_HOME")
            .env_remove("FREEPORT_RELAYS")
            .env_remove("FREEPORT_INDEX_RELAYS")
            .env_remove("FREEPORT_LOG")
            .stdin(Stdio::null());
        Run::from_output(c.output().expect("run freeport"))
    }

    /// Runs the command to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from_output(self.cmd(args).output().expect("run freeport"))
    }

    /// Runs with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Run::from_output(c.output().expect("run freeport"))
    }

    /// `whoami --json`: (hex, npub).
    pub fn whoami(&self) -> (String, String) {
        let v = self.run(&["whoami", "--json"]).json();
        (
            v["pubkey"].as_str().expect("pubkey").to_string(),
            v["npub"].as_str().expect("npub").to_string(),
        )
    }

    /// `deals --json`.
    pub fn deals(&self) -> Vec<Value> {
        match self.run(&["deals", "--json"]).json() {
            Value::Array(a) => a,
            v => panic!("deals is not a list: {v}"),
        }
    }

    /// One deal by nego id.
    pub fn deal(&self, nego: &str) -> Value {
        self.deals()
            .into_iter()
            .find(|d| d["nego"] == nego)
            .unwrap_or_else(|| panic!("no deal {nego}"))
    }

    /// Polls `deals` until `nego` reaches `state` (the other side's messages travel through the
    /// relay; each `deals` run catches up first).
    pub fn wait_state(&self, nego: &str, state: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let d = self.deal(nego);
            if d["state"] == state {
                return d;
            }
            assert!(
                Instant::now() < deadline,
                "{nego} stayed {} (want {state})",
                d["state"]
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `outbox --json` length.
    pub fn outbox_len(&self) -> usize {
        match self.run(&["outbox", "--json"]).json() {
            Value::Array(a) => a.len(),
            v => panic!("outbox is not a list: {v}"),
        }
    }

    /// A path inside the home.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A goods/1 payload at `geohash`.
pub fn goods_payload(item: &str, price: u32, geohash: &str) -> String {
    serde_json::json!({
        "item": item, "condition": "good", "price": price, "currency": "SGD",
        "location": {"name": "Tanjong Pagar MRT", "geohash": geohash}
    })
    .to_string()
}

/// Where the demo and the flows meet.
pub const WHERE: &str = "w21z74";
