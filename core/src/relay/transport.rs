//! Private message transport: NIP-17 gift wraps (kind 1059 → seal 13 → rumor 14) by default,
//! NIP-04 kind 4 for peers that have only ever used NIP-04.
//!
//! Building and opening are pure functions of the keys and the event (no I/O, `now` passed in).
//! Opening re-verifies the inner seal's id and signature ourselves, drops a wrap whose seal
//! signer differs from the rumor's pubkey, and drops rumors not addressed to us.

use std::collections::HashMap;

use nostr::nips::{nip04, nip44};
use nostr::{
    Event, EventBuilder, EventId, JsonUtil, Keys, Kind, PublicKey, Tag, TagKind, Timestamp,
    UnsignedEvent,
};
use rand::Rng;

use crate::protocol::{kinds, limits};

/// Largest plaintext we send in one direct message (bytes). Leaves room for the rumor JSON to
/// fit a NIP-44 seal inside a NIP-44 gift wrap.
pub const MAX_DM_PLAINTEXT_BYTES: usize = 32 * 1024;

/// Largest plaintext we accept in a received direct message (bytes).
pub const MAX_DM_RECEIVE_BYTES: usize = limits::MAX_CONTENT_BYTES;

/// NIP-59: seal and wrap timestamps are randomised up to two days into the past.
pub const GIFT_WRAP_TWEAK_SECS: u64 = 2 * 24 * 60 * 60;

/// Which encryption transport carried (or will carry) a direct message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// NIP-17 private direct message in a NIP-59 gift wrap (preferred).
    Nip17,
    /// NIP-04 kind 4 (legacy; only for peers that never used NIP-17).
    Nip04,
}

/// A decrypted direct message that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptedDm {
    /// Who wrote it (the seal signer = rumor author for NIP-17; the event author for NIP-04).
    pub sender: PublicKey,
    /// Who it is addressed to (us, or the peer when it is our own copy).
    pub recipient: PublicKey,
    /// The plaintext.
    pub plaintext: String,
    /// Id of the event that carried it (the gift wrap for NIP-17, the kind 4 for NIP-04).
    pub event_id: EventId,
    /// Id of the NIP-17 rumor (stable across the copies of one message); `None` for NIP-04.
    pub rumor_id: Option<EventId>,
    /// When it was written: the rumor's `created_at` (NIP-17) or the event's (NIP-04).
    pub created_at: Timestamp,
    /// The transport used.
    pub transport: Transport,
}

/// The events that carry one outgoing NIP-17 message.
#[derive(Debug, Clone)]
pub struct Nip17Outgoing {
    /// Id of the rumor (kind 14).
    pub rumor_id: EventId,
    /// Gift wrap addressed to the peer.
    pub to_peer: Event,
    /// Gift wrap addressed to ourselves (so other devices and restarts see what we sent).
    pub to_self: Event,
}

