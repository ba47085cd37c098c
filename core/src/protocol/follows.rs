//! Follow lists — kind 3 (NIP-02), read only. The viewer's follows seed reputation (DESIGN §3.4).

use std::collections::HashSet;

use nostr::{Event, PublicKey};

use super::{ProtocolError, check_kind, is_hex64, kinds};

/// Most follows we take from one list; the rest are ignored (a seed set this large carries no
/// more signal and would only cost memory).
pub const MAX_FOLLOWS: usize = 5000;

/// Most tags we look at on one follow list.
pub const MAX_FOLLOW_TAGS: usize = 20_000;

/// Parses the `p` tags of a follow list into distinct keys, in list order. Malformed entries
/// (not 64 lowercase hex, not a curve point) and self-follows are skipped; the list is capped at
/// [`MAX_FOLLOWS`] keys and [`MAX_FOLLOW_TAGS`] tags. Only the wrong kind is an error.
pub fn parse_follows(event: &Event) -> Result<Vec<PublicKey>, ProtocolError> {
    check_kind(event, kinds::FOLLOWS, "a follow list (3)")?;
    let mut seen: HashSet<PublicKey> = HashSet::new();
    let mut out = Vec::new();
    for tag in event.tags.iter().take(MAX_FOLLOW_TAGS) {
        let s = tag.as_slice();
        if s.first().map(String::as_str) != Some("p") {
            continue;
        }
        let Some(hex) = s.get(1).filter(|h| is_hex64(h)) else {
            continue;
        };
        // `from_hex` only decodes bytes; `xonly` checks the key is a point on the curve.
        let Ok(pk) = PublicKey::from_hex(hex) else {
            continue;
        };
        if pk.xonly().is_err() {
            continue;
        }
        if pk == event.pubkey || !seen.insert(pk) {
            continue;
        }
        out.push(pk);
        if out.len() >= MAX_FOLLOWS {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::{EventBuilder, Keys, Kind, Tag, TagKind};

    fn list(keys: &Keys, tags: Vec<Tag>) -> Event {
        EventBuilder::new(Kind::ContactList, "")
            .tags(tags)
            .sign_with_keys(keys)
            .unwrap()
    }

    #[test]
    fn parses_valid_p_tags_in_order_and_skips_junk() {
        let me = Keys::generate();
        let a = Keys::generate().public_key();
        let b = Keys::generate().public_key();
        let raw_p = |v: &str| Tag::custom(TagKind::custom("p"), [v]);
        let tags = vec![
            Tag::public_key(a),
            raw_p("not-a-key"),
            raw_p(&a.to_hex().to_uppercase()),
            raw_p(&"f".repeat(64)), // not on the curve
            Tag::custom(TagKind::custom("p"), Vec::<String>::new()),
            Tag::public_key(me.public_key()), // self-follow
            Tag::hashtag("nostr"),
            Tag::public_key(a), // duplicate
            Tag::custom(
                TagKind::custom("p"),
                [b.to_hex(), "wss://relay.example".into(), "bob".into()],
            ),
        ];
        assert_eq!(parse_follows(&list(&me, tags)).unwrap(), vec![a, b]);
        assert_eq!(parse_follows(&list(&me, vec![])).unwrap(), vec![]);
    }

    #[test]
    fn caps_the_list_and_refuses_other_kinds() {
        let me = Keys::generate();
        let tags: Vec<Tag> = (0..MAX_FOLLOWS + 10)
            .map(|_| Tag::public_key(Keys::generate().public_key()))
            .collect();
        let first = tags.first().cloned().unwrap();
        let got = parse_follows(&list(&me, tags)).unwrap();
        assert_eq!(got.len(), MAX_FOLLOWS);
        assert_eq!(Some(got[0].to_hex().as_str()), first.content());
        let ev = EventBuilder::new(Kind::TextNote, "")
            .sign_with_keys(&me)
            .unwrap();
        assert!(matches!(
            parse_follows(&ev),
            Err(ProtocolError::WrongKind { found: 1, .. })
        ));
    }
}
