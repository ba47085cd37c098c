#![no_main]
//! NIP-49 `ncryptsec1…` backups: parsing, and decryption when the scrypt cost is cheap (costs the
//! app accepts, up to log_n 18 = 256 MiB, are refused here only to keep the fuzzer fast and under
//! its 64 MB allocation limit; the cost gate itself is fuzzed on every input).
use freeport_core::identity::{DecryptCost, import_ncryptsec, inspect_ncryptsec};
use freeport_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(s) = text(data) else { return };
    let (blob, pass) = s.split_once('\n').unwrap_or((s, "nostr"));
    if let Ok(info) = inspect_ncryptsec(blob) {
        if info.log_n <= 8 {
            let _ = import_ncryptsec(blob, pass, DecryptCost::Default);
        } else if info.log_n > 22 {
            assert!(import_ncryptsec(blob, pass, DecryptCost::Confirmed).is_err());
        }
    }
});
