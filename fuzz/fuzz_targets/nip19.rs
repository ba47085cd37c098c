#![no_main]
//! NIP-19 bech32 entities (npub, nsec, note, nprofile, nevent, naddr TLVs) and our key parsers.
use freeport_core::identity::{parse_public_key, parse_secret_key};
use freeport_fuzz::text;
use libfuzzer_sys::fuzz_target;
use nostr::nips::nip19::{FromBech32, Nip19};

fuzz_target!(|data: &[u8]| {
    if let Some(s) = text(data) {
        let _ = Nip19::from_bech32(s);
        let _ = parse_public_key(s);
        let _ = parse_secret_key(s);
    }
});
