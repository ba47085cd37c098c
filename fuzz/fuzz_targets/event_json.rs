#![no_main]
//! Raw event JSON through the ingest checks every relay event goes through.
use freeport_core::relay::IngestLimits;
use freeport_core::relay::ingest::{check_shape, is_encrypted_kind, verify_event};
use freeport_fuzz::{NOW, text};
use libfuzzer_sys::fuzz_target;
use nostr::{Event, JsonUtil};

fuzz_target!(|data: &[u8]| {
    let Some(s) = text(data) else { return };
    if let Ok(ev) = Event::from_json(s) {
        let _ = check_shape(&ev, &IngestLimits::default(), NOW);
        let _ = verify_event(&ev);
        let _ = is_encrypted_kind(ev.kind);
    }
});