/// Why a direct message could not be built or was dropped on receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DmError {
    /// The plaintext exceeds the cap.
    #[error("plaintext is {actual} bytes; the limit is {limit}")]
    TooLarge {
        /// Plaintext size.
        actual: usize,
        /// The cap.
        limit: usize,
    },
    /// The event is not a kind 4 or kind 1059.
    #[error("event kind {found} is not a direct message (4) or gift wrap (1059)")]
    NotADirectMessage {
        /// The kind received.
        found: u16,
    },
    /// The outer event's `p` tag does not name us (and we did not write it).
    #[error("event is not addressed to us")]
    NotForUs,
    /// Decryption of a layer failed.
    #[error("cannot decrypt the {layer}: {reason}")]
    Decrypt {
        /// `gift wrap`, `seal` or `nip04`.
        layer: &'static str,
        /// The library's reason.
        reason: String,
    },
    /// A decrypted layer is not valid event JSON.
    #[error("the {layer} is not a valid event: {reason}")]
    Malformed {
        /// `seal` or `rumor`.
        layer: &'static str,
        /// The parser's reason.
        reason: String,
    },
    /// The seal's id or signature does not verify.
    #[error("the seal's id or signature does not verify")]
    SealSignature,
    /// A layer has the wrong kind.
    #[error("the {layer} has kind {found}; expected {expected}")]
    WrongLayerKind {
        /// `seal` or `rumor`.
        layer: &'static str,
        /// Kind found.
        found: u16,
        /// Kind required.
        expected: u16,
    },
    /// The seal signer is not the rumor author: someone re-sealed another's message.
    #[error("seal signer {seal} is not the rumor author {rumor}")]
    SealSignerMismatch {
        /// Seal signer (hex).
        seal: String,
        /// Rumor pubkey (hex).
        rumor: String,
    },
    /// The rumor's id does not match its fields.
    #[error("the rumor id does not match its content")]
    RumorId,
    /// The rumor names neither us as recipient nor us as author.
    #[error("the rumor is not addressed to us")]
    RumorNotForUs,
    /// Building an event failed.
    #[error("cannot build the {what}: {reason}")]
    Build {
        /// What was being built.
        what: &'static str,
        /// The library's reason.
        reason: String,
    },
}

fn check_plaintext(plaintext: &str, limit: usize) -> Result<(), DmError> {
    if plaintext.len() > limit {
        return Err(DmError::TooLarge {
            actual: plaintext.len(),
            limit,
        });
    }
    Ok(())
}

fn build_err(what: &'static str) -> impl Fn(nostr::event::builder::Error) -> DmError {
    move |e| DmError::Build {
        what,
        reason: e.to_string(),
    }
}

fn tweaked(now: Timestamp) -> Timestamp {
    let back = rand::thread_rng().gen_range(0..GIFT_WRAP_TWEAK_SECS);
    Timestamp::from_secs(now.as_secs().saturating_sub(back))
}

fn wrap_seal(
    keys: &Keys,
    receiver: &PublicKey,
    rumor: &UnsignedEvent,
    now: Timestamp,
) -> Result<Event, DmError> {
    let sealed = nip44::encrypt(
        keys.secret_key(),
        receiver,
        rumor.as_json(),
        nip44::Version::default(),
    )
    .map_err(|e| DmError::Build {
        what: "seal",
        reason: e.to_string(),
    })?;
    let seal = EventBuilder::new(Kind::from(kinds::SEAL), sealed)
        .custom_created_at(tweaked(now))
        .sign_with_keys(keys)
        .map_err(build_err("seal"))?;
    let ephemeral = Keys::generate();
    let wrapped = nip44::encrypt(
        ephemeral.secret_key(),
        receiver,
        seal.as_json(),
        nip44::Version::default(),
    )
    .map_err(|e| DmError::Build {
        what: "gift wrap",
        reason: e.to_string(),
    })?;
    EventBuilder::new(Kind::from(kinds::GIFT_WRAP), wrapped)
        .tags([Tag::public_key(*receiver)])
        .custom_created_at(tweaked(now))
        .sign_with_keys(&ephemeral)
        .map_err(build_err("gift wrap"))
}

/// Builds a NIP-17 message to `peer`: one rumor, gift-wrapped to the peer and to ourselves.
pub fn build_nip17(
    keys: &Keys,
    peer: &PublicKey,
    plaintext: &str,
    now: Timestamp,
) -> Result<Nip17Outgoing, DmError> {
    build_nip17_with_hint(keys, peer, plaintext, now, None)
}

