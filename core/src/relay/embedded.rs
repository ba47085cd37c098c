//! An in-process relay (rust-nostr's `nostr-relay-builder` `LocalRelay`, in-memory) on
//! `127.0.0.1` with a random port, for tests and the demo. It can be stopped and restarted on
//! the same port with its stored events intact, to simulate a relay killed mid-negotiation.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use nostr_relay_builder::builder::RateLimit;
use nostr_relay_builder::prelude::{MemoryDatabase, MemoryDatabaseOptions, NostrDatabase};
use nostr_relay_builder::{LocalRelay, RelayBuilder};

/// Why the embedded relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedRelayError {
    /// No free port could be found or bound.
    #[error("cannot bind 127.0.0.1:{port}: {reason}")]
    Bind {
        /// The port (0 = any).
        port: u16,
        /// The OS or library reason.
        reason: String,
    },
}

/// How to run an [`EmbeddedRelay`].
#[derive(Debug, Clone)]
pub struct EmbeddedRelayOptions {
    /// Port on 127.0.0.1 (`None`: a free one).
    pub port: Option<u16>,
    /// Event database (`None`: in memory, up to 100 000 events).
    pub database: Option<Arc<dyn NostrDatabase>>,
    /// Events one connection may publish per minute (rust-nostr's default is 60, too low for
    /// seeding a demo town or a test graph).
    pub notes_per_minute: u32,
}

impl Default for EmbeddedRelayOptions {
    fn default() -> Self {
        Self {
            port: None,
            database: None,
            notes_per_minute: 6_000,
        }
    }
}

/// A loopback relay that keeps its events across [`EmbeddedRelay::restart`].
#[derive(Debug)]
pub struct EmbeddedRelay {
    port: u16,
    database: Arc<dyn NostrDatabase>,
    notes_per_minute: u32,
    running: Option<LocalRelay>,
}

impl EmbeddedRelay {
    /// Starts a relay on a free loopback port.
    pub async fn start() -> Result<Self, EmbeddedRelayError> {
        Self::start_with(EmbeddedRelayOptions::default()).await
    }

    /// Starts a relay with explicit options (fixed port, persistent database, rate limit).
    pub async fn start_with(opts: EmbeddedRelayOptions) -> Result<Self, EmbeddedRelayError> {
        let port = match opts.port {
            Some(p) => p,
            None => free_port()?,
        };
        let database: Arc<dyn NostrDatabase> = match opts.database {
            Some(db) => db,
            None => Arc::new(MemoryDatabase::with_opts(MemoryDatabaseOptions {
                events: true,
                max_events: Some(100_000),
            })),
        };
        let mut relay = Self {
            port,
            database,
            notes_per_minute: opts.notes_per_minute,
            running: None,
        };
        relay.restart().await?;
        Ok(relay)
    }

    /// The relay's `ws://127.0.0.1:<port>` URL (stable across restarts).
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `true` while the relay accepts connections.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Stops the relay: closes the listener and every open connection. Stored events are kept.
    pub fn stop(&mut self) {
        if let Some(relay) = self.running.take() {
            relay.shutdown();
        }
    }

    /// (Re)starts the relay on the same port with the same stored events. Retries the bind for
    /// a short while, since the previous listener's socket may take a moment to close.
    pub async fn restart(&mut self) -> Result<(), EmbeddedRelayError> {
        self.stop();
        let mut last_err = String::new();
        for _ in 0..50 {
            let builder = RelayBuilder::default()
                .addr(Ipv4Addr::LOCALHOST.into())
                .port(self.port)
                .rate_limit(RateLimit {
                    max_reqs: 500,
                    notes_per_minute: self.notes_per_minute,
                })
                .database(self.database.clone());
            let relay = LocalRelay::new(builder);
            match relay.run().await {
                Ok(()) => {
                    self.running = Some(relay);
                    return Ok(());
                }
                Err(e) => {
                    last_err = e.to_string();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        Err(EmbeddedRelayError::Bind {
            port: self.port,
            reason: last_err,
        })
    }
}

impl Drop for EmbeddedRelay {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Asks the OS for a free loopback port.
pub fn free_port() -> Result<u16, EmbeddedRelayError> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).map_err(|e| {
        EmbeddedRelayError::Bind {
            port: 0,
            reason: e.to_string(),
        }
    })?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| EmbeddedRelayError::Bind {
            port: 0,
            reason: e.to_string(),
        })
}
