//! An in-process relay (rust-nostr's `nostr-relay-builder` `LocalRelay`, in-memory) on
//! `127.0.0.1` with a random port, for tests and the demo. It can be stopped and restarted on
//! the same port with its stored events intact, to simulate a relay killed mid-negotiation.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

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

/// A loopback relay that keeps its events across [`EmbeddedRelay::restart`].
#[derive(Debug)]
pub struct EmbeddedRelay {
    port: u16,
    database: Arc<dyn NostrDatabase>,
    running: Option<LocalRelay>,
}

impl EmbeddedRelay {
    /// Starts a relay on a free loopback port.
    pub async fn start() -> Result<Self, EmbeddedRelayError> {
        let port = free_port()?;
        let database: Arc<dyn NostrDatabase> = Arc::new(MemoryDatabase::with_opts(MemoryDatabaseOptions {
            events: true,
            max_events: Some(100_000),
        }));
        let mut relay = Self {
            port,
            database,
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
