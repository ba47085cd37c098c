#![no_main]
//! The negotiation envelope (the JSON inside every private message).
use freeport_core::protocol::envelope::parse_envelope;
use freeport_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(s) = text(data) {
        let _ = parse_envelope(s);
    }
});
