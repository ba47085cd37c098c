//! Deal receipts — kind 32104, addressable, one half per party (FREEPORT-V1.md "Deal receipt").
//!
//! Reference half: tags `["d", <nego id>], ["p", <counterparty>]`, content
//! `{"v":1,"intent_id":<id>}`. Our meet extension (additive; the reference ignores it): tag
//! `["meet", <nonce hex>]` on both halves, `["e", <other half id>]` on the scanner's half, and
//! `"meet"` in the content.
//!
//! The canonical form built here is byte-exact and deterministic (tag order, JSON key order), so a
//! QR scanner can rebuild the shower's half from its own negotiation record plus the few fields
//! the code carries, and verify the signature.

use std::fmt;
use std::str::FromStr;

use nostr::{Event, EventBuilder, EventId, Kind, PublicKey, Tag, TagKind, Timestamp};

use super::{
    ProtocolError, check_kind, check_tag_count, check_version, content_object, excerpt,
    first_tag_value, is_hex64, kinds, nego_d_tag, opt_str, p_tag, req_str,
};
use crate::protocol::NegoId;

/// A 128-bit single-use meet nonce, written as 32 lowercase hex characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeetNonce(pub [u8; 16]);

impl MeetNonce {
    /// A fresh random nonce from the OS CSPRNG.
    pub fn random() -> Self {
        use rand::RngCore;
        let mut b = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut b);
        Self(b)
    }

    /// The nonce as lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for MeetNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FromStr for MeetNonce {
    type Err = ProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 32
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ProtocolError::tag(
                "meet",
                format!("`{}` is not 32 lowercase hex characters", excerpt(s)),
            ));
        }
        let mut out = [0u8; 16];
        hex::decode_to_slice(s, &mut out).map_err(|_| ProtocolError::tag("meet", "is not hex"))?;
        Ok(Self(out))
    }
}

/// What a party signs as its half of a deal receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptDraft {
    pub nego: NegoId,
    /// The counterparty (the `p` tag).
    pub peer: PublicKey,
    /// The intent event id the deal was made on.
    pub intent_id: EventId,
    /// The meet nonce, for halves co-signed in person.
    pub meet: Option<MeetNonce>,
    /// The other half's id (`e` tag), on the scanner's half.
    pub countersigns: Option<EventId>,
}

/// Canonical receipt content: `{"v":1,"intent_id":"…"}` or `{"v":1,"intent_id":"…","meet":"…"}`.
pub fn receipt_content(intent_id: &EventId, meet: Option<&MeetNonce>) -> String {
    match meet {
        None => format!("{{\"v\":1,\"intent_id\":\"{}\"}}", intent_id.to_hex()),
        Some(m) => format!(
            "{{\"v\":1,\"intent_id\":\"{}\",\"meet\":\"{}\"}}",
            intent_id.to_hex(),
            m.to_hex()
        ),
    }
}

/// Canonical tags, in order: `d`, `p`, then `meet`, then `e`. No relay hints: a met half is
/// rebuilt byte for byte by the other phone from its own record.
pub fn receipt_tags(draft: &ReceiptDraft) -> Vec<Tag> {
    let mut tags = vec![
        Tag::identifier(draft.nego.to_string()),
        Tag::public_key(draft.peer),
    ];
    if let Some(m) = &draft.meet {
        tags.push(Tag::custom(TagKind::custom("meet"), [m.to_hex()]));
    }
    if let Some(e) = &draft.countersigns {
        tags.push(Tag::event(*e));
    }
    tags
}

/// Builds the unsigned receipt half at `created_at`. The signer must be the party that is not
/// `draft.peer`; [`parse_receipt`] enforces it on the way back in.
pub fn build_receipt(draft: &ReceiptDraft, created_at: Timestamp) -> EventBuilder {
    build_receipt_with_hint(draft, created_at, None)
}

