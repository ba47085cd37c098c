//! View-shaped records: what a screen (phone, CLI) needs, already formatted where formatting is
//! domain logic (badges, masks, verdicts). They cross the FFI boundary as UniFFI records and are
//! printed as JSON by the CLI, so they hold only strings, numbers, booleans and bytes.

use serde::Serialize;

/// A market a user can post into, with what a UI needs to render the form.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct MarketView {
    /// Topic tag (`t`), e.g. `sg-rideshare`.
    pub topic: String,
    /// Payload schema id, e.g. `rideshare/1`.
    pub schema: String,
    pub title: String,
    pub description: String,
    pub default_expiry_secs: u64,
    /// The payload JSON Schema, as JSON text.
    pub payload_schema_json: String,
    /// Form hints (field order, labels, input kinds), as JSON text.
    pub form_json: String,
}

/// An intent as shown in browse / my intents.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct IntentView {
    pub id: String,
    pub d: String,
    pub author: String,
    pub author_npub: String,
    /// `offer` or `request`.
    pub side: String,
    pub market: String,
    pub schema: String,
    pub title: String,
    /// The payload as JSON text.
    pub payload_json: String,
    /// The most precise geohash the author published, if any.
    pub geohash: Option<String>,
    pub created_at: u64,
    pub expires_at: u64,
    pub withdrawn: bool,
    pub mine: bool,
    /// The author's screening badge line, e.g. `★ 12 deals · 9 partners · 3 in your network`.
    pub badge: String,
    /// The author's verdict: `trusted`, `caution`, `unknown` or `warning`.
    pub verdict: String,
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
    /// `owner` (I posted the intent) or `responder`.
    pub role: String,
    /// `open`, `accepted_by_us`, `accepted_by_them`, `confirmed`, `cancel_requested`, `met`,
    /// `completed`, `cancelled`, `expired`.
    pub state: String,
    pub counterparty: String,
    pub counterparty_npub: String,
    /// Terms on the table (or confirmed terms), as JSON text.
    pub terms_json: String,
    /// Who proposed the terms on the table: `us` or `them`.
    pub proposed_by: String,
    pub rounds_left: u32,
    /// The counterparty's contact, revealed only once the deal is confirmed.
    pub their_contact: Option<String>,
    pub cancel_reason: Option<String>,
    pub expires_at: u64,
    pub updated_at: u64,
    /// A meet code can be shown / scanned now.
    pub can_meet: bool,
    /// The deal can be rated now (and has not been rated by us yet).
    pub can_rate: bool,
    pub rated: bool,
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
    pub state: String,
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
    pub tier: String,
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
    /// `trusted`, `caution`, `unknown` or `warning`.
    pub verdict: String,
    /// Short, neutral reasons.
    pub reasons: Vec<String>,
    /// Viewer → … → subject as public keys (hex); empty when not connected.
    pub path: Vec<String>,
    /// Display names along the path where known (same length as `path`).
    pub path_names: Vec<String>,
    /// One line for lists: `★ 12 deals · 9 partners · 3 in your network · verified by 9`.
    pub badge: String,
    /// The subject's phone as published (masked unless they opted in), with its verification.
    pub phone: Option<String>,
    pub phone_status: String,
    pub raters: Vec<RaterView>,
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
