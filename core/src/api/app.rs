//! [`FreeportApp`]: one user on one device, the object every screen talks to. Each method
//! converts its arguments, calls [`crate::app::App`] and converts the result; nothing else.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

use super::FreeportError;
use super::listener::{AppListener, ListenerHandle, listener_runtime};
use super::records::{
    CheckinShareInput, FreeportConfig, IdentityView, PostIntentInput, ProfileInput, RateRecord,
    terms_from_json,
};
use super::relay_settings::{InboxStatus, RelayViolationRecord};
use crate::app::{
    App, AppConfig, BlockedView, ChatMessageView, CheckinView, DealCheckinView, DealStage,
    DealView, FormEntry, IntentView, MarketView, MeetCodeView, MeetOutcomeView, NeighbourhoodView,
    Notice, NoticeSettings, OutboxItemView, PassReport, PostIntent, ProfileView, QuoteView,
    RefusalView, RelayFileImport, RelaySettingsView, RelayStatusView, Response, ScanInput,
    ScreeningView, SyncReport, TrustedContactView, WatchedCheckinView,
};
use crate::identity::SecretStore;

type Result<T> = std::result::Result<T, FreeportError>;

/// Saturating `usize` → `u32` for counts that cross the boundary.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One user on one device: the local store in `data_dir`, the identity in the platform's
/// [`SecretStore`], and (after [`FreeportApp::start_network`]) the relay connections.
///
/// Methods that touch the network or sign with proof of work are `async` (Kotlin `suspend`,
/// Swift `async`) and cancellable. The synchronous ones only read or write the local store;
/// `restore_identity` and `export_backup` run scrypt (about a second): call them off the UI
/// thread. Call `stop_network` before letting go of the app.
#[derive(Debug, uniffi::Object)]
pub struct FreeportApp {
    app: App,
    listeners: Handle,
}

#[uniffi::export(async_runtime = "tokio")]
impl FreeportApp {
    /// Opens (or creates) the store in `config.data_dir` and loads the identity from `secrets`
    /// if there is one. No network.
    #[uniffi::constructor]
    pub fn new(config: FreeportConfig, secrets: Arc<dyn SecretStore>) -> Result<Arc<Self>> {
        let cfg = AppConfig::try_from(config)?;
        let listeners = listener_runtime()?;
        let app = App::open(cfg, secrets)?;
        Ok(Arc::new(Self { app, listeners }))
    }

    // ---- identity ---------------------------------------------------------------------------

    /// `true` once an identity exists on this device.
    pub fn has_identity(&self) -> bool {
        self.app.has_identity()
    }

    /// The identity, or `None` before onboarding.
    pub fn identity(&self) -> Option<IdentityView> {
        self.app.public_key().ok().map(IdentityView::from)
    }

    /// Creates a fresh identity (refused with `NotPossible` if one exists).
    pub fn create_identity(&self) -> Result<IdentityView> {
        Ok(self.app.create_identity()?.into())
    }

    /// Restores an identity from an NIP-49 `ncryptsec1…` backup. A wrong passphrase is
    /// `WrongPassphrase` and changes nothing.
    pub fn restore_identity(&self, ncryptsec: String, passphrase: String) -> Result<IdentityView> {
        Ok(self.app.restore_identity(&ncryptsec, &passphrase)?.into())
    }

    /// An NIP-49 encrypted backup (`ncryptsec1…`) of the secret key under `passphrase`, which
    /// must follow the backup rule ([`check_passphrase`](super::check_passphrase); a refused
    /// one is `InvalidInput` on field `passphrase` and changes nothing).
    pub fn export_backup(&self, passphrase: String) -> Result<String> {
        Ok(self.app.export_backup(&passphrase)?)
    }

    // ---- network ----------------------------------------------------------------------------

    /// Connects to the relays and starts live updates and the outbox publisher. Idempotent.
    pub async fn start_network(&self) -> Result<()> {
        Ok(self.app.start_network().await?)
    }

    /// Disconnects and stops the background tasks.
    pub async fn stop_network(&self) {
        self.app.stop_network().await;
    }

    /// Waits up to `timeout_ms` for a relay connection; returns how many relays are connected.
    pub async fn wait_connected(&self, timeout_ms: u64) -> Result<u32> {
        let n = self
            .app
            .wait_connected(Duration::from_millis(timeout_ms))
            .await?;
        Ok(count(n))
    }