/// [`build_receipt`] with a relay where the peer is found in the `p` tag
/// (`["p", <peer>, <relay>]`, NIP-01). Only for a half nobody rebuilds: the proven half
/// published at confirmation. Readers take the tag's first value, so the hint changes nothing
/// for them (the reference client included).
pub fn build_receipt_with_hint(
    draft: &ReceiptDraft,
    created_at: Timestamp,
    peer_relay: Option<&nostr::RelayUrl>,
) -> EventBuilder {
    let mut tags = receipt_tags(draft);
    if let (Some(url), Some(p)) = (peer_relay, tags.get_mut(1)) {
        *p = super::p_tag_with_hint(&draft.peer, url);
    }
    EventBuilder::new(
        Kind::Custom(kinds::RECEIPT),
        receipt_content(&draft.intent_id, draft.meet.as_ref()),
    )
    .tags(tags)
    .custom_created_at(created_at)
}

/// A parsed, structurally valid receipt half. (Signature verification happens before parsing, in
/// the relay/store pipeline.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: EventId,
    pub author: PublicKey,
    pub nego: NegoId,
    pub peer: PublicKey,
    pub intent_id: EventId,
    pub meet: Option<MeetNonce>,
    pub countersigns: Option<EventId>,
    pub created_at: Timestamp,
}

/// Parses a receipt half. The author must be one party of the negotiation id and `p` the other.
pub fn parse_receipt(event: &Event) -> Result<Receipt, ProtocolError> {
    check_kind(event, kinds::RECEIPT, "a deal receipt (32104)")?;
    check_tag_count(event)?;
    let nego = nego_d_tag(event)?;
    let peer = p_tag(event)?;
    match nego.counterparty_of(&event.pubkey) {
        None => {
            return Err(ProtocolError::Mismatch {
                a: "author",
                a_value: event.pubkey.to_hex(),
                b: "d",
                b_value: "neither party of this negotiation".into(),
            });
        }
        Some(expected) if expected != peer => {
            return Err(ProtocolError::Mismatch {
                a: "p",
                a_value: peer.to_hex(),
                b: "d",
                b_value: format!("counterparty {}", expected.to_hex()),
            });
        }
        Some(_) => {}
    }
    let map = content_object(&event.content)?;
    check_version(&map)?;
    let intent_hex = req_str(&map, "intent_id")?;
    if !is_hex64(intent_hex) {
        return Err(ProtocolError::field(
            "intent_id",
            "must be 64 lowercase hex characters",
        ));
    }
    let intent_id = EventId::from_hex(intent_hex)
        .map_err(|_| ProtocolError::field("intent_id", "is not an event id"))?;
    let meet = match first_tag_value(event, "meet") {
        Some(m) => Some(m.parse::<MeetNonce>()?),
        None => None,
    };
    match (opt_str(&map, "meet")?, &meet) {
        (None, _) => {}
        (Some(c), Some(t)) if c == t.to_hex() => {}
        (Some(c), t) => {
            return Err(ProtocolError::Mismatch {
                a: "content.meet",
                a_value: excerpt(c),
                b: "meet tag",
                b_value: t.map(|t| t.to_hex()).unwrap_or_else(|| "absent".into()),
            });
        }
    }
    let countersigns = match first_tag_value(event, "e") {
        Some(e) if is_hex64(e) => {
            Some(EventId::from_hex(e).map_err(|_| ProtocolError::tag("e", "is not an event id"))?)
        }
        Some(e) => {
            return Err(ProtocolError::tag(
                "e",
                format!("`{}` is not 64 lowercase hex characters", excerpt(e)),
            ));
        }
        None => None,
    };
    Ok(Receipt {
        id: event.id,
        author: event.pubkey,
        nego,
        peer,
        intent_id,
        meet,
        countersigns,
        created_at: event.created_at,
    })
}

/// How strongly a deal is evidenced (DESIGN §3.2; used for rating weights).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, uniffi::Enum,
)]
#[serde(rename_all = "kebab-case")]
pub enum DealTier {
    /// Only one half exists: a claim, good only for reliability "no-show" negatives.
    OneSided,
    /// Both halves exist (the reference publishes them at confirmation time).
    Proven,
    /// Both halves carry the same meet nonce and the scanner's half links the shower's by `e`:
    /// the two phones were together.
    Met,
}

