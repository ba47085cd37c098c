#![no_main]
//! The Freeport receipt parser on events with fuzzer-chosen tags and content.
use freeport_core::protocol::receipt;
use freeport_fuzz::event_of_kind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [32104u16, 1] {
        if let Some(ev) = event_of_kind(kind, data) {
            let _ = receipt::parse_receipt(&ev);
        }
    }
});
