#![no_main]
//! The Freeport intent parser on events with fuzzer-chosen tags and content.
use freeport_core::protocol::intent;
use freeport_fuzz::event_of_kind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [32101u16, 32102] {
        if let Some(ev) = event_of_kind(kind, data) {
            let _ = intent::parse_intent(&ev, nostr::Timestamp::from_secs(freeport_fuzz::NOW));
        }
    }
});
