#![no_main]
//! The Freeport rating parser on events with fuzzer-chosen tags and content.
use freeport_core::protocol::rating;
use freeport_fuzz::event_of_kind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [32103u16, 1] {
        if let Some(ev) = event_of_kind(kind, data) {
            let _ = rating::parse_rating(&ev);
        }
    }
});
