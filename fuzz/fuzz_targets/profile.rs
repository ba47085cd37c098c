#![no_main]
//! The Freeport profile parser on events with fuzzer-chosen tags and content.
use freeport_core::protocol::profile;
use freeport_fuzz::event_of_kind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [0u16, 1] {
        if let Some(ev) = event_of_kind(kind, data) {
            let _ = profile::parse_profile(&ev);
        }
    }
});
