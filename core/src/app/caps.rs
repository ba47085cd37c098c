//! Which transport a peer gets (issue 22, item 1): does it read NIP-17 gift wraps?
//!
//! The deployed reference sends negotiation over NIP-04 and its command-line agent reads kind 4
//! only, so a gift wrap as first contact is never seen. A peer gets gift wraps only once it has
//! shown it reads them: it sent us one, it advertises a NIP-17 inbox (kind 10050), or its intent
//! carries our `caps` tag with `nip17`. Anyone else gets NIP-04, unless the user requires NIP-17
//! only (the privacy setting; reference agents then never see our messages). See
//! `docs/RELAY.md` "Transport".
//!
//! Whether someone advertises an inbox comes from the relay lists (`relays.rs`): their kind
//! 10050 is looked up (when stale) before every message we send them, for routing anyway.

use nostr::PublicKey;

use super::{App, AppError};
use crate::protocol::intent::{CAP_NIP17, Intent};
use crate::relay::Transport;

/// Settings key of the "NIP-17 only" privacy setting.
const NIP17_ONLY_KEY: &str = "transport.nip17_only";

impl App {
    /// `true` when the user requires NIP-17 for everything we send (no NIP-04 fallback).
    pub fn require_nip17(&self) -> bool {
        self.inner
            .store
            .setting_get(NIP17_ONLY_KEY)
            .ok()
            .flatten()
            .is_some_and(|v| v == "1")
    }

    /// Sets the "NIP-17 only" privacy setting (stored on this device).
    pub fn set_require_nip17(&self, on: bool) -> Result<(), AppError> {
        self.inner
            .store
            .setting_set(NIP17_ONLY_KEY, if on { "1" } else { "0" })?;
        Ok(())
    }

    /// `true` when `peer` advertises a NIP-17 inbox (a stored kind 10050 naming a relay we
    /// accept).
    pub(crate) fn peer_advertises_inbox(&self, peer: &PublicKey) -> bool {
        self.stored_peer_relays(peer)
            .is_ok_and(|p| p.advertises_inbox())
    }

    /// `true` when `peer` has shown it reads gift wraps: it sent us one (this session or
    /// before), advertises a NIP-17 inbox, or authored `intent` with our `nip17` capability.
    pub(crate) fn peer_reads_gift_wraps(&self, peer: &PublicKey, intent: Option<&Intent>) -> bool {
        self.peer_transports(peer).nip17
            || self.peer_advertises_inbox(peer)
            || intent.is_some_and(|i| i.author == *peer && i.has_cap(CAP_NIP17))
    }

    /// The transport for a message to `peer` about `intent`: NIP-17 for a peer that reads gift
    /// wraps (or when the user requires NIP-17 only), else NIP-04 — what the reference reads.
    pub(crate) fn transport_for(&self, peer: &PublicKey, intent: Option<&Intent>) -> Transport {
        if self.require_nip17() || self.peer_reads_gift_wraps(peer, intent) {
            Transport::Nip17
        } else {
            Transport::Nip04
        }
    }
}
