//! Relay layer: nostr-sdk client with our own verification of every incoming event, a durable
//! outbox publisher, subscriptions and one-shot queries, and NIP-17/NIP-04 direct messages.
//!
//! - [`ingest`]: the pure admission gate (caps, filter, dedup, id + signature, newest-wins).
//! - [`outbox`]: the [`outbox::OutboxStore`] contract, `OK` classification, retry backoff.
//! - [`transport`]: building and opening NIP-17 gift wraps and NIP-04 messages (pure).
//! - [`client`]: [`RelayClient`], which wires the above to live relays.
//! - [`embedded`]: an in-process loopback relay for tests and the demo.
//!
//! See `docs/RELAY.md` for what is verified, the outbox semantics and the attacks covered.

pub mod client;
pub mod embedded;
pub mod ingest;
pub mod outbox;
pub mod transport;

pub use client::{
    Incoming, PublishReport, QueryPage, RelayClient, RelayConfig, RelayError, RelayState, SentDm,
    Stream, VerifiedEvent, default_relays,
};
pub use embedded::{EmbeddedRelay, EmbeddedRelayOptions};
pub use ingest::{DropReason, IngestLimits, IngestStats};
pub use outbox::{
    BackoffPolicy, MemoryOutbox, OutboxItem, OutboxStore, Rejection, RejectionKind, StoreError,
};
pub use transport::{DecryptedDm, DmError, Transport};