/// [`build_nip17`] with the relay the recipient is reached at in the rumor's `p` tag
/// (`["p", <peer>, <relay url>]`, as NIP-17 allows).
pub fn build_nip17_with_hint(
    keys: &Keys,
    peer: &PublicKey,
    plaintext: &str,
    now: Timestamp,
    hint: Option<&nostr::RelayUrl>,
) -> Result<Nip17Outgoing, DmError> {
    check_plaintext(plaintext, MAX_DM_PLAINTEXT_BYTES)?;
    let p = match hint {
        Some(url) => crate::protocol::p_tag_with_hint(peer, url),
        None => Tag::public_key(*peer),
    };
    let mut rumor = EventBuilder::new(Kind::from(kinds::PRIVATE_DM), plaintext)
        .tags([p])
        .custom_created_at(now)
        .build(keys.public_key());
    let rumor_id = rumor.id();
    let to_peer = wrap_seal(keys, peer, &rumor, now)?;
    let to_self = wrap_seal(keys, &keys.public_key(), &rumor, now)?;
    Ok(Nip17Outgoing {
        rumor_id,
        to_peer,
        to_self,
    })
}

/// Builds a NIP-04 kind 4 message to `peer` with tag `["p", peer]` (what the reference sends).
pub fn build_nip04(
    keys: &Keys,
    peer: &PublicKey,
    plaintext: &str,
    now: Timestamp,
) -> Result<Event, DmError> {
    check_plaintext(plaintext, MAX_DM_PLAINTEXT_BYTES)?;
    let content =
        nip04::encrypt(keys.secret_key(), peer, plaintext).map_err(|e| DmError::Build {
            what: "nip04 message",
            reason: e.to_string(),
        })?;
    EventBuilder::new(Kind::from(kinds::NIP04_DM), content)
        .tags([Tag::public_key(*peer)])
        .custom_created_at(now)
        .sign_with_keys(keys)
        .map_err(build_err("nip04 message"))
}

fn p_tags(tags: &nostr::Tags) -> impl Iterator<Item = PublicKey> + '_ {
    tags.iter()
        .filter(|t| t.kind() == TagKind::p())
        .filter_map(|t| t.content())
        .filter_map(|s| PublicKey::from_hex(s).ok())
}

/// Opens a verified kind 1059 or kind 4 event addressed to (or written by) `keys`.
///
/// The outer event must already have passed [`crate::relay::ingest::verify_event`].
pub fn open_dm(keys: &Keys, event: &Event) -> Result<DecryptedDm, DmError> {
    match event.kind.as_u16() {
        kinds::GIFT_WRAP => open_gift_wrap(keys, event),
        kinds::NIP04_DM => open_nip04(keys, event),
        found => Err(DmError::NotADirectMessage { found }),
    }
}

fn open_gift_wrap(keys: &Keys, wrap: &Event) -> Result<DecryptedDm, DmError> {
    let me = keys.public_key();
    if !p_tags(&wrap.tags).any(|p| p == me) {
        return Err(DmError::NotForUs);
    }
    let seal_json =
        nip44::decrypt(keys.secret_key(), &wrap.pubkey, &wrap.content).map_err(|e| {
            DmError::Decrypt {
                layer: "gift wrap",
                reason: e.to_string(),
            }
        })?;
    let seal = Event::from_json(&seal_json).map_err(|e| DmError::Malformed {
        layer: "seal",
        reason: e.to_string(),
    })?;
    if seal.kind.as_u16() != kinds::SEAL {
        return Err(DmError::WrongLayerKind {
            layer: "seal",
            found: seal.kind.as_u16(),
            expected: kinds::SEAL,
        });
    }
    if !seal.verify_id() || !seal.verify_signature() {
        return Err(DmError::SealSignature);
    }
    let rumor_json =
        nip44::decrypt(keys.secret_key(), &seal.pubkey, &seal.content).map_err(|e| {
            DmError::Decrypt {
                layer: "seal",
                reason: e.to_string(),
            }
        })?;
    let mut rumor = UnsignedEvent::from_json(&rumor_json).map_err(|e| DmError::Malformed {
        layer: "rumor",
        reason: e.to_string(),
    })?;
    if rumor.pubkey != seal.pubkey {
        return Err(DmError::SealSignerMismatch {
            seal: seal.pubkey.to_hex(),
            rumor: rumor.pubkey.to_hex(),
        });
    }
    if rumor.kind.as_u16() != kinds::PRIVATE_DM {
        return Err(DmError::WrongLayerKind {
            layer: "rumor",
            found: rumor.kind.as_u16(),
            expected: kinds::PRIVATE_DM,
        });
    }
    rumor.verify_id().map_err(|_| DmError::RumorId)?;
    check_plaintext(&rumor.content, MAX_DM_RECEIVE_BYTES)?;
    let recipient = if rumor.pubkey == me {
        // Our own copy: the recipient is the peer named in the rumor.
        p_tags(&rumor.tags).next().ok_or(DmError::RumorNotForUs)?
    } else if p_tags(&rumor.tags).any(|p| p == me) {
        me
    } else {
        return Err(DmError::RumorNotForUs);
    };
    let rumor_id = rumor.id();
    Ok(DecryptedDm {
        sender: rumor.pubkey,
        recipient,
        plaintext: rumor.content,
        event_id: wrap.id,
        rumor_id: Some(rumor_id),
        created_at: rumor.created_at,
        transport: Transport::Nip17,
    })
}

