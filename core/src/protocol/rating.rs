//! Ratings ("karma") — kind 32103, addressable (FREEPORT-V1.md "Rating", DESIGN §3.3).
//!
//! Tags: `["d", <nego id>], ["p", <ratee>]`, plus the NIP-13 `nonce` tag that
//! [`EventBuilder::pow`] adds in the app layer. Content:
//! `{"v":1,"score":-1|0|1|2,"note"?,"safe"?,"reliable"?,"contact_verified"?,
//! "contact_masked"?,"contact_commit"?}`. `safe`, `reliable` and `contact_commit` are our
//! extensions; the reference ignores them. Our builder never writes `note` (no free-text
//! accusations), but the parser reads it from reference ratings.

use nostr::{Event, EventBuilder, EventId, Kind, PublicKey, Tag, Timestamp};
use serde_json::{Map, Value};

use super::{
    NegoId, ProtocolError, check_kind, check_tag_count, check_version, content_object, excerpt,
    first_tag, is_hex64, kinds, nego_d_tag, opt_bool, opt_str, p_tag,
};

/// Longest `note` we keep from a reference rating (characters).
pub const MAX_NOTE_CHARS: usize = 1000;
/// Longest `contact_masked` string (characters).
pub const MAX_CONTACT_MASKED_CHARS: usize = 32;
/// Proof-of-work target the reference asks of ratings (bits).
pub const REFERENCE_RATING_POW: u8 = 8;

/// A rating score: −1 (bad), 0 (neutral), 1 (good), 2 (excellent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Score(i8);

impl Score {
    /// Bad experience (−1).
    pub const BAD: Score = Score(-1);
    /// Neutral (0).
    pub const NEUTRAL: Score = Score(0);
    /// Good (1).
    pub const GOOD: Score = Score(1);
    /// Excellent (2).
    pub const GREAT: Score = Score(2);

    /// The score if `v` is in −1..=2.
    pub fn new(v: i64) -> Option<Self> {
        (-1..=2).contains(&v).then_some(Score(v as i8))
    }

    /// The numeric value.
    pub fn value(self) -> i8 {
        self.0
    }
}

/// What our UI lets a user say about a deal partner. There is deliberately no free-text field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingDraft {
    /// The deal's negotiation id (the `d` tag).
    pub nego: NegoId,
    /// The counterparty being rated (the `p` tag); must be a party of `nego`.
    pub ratee: PublicKey,
    /// Overall score, kept for the reference client.
    pub score: Score,
    /// Did the rater feel safe?
    pub safe: bool,
    /// Did the ratee show up and do what was agreed?
    pub reliable: bool,
    /// The mask of the phone number the rater actually reached, if they verified it.
    pub contact_masked: Option<String>,
    /// Salted commitment to the reached number (64 lowercase hex), our extension.
    pub contact_commit: Option<String>,
}

fn check_masked(m: &str) -> Result<(), ProtocolError> {
    let n = m.chars().count();
    if n == 0 {
        return Err(ProtocolError::field("contact_masked", "is empty"));
    }
    if n > MAX_CONTACT_MASKED_CHARS {
        return Err(ProtocolError::TooLarge {
            field: "contact_masked",
            actual: n,
            limit: MAX_CONTACT_MASKED_CHARS,
        });
    }
    Ok(())
}

fn check_commit(c: &str) -> Result<(), ProtocolError> {
    if !is_hex64(c) {
        return Err(ProtocolError::field(
            "contact_commit",
            format!("`{}` is not 64 lowercase hex characters", excerpt(c)),
        ));
    }
    Ok(())
}

/// Builds the unsigned rating at `created_at` (no PoW: the app layer adds it with
/// [`EventBuilder::pow`]). Content key order: `v, score, safe, reliable, contact_verified,
/// contact_masked, contact_commit`. Sign with the keys of the ratee's counterparty in `nego`.
pub fn build_rating(
    draft: &RatingDraft,
    created_at: Timestamp,
) -> Result<EventBuilder, ProtocolError> {
    build_rating_with_hint(draft, created_at, None)
}