impl DealTier {
    /// Lowercase name used on the wire of our JSON outputs.
    pub fn as_str(&self) -> &'static str {
        match self {
            DealTier::OneSided => "one-sided",
            DealTier::Proven => "proven",
            DealTier::Met => "met",
        }
    }
}

/// Classifies a deal from its halves. `a` and `b` must be halves of the same negotiation by the
/// two different parties; if they are not, the pair is treated as one-sided.
pub fn classify(a: &Receipt, b: Option<&Receipt>) -> DealTier {
    let Some(b) = b else {
        return DealTier::OneSided;
    };
    if a.nego != b.nego || a.author == b.author || a.peer != b.author || b.peer != a.author {
        return DealTier::OneSided;
    }
    let linked = a.countersigns == Some(b.id) || b.countersigns == Some(a.id);
    match (a.meet, b.meet) {
        (Some(x), Some(y)) if x == y && linked => DealTier::Met,
        _ => DealTier::Proven,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::{JsonUtil, Keys};

    fn parties() -> (Keys, Keys, NegoId) {
        let owner = Keys::generate();
        let resp = Keys::generate();
        let nego = NegoId::new("00112233aabbccdd", owner.public_key(), resp.public_key()).unwrap();
        (owner, resp, nego)
    }

    fn half(
        keys: &Keys,
        nego: &NegoId,
        peer: PublicKey,
        meet: Option<MeetNonce>,
        e: Option<EventId>,
    ) -> Event {
        let draft = ReceiptDraft {
            nego: nego.clone(),
            peer,
            intent_id: EventId::all_zeros(),
            meet,
            countersigns: e,
        };
        build_receipt(&draft, Timestamp::from(1_700_000_000))
            .sign_with_keys(keys)
            .unwrap()
    }

    #[test]
    fn reference_shaped_receipt_parses() {
        let (owner, resp, nego) = parties();
        let intent = "ab".repeat(32);
        // Exactly what the reference publishes at confirmation time.
        let ev = EventBuilder::new(
            Kind::Custom(32104),
            format!("{{\"v\":1,\"intent_id\":\"{intent}\"}}"),
        )
        .tags([
            Tag::identifier(nego.to_string()),
            Tag::public_key(resp.public_key()),
        ])
        .sign_with_keys(&owner)
        .unwrap();
        let r = parse_receipt(&ev).unwrap();
        assert_eq!(r.peer, resp.public_key());
        assert_eq!(r.intent_id.to_hex(), intent);
        assert_eq!(r.meet, None);
    }

    #[test]
    fn round_trip_with_meet_extension_is_canonical() {
        let (owner, resp, nego) = parties();
        let nonce = MeetNonce::random();
        let shower = half(&owner, &nego, resp.public_key(), Some(nonce), None);
        let json = shower.as_json();
        assert!(json.contains(&format!("[\"meet\",\"{}\"]", nonce.to_hex())));
        assert!(
            shower
                .content
                .ends_with(&format!("\"meet\":\"{}\"}}", nonce.to_hex()))
        );
        let r = parse_receipt(&shower).unwrap();
        assert_eq!(r.meet, Some(nonce));
        // Rebuilding from the same draft and time gives the same id (what the scanner relies on).
        let draft = ReceiptDraft {
            nego: nego.clone(),
            peer: resp.public_key(),
            intent_id: EventId::all_zeros(),
            meet: Some(nonce),
            countersigns: None,
        };
        let rebuilt =
            build_receipt(&draft, Timestamp::from(1_700_000_000)).build(owner.public_key());
        assert_eq!(rebuilt.id, Some(shower.id));
    }

    #[test]
    fn classification_met_proven_one_sided() {
        let (owner, resp, nego) = parties();
        let nonce = MeetNonce::random();
        let a = half(&owner, &nego, resp.public_key(), Some(nonce), None);
        let b = half(&resp, &nego, owner.public_key(), Some(nonce), Some(a.id));
        let ra = parse_receipt(&a).unwrap();
        let rb = parse_receipt(&b).unwrap();
        assert_eq!(classify(&ra, Some(&rb)), DealTier::Met);
        assert_eq!(classify(&rb, Some(&ra)), DealTier::Met);
        assert_eq!(classify(&ra, None), DealTier::OneSided);
        // Same nonce but no e link → proven only.
        let b2 = half(&resp, &nego, owner.public_key(), Some(nonce), None);
        assert_eq!(
            classify(&ra, Some(&parse_receipt(&b2).unwrap())),
            DealTier::Proven
        );
        // Reference halves without meet → proven.
        let p1 = parse_receipt(&half(&owner, &nego, resp.public_key(), None, None)).unwrap();
        let p2 = parse_receipt(&half(&resp, &nego, owner.public_key(), None, None)).unwrap();
        assert_eq!(classify(&p1, Some(&p2)), DealTier::Proven);
        // Two halves by the same author are not a deal.
        assert_eq!(classify(&p1, Some(&p1)), DealTier::OneSided);
    }

    #[test]
    fn malformed_receipts_are_refused_with_reasons() {
        let (owner, resp, nego) = parties();
        let third = Keys::generate();
        // Author not a party.
        let ev = half(&third, &nego, resp.public_key(), None, None);
        assert!(matches!(
            parse_receipt(&ev),
            Err(ProtocolError::Mismatch { a: "author", .. })
        ));
        // p is not the counterparty.
        let ev = half(&owner, &nego, third.public_key(), None, None);
        assert!(matches!(
            parse_receipt(&ev),
            Err(ProtocolError::Mismatch { a: "p", .. })
        ));
        let base = |content: &str, tags: Vec<Tag>| {
            EventBuilder::new(Kind::Custom(32104), content)
                .tags(tags)
                .sign_with_keys(&owner)
                .unwrap()
        };
        let good_tags = || {
            vec![
                Tag::identifier(nego.to_string()),
                Tag::public_key(resp.public_key()),
            ]
        };
        let intent = "cd".repeat(32);
        let cases: Vec<(Event, &str)> = vec![
            (base("nope", good_tags()), "not json"),
            (base("{\"intent_id\":\"x\"}", good_tags()), "no v"),
            (
                base(
                    &format!("{{\"v\":2,\"intent_id\":\"{intent}\"}}"),
                    good_tags(),
                ),
                "v=2",
            ),
            (base("{\"v\":1}", good_tags()), "no intent"),
            (
                base("{\"v\":1,\"intent_id\":\"zz\"}", good_tags()),
                "bad intent",
            ),
            (
                base(
                    &format!("{{\"v\":1,\"intent_id\":\"{intent}\"}}"),
                    vec![Tag::public_key(resp.public_key())],
                ),
                "no d",
            ),
            (
                base(
                    &format!("{{\"v\":1,\"intent_id\":\"{intent}\"}}"),
                    vec![Tag::identifier("plain-d")],
                ),
                "d not nego",
            ),
            (
                base(
                    &format!(
                        "{{\"v\":1,\"intent_id\":\"{intent}\",\"meet\":\"{}\"}}",
                        "aa".repeat(16)
                    ),
                    good_tags(),
                ),
                "content meet without tag",
            ),
            (
                base(&format!("{{\"v\":1,\"intent_id\":\"{intent}\"}}"), {
                    let mut t = good_tags();
                    t.push(Tag::custom(TagKind::custom("meet"), ["xyz"]));
                    t
                }),
                "bad meet tag",
            ),
        ];
        for (ev, why) in cases {
            assert!(parse_receipt(&ev).is_err(), "accepted: {why}");
        }
        // Wrong kind.
        let ev = EventBuilder::new(Kind::Custom(32103), "{}")
            .sign_with_keys(&owner)
            .unwrap();
        assert!(matches!(
            parse_receipt(&ev),
            Err(ProtocolError::WrongKind { found: 32103, .. })
        ));
    }
}
