//! View-shaped records: what a screen (phone, CLI) needs. They cross the FFI boundary as UniFFI
//! records and are printed as JSON by the CLI. Everything a screen decides on is typed: states,
//! roles, verdicts and the actions offered are enums, reasons are codes with parameters (see
//! `docs/BINDINGS.md`, "What the UI may decide"); strings are only data (ids, names, terms,
//! what the other person typed).

use serde::Serialize;

pub use crate::negotiation::DealAction;
pub use crate::protocol::form::{EntryValue, FormEntry, FormFieldView};
pub use crate::protocol::market::{FormOption, InputKind};
pub use crate::protocol::receipt::DealTier;
pub use crate::protocol::terms::{TermValue, TermView};
pub use crate::reputation::{Badge, Reason, Verdict};
pub use crate::rules::{FieldViolation, Format, Rule, ValueKind};

/// A market a user can post into, with its form.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct MarketView {
    /// Topic tag (`t`), e.g. `sg-rideshare`.
    pub topic: String,
    /// Payload schema id, e.g. `rideshare/1`.
    pub schema: String,
    pub title: String,
    pub description: String,
    pub default_expiry_secs: u64,
    /// The post form: fields in display order with their input kinds, options and limits.
    pub form: Vec<FormFieldView>,
}

/// Which side of a market an intent is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum IntentSide {
    /// Something offered.
    Offer,
    /// Something wanted.
    Request,
}

impl From<IntentSide> for crate::protocol::intent::Side {
    fn from(s: IntentSide) -> Self {
        match s {
            IntentSide::Offer => Self::Offer,
            IntentSide::Request => Self::Request,
        }
    }
}

impl From<crate::protocol::intent::Side> for IntentSide {
    fn from(s: crate::protocol::intent::Side) -> Self {
        match s {
            crate::protocol::intent::Side::Offer => Self::Offer,
            crate::protocol::intent::Side::Request => Self::Request,
        }
    }
}

/// What the local user may do with an intent now (`IntentView.actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum IntentAction {
    /// Accept it as posted (opens a negotiation, reveals our contact).
    Accept,
    /// Answer it with other terms (opens a negotiation).
    Counter,
    /// Take our own intent down (its open negotiations are cancelled).
    Withdraw,
}

/// A negotiation's state from our side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum DealState {
    /// Terms on the table, nobody accepted them yet.
    Open,
    /// We accepted; waiting for them.
    AcceptedByUs,
    /// They accepted; our turn.
    AcceptedByThem,
    /// Both accepted the same terms: meet up.
    Confirmed,
    /// We asked them to agree to cancel the confirmed deal.
    CancelRequestedByUs,
    /// They asked us to agree to cancel the confirmed deal.
    CancelRequestedByThem,
    /// The meet code was co-signed.
    Met,
    /// Done.
    Completed,
    /// Cancelled (by either side, or filled by another offer).
    Cancelled,
    /// The intent expired before the deal was confirmed.
    Expired,
}

impl From<crate::negotiation::State> for DealState {
    fn from(s: crate::negotiation::State) -> Self {
        use crate::negotiation::{Side, State};
        match s {
            State::Open => Self::Open,
            State::AcceptedByUs => Self::AcceptedByUs,
            State::AcceptedByThem => Self::AcceptedByThem,
            State::Confirmed => Self::Confirmed,
            State::CancelRequested { by: Side::Us } => Self::CancelRequestedByUs,
            State::CancelRequested { by: Side::Them } => Self::CancelRequestedByThem,
            State::Met => Self::Met,
            State::Completed => Self::Completed,
            State::Cancelled => Self::Cancelled,
            State::Expired => Self::Expired,
        }
    }
}

/// Our role in a negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum DealRole {
    /// We posted the intent and receive quotes.
    Owner,
    /// We answered someone's intent.
    Responder,
}

impl From<crate::negotiation::Role> for DealRole {
    fn from(r: crate::negotiation::Role) -> Self {
        match r {
            crate::negotiation::Role::Owner => Self::Owner,
            crate::negotiation::Role::Responder => Self::Responder,
        }
    }
}

/// One side of a negotiation, from our point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// This device's user.
    Us,
    /// The other person.
    Them,
}