/// [`build_rating`] with a relay where the ratee is found in the `p` tag
/// (`["p", <ratee>, <relay>]`, NIP-01); readers take the tag's first value.
pub fn build_rating_with_hint(
    draft: &RatingDraft,
    created_at: Timestamp,
    ratee_relay: Option<&nostr::RelayUrl>,
) -> Result<EventBuilder, ProtocolError> {
    if !draft.nego.involves(&draft.ratee) {
        return Err(ProtocolError::Mismatch {
            a: "p",
            a_value: draft.ratee.to_hex(),
            b: "d",
            b_value: "neither party of this negotiation".into(),
        });
    }
    let mut m = Map::new();
    m.insert("v".into(), Value::from(super::VERSION));
    m.insert("score".into(), Value::from(draft.score.value()));
    m.insert("safe".into(), Value::Bool(draft.safe));
    m.insert("reliable".into(), Value::Bool(draft.reliable));
    if let Some(masked) = &draft.contact_masked {
        check_masked(masked)?;
        m.insert("contact_verified".into(), Value::Bool(true));
        m.insert("contact_masked".into(), Value::from(masked.as_str()));
    }
    if let Some(c) = &draft.contact_commit {
        check_commit(c)?;
        m.insert("contact_commit".into(), Value::from(c.as_str()));
    }
    Ok(
        EventBuilder::new(Kind::Custom(kinds::RATING), Value::Object(m).to_string())
            .tags([
                Tag::identifier(draft.nego.to_string()),
                match ratee_relay {
                    Some(url) => super::p_tag_with_hint(&draft.ratee, url),
                    None => Tag::public_key(draft.ratee),
                },
            ])
            .custom_created_at(created_at),
    )
}

/// A parsed, structurally valid rating. (Signature verification happens before parsing.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// Event id.
    pub id: EventId,
    /// The rater (a party of `nego`).
    pub rater: PublicKey,
    /// The rated party (`p`, the rater's counterparty).
    pub ratee: PublicKey,
    /// The deal's negotiation id.
    pub nego: NegoId,
    /// Score −1..=2.
    pub score: Score,
    /// Free text from reference clients (never written by us).
    pub note: Option<String>,
    /// Our extension: did the rater feel safe?
    pub safe: Option<bool>,
    /// Our extension: was the ratee reliable?
    pub reliable: Option<bool>,
    /// The rater says they reached the ratee's phone.
    pub contact_verified: bool,
    /// Mask of the reached number (only with `contact_verified`).
    pub contact_masked: Option<String>,
    /// Our extension: salted commitment to the reached number.
    pub contact_commit: Option<String>,
    /// Proof of work actually done: leading zero bits of the event id.
    pub pow_difficulty: u8,
    /// Difficulty the `nonce` tag commits to, if any (may be below `pow_difficulty`).
    pub pow_target: Option<u8>,
    /// Event creation time ("latest per rater and deal wins").
    pub created_at: Timestamp,
}

impl Rating {
    /// Safety and reliability signals `(safe, reliable)`. Our extension fields win; for a
    /// reference-only rating the score is mapped: −1 → reliable = false, 1 or 2 → reliable =
    /// true, 0 → unknown. A score never says anything about safety, so `safe` stays unknown
    /// unless the rater set it.
    pub fn signals(&self) -> (Option<bool>, Option<bool>) {
        let reliable = self.reliable.or(match self.score.value() {
            -1 => Some(false),
            1 | 2 => Some(true),
            _ => None,
        });
        (self.safe, reliable)
    }

    /// `true` if the rating carries our `safe`/`reliable` extension.
    pub fn is_structured(&self) -> bool {
        self.safe.is_some() || self.reliable.is_some()
    }
}

/// Leading zero bits of an event id (NIP-13 difficulty), 0..=255 (saturating).
pub fn pow_difficulty(id: &EventId) -> u8 {
    let mut bits: u16 = 0;
    for b in id.as_bytes() {
        if *b == 0 {
            bits = bits.saturating_add(8);
        } else {
            bits = bits.saturating_add(b.leading_zeros() as u16);
            break;
        }
    }
    u8::try_from(bits).unwrap_or(u8::MAX)
}

/// A JSON number as a whole `i64`: `1` and `1.0` give 1; `1.5`, NaN-like and huge values give
/// `None`.
fn whole_i64(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() <= 9.0e15)
            .map(|f| f as i64)
    })
}

