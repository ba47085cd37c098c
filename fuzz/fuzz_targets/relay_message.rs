#![no_main]
//! Relay → client messages (EVENT, OK, EOSE, CLOSED, NOTICE, AUTH, COUNT…) as a relay may send them.
use freeport_core::relay::IngestLimits;
use freeport_core::relay::ingest::{check_shape, verify_event};
use freeport_fuzz::{NOW, text};
use libfuzzer_sys::fuzz_target;
use nostr::{JsonUtil, RelayMessage};

fuzz_target!(|data: &[u8]| {
    let Some(s) = text(data) else { return };
    if let Ok(RelayMessage::Event { event, .. }) = RelayMessage::from_json(s) {
        let _ = check_shape(&event, &IngestLimits::default(), NOW);
        let _ = verify_event(&event);
    }
    let _ = freeport_core::relay::client::parse_relay_list(s);
});