    /// Catches up with the relays (messages, receipts, ratings, profiles) and pushes the outbox.
    pub async fn sync(&self) -> Result<SyncReport> {
        Ok(self.app.sync().await?)
    }

    /// The relay settings: read, write and inbox relays (saved, else the defaults), whether
    /// they are published yet, and this run's index relays.
    pub fn relay_settings(&self) -> Result<RelaySettingsView> {
        Ok(self.app.relay_settings()?)
    }

    /// Replaces the lists given (`None` leaves a list as it is). Every entry of all three lists
    /// is checked first; any violation is `InvalidRelays` with each one (list, position, rule)
    /// and nothing changes. Online, the connections follow at once and the new lists
    /// (NIP-65 kind 10002, NIP-17 kind 10050) are queued for publication; offline, they are
    /// published at the next sync.
    pub async fn set_relay_settings(
        &self,
        read: Option<Vec<String>>,
        write: Option<Vec<String>>,
        inbox: Option<Vec<String>>,
    ) -> Result<RelaySettingsView> {
        Ok(self.app.set_relay_settings(read, write, inbox).await?)
    }

    /// What [`FreeportApp::set_relay_settings`] would refuse, without changing anything (live
    /// feedback while typing). Empty when the lists are acceptable.
    pub fn check_relay_settings(
        &self,
        read: Option<Vec<String>>,
        write: Option<Vec<String>>,
        inbox: Option<Vec<String>>,
    ) -> Result<Vec<RelayViolationRecord>> {
        Ok(self
            .app
            .check_relay_settings(read, write, inbox)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Goes back to the shipped default relays (for reading, writing and the inbox).
    pub async fn reset_relay_settings(&self) -> Result<RelaySettingsView> {
        Ok(self.app.reset_relay_settings().await?)
    }

    /// Imports the relay list file an earlier version of the app kept (`relays.txt`, one URL per
    /// line) into the settings if none are saved yet, and removes the file. A missing file is
    /// not an error. Call once at start, before `start_network`.
    pub fn import_relay_file(&self, path: String) -> Result<RelayFileImport> {
        Ok(self.app.import_relay_file(std::path::Path::new(&path))?)
    }

    /// Whether `pubkey` (hex or npub) advertises a NIP-17 inbox (kind 10050), looking their
    /// relay lists up first when online.
    pub async fn peer_inbox(&self, pubkey: String) -> Result<InboxStatus> {
        let pk = crate::identity::parse_public_key(&pubkey).map_err(crate::app::AppError::from)?;
        Ok(self.app.peer_inbox(&pk).await?.into())
    }

    /// Connection state of each relay (empty when offline).
    pub async fn relay_status(&self) -> Vec<RelayStatusView> {
        self.app.relay_status().await
    }

    /// Events still waiting for a relay to accept them.
    pub async fn outbox(&self) -> Result<Vec<OutboxItemView>> {
        Ok(self.app.outbox()?)
    }

    /// Waits until the outbox is empty or `timeout_ms` passes; returns how many events remain.
    pub async fn flush_outbox(&self, timeout_ms: u64) -> Result<u32> {
        let left = self
            .app
            .flush_outbox(Duration::from_millis(timeout_ms))
            .await?;
        Ok(count(left))
    }

    // ---- profile ----------------------------------------------------------------------------

    /// Publishes our profile (phone masked and committed unless the full number was consented).
    pub async fn set_profile(&self, input: ProfileInput) -> Result<ProfileView> {
        Ok(self.app.set_profile(input.into()).await?)
    }

    /// A profile as stored on this device (`pubkey`: hex or npub).
    pub fn profile(&self, pubkey: String) -> Result<ProfileView> {
        Ok(self.app.profile(&pubkey)?)
    }

    // ---- intents ----------------------------------------------------------------------------

    /// The markets this build knows, with their form schema, in the language chosen by
    /// `set_locales` (English until it is called).
    pub fn markets(&self) -> Vec<MarketView> {
        self.app.markets()
    }

    /// The user's preferred languages, most preferred first, as BCP 47 tags (Android:
    /// `LocaleList.toLanguageTags()` split on commas; iOS: `Locale.preferredLanguages`). The
    /// bundled markets' titles, descriptions, form labels, placeholders and option labels are
    /// then shown in the first of them Freeport speaks; payload values never change. In memory
    /// only: call it at start and whenever the system or per-app language changes. Never fails:
    /// malformed or unknown tags are skipped (English if nothing matches).
    pub fn set_locales(&self, locales: Vec<String>) {
        self.app.set_locales(&locales);
    }

    /// The payload (JSON text) `market`'s form entries make, or `InvalidInput` with every
    /// field's violation — the same ones `post_intent` returns, for feedback before posting.
    pub fn build_payload(&self, market: String, entries: Vec<FormEntry>) -> Result<String> {
        Ok(self.app.build_payload(&market, &entries)?)
    }

    /// Builds the payload from the form's entries, signs (with proof of work) and publishes an
    /// intent. Bad input is `InvalidInput` with every violation, each on its field (`title`,
    /// `geohash`, or a form path such as `/from/geohash`); nothing is published.
    pub async fn post_intent(&self, input: PostIntentInput) -> Result<IntentView> {
        let post = PostIntent::try_from(input)?;
        Ok(self.app.post_intent(post).await?)
    }

    /// Withdraws our intent and cancels its open negotiations.
    pub async fn withdraw_intent(&self, intent_id: String) -> Result<()> {
        Ok(self.app.withdraw_intent(&intent_id).await?)
    }

    /// Intents in `market`, optionally within `radius` geohash cells of `near`, newest first,
    /// each with its author's badge. Queries the relays when online.
    pub async fn browse(
        &self,
        market: String,
        near: Option<String>,
        radius: u32,
    ) -> Result<Vec<IntentView>> {
        Ok(self.app.browse(&market, near.as_deref(), radius).await?)
    }

    /// Our own intents, newest first.
    pub fn my_intents(&self) -> Result<Vec<IntentView>> {
        Ok(self.app.my_intents()?)
    }

    /// Subscribes to new intents in `market` (delivered as `IntentSeen` to listeners).
    pub async fn watch_market(&self, market: String) -> Result<()> {
        Ok(self.app.watch_market(&market).await?)
    }

    // ---- deals ------------------------------------------------------------------------------

    /// Accepts someone's intent as posted (opens a negotiation).
    pub async fn respond_accept(&self, intent_id: String) -> Result<DealView> {
        Ok(self.app.respond(&intent_id, Response::Accept).await?)
    }

    /// Answers someone's intent with a counter-offer (`terms_json`: a JSON object of terms).
    pub async fn respond_counter(&self, intent_id: String, terms_json: String) -> Result<DealView> {
        let terms = terms_from_json(&terms_json)?;
        Ok(self
            .app
            .respond(&intent_id, Response::Counter(terms))
            .await?)
    }

    /// Proposes a change to the terms on the table (`terms_json`: the keys to change, merged
    /// onto the table; `null` removes a key). Only what changed is sent.
    pub async fn counter(&self, nego: String, terms_json: String) -> Result<DealView> {
        let terms = terms_from_json(&terms_json)?;
        Ok(self.app.counter(&nego, terms).await?)
    }

    /// Counters with the terms on the table edited in a form: each entry sets one top-level key
    /// (`/price`), converted by the market's field of that path (numbers, options, places keep
    /// their geohash when renamed); an empty entry drops the key. Refused edits are
    /// `InvalidInput` with a violation per field.
    pub async fn counter_form(&self, nego: String, entries: Vec<FormEntry>) -> Result<DealView> {
        Ok(self.app.counter_entries(&nego, &entries).await?)
    }

    /// Answers someone's intent with its terms edited in a form (as `counter_form`).
    pub async fn respond_counter_form(
        &self,
        intent_id: String,
        entries: Vec<FormEntry>,
    ) -> Result<DealView> {
        Ok(self
            .app
            .respond_counter_entries(&intent_id, &entries)
            .await?)
    }

    /// Accepts the terms on the table (on our own intent: picks this quote).
    pub async fn accept(&self, nego: String) -> Result<DealView> {
        Ok(self.app.accept(&nego).await?)
    }

    /// Cancels a negotiation (before it is met).
    pub async fn cancel(&self, nego: String, reason: Option<String>) -> Result<DealView> {
        Ok(self.app.cancel(&nego, reason).await?)
    }

    /// Asks the other side to agree to cancel a confirmed deal.
    pub async fn request_cancel(&self, nego: String, reason: Option<String>) -> Result<DealView> {
        Ok(self.app.request_cancel(&nego, reason).await?)
    }

    /// Agrees to their request to cancel: the deal is cancelled.
    pub async fn agree_cancel(&self, nego: String) -> Result<DealView> {
        Ok(self.app.agree_cancel(&nego).await?)
    }

    /// Declines their request to cancel: the deal stays confirmed.
    pub async fn decline_cancel(&self, nego: String) -> Result<DealView> {
        Ok(self.app.decline_cancel(&nego).await?)
    }

    /// Owner only: picks this quote; the other quotes on the intent are told it is filled.
    pub async fn pick(&self, nego: String) -> Result<DealView> {
        Ok(self.app.pick(&nego).await?)
    }

    /// The quotes on our intent, each with the responder's screening card.
    pub fn quotes(&self, intent_id: String) -> Result<Vec<QuoteView>> {
        Ok(self.app.quotes(&intent_id)?)
    }

    /// All our negotiations, most recently updated first.
    pub fn deals(&self) -> Result<Vec<DealView>> {
        Ok(self.app.deals()?)
    }

    /// One negotiation.
    pub fn deal(&self, nego: String) -> Result<DealView> {
        Ok(self.app.deal(&nego)?)
    }

    /// Reports the deal's progress (`PickedUp`, then `Completed`, which closes the deal).
    pub async fn mark_stage(&self, nego: String, stage: DealStage) -> Result<DealView> {
        Ok(self.app.mark_stage(&nego, stage).await?)
    }

    // ---- chat -------------------------------------------------------------------------------

    /// Sends a chat message in a deal (text only, at most 16 KiB).
    pub async fn chat_send(&self, nego: String, text: String) -> Result<ChatMessageView> {
        Ok(self.app.chat_send(&nego, &text).await?)
    }

    /// A deal's chat, oldest first (reading does not mark it read).
    pub fn chat(&self, nego: String) -> Result<Vec<ChatMessageView>> {
        Ok(self.app.chat(&nego)?)
    }

    /// Marks a deal's chat read (call when the thread is on screen); returns how many were
    /// unread.
    pub fn mark_chat_read(&self, nego: String) -> Result<u32> {
        Ok(self.app.mark_chat_read(&nego)?)
    }

    // ---- refusals and blocking -------------------------------------------------------------

    /// Incoming messages that were refused, newest first: all (`nego` = `None`) or one deal's.
    pub fn refusals(&self, nego: Option<String>) -> Result<Vec<RefusalView>> {
        Ok(self.app.refusals(nego.as_deref())?)
    }

    /// Blocks a key (npub or hex): its intents are hidden and its messages dropped, silently.
    pub fn block(&self, key: String) -> Result<BlockedView> {
        Ok(self.app.block(&key)?)
    }

    /// Unblocks a key; `true` if it was blocked.
    pub fn unblock(&self, key: String) -> Result<bool> {
        Ok(self.app.unblock(&key)?)
    }

    /// Every blocked key.
    pub fn blocked(&self) -> Result<Vec<BlockedView>> {
        Ok(self.app.blocked()?)
    }

    /// `true` when everything is sent as NIP-17 gift wraps only (see `set_require_nip17`).
    pub fn require_nip17(&self) -> bool {
        self.app.require_nip17()
    }

    /// Privacy setting: send NIP-17 gift wraps only, never NIP-04 (which shows relays who
    /// talks to whom and when). Peers that read only NIP-04 — the reference's command-line
    /// agent — then never see our messages.
    pub fn set_require_nip17(&self, on: bool) -> Result<()> {
        Ok(self.app.set_require_nip17(on)?)
    }

    // ---- meet -------------------------------------------------------------------------------

    /// The rotating single-use code to show for a confirmed deal (PNG about `png_px` wide).
    /// Call again at `refresh_at`.
    pub fn meet_show(&self, nego: String, png_px: u32) -> Result<MeetCodeView> {
        Ok(self.app.meet_show(&nego, png_px)?)
    }

    /// Scans a code given as text (typed, pasted, or read by the platform's QR detector).
    pub async fn meet_scan_text(&self, text: String) -> Result<MeetOutcomeView> {
        Ok(self.app.meet_scan(ScanInput::Text(text)).await?)
    }

    /// Scans a code in an encoded picture (PNG or JPEG).
    pub async fn meet_scan_image(&self, bytes: Vec<u8>) -> Result<MeetOutcomeView> {
        Ok(self.app.meet_scan(ScanInput::Image(bytes)).await?)
    }

    /// Scans a code in a raw 8-bit luma camera frame (`stride` bytes per row).
    pub async fn meet_scan_frame(
        &self,
        width: u32,
        height: u32,
        stride: u32,
        data: Vec<u8>,
    ) -> Result<MeetOutcomeView> {
        let input = ScanInput::Frame {
            width,
            height,
            stride,
            data,
        };
        Ok(self.app.meet_scan(input).await?)
    }

    /// Rates a met deal's counterparty.
    pub async fn rate(&self, nego: String, input: RateRecord) -> Result<()> {
        Ok(self.app.rate(&nego, input.into()).await?)
    }

    // ---- screening --------------------------------------------------------------------------

    /// The screening card of `subject` (hex or npub) from our position; fetches their receipts,
    /// ratings and profile from the relays first when online.
    pub async fn screen(&self, subject: String, explain: bool) -> Result<ScreeningView> {
        Ok(self.app.screen_remote(&subject, explain).await?)
    }

    /// Our trust neighbourhood (at most `max_nodes` nodes) for the connection drawing.
    pub fn trust_neighbourhood(&self, max_nodes: u32) -> Result<NeighbourhoodView> {
        let max = usize::try_from(max_nodes).unwrap_or(usize::MAX);
        Ok(self.app.trust_neighbourhood(max, &[])?)
    }

    // ---- background work and notices ---------------------------------------------------------

    /// One bounded background pass (what the periodic background work runs): connects unless
    /// online, catches up on what is addressed to us since the last pass, applies it, pushes
    /// the outbox and disconnects, all within `budget_ms` (clamped to 100 ms ..= 10 min).
    /// Returns the notices not acknowledged yet: show them, then `ack_notices` their ids.
    pub async fn background_pass(&self, budget_ms: u64) -> Result<PassReport> {
        let budget = Duration::from_millis(budget_ms);
        Ok(self.app.background_pass(budget).await?)
    }

    /// Notices not acknowledged yet, oldest first (at most 100), of the channels switched on.
    pub fn pending_notices(&self) -> Result<Vec<Notice>> {
        Ok(self.app.pending_notices()?)
    }

    /// Acknowledges shown notices by id (unknown ids are ignored); returns how many were
    /// pending. At most 10 000 ids per call.
    pub fn ack_notices(&self, ids: Vec<u64>) -> Result<u32> {
        Ok(count(self.app.ack_notices(&ids)?))
    }

    /// The user opened this deal: its pending notices are acknowledged (nothing left to tell).
    pub fn mark_deal_seen(&self, nego: String) -> Result<u32> {
        Ok(count(self.app.mark_deal_seen(&nego)?))
    }

    /// Which notice channels are switched on.
    pub fn notice_settings(&self) -> Result<NoticeSettings> {
        Ok(self.app.notice_settings()?)
    }

    /// Switches notice channels on or off.
    pub fn set_notice_settings(&self, settings: NoticeSettings) -> Result<()> {
        Ok(self.app.set_notice_settings(settings)?)
    }

    // ---- check-ins --------------------------------------------------------------------------

    /// The trusted contacts (local only, never published), oldest first.
    pub fn trusted_contacts(&self) -> Result<Vec<TrustedContactView>> {
        Ok(self.app.trusted_contacts()?)
    }

    /// Adds a trusted contact by key (npub, nprofile, hex or `nostr:` URI — what a scanned
    /// profile QR gives), with an optional label; again: updates the label.
    pub fn add_trusted_contact(
        &self,
        key: String,
        label: Option<String>,
    ) -> Result<TrustedContactView> {
        Ok(self.app.add_trusted_contact(&key, label)?)
    }

    /// Adds the counterparty of a past deal as a trusted contact.
    pub fn add_trusted_contact_from_deal(
        &self,
        nego: String,
        label: Option<String>,
    ) -> Result<TrustedContactView> {
        Ok(self.app.add_trusted_contact_from_deal(&nego, label)?)
    }

    /// Removes a trusted contact (`true` if it was one): their check-ins are ignored from now.
    pub fn remove_trusted_contact(&self, key: String) -> Result<bool> {
        Ok(self.app.remove_trusted_contact(&key)?)
    }

    /// Shares a check-in for a confirmed deal with trusted contacts (NIP-17 gift wraps only).
    pub async fn checkin_share(&self, input: CheckinShareInput) -> Result<CheckinView> {
        Ok(self.app.checkin_share(input.into()).await?)
    }

    /// Moves the deadline of the deal's open check-in.
    pub async fn checkin_extend(&self, nego: String, deadline: u64) -> Result<CheckinView> {
        Ok(self.app.checkin_extend(&nego, deadline).await?)
    }

    /// "I'm safe" (with `duress`: the contacts are told the user is not OK; this phone shows
    /// the same either way). Offline, the message waits in the outbox (`delivery`).
    pub async fn checkin_safe(&self, nego: String, duress: bool) -> Result<CheckinView> {
        Ok(self.app.checkin_safe(&nego, duress).await?)
    }

    /// "I'm safe" with a PIN: the usual one closes safe, the duress one under duress; another
    /// is `NotPossible(WrongPin)` and changes nothing.
    pub async fn checkin_safe_with_pin(&self, nego: String, pin: String) -> Result<CheckinView> {
        Ok(self.app.checkin_safe_with_pin(&nego, &pin).await?)
    }

    /// Calls off the deal's open check-in.
    pub async fn checkin_cancel(&self, nego: String) -> Result<CheckinView> {
        Ok(self.app.checkin_cancel(&nego).await?)
    }

    /// The user's own check-ins, open ones first.
    pub fn my_checkins(&self) -> Result<Vec<CheckinView>> {
        Ok(self.app.my_checkins()?)
    }

    /// A deal's check-in and what the user may do with it (the deal screen).
    pub fn deal_checkin(&self, nego: String) -> Result<DealCheckinView> {
        Ok(self.app.deal_checkin(&nego)?)
    }

    /// Check-ins contacts share with the user, open ones first.
    pub fn watched_checkins(&self) -> Result<Vec<WatchedCheckinView>> {
        Ok(self.app.watched_checkins()?)
    }

    /// One check-in a contact shares (the alert screen; from a notice's `checkin`).
    pub fn watched_checkin(&self, from: String, id: String) -> Result<WatchedCheckinView> {
        Ok(self.app.watched_checkin(&from, &id)?)
    }

    /// Raises what is due now (reminders, contacts' overdue alerts) and returns the new
    /// notices. Call when the alarm scheduled for `checkin_next_alarm` rings.
    pub fn checkin_tick(&self) -> Result<Vec<Notice>> {
        Ok(self.app.checkin_tick()?)
    }

    /// When this phone must next act for check-ins (unix seconds), if ever: schedule an exact
    /// alarm for it.
    pub fn checkin_next_alarm(&self) -> Result<Option<u64>> {
        Ok(self.app.checkin_next_alarm()?)
    }

    /// `true` when check-in PINs are set (then "I'm safe" asks for one).
    pub fn checkin_pins_set(&self) -> bool {
        self.app.checkin_pins_set()
    }

    /// Sets the usual and the duress check-in PIN (4–12 digits each, different).
    pub fn set_checkin_pins(&self, safe_pin: String, duress_pin: String) -> Result<()> {
        Ok(self.app.set_checkin_pins(&safe_pin, &duress_pin)?)
    }

    /// Removes the check-in PINs.
    pub fn clear_checkin_pins(&self) -> Result<()> {
        Ok(self.app.clear_checkin_pins()?)
    }

    // ---- live updates -----------------------------------------------------------------------

    /// Delivers live updates to `listener` until the returned handle is cancelled or dropped.
    pub fn subscribe(&self, listener: Arc<dyn AppListener>) -> Arc<ListenerHandle> {
        Arc::new(ListenerHandle::spawn(
            &self.listeners,
            self.app.subscribe(),
            listener,
        ))
    }
}
