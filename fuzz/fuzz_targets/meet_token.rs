#![no_main]
//! The meet and return codes as text (what a QR code or a pasted link yields).
use freeport_core::meet::scan::scan_text;
use freeport_core::meet::{MeetToken, ReturnToken, parse_code};
use freeport_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(s) = text(data) {
        let _ = parse_code(s);
        let _ = scan_text(s);
        if let Ok(t) = MeetToken::parse(s) {
            // A parsed token re-encodes to something that parses to the same token.
            assert_eq!(MeetToken::parse(&t.encode()).ok().as_ref(), Some(&t));
        }
        if let Ok(t) = ReturnToken::parse(s) {
            assert_eq!(ReturnToken::parse(&t.encode()).ok().as_ref(), Some(&t));
        }
    }
});