/// Parses a rating. Refuses the wrong kind, a `d` that is not a negotiation id, a rater who is
/// not a party of it, a `p` that is not the rater's counterparty, `v` ≠ 1, a score that is not a
/// whole number in −1..=2 (`1.0` is read as 1, `1.5` is refused), wrong field types,
/// `contact_masked` without `contact_verified: true`, and a malformed `contact_commit`.
pub fn parse_rating(event: &Event) -> Result<Rating, ProtocolError> {
    check_kind(event, kinds::RATING, "a rating (32103)")?;
    check_tag_count(event)?;
    let nego = nego_d_tag(event)?;
    let ratee = p_tag(event)?;
    match nego.counterparty_of(&event.pubkey) {
        None => {
            return Err(ProtocolError::Mismatch {
                a: "author",
                a_value: event.pubkey.to_hex(),
                b: "d",
                b_value: "neither party of this negotiation".into(),
            });
        }
        Some(expected) if expected != ratee => {
            return Err(ProtocolError::Mismatch {
                a: "p",
                a_value: ratee.to_hex(),
                b: "d",
                b_value: format!("counterparty {}", expected.to_hex()),
            });
        }
        Some(_) => {}
    }
    let map = content_object(&event.content)?;
    check_version(&map)?;
    let score = match map.get("score") {
        None | Some(Value::Null) => return Err(ProtocolError::MissingField { field: "score" }),
        Some(Value::Number(n)) => whole_i64(n).and_then(Score::new).ok_or_else(|| {
            ProtocolError::field(
                "score",
                format!(
                    "{} is not a whole number in -1..=2",
                    excerpt(&n.to_string())
                ),
            )
        })?,
        Some(other) => {
            return Err(ProtocolError::field(
                "score",
                format!("must be a number, found {}", super::json_type(other)),
            ));
        }
    };
    let note = match opt_str(&map, "note")? {
        Some(n) if n.chars().count() > MAX_NOTE_CHARS => {
            return Err(ProtocolError::TooLarge {
                field: "note",
                actual: n.chars().count(),
                limit: MAX_NOTE_CHARS,
            });
        }
        n => n.map(str::to_string),
    };
    let safe = opt_bool(&map, "safe")?;
    let reliable = opt_bool(&map, "reliable")?;
    let contact_verified = opt_bool(&map, "contact_verified")?.unwrap_or(false);
    let contact_masked = opt_str(&map, "contact_masked")?;
    if let Some(m) = contact_masked {
        if !contact_verified {
            return Err(ProtocolError::field(
                "contact_masked",
                "is only allowed together with contact_verified: true",
            ));
        }
        check_masked(m)?;
    }
    let contact_commit = opt_str(&map, "contact_commit")?;
    if let Some(c) = contact_commit {
        check_commit(c)?;
    }
    let pow_target = first_tag(event, "nonce")
        .and_then(|v| v.get(1))
        .and_then(|t| t.parse::<u8>().ok());
    Ok(Rating {
        id: event.id,
        rater: event.pubkey,
        ratee,
        nego,
        score,
        note,
        safe,
        reliable,
        contact_verified,
        contact_masked: contact_masked.map(str::to_string),
        contact_commit: contact_commit.map(str::to_string),
        pow_difficulty: pow_difficulty(&event.id),
        pow_target,
        created_at: event.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::{JsonUtil, Keys, TagKind};

    struct Deal {
        owner: Keys,
        resp: Keys,
        nego: NegoId,
    }

    fn deal() -> Deal {
        let owner = Keys::generate();
        let resp = Keys::generate();
        let nego = NegoId::new("00112233aabbccdd", owner.public_key(), resp.public_key()).unwrap();
        Deal { owner, resp, nego }
    }

    fn draft(d: &Deal) -> RatingDraft {
        RatingDraft {
            nego: d.nego.clone(),
            ratee: d.owner.public_key(),
            score: Score::GOOD,
            safe: true,
            reliable: false,
            contact_masked: Some("+84•••••5678".into()),
            contact_commit: Some("ab".repeat(32)),
        }
    }

    /// A signed rating with raw tags; self-tags are kept, as another client may send them.
    fn raw(signer: &Keys, content: &str, tags: Vec<Tag>) -> Event {
        EventBuilder::new(Kind::Custom(32103), content)
            .tags(tags)
            .allow_self_tagging()
            .sign_with_keys(signer)
            .unwrap()
    }

    fn good_tags(d: &Deal) -> Vec<Tag> {
        vec![
            Tag::identifier(d.nego.to_string()),
            Tag::public_key(d.owner.public_key()),
        ]
    }

    #[test]
    fn build_round_trips_with_extensions_and_no_note() {
        let d = deal();
        let ev = build_rating(&draft(&d), Timestamp::from(1_700_000_000))
            .unwrap()
            .sign_with_keys(&d.resp)
            .unwrap();
        assert_eq!(ev.kind.as_u16(), 32103);
        assert_eq!(
            ev.content,
            format!(
                "{{\"v\":1,\"score\":1,\"safe\":true,\"reliable\":false,\"contact_verified\":true,\
                 \"contact_masked\":\"+84•••••5678\",\"contact_commit\":\"{}\"}}",
                "ab".repeat(32)
            )
        );
        assert!(!ev.content.contains("note"));
        let r = parse_rating(&ev).unwrap();
        assert_eq!(r.rater, d.resp.public_key());
        assert_eq!(r.ratee, d.owner.public_key());
        assert_eq!(r.nego, d.nego);
        assert_eq!(r.score, Score::GOOD);
        assert_eq!(r.signals(), (Some(true), Some(false)));
        assert!(r.is_structured() && r.contact_verified);
        assert_eq!(r.contact_masked.as_deref(), Some("+84•••••5678"));
        assert_eq!(r.note, None);
        let back = Event::from_json(ev.as_json()).unwrap();
        assert_eq!(parse_rating(&back).unwrap(), r);
    }

    #[test]
    fn minimal_build_has_no_contact_fields() {
        let d = deal();
        let mut dr = draft(&d);
        dr.contact_masked = None;
        dr.contact_commit = None;
        dr.score = Score::BAD;
        let ev = build_rating(&dr, Timestamp::from(1))
            .unwrap()
            .sign_with_keys(&d.resp)
            .unwrap();
        assert_eq!(
            ev.content,
            "{\"v\":1,\"score\":-1,\"safe\":true,\"reliable\":false}"
        );
        let r = parse_rating(&ev).unwrap();
        assert!(!r.contact_verified && r.contact_masked.is_none());
    }

    #[test]
    fn build_refuses_bad_drafts() {
        let d = deal();
        let mut dr = draft(&d);
        dr.ratee = Keys::generate().public_key();
        assert!(build_rating(&dr, Timestamp::from(1)).is_err());
        let mut dr = draft(&d);
        dr.contact_commit = Some("AB".repeat(32));
        assert!(build_rating(&dr, Timestamp::from(1)).is_err());
        let mut dr = draft(&d);
        dr.contact_masked = Some(String::new());
        assert!(build_rating(&dr, Timestamp::from(1)).is_err());
        let mut dr = draft(&d);
        dr.contact_masked = Some("•".repeat(MAX_CONTACT_MASKED_CHARS + 1));
        assert!(build_rating(&dr, Timestamp::from(1)).is_err());
        assert_eq!(Score::new(3), None);
        assert_eq!(Score::new(-2), None);
        assert_eq!(Score::new(2), Some(Score::GREAT));
    }

    #[test]
    fn reference_rating_maps_to_signals() {
        let d = deal();
        let cases = [
            ("-1", (None, Some(false))),
            ("0", (None, None)),
            ("1", (None, Some(true))),
            ("2", (None, Some(true))),
        ];
        for (score, expected) in cases {
            let content = format!("{{\"v\":1,\"score\":{score},\"note\":\"late, rude\"}}");
            let r = parse_rating(&raw(&d.resp, &content, good_tags(&d))).unwrap();
            assert_eq!(r.signals(), expected, "score {score}");
            assert!(!r.is_structured());
            assert_eq!(r.note.as_deref(), Some("late, rude"));
        }
        // Our fields override the mapping, one at a time.
        let r = parse_rating(&raw(
            &d.resp,
            "{\"v\":1,\"score\":-1,\"safe\":false}",
            good_tags(&d),
        ))
        .unwrap();
        assert_eq!(r.signals(), (Some(false), Some(false)));
        let r = parse_rating(&raw(
            &d.resp,
            "{\"v\":1,\"score\":2,\"reliable\":false}",
            good_tags(&d),
        ))
        .unwrap();
        assert_eq!(r.signals(), (None, Some(false)));
    }

    #[test]
    fn score_must_be_a_whole_number_in_range() {
        let d = deal();
        let ok = |s: &str| {
            parse_rating(&raw(
                &d.resp,
                &format!("{{\"v\":1,\"score\":{s}}}"),
                good_tags(&d),
            ))
        };
        assert_eq!(ok("1.0").unwrap().score, Score::GOOD);
        assert_eq!(ok("-1.0").unwrap().score, Score::BAD);
        assert_eq!(ok("2").unwrap().score, Score::GREAT);
        for bad in [
            "1.5",
            "-0.5",
            "3",
            "-2",
            "1e300",
            "\"1\"",
            "true",
            "null",
            "[1]",
            "18446744073709551616",
        ] {
            assert!(ok(bad).is_err(), "accepted score {bad}");
        }
        assert!(matches!(
            parse_rating(&raw(&d.resp, "{\"v\":1}", good_tags(&d))),
            Err(ProtocolError::MissingField { field: "score" })
        ));
    }

    #[test]
    fn parties_are_enforced() {
        let d = deal();
        let third = Keys::generate();
        let content = "{\"v\":1,\"score\":2}";
        // Rater is not a party.
        assert!(matches!(
            parse_rating(&raw(&third, content, good_tags(&d))),
            Err(ProtocolError::Mismatch { a: "author", .. })
        ));
        // p is not the counterparty (a third key, or the rater itself).
        for p in [third.public_key(), d.resp.public_key()] {
            let tags = vec![Tag::identifier(d.nego.to_string()), Tag::public_key(p)];
            let got = parse_rating(&raw(&d.resp, content, tags));
            assert!(
                matches!(got, Err(ProtocolError::Mismatch { a: "p", .. })),
                "{got:?}"
            );
        }
        // The owner may rate the responder.
        let tags = vec![
            Tag::identifier(d.nego.to_string()),
            Tag::public_key(d.resp.public_key()),
        ];
        assert!(parse_rating(&raw(&d.owner, content, tags)).is_ok());
    }

    #[test]
    fn malformed_ratings_are_refused() {
        let d = deal();
        let bad_contents = [
            "nope",
            "{\"score\":1}",
            "{\"v\":2,\"score\":1}",
            "{\"v\":1,\"score\":1,\"safe\":\"yes\"}",
            "{\"v\":1,\"score\":1,\"reliable\":1}",
            "{\"v\":1,\"score\":1,\"note\":5}",
            "{\"v\":1,\"score\":1,\"contact_masked\":\"+84•••5678\"}",
            "{\"v\":1,\"score\":1,\"contact_verified\":false,\"contact_masked\":\"+84•••5678\"}",
            "{\"v\":1,\"score\":1,\"contact_verified\":true,\"contact_masked\":\"\"}",
            "{\"v\":1,\"score\":1,\"contact_verified\":\"true\"}",
            "{\"v\":1,\"score\":1,\"contact_commit\":\"abc\"}",
        ];
        for c in bad_contents {
            assert!(
                parse_rating(&raw(&d.resp, c, good_tags(&d))).is_err(),
                "accepted {c}"
            );
        }
        let long_note = format!(
            "{{\"v\":1,\"score\":0,\"note\":\"{}\"}}",
            "n".repeat(MAX_NOTE_CHARS + 1)
        );
        assert!(matches!(
            parse_rating(&raw(&d.resp, &long_note, good_tags(&d))),
            Err(ProtocolError::TooLarge { field: "note", .. })
        ));
        let content = "{\"v\":1,\"score\":1}";
        let bad_tags = [
            vec![Tag::public_key(d.owner.public_key())],
            vec![Tag::identifier(d.nego.to_string())],
            vec![
                Tag::identifier("00112233aabbccdd"),
                Tag::public_key(d.owner.public_key()),
            ],
            vec![
                Tag::identifier(d.nego.to_string()),
                Tag::custom(TagKind::custom("p"), ["npub1xyz"]),
            ],
        ];
        for tags in bad_tags {
            assert!(parse_rating(&raw(&d.resp, content, tags)).is_err());
        }
        let ev = EventBuilder::new(Kind::Custom(32104), content)
            .sign_with_keys(&d.resp)
            .unwrap();
        assert!(matches!(
            parse_rating(&ev),
            Err(ProtocolError::WrongKind { found: 32104, .. })
        ));
    }

    #[test]
    fn pow_difficulty_is_measured_from_the_id() {
        let d = deal();
        let ev = build_rating(&draft(&d), Timestamp::from(1_700_000_000))
            .unwrap()
            .pow(REFERENCE_RATING_POW)
            .sign_with_keys(&d.resp)
            .unwrap();
        let r = parse_rating(&ev).unwrap();
        assert!(
            r.pow_difficulty >= REFERENCE_RATING_POW,
            "{}",
            r.pow_difficulty
        );
        assert_eq!(r.pow_target, Some(REFERENCE_RATING_POW));
        assert_eq!(pow_difficulty(&EventId::all_zeros()), 255);
        let mut bytes = [0u8; 32];
        bytes[1] = 0b0001_0000;
        assert_eq!(pow_difficulty(&EventId::from_byte_array(bytes)), 11);
        bytes[0] = 0x80;
        assert_eq!(pow_difficulty(&EventId::from_byte_array(bytes)), 0);
    }
}
