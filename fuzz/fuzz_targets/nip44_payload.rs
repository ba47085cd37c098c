#![no_main]
//! NIP-44 v2 payloads: base64 text through the full decrypt, raw bytes through v2, and a gift
//! wrap carrying the payload through open_dm.
use freeport_core::relay::transport::open_dm;
use freeport_fuzz::{event_of_kind, text};
use libfuzzer_sys::fuzz_target;
use nostr::nips::nip44::{self, v2::ConversationKey};
use nostr::{Keys, SecretKey};

fuzz_target!(|data: &[u8]| {
    let sk = SecretKey::from_slice(&[7u8; 32]).unwrap();
    let keys = Keys::new(sk);
    let ck = ConversationKey::new([9u8; 32]);
    let _ = nip44::v2::decrypt_to_bytes(&ck, data);
    if let Some(s) = text(data) {
        let _ = nip44::decrypt(keys.secret_key(), &keys.public_key(), s);
    }
    for kind in [1059u16, 4] {
        if let Some(ev) = event_of_kind(kind, data) {
            let _ = open_dm(&keys, &ev);
        }
    }
});
