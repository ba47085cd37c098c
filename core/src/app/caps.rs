//! Which transport a peer gets (issue 22, item 1): does it read NIP-17 gift wraps?
//!
//! The deployed reference sends negotiation over NIP-04 and its command-line agent reads kind 4
//! only, so a gift wrap as first contact is never seen. A peer gets gift wraps only once it has
//! shown it reads them: it sent us one, it advertises a NIP-17 inbox (kind 10050), or its intent
//! carries our `caps` tag with `nip17`. Anyone else gets NIP-04, unless the user requires NIP-17
//! only (the privacy setting; reference agents then never see our messages). See
//! `docs/RELAY.md` "Transport".
//!
//! The kind 10050 record here is deliberately small and separate: the relay-list work (NIP-65 /
//! NIP-17 inbox routing) keeps its own store of relay lists, and this is the one question
//! negotiation asks of it — the lead reconciles the two.

use std::collections::HashSet;

use nostr::{Event, Filter, Kind, PublicKey};

use super::{App, AppError, lock};
use crate::protocol::intent::{CAP_NIP17, Intent};
use crate::protocol::kinds;
use crate::relay::Transport;

/// Settings key of the "NIP-17 only" privacy setting.
const NIP17_ONLY_KEY: &str = "transport.nip17_only";

fn inbox_key(peer: &PublicKey) -> String {
    format!("peer_inbox/{}", peer.to_hex())
}

/// Session memory of the peers whose inbox list was already looked up (hit or miss).
#[derive(Debug, Default)]
pub(crate) struct InboxLookups(HashSet<PublicKey>);

/// Most peers remembered as looked up in one session.
const MAX_LOOKUPS: usize = 10_000;

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

    /// Records a verified kind 10050 (NIP-17 inbox relay list): its author reads gift wraps.
    /// A list without any `relay` tag says nothing and is ignored.
    pub(crate) fn note_inbox_list(&self, event: &Event) {
        if event.kind.as_u16() != kinds::DM_RELAYS {
            return;
        }
        let has_relay = event
            .tags
            .iter()
            .any(|t| t.as_slice().first().map(String::as_str) == Some("relay"));
        if !has_relay {
            return;
        }
        // Best effort: the next sighting records it again.
        let _ = self.inner.store.setting_set(
            &inbox_key(&event.pubkey),
            &event.created_at.as_secs().to_string(),
        );
    }

    /// `true` when `peer` was seen advertising a NIP-17 inbox.
    pub(crate) fn peer_advertises_inbox(&self, peer: &PublicKey) -> bool {
        self.inner
            .store
            .setting_get(&inbox_key(peer))
            .ok()
            .flatten()
            .is_some()
    }

    /// Looks `peer`'s kind 10050 up on the relays once per session (best effort, bounded by the
    /// query timeout); a found list is recorded.
    pub(crate) async fn look_up_inbox(&self, peer: &PublicKey) {
        if self.peer_advertises_inbox(peer) {
            return;
        }
        {
            let mut seen = lock(&self.inner.inbox_lookups);
            if seen.0.contains(peer) || seen.0.len() >= MAX_LOOKUPS {
                return;
            }
            seen.0.insert(*peer);
        }
        let Ok(client) = self.client() else {
            return;
        };
        let f = Filter::new()
            .kind(Kind::Custom(kinds::DM_RELAYS))
            .author(*peer)
            .limit(1);
        if let Ok(got) = client.query(f, self.inner.cfg.query_timeout).await {
            for v in got {
                self.note_inbox_list(v.event());
            }
        }
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
