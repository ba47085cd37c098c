#![no_main]
//! Phone numbers as a user types them, and the masked/published phone fields peers send.
use freeport_core::contact::{Mask, PublishedPhone, parse_phone};
use freeport_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(s) = text(data) else { return };
    for region in [None, Some("US"), Some("DE"), Some("IN")] {
        if let Ok(e) = parse_phone(s, region) {
            // A normalised number parses to itself.
            assert_eq!(parse_phone(e.as_str(), None).ok().as_ref(), Some(&e));
        }
    }
    let _ = Mask::parse(s);
    let _ = Mask::parse_phone_field(s);
    let _ = PublishedPhone::parse(s);
});