impl From<crate::negotiation::Side> for Party {
    fn from(s: crate::negotiation::Side) -> Self {
        match s {
            crate::negotiation::Side::Us => Self::Us,
            crate::negotiation::Side::Them => Self::Them,
        }
    }
}

/// Why a negotiation was cancelled, as far as a screen can say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CancelReason {
    /// No reason was given.
    NotGiven,
    /// The owner took another offer (the wire's "Filled — taken by another offer").
    Filled,
    /// The owner withdrew the intent.
    Withdrawn,
    /// A reason the person typed, shown as they wrote it.
    Said {
        /// Their words.
        text: String,
    },
}

impl CancelReason {
    /// The code of a cancel envelope's `reason`.
    pub fn of(reason: Option<&str>) -> Self {
        match reason.map(str::trim) {
            None | Some("") => Self::NotGiven,
            Some(r) if r == crate::protocol::envelope::FILLED_REASON => Self::Filled,
            Some(r) if r == super::intents::WITHDRAWN_REASON => Self::Withdrawn,
            Some(r) => Self::Said {
                text: crate::protocol::excerpt(r),
            },
        }
    }
}

/// Who cancelled a negotiation, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct Cancellation {
    /// Who cancelled (for a mutual cancel: who agreed last).
    pub by: Party,
    /// Why.
    pub reason: CancelReason,
}

/// How a published phone number stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PhoneStatus {
    /// No phone number is published.
    NotPublished,
    /// Published, nobody in your network attested reaching it yet.
    NotVerified,
    /// `count` raters in your network reached them at that number.
    VerifiedBy {
        /// How many.
        count: u32,
    },
}

/// An intent as shown in browse / my intents.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct IntentView {
    pub id: String,
    pub d: String,
    pub author: String,
    pub author_npub: String,
    pub side: IntentSide,
    pub market: String,
    pub schema: String,
    pub title: String,
    /// The payload as JSON text (a counter-offer edits it).
    pub payload_json: String,
    /// The payload typed for display, in the market form's order with its labels: amounts
    /// as money in their currency, options by label, places, lists (see [`TermView`]).
    pub terms: Vec<TermView>,
    /// The most precise geohash the author published, if any.
    pub geohash: Option<String>,
    pub created_at: u64,
    pub expires_at: u64,
    /// When (unix seconds), if the intent gives a window.
    pub window_start: Option<u64>,
    pub window_end: Option<u64>,
    /// Minutes of flexibility around the window.
    pub flex_minutes: Option<u32>,
    pub withdrawn: bool,
    pub mine: bool,
    /// The author's screening badge from our position (`None` for our own intents, or when it
    /// could not be computed — never a better one than the evidence gives).
    pub badge: Option<Badge>,
    /// What we may do with it now.
    pub actions: Vec<IntentAction>,
    /// A link to share the intent (`nostr:nevent1…`, NIP-19) with up to three relays where its
    /// author publishes: someone who reads other relays can still open it and respond.
    pub link: String,
}

/// One negotiation thread ("deal") from the local user's point of view.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct DealView {
    pub nego: String,
    pub intent_id: String,
    pub intent_title: String,
    pub market: String,
    pub role: DealRole,
    pub state: DealState,
    pub counterparty: String,
    pub counterparty_npub: String,
    /// Terms on the table (or confirmed terms), as JSON text (a counter-offer edits them).
    pub terms_json: String,
    /// The same terms typed for display, with the market form's labels and order (see
    /// [`TermView`]).
    pub terms: Vec<TermView>,
    /// Who proposed the terms on the table.
    pub proposed_by: Party,
    pub rounds_left: u32,
    /// The counterparty's contact, revealed only once the deal is confirmed.
    pub their_contact: Option<String>,
    /// Who cancelled and why, once cancelled.
    pub cancellation: Option<Cancellation>,
    pub expires_at: u64,
    pub updated_at: u64,
    /// What we may do now, decided by the negotiation state machine (plus "not rated yet"
    /// for `rate`): offer exactly these.
    pub actions: Vec<DealAction>,
    pub rated: bool,
    /// The furthest stage either side reported.
    pub stage: Option<DealStage>,
    /// Their chat messages not read yet.
    pub unread: u32,
    /// The counterparty's key is blocked on this device.
    pub counterparty_blocked: bool,
    /// Messages of theirs on this deal that were refused (see `refusals`).
    pub refused: u32,
}

