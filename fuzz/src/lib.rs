//! Shared helpers for the fuzz targets: turn fuzzer bytes into the typed inputs the parsers take.

use nostr::secp256k1::schnorr::Signature;
use nostr::{Event, EventId, Kind, PublicKey, Tag, Timestamp};

/// A fixed "now" so runs are reproducible (2026-01-01T00:00:00Z).
pub const NOW: u64 = 1_767_225_600;

/// The fuzzer's bytes as text, if they are UTF-8.
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// An event of `kind` whose tags and content come from the input: the first line is a JSON
/// array of string arrays (the tags), the rest is the content; `created_at` is [`NOW`]. The id
/// and signature are placeholders: the parsers under test never look at them (verification is
/// fuzzed separately in `event_json`).
pub fn event_of_kind(kind: u16, data: &[u8]) -> Option<Event> {
    let s = text(data)?;
    let (tags_line, content) = s.split_once('\n').unwrap_or((s, ""));
    let raw: Vec<Vec<String>> = serde_json::from_str(tags_line).ok()?;
    let tags: Vec<Tag> = raw.into_iter().filter_map(|t| Tag::parse(t).ok()).collect();
    let author =
        PublicKey::from_hex("3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d")
            .ok()?;
    let sig = Signature::from_slice(&[1u8; 64]).ok()?;
    Some(Event::new(
        EventId::from_byte_array([0; 32]),
        author,
        Timestamp::from_secs(NOW),
        Kind::from(kind),
        tags,
        content,
        sig,
    ))
}
