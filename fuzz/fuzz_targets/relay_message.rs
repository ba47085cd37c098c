#![no_main]
//! Relay → client messages (EVENT, OK, EOSE, CLOSED, NOTICE, AUTH, COUNT…) as a relay may send them.
use freeport_core::relay::lists::{self, MAX_PEER_RELAYS};
use freeport_core::relay::{IngestLimits, PeerRelays, UrlPolicy};
use freeport_core::relay::ingest::{check_shape, verify_event};
use freeport_fuzz::{NOW, text};
use libfuzzer_sys::fuzz_target;
use nostr::{JsonUtil, RelayMessage};

fuzz_target!(|data: &[u8]| {
    let Some(s) = text(data) else { return };
    if let Ok(RelayMessage::Event { event, .. }) = RelayMessage::from_json(s) {
        let _ = check_shape(&event, &IngestLimits::default(), NOW);
        let _ = verify_event(&event);
        // Someone's relay lists (kinds 10002, 10050): whatever the tags, capped and filtered.
        let p = PeerRelays::from_events(&event.pubkey, [&*event], UrlPolicy::others(false));
        assert!(p.read.len() <= MAX_PEER_RELAYS && p.write.len() <= MAX_PEER_RELAYS);
        assert!(p.inbox.len() <= MAX_PEER_RELAYS);
    }
    let _ = freeport_core::relay::client::parse_relay_list(s);
    // A relay URL as anyone may type or publish it: refused with a code, or canonical and
    // stable (checking the canonical form again gives itself).
    for policy in [UrlPolicy::OWN, UrlPolicy::others(false)] {
        if let Ok(u) = lists::check_relay_url(s, policy) {
            let c = lists::canonical(&u);
            let again = lists::check_relay_url(&c, policy).expect("canonical form accepted");
            assert_eq!(lists::canonical(&again), c);
        }
    }
});
