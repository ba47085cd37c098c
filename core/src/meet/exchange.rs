//! The two-way, offline meet exchange (DESIGN §3.2), as pure functions of the deal record, the
//! keys, the caller's clock and the caller's nonce ledger.
//!
//! ```text
//! shower                                         scanner
//! MeetSession::current(keys, now, rng) ──FPM1──▶ verify_shower_token(code, ctx, now, policy)
//!                                                 └─ app: ledger.insert(nonce) atomically
//!                                                 VerifiedShowerHalf::claim(newly_recorded)
//!                                                 countersign(claimed, keys, now) → MetPair
//! MeetSession::accept_return_code(code, now) ◀──FPR1── MetPair::return_code()
//! both: MetPair::words() (the same four words), queue MetPair::shower + ::scanner in the outbox
//! ```

use nostr::{Event, EventId, Keys, PublicKey, Timestamp};
use rand::RngCore;

use super::error::MeetError;
use super::sas::short_auth_words;
use super::token::{MeetToken, ReturnToken, deal_tag};
use crate::protocol::NegoId;
use crate::protocol::receipt::{MeetNonce, ReceiptDraft, build_receipt, parse_receipt};

/// How long codes live and how much clock difference is forgiven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetPolicy {
    /// A fresh code (new nonce) is shown every this many seconds.
    pub rotation_secs: u64,
    /// A meetup code older than this is refused by the scanner.
    pub ttl_secs: u64,
    /// A code dated up to this many seconds in the future is accepted (the two phones' clocks
    /// differ); the TTL is measured on the scanner's clock.
    pub future_skew_secs: u64,
    /// How long after showing a code the shower still accepts its return code.
    pub return_window_secs: u64,
}

impl Default for MeetPolicy {
    fn default() -> Self {
        Self {
            rotation_secs: 20,
            ttl_secs: 60,
            future_skew_secs: 30,
            return_window_secs: 600,
        }
    }
}

/// What one party knows about the deal from its own negotiation record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetContext {
    /// The negotiation id (receipt `d`).
    pub nego: NegoId,
    /// This phone's public key.
    pub my_pubkey: PublicKey,
    /// The counterparty's public key.
    pub peer: PublicKey,
    /// The intent the deal was made on (receipt content `intent_id`).
    pub intent_id: EventId,
}

impl MeetContext {
    /// Checks that `my_pubkey` and `peer` are the two parties of `nego`.
    pub fn check(&self) -> Result<(), MeetError> {
        match self.nego.counterparty_of(&self.my_pubkey) {
            Some(p) if p == self.peer => Ok(()),
            Some(_) => Err(MeetError::Context {
                reason: "peer is not my counterparty in this negotiation".into(),
            }),
            None => Err(MeetError::Context {
                reason: "my key is not a party of this negotiation".into(),
            }),
        }
    }

    fn check_keys(&self, keys: &Keys) -> Result<(), MeetError> {
        self.check()?;
        if keys.public_key() != self.my_pubkey {
            return Err(MeetError::Context {
                reason: "signing keys are not my_pubkey".into(),
            });
        }
        Ok(())
    }
}

/// A meetup code this phone is showing, with the receipt half it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownCode {
    /// The code text (`FPM1:…`), to render as a QR or send as text.
    pub text: String,
    /// The signed receipt half the code carries.
    pub half: Event,
    /// Its nonce.
    pub nonce: MeetNonce,
}

fn to_u32_time(now: Timestamp) -> Result<u32, MeetError> {
    let unix = now.as_secs();
    u32::try_from(unix).map_err(|_| MeetError::ClockOutOfRange { unix })
}

