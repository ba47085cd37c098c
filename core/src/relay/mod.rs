//! Relay layer: nostr-sdk client with our own verification of every incoming event, a durable
//! outbox publisher, subscriptions and one-shot queries, and NIP-17/NIP-04 direct messages.
//!
//! - [`ingest`]: the pure admission gate (caps, filter, dedup, id + signature, newest-wins).
//! - [`outbox`]: the [`outbox::OutboxStore`] contract, `OK` classification, retry backoff.
//! - [`lists`]: relay settings, published relay lists (NIP-65, NIP-17) and routing (pure).
//! - [`transport`]: building and opening NIP-17 gift wraps and NIP-04 messages (pure).
//! - [`client`]: [`RelayClient`], which wires the above to live relays.
//! - [`embedded`]: an in-process loopback relay for tests and the demo.
//!
//! See `docs/RELAY.md` for what is verified, the outbox semantics and the attacks covered.

pub mod client;
pub mod embedded;
mod extra;
pub mod ingest;
pub mod lists;
pub mod outbox;
pub mod transport;

pub use client::{
    Incoming, PublishReport, QueryPage, RelayClient, RelayConfig, RelayError, RelayState, SentDm,
    Stream, Traffic, VerifiedEvent, default_index_relays, default_relays,
};
pub use embedded::{EmbeddedRelay, EmbeddedRelayOptions};
pub use ingest::{DropReason, IngestLimits, IngestStats};
pub use lists::{
    InboxAdvertised, OwnRelays, PeerRelays, RelayRole, RelaySettings, RelayViolation, Route,
    UrlPolicy, UrlRule,
};
pub use outbox::{
    BackoffPolicy, MemoryOutbox, OutboxItem, OutboxStore, Rejection, RejectionKind, StoreError,
};
pub use transport::{DecryptedDm, DmError, Transport};
