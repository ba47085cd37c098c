#![no_main]
//! Images a camera or a shared file may hand the scanner: PNG/JPEG bytes, and raw luma frames.
use freeport_core::meet::scan::{LumaFrame, ScanEffort, decode_frame, decode_image};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_image(data);
    // First 4 bytes: width and height (bytes 0-1, 2-3); the rest is the frame.
    if let [w0, w1, h0, h1, frame @ ..] = data {
        let w = u32::from(u16::from_le_bytes([*w0, *w1]) % 512);
        let h = u32::from(u16::from_le_bytes([*h0, *h1]) % 512);
        if let Ok(f) = LumaFrame::new(w, h, w, frame) {
            let _ = decode_frame(&f, ScanEffort::Fast);
        }
    }
});