/// Signs this phone's receipt half with `nonce` at `now` and encodes it as a meetup code.
pub fn make_meet_code(
    ctx: &MeetContext,
    keys: &Keys,
    nonce: MeetNonce,
    now: Timestamp,
) -> Result<ShownCode, MeetError> {
    ctx.check_keys(keys)?;
    let created_at = to_u32_time(now)?;
    let draft = ReceiptDraft {
        nego: ctx.nego.clone(),
        peer: ctx.peer,
        intent_id: ctx.intent_id,
        meet: Some(nonce),
        countersigns: None,
    };
    let half = build_receipt(&draft, Timestamp::from(u64::from(created_at)))
        .sign_with_keys(keys)
        .map_err(|e| MeetError::Context {
            reason: format!("signing failed: {e}"),
        })?;
    let text = MeetToken {
        deal_tag: deal_tag(&ctx.nego),
        created_at,
        nonce,
        shower: ctx.my_pubkey,
        sig: half.sig,
    }
    .encode();
    Ok(ShownCode { text, half, nonce })
}

/// The shower's side: yields the current code, rotating to a fresh nonce every
/// `policy.rotation_secs`, and remembers recent codes to accept their return codes.
#[derive(Debug, Clone)]
pub struct MeetSession {
    ctx: MeetContext,
    policy: MeetPolicy,
    shown: Vec<ShownCode>,
}

/// Most codes a session remembers (30 minutes of 20 s rotation; bounds memory if the screen is
/// left open).
const MAX_REMEMBERED: usize = 90;

impl MeetSession {
    /// Starts a session for a deal; fails if the context is inconsistent.
    pub fn new(ctx: MeetContext, policy: MeetPolicy) -> Result<Self, MeetError> {
        ctx.check()?;
        Ok(Self {
            ctx,
            policy,
            shown: Vec::new(),
        })
    }

    /// The code to show at `now`: the current one while it is younger than the rotation
    /// period, else a new one with a fresh nonce from `rng` (a CSPRNG in the app). A clock that
    /// jumped backwards also rotates.
    pub fn current<R: RngCore>(
        &mut self,
        keys: &Keys,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<&ShownCode, MeetError> {
        let fresh_enough = self.shown.last().is_some_and(|c| {
            let t = c.half.created_at.as_secs();
            now.as_secs() >= t && now.as_secs() - t < self.policy.rotation_secs.max(1)
        });
        if !fresh_enough {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            let code = make_meet_code(&self.ctx, keys, MeetNonce(b), now)?;
            self.forget_old(now);
            self.shown.push(code);
        }
        self.shown.last().ok_or(MeetError::Context {
            reason: "no code after rotation".into(),
        })
    }

    /// When the current code will be replaced (for the UI's countdown), if one is shown.
    pub fn next_rotation_at(&self) -> Option<Timestamp> {
        self.shown.last().map(|c| {
            Timestamp::from(
                c.half
                    .created_at
                    .as_secs()
                    .saturating_add(self.policy.rotation_secs),
            )
        })
    }

    /// Codes shown and still remembered, oldest first.
    pub fn shown(&self) -> &[ShownCode] {
        &self.shown
    }

    fn forget_old(&mut self, now: Timestamp) {
        let keep = self
            .policy
            .ttl_secs
            .saturating_add(self.policy.future_skew_secs)
            .saturating_add(self.policy.return_window_secs);
        self.shown
            .retain(|c| now.as_secs().saturating_sub(c.half.created_at.as_secs()) <= keep);
        if self.shown.len() >= MAX_REMEMBERED {
            let drop = self.shown.len() + 1 - MAX_REMEMBERED;
            self.shown.drain(..drop);
        }
    }

    /// Verifies a return code against the codes this session showed and yields the met pair.
    pub fn accept_return_code(&self, code: &str, now: Timestamp) -> Result<MetPair, MeetError> {
        let token = ReturnToken::parse(code)?;
        check_author(token.deal_tag, &token.scanner, &self.ctx)?;
        let mut last_err = MeetError::UnknownReturn;
        for shown in self.shown.iter().rev() {
            if shown.nonce.0[..4] != token.nonce_hint {
                continue;
            }
            match verify_return_token(&token, &shown.half, &self.ctx, now, &self.policy) {
                Ok(pair) => return Ok(pair),
                Err(e) => last_err = e,
            }
        }
        Err(last_err)
    }
}

/// A shower's receipt half whose signature, deal, counterparty and age checked out. Not yet
/// known to be unused: the app records the nonce in its ledger and calls [`Self::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedShowerHalf {
    /// The shower's signed receipt half, rebuilt and verified.
    pub event: Event,
    /// The nonce to record in the used-nonce ledger.
    pub nonce: MeetNonce,
    ctx: MeetContext,
}