/// How far a deal got, as either side reported it (`negotiate.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum DealStage {
    /// The ride or item was picked up (also reported when the meet code is co-signed).
    PickedUp,
    /// The deal is done; nothing reverses it.
    Completed,
}

/// One chat message inside a deal (text only; never part of a rating).
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct ChatMessageView {
    pub text: String,
    /// `true` for what we sent.
    pub from_me: bool,
    /// When it was written (unix seconds, the sender's clock).
    pub at: u64,
    /// `true` for their messages not yet marked read.
    pub unread: bool,
}

/// Why an incoming message from a counterparty was not accepted (typed; the shells word it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// Not a Freeport negotiation message (a plain direct message, not JSON, another version).
    NotFreeport,
    /// A Freeport message that breaks a rule of the format (see `field`).
    Malformed,
    /// About a deal we are not part of, or another intent (injection, wrong ids).
    NotForUs,
    /// About a deal this device does not have.
    UnknownDeal,
    /// A new deal must open with a counter or an accept.
    BadOpening,
    /// It accepted terms that are not the ones on the table (crossed with a counter).
    StaleAccept,
    /// Not possible in the deal's current state.
    NotAllowedNow,
    /// The deal is cancelled or expired.
    Closed,
    /// It would undo a deal that was met or completed.
    Irreversible,
    /// The 8 counters of a deal are used up.
    RoundCapReached,
    /// The intent expired.
    Expired,
    /// Too many messages on one deal.
    TooManyMessages,
    /// Too many responders on one intent.
    ThreadLimit,
    /// The deal's chat is full.
    ChatFull,
    /// A check-in from a key that is not one of our trusted contacts (nobody is alerted).
    NotAContact,
    /// A check-in that ended long ago (a replay): nobody is alerted.
    Stale,
}

impl RefusalCode {
    /// Every code.
    pub const ALL: [RefusalCode; 16] = [
        Self::NotFreeport,
        Self::Malformed,
        Self::NotForUs,
        Self::UnknownDeal,
        Self::BadOpening,
        Self::StaleAccept,
        Self::NotAllowedNow,
        Self::Closed,
        Self::Irreversible,
        Self::RoundCapReached,
        Self::Expired,
        Self::TooManyMessages,
        Self::ThreadLimit,
        Self::ChatFull,
        Self::NotAContact,
        Self::Stale,
    ];

    /// Stable label (stored, printed by `--json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFreeport => "not_freeport",
            Self::Malformed => "malformed",
            Self::NotForUs => "not_for_us",
            Self::UnknownDeal => "unknown_deal",
            Self::BadOpening => "bad_opening",
            Self::StaleAccept => "stale_accept",
            Self::NotAllowedNow => "not_allowed_now",
            Self::Closed => "closed",
            Self::Irreversible => "irreversible",
            Self::RoundCapReached => "round_cap_reached",
            Self::Expired => "expired",
            Self::TooManyMessages => "too_many_messages",
            Self::ThreadLimit => "thread_limit",
            Self::ChatFull => "chat_full",
            Self::NotAContact => "not_a_contact",
            Self::Stale => "stale",
        }
    }

    /// The code of a stored label.
    pub fn from_label(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One refused incoming message, recorded once.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct RefusalView {
    pub code: RefusalCode,
    /// The field at fault, for `malformed`.
    pub field: Option<String>,
    /// The deal it named, when it named one of ours.
    pub nego: Option<String>,
    pub sender: String,
    pub sender_npub: String,
    /// When it was refused (unix seconds).
    pub at: u64,
    /// Technical detail in English, for logs and `--verbose` (screens word `code`).
    pub detail: String,
}

/// A key the user blocked.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct BlockedView {
    pub pubkey: String,
    pub npub: String,
    pub name: Option<String>,
    pub blocked_at: u64,
}

/// One responder's quote on an owner's intent, with their screening card.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct QuoteView {
    pub deal: DealView,
    pub screening: ScreeningView,
}