fn open_nip04(keys: &Keys, event: &Event) -> Result<DecryptedDm, DmError> {
    let me = keys.public_key();
    let peer_tag = p_tags(&event.tags).next();
    let (counterparty, recipient) = if event.pubkey == me {
        let peer = peer_tag.ok_or(DmError::NotForUs)?;
        (peer, peer)
    } else if peer_tag == Some(me) {
        (event.pubkey, me)
    } else {
        return Err(DmError::NotForUs);
    };
    // Rough pre-check before decrypting: base64 is 4/3 of the ciphertext.
    let approx = event.content.len().saturating_mul(3) / 4;
    if approx > MAX_DM_RECEIVE_BYTES.saturating_add(1024) {
        return Err(DmError::TooLarge {
            actual: approx,
            limit: MAX_DM_RECEIVE_BYTES,
        });
    }
    let plaintext =
        nip04::decrypt(keys.secret_key(), &counterparty, &event.content).map_err(|e| {
            DmError::Decrypt {
                layer: "nip04",
                reason: e.to_string(),
            }
        })?;
    check_plaintext(&plaintext, MAX_DM_RECEIVE_BYTES)?;
    Ok(DecryptedDm {
        sender: event.pubkey,
        recipient,
        plaintext,
        event_id: event.id,
        rumor_id: None,
        created_at: event.created_at,
        transport: Transport::Nip04,
    })
}

/// Which transports a peer has used towards us.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeenTransports {
    /// The peer sent us at least one NIP-17 message.
    pub nip17: bool,
    /// The peer sent us at least one NIP-04 message.
    pub nip04: bool,
}

impl SeenTransports {
    /// The transport to use: NIP-17 for a peer that has sent us a gift wrap (it reads them),
    /// NIP-04 otherwise — what the reference reads (its command-line agent reads nothing else).
    pub fn preferred(self) -> Transport {
        if self.nip17 {
            Transport::Nip17
        } else {
            Transport::Nip04
        }
    }

    /// Both sets together.
    pub fn union(self, other: SeenTransports) -> SeenTransports {
        SeenTransports {
            nip17: self.nip17 || other.nip17,
            nip04: self.nip04 || other.nip04,
        }
    }

    /// With `transport` added.
    pub fn with(self, transport: Transport) -> SeenTransports {
        match transport {
            Transport::Nip17 => SeenTransports {
                nip17: true,
                ..self
            },
            Transport::Nip04 => SeenTransports {
                nip04: true,
                ..self
            },
        }
    }

    /// A stable text form for persistence: `""`, `"nip04"`, `"nip17"` or `"nip04,nip17"`.
    pub fn to_label(self) -> String {
        let mut parts = Vec::new();
        if self.nip04 {
            parts.push("nip04");
        }
        if self.nip17 {
            parts.push("nip17");
        }
        parts.join(",")
    }