/// A verified shower half whose nonce the ledger has just recorded for the first time: the only
/// thing [`countersign`] accepts, so a replayed code cannot be countersigned by mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedShowerHalf(VerifiedShowerHalf);

impl VerifiedShowerHalf {
    /// Applies the ledger's answer: `newly_recorded` is `true` if this call inserted the nonce
    /// (it was unused), `false` if it was already there.
    pub fn claim(self, newly_recorded: bool) -> Result<ClaimedShowerHalf, MeetError> {
        if newly_recorded {
            Ok(ClaimedShowerHalf(self))
        } else {
            Err(MeetError::AlreadyUsed {
                nonce: self.nonce.to_hex(),
            })
        }
    }
}

impl ClaimedShowerHalf {
    /// The verified half.
    pub fn verified(&self) -> &VerifiedShowerHalf {
        &self.0
    }
}

/// Checks `created_at` against `now`: at most `skew` ahead and at most `ttl` old.
fn check_age(created_at: u64, now: Timestamp, ttl: u64, skew: u64) -> Result<(), MeetError> {
    let now = now.as_secs();
    if created_at > now {
        let ahead_secs = created_at - now;
        if ahead_secs > skew {
            return Err(MeetError::FromFuture {
                ahead_secs,
                tolerance_secs: skew,
            });
        }
        return Ok(());
    }
    let age_secs = now - created_at;
    if age_secs > ttl {
        return Err(MeetError::Expired {
            age_secs,
            ttl_secs: ttl,
        });
    }
    Ok(())
}

/// Classifies who made a code relative to this deal.
fn check_author(tag: [u8; 4], author: &PublicKey, ctx: &MeetContext) -> Result<(), MeetError> {
    if tag != deal_tag(&ctx.nego) {
        return Err(MeetError::DifferentDeal);
    }
    if *author == ctx.my_pubkey {
        return Err(MeetError::OwnCode);
    }
    if *author != ctx.peer {
        return Err(MeetError::ThirdKey {
            found: author.to_hex(),
        });
    }
    Ok(())
}

/// Rebuilds the half `author` should have signed for `draft` at `created_at` and checks `sig`.
fn rebuild_and_verify(
    draft: &ReceiptDraft,
    created_at: u32,
    author: PublicKey,
    sig: nostr::secp256k1::schnorr::Signature,
) -> Result<Event, MeetError> {
    let event = build_receipt(draft, Timestamp::from(u64::from(created_at)))
        .build(author)
        .add_signature(sig)
        .map_err(|_| MeetError::BadSignature)?;
    // Both sides build and parse the same canonical form; parsing is a belt-and-braces check.
    parse_receipt(&event)?;
    Ok(event)
}

/// The scanner's check of a meetup code against its own deal record (everything except the
/// nonce ledger, which the app consults with [`VerifiedShowerHalf::nonce`]).
pub fn verify_shower_token(
    token: &str,
    ctx: &MeetContext,
    now: Timestamp,
    policy: &MeetPolicy,
) -> Result<VerifiedShowerHalf, MeetError> {
    ctx.check()?;
    let t = MeetToken::parse(token)?;
    check_author(t.deal_tag, &t.shower, ctx)?;
    let draft = ReceiptDraft {
        nego: ctx.nego.clone(),
        peer: ctx.my_pubkey,
        intent_id: ctx.intent_id,
        meet: Some(t.nonce),
        countersigns: None,
    };
    let event = rebuild_and_verify(&draft, t.created_at, t.shower, t.sig)?;
    check_age(
        u64::from(t.created_at),
        now,
        policy.ttl_secs,
        policy.future_skew_secs,
    )?;
    Ok(VerifiedShowerHalf {
        event,
        nonce: t.nonce,
        ctx: ctx.clone(),
    })
}