/// A rotating meet code to show.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct MeetCodeView {
    pub nego: String,
    /// The token text (what the QR encodes; also shareable as text for remote deals).
    pub token: String,
    /// PNG bytes of the QR code.
    #[serde(skip)]
    pub png: Vec<u8>,
    /// The QR as SVG text.
    #[serde(skip)]
    pub svg: String,
    /// The QR drawn with Unicode half blocks, for terminals.
    #[serde(skip)]
    pub terminal: String,
    pub qr_version: u32,
    pub created_at: u64,
    /// After this the code is refused by scanners.
    pub expires_at: u64,
    /// When the UI should ask for a fresh code (rotation).
    pub refresh_at: u64,
}

/// The result of scanning a meet code (either direction).
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct MeetOutcomeView {
    pub nego: String,
    pub counterparty: String,
    /// Words both phones show, to compare aloud.
    pub sas_words: Vec<String>,
    /// For the scanner: a return code the shower scans to get the countersigned half offline.
    pub return_token: Option<String>,
    #[serde(skip)]
    pub return_png: Option<Vec<u8>>,
    /// The deal's state after the scan (`met`).
    pub state: DealState,
    /// Events queued for publishing (both halves).
    pub queued_events: u32,
}

/// One aggregated signal (safety or reliability).
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct SignalView {
    /// Weighted 25th percentile of the binary signal (1.0 = all good), if any rater counted.
    pub value: Option<f64>,
    pub flagged: bool,
    pub weight: f64,
    pub raters: u32,
}

/// A rater's contribution, for `--explain` and the "why" screen.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct RaterView {
    pub pubkey: String,
    pub weight: f64,
    /// Hop distance from the viewer (0 = direct partner), or none if unreachable.
    pub hop: Option<u32>,
    pub tier: DealTier,
}

/// The pre-meetup screening card for one subject, from the viewer's own position.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct ScreeningView {
    pub subject: String,
    pub subject_npub: String,
    pub name: Option<String>,
    pub deals: u32,
    pub partners: u32,
    pub partners_in_network: u32,
    pub met_in_person: u32,
    pub verified_by: u32,
    pub new_account: bool,
    pub safety: SignalView,
    pub reliability: SignalView,
    pub score: Option<f64>,
    pub weight_total: f64,
    pub unreachable_weight: f64,
    pub verdict: Verdict,
    /// Short, neutral reasons, as codes.
    pub reasons: Vec<Reason>,
    /// Viewer → … → subject as public keys (hex); empty when not connected.
    pub path: Vec<String>,
    /// Display names along the path where known (same length as `path`).
    pub path_names: Vec<String>,
    /// The one-line summary for lists (`★ 12 deals · 9 partners · 3 in your network`), as parts.
    pub badge: Badge,
    /// The subject's phone as published (masked unless they opted in), with its verification.
    pub phone: Option<String>,
    pub phone_status: PhoneStatus,
    pub raters: Vec<RaterView>,
    /// The subject is blocked on this device.
    pub blocked: bool,
}

/// A profile as shown on the profile screen.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct ProfileView {
    pub pubkey: String,
    pub npub: String,
    pub name: Option<String>,
    pub about: Option<String>,
    /// What is published in the profile's `phone` field (a mask by default).
    pub phone_published: Option<String>,
    pub phone_is_full: bool,
    pub phone_commit: Option<String>,
    pub vehicle_model: Option<String>,
    pub plate: Option<String>,
}

/// An event still waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct OutboxItemView {
    pub id: String,
    pub kind: u32,
    pub created_at: u64,
    pub attempts: u32,
    pub next_attempt_at: u64,
    pub last_error: Option<String>,
}

/// Relay connection status.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct RelayStatusView {
    pub url: String,
    pub connected: bool,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct SyncReport {
    pub events_received: u32,
    pub messages_applied: u32,
    pub outbox_pending: u32,
    pub relays_connected: u32,
}

/// A node of the viewer's trust neighbourhood (for the "connection" drawing).
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct NeighbourNode {
    pub pubkey: String,
    pub name: Option<String>,
    /// Proven-deal edges from the viewer (0 = the viewer, 1 = a direct partner), none when
    /// outside the network.
    pub hop: Option<u32>,
    /// Trust the viewer's flow gives this node (0 when outside).
    pub trust: f64,
}

/// The viewer's trust neighbourhood: nodes and proven-deal edges between them.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct NeighbourhoodView {
    pub nodes: Vec<NeighbourNode>,
    /// Pairs of indices into `nodes`.
    pub edges: Vec<Vec<u32>>,
}