    /// Parses [`SeenTransports::to_label`]; unknown words are ignored (a newer build may add
    /// transports), so a stored value never makes a peer unreachable.
    pub fn from_label(label: &str) -> SeenTransports {
        label
            .split(',')
            .fold(SeenTransports::default(), |acc, w| match w.trim() {
                "nip04" => acc.with(Transport::Nip04),
                "nip17" => acc.with(Transport::Nip17),
                _ => acc,
            })
    }
}

/// Per-peer transport memory (bounded). A peer that has sent us a gift wrap gets NIP-17;
/// everyone else NIP-04 (the app adds the other capability signals: `app/caps.rs`).
#[derive(Debug, Clone)]
pub struct PeerTransports {
    seen: HashMap<PublicKey, SeenTransports>,
    capacity: usize,
}

impl Default for PeerTransports {
    fn default() -> Self {
        Self::with_capacity(10_000)
    }
}

impl PeerTransports {
    /// Remembers at most `capacity` peers; beyond that new peers are not recorded (they get the
    /// NIP-04 default; the app seeds NIP-17 peers from its store).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            seen: HashMap::new(),
            capacity,
        }
    }

    /// Records that `peer` sent us a message over `transport`.
    pub fn note(&mut self, peer: PublicKey, transport: Transport) {
        if !self.seen.contains_key(&peer) && self.seen.len() >= self.capacity {
            return;
        }
        let entry = self.seen.entry(peer).or_default();
        match transport {
            Transport::Nip17 => entry.nip17 = true,
            Transport::Nip04 => entry.nip04 = true,
        }
    }

    /// What `peer` has used so far.
    pub fn seen(&self, peer: &PublicKey) -> SeenTransports {
        self.seen.get(peer).copied().unwrap_or_default()
    }

    /// The transport to use for `peer`.
    pub fn preferred(&self, peer: &PublicKey) -> Transport {
        self.seen(peer).preferred()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn now() -> Timestamp {
        Timestamp::from_secs(NOW)
    }

    #[test]
    fn nip17_round_trip_and_copy_to_self() {
        let (alice, bob) = (Keys::generate(), Keys::generate());
        let out = build_nip17(&alice, &bob.public_key(), "hi bob", now()).expect("build");
        assert_eq!(out.to_peer.kind, Kind::GiftWrap);
        assert_ne!(
            out.to_peer.pubkey,
            alice.public_key(),
            "wrap signed by an ephemeral key"
        );
        assert!(out.to_peer.created_at.as_secs() <= NOW);
        assert!(out.to_peer.created_at.as_secs() > NOW - GIFT_WRAP_TWEAK_SECS);

        let got = open_dm(&bob, &out.to_peer).expect("bob opens");
        assert_eq!(got.sender, alice.public_key());
        assert_eq!(got.recipient, bob.public_key());
        assert_eq!(got.plaintext, "hi bob");
        assert_eq!(got.event_id, out.to_peer.id);
        assert_eq!(got.rumor_id, Some(out.rumor_id));
        assert_eq!(got.created_at.as_secs(), NOW);
        assert_eq!(got.transport, Transport::Nip17);

        let mine = open_dm(&alice, &out.to_self).expect("alice opens her copy");
        assert_eq!(mine.sender, alice.public_key());
        assert_eq!(mine.recipient, bob.public_key());
        assert_eq!(mine.rumor_id, Some(out.rumor_id));

        // Nobody else can open either, and bob cannot open alice's copy.
        assert_eq!(
            open_dm(&Keys::generate(), &out.to_peer),
            Err(DmError::NotForUs)
        );
        assert_eq!(open_dm(&bob, &out.to_self), Err(DmError::NotForUs));
    }

    #[test]
    fn nip04_round_trip_both_directions() {
        let (alice, bob) = (Keys::generate(), Keys::generate());
        let e = build_nip04(&alice, &bob.public_key(), "legacy", now()).expect("build");
        assert_eq!(e.kind, Kind::EncryptedDirectMessage);
        let got = open_dm(&bob, &e).expect("bob opens");
        assert_eq!(
            (got.sender, got.recipient),
            (alice.public_key(), bob.public_key())
        );
        assert_eq!(got.plaintext, "legacy");
        assert_eq!(got.transport, Transport::Nip04);
        let mine = open_dm(&alice, &e).expect("alice re-reads her own");
        assert_eq!(mine.recipient, bob.public_key());
        assert_eq!(open_dm(&Keys::generate(), &e), Err(DmError::NotForUs));
    }

    /// A gift wrap whose seal is signed by `sealer` around a rumor claiming `author`.
    fn mismatched_wrap(sealer: &Keys, author: &PublicKey, to: &PublicKey) -> Event {
        let rumor = EventBuilder::new(Kind::from(kinds::PRIVATE_DM), "impersonation")
            .tags([Tag::public_key(*to)])
            .build(*author);
        wrap_seal(sealer, to, &rumor, now()).expect("wrap")
    }

    #[test]
    fn seal_signer_must_be_rumor_author() {
        let (mallory, alice, bob) = (Keys::generate(), Keys::generate(), Keys::generate());
        let wrap = mismatched_wrap(&mallory, &alice.public_key(), &bob.public_key());
        assert!(matches!(
            open_dm(&bob, &wrap),
            Err(DmError::SealSignerMismatch { .. })
        ));
    }

    #[test]
    fn rumor_must_be_addressed_to_us_and_kind_14() {
        let (alice, bob, carol) = (Keys::generate(), Keys::generate(), Keys::generate());
        // Wrapped to bob, but the rumor names carol.
        let rumor = EventBuilder::new(Kind::from(kinds::PRIVATE_DM), "for carol")
            .tags([Tag::public_key(carol.public_key())])
            .build(alice.public_key());
        let wrap = wrap_seal(&alice, &bob.public_key(), &rumor, now()).expect("wrap");
        assert_eq!(open_dm(&bob, &wrap), Err(DmError::RumorNotForUs));

        let rumor = EventBuilder::new(Kind::TextNote, "not a dm")
            .tags([Tag::public_key(bob.public_key())])
            .build(alice.public_key());
        let wrap = wrap_seal(&alice, &bob.public_key(), &rumor, now()).expect("wrap");
        assert!(matches!(
            open_dm(&bob, &wrap),
            Err(DmError::WrongLayerKind {
                layer: "rumor",
                found: 1,
                ..
            })
        ));
    }

    #[test]
    fn malformed_layers_are_typed_errors() {
        let (alice, bob) = (Keys::generate(), Keys::generate());
        // Wrap content that is not NIP-44.
        let junk = EventBuilder::new(Kind::GiftWrap, "not-ciphertext")
            .tags([Tag::public_key(bob.public_key())])
            .sign_with_keys(&alice)
            .expect("sign");
        assert!(matches!(
            open_dm(&bob, &junk),
            Err(DmError::Decrypt {
                layer: "gift wrap",
                ..
            })
        ));
        // Wrap that decrypts to something that is not an event.
        let eph = Keys::generate();
        let ct = nip44::encrypt(
            eph.secret_key(),
            &bob.public_key(),
            "{\"no\":1}",
            nip44::Version::default(),
        )
        .expect("enc");
        let bad = EventBuilder::new(Kind::GiftWrap, ct)
            .tags([Tag::public_key(bob.public_key())])
            .sign_with_keys(&eph)
            .expect("sign");
        assert!(matches!(
            open_dm(&bob, &bad),
            Err(DmError::Malformed { layer: "seal", .. })
        ));
        // Seal with a forged signature.
        let out = build_nip17(&alice, &bob.public_key(), "x", now()).expect("build");
        let seal_json = nip44::decrypt(bob.secret_key(), &out.to_peer.pubkey, &out.to_peer.content)
            .expect("dec");
        let mut v: serde_json::Value = serde_json::from_str(&seal_json).expect("json");
        v["content"] = serde_json::Value::String("tampered".into());
        let ct = nip44::encrypt(
            eph.secret_key(),
            &bob.public_key(),
            v.to_string(),
            nip44::Version::default(),
        )
        .expect("enc");
        let tampered = EventBuilder::new(Kind::GiftWrap, ct)
            .tags([Tag::public_key(bob.public_key())])
            .sign_with_keys(&eph)
            .expect("sign");
        assert_eq!(open_dm(&bob, &tampered), Err(DmError::SealSignature));
        // Wrong outer kind.
        let note = EventBuilder::text_note("x")
            .sign_with_keys(&alice)
            .expect("sign");
        assert_eq!(
            open_dm(&bob, &note),
            Err(DmError::NotADirectMessage { found: 1 })
        );
        // Bad NIP-04 ciphertext.
        let bad04 = EventBuilder::new(Kind::EncryptedDirectMessage, "zzz?iv=zzz")
            .tags([Tag::public_key(bob.public_key())])
            .sign_with_keys(&alice)
            .expect("sign");
        assert!(matches!(
            open_dm(&bob, &bad04),
            Err(DmError::Decrypt { layer: "nip04", .. })
        ));
    }

    #[test]
    fn size_caps() {
        let (alice, bob) = (Keys::generate(), Keys::generate());
        let big = "x".repeat(MAX_DM_PLAINTEXT_BYTES + 1);
        assert_eq!(
            build_nip17(&alice, &bob.public_key(), &big, now()).map(|_| ()),
            Err(DmError::TooLarge {
                actual: MAX_DM_PLAINTEXT_BYTES + 1,
                limit: MAX_DM_PLAINTEXT_BYTES
            })
        );
        assert!(build_nip04(&alice, &bob.public_key(), &big, now()).is_err());
        let max = "y".repeat(MAX_DM_PLAINTEXT_BYTES);
        let out = build_nip17(&alice, &bob.public_key(), &max, now()).expect("largest fits");
        assert_eq!(
            open_dm(&bob, &out.to_peer).expect("open").plaintext.len(),
            MAX_DM_PLAINTEXT_BYTES
        );
    }

    #[test]
    fn seen_transports_labels_round_trip_and_merge() {
        for (nip04, nip17) in [(false, false), (true, false), (false, true), (true, true)] {
            let s = SeenTransports { nip17, nip04 };
            assert_eq!(SeenTransports::from_label(&s.to_label()), s);
        }
        assert_eq!(
            SeenTransports::from_label("nip04").preferred(),
            Transport::Nip04
        );
        assert_eq!(
            SeenTransports::from_label("nip04,nip17").preferred(),
            Transport::Nip17
        );
        assert_eq!(
            SeenTransports::from_label("").preferred(),
            Transport::Nip04,
            "a first contact reaches the reference, which reads kind 4"
        );
        // Unknown words from a newer build are ignored, never an error.
        assert_eq!(
            SeenTransports::from_label("nip04,nipXX"),
            SeenTransports {
                nip17: false,
                nip04: true
            }
        );
        let a = SeenTransports::default().with(Transport::Nip04);
        let b = SeenTransports::default().with(Transport::Nip17);
        assert_eq!(
            a.union(b),
            SeenTransports {
                nip17: true,
                nip04: true
            }
        );
    }

    #[test]
    fn peer_transport_preference() {
        let mut pt = PeerTransports::with_capacity(2);
        let (a, b, c) = (
            Keys::generate().public_key(),
            Keys::generate().public_key(),
            Keys::generate().public_key(),
        );
        assert_eq!(pt.preferred(&a), Transport::Nip04);
        pt.note(a, Transport::Nip04);
        assert_eq!(pt.preferred(&a), Transport::Nip04);
        pt.note(a, Transport::Nip17);
        assert_eq!(
            pt.preferred(&a),
            Transport::Nip17,
            "once NIP-17 is seen, prefer it"
        );
        pt.note(b, Transport::Nip04);
        pt.note(c, Transport::Nip04);
        assert_eq!(pt.seen(&c), SeenTransports::default(), "bounded");
    }
}