/// The scanner signs its own half (same nonce, `e` = the shower's half) at `now`.
pub fn countersign(
    claimed: &ClaimedShowerHalf,
    keys: &Keys,
    now: Timestamp,
) -> Result<MetPair, MeetError> {
    let v = &claimed.0;
    v.ctx.check_keys(keys)?;
    let created_at = to_u32_time(now)?;
    let draft = ReceiptDraft {
        nego: v.ctx.nego.clone(),
        peer: v.ctx.peer,
        intent_id: v.ctx.intent_id,
        meet: Some(v.nonce),
        countersigns: Some(v.event.id),
    };
    let scanner = build_receipt(&draft, Timestamp::from(u64::from(created_at)))
        .sign_with_keys(keys)
        .map_err(|e| MeetError::Context {
            reason: format!("signing failed: {e}"),
        })?;
    Ok(MetPair {
        nego: v.ctx.nego.clone(),
        shower: v.event.clone(),
        scanner,
        nonce: v.nonce,
    })
}

/// Both halves of a deal met in person: queue both in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetPair {
    /// The negotiation.
    pub nego: NegoId,
    /// The half signed by the phone that showed the code.
    pub shower: Event,
    /// The half signed by the phone that scanned it (`e` → `shower`).
    pub scanner: Event,
    /// The shared nonce.
    pub nonce: MeetNonce,
}

impl MetPair {
    /// The return code (`FPR1:…`) the scanner shows so the shower gets the countersigned half.
    pub fn return_code(&self) -> Result<String, MeetError> {
        let created_at = to_u32_time(self.scanner.created_at)?;
        let mut nonce_hint = [0u8; 4];
        nonce_hint.copy_from_slice(&self.nonce.0[..4]);
        Ok(ReturnToken {
            deal_tag: deal_tag(&self.nego),
            nonce_hint,
            created_at,
            scanner: self.scanner.pubkey,
            sig: self.scanner.sig,
        }
        .encode())
    }

    /// The four words both screens show.
    pub fn words(&self) -> [&'static str; 4] {
        short_auth_words(&self.shower.id, &self.scanner.id)
    }
}

/// The shower's check of a return code against the half it showed (`shower_half`).
pub fn verify_return_code(
    code: &str,
    shower_half: &Event,
    ctx: &MeetContext,
    now: Timestamp,
    policy: &MeetPolicy,
) -> Result<MetPair, MeetError> {
    let token = ReturnToken::parse(code)?;
    verify_return_token(&token, shower_half, ctx, now, policy)
}

fn verify_return_token(
    token: &ReturnToken,
    shower_half: &Event,
    ctx: &MeetContext,
    now: Timestamp,
    policy: &MeetPolicy,
) -> Result<MetPair, MeetError> {
    ctx.check()?;
    let mine = parse_receipt(shower_half)?;
    if mine.author != ctx.my_pubkey || mine.nego != ctx.nego {
        return Err(MeetError::Context {
            reason: "shower_half is not my half of this negotiation".into(),
        });
    }
    let nonce = mine.meet.ok_or(MeetError::Context {
        reason: "shower_half has no meet nonce".into(),
    })?;
    check_author(token.deal_tag, &token.scanner, ctx)?;
    if nonce.0[..4] != token.nonce_hint {
        return Err(MeetError::UnknownReturn);
    }
    let draft = ReceiptDraft {
        nego: ctx.nego.clone(),
        peer: ctx.my_pubkey,
        intent_id: ctx.intent_id,
        meet: Some(nonce),
        countersigns: Some(shower_half.id),
    };
    let scanner = rebuild_and_verify(&draft, token.created_at, token.scanner, token.sig)?;
    // The scanner signed after seeing our code; allow its clock to be `skew` off either way and
    // the return to come within the return window.
    check_age(
        u64::from(token.created_at),
        now,
        policy.return_window_secs,
        policy.future_skew_secs,
    )?;
    Ok(MetPair {
        nego: ctx.nego.clone(),
        shower: shower_half.clone(),
        scanner,
        nonce,
    })
}
