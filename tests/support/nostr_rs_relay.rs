//! nostr-rs-relay as a child process on loopback, for the interop tests of every crate (included
//! with `#[path]` by `core/tests/common`, `core/tests/relay_real.rs` and the CLI's test harness).
//!
//! The binary comes from `$FREEPORT_NOSTR_RS_RELAY`; `scripts/install-nostr-rs-relay.sh` builds it
//! into the cache and prints its path, and `scripts/test.sh` sets the variable.

#![allow(dead_code)] // each including test binary uses a different subset

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the relay may take to listen before the test fails.
const LISTEN_PATIENCE: Duration = Duration::from_secs(30);

fn relay_binary() -> PathBuf {
    match std::env::var_os("FREEPORT_NOSTR_RS_RELAY") {
        Some(p) if Path::new(&p).is_file() => PathBuf::from(p),
        Some(p) => panic!(
            "FREEPORT_NOSTR_RS_RELAY={} does not name a file; run scripts/install-nostr-rs-relay.sh",
            Path::new(&p).display()
        ),
        None => panic!(
            "FREEPORT_NOSTR_RS_RELAY is not set: run scripts/install-nostr-rs-relay.sh and export \
             FREEPORT_NOSTR_RS_RELAY=<the path it prints> (scripts/test.sh does this)"
        ),
    }
}

/// A nostr-rs-relay child process on 127.0.0.1 with its SQLite data in a temp dir; it can be
/// killed and restarted on the same port with its data. Killed on drop.
pub struct RealRelay {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl RealRelay {
    /// Starts one and waits until it listens.
    pub fn start() -> Self {
        let bin = relay_binary();
        let dir = tempfile::tempdir().expect("tempdir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let config = format!(
            r#"[info]
relay_url = "ws://127.0.0.1:{port}/"
name = "freeport-test"
description = "loopback test relay"

[database]
engine = "sqlite"
data_directory = "{data}"

[network]
address = "127.0.0.1"
port = {port}

[options]
reject_future_seconds = 1800

[limits]
messages_per_sec = 0
subscriptions_per_min = 0
"#,
            data = dir.path().display()
        );
        std::fs::write(dir.path().join("config.toml"), config).expect("write config");
        let mut r = Self {
            bin,
            dir,
            port,
            child: None,
        };
        r.spawn();
        r
    }

    /// (Re)starts the process on the same port and data, and waits until it listens.
    pub fn spawn(&mut self) {
        let child = Command::new(&self.bin)
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--db")
            .arg(self.dir.path())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        // Kept before waiting, so a failed start is still killed on drop.
        let child = self.child.insert(child);
        let deadline = Instant::now() + LISTEN_PATIENCE;
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("nostr-rs-relay exited before listening: {status}");
            }
            assert!(Instant::now() < deadline, "nostr-rs-relay did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process (SIGKILL, as a crash would) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ws://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }
}

impl Drop for RealRelay {
    fn drop(&mut self) {
        self.kill();
    }
}
