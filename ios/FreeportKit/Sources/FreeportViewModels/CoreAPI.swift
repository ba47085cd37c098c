import Foundation
import FreeportCore

/// The slice of the core's `FreeportApp` the screens use.
///
/// Every requirement is `async throws` so that the generated facade satisfies it whatever the
/// exact sync/async shape of each call (a synchronous, non-throwing method witnesses an
/// `async throws` requirement). `FreeportApp` conforms with no code (see the extension below);
/// the protocol exists so SwiftUI previews can run on a second real app over an embedded relay
/// and so the view models never name the generated class.
public protocol FreeportCoreAPI: AnyObject, Sendable {
    /// Whether this device holds an identity.
    func hasIdentity() async throws -> Bool
    /// The identity, if any.
    func identity() async throws -> IdentityView?
    /// Creates a fresh identity in the secret store.
    func createIdentity() async throws -> IdentityView
    /// Restores an identity from an NIP-49 `ncryptsec` backup.
    func restoreIdentity(ncryptsec: String, passphrase: String) async throws -> IdentityView
    /// An NIP-49 encrypted backup of the secret key.
    func exportBackup(passphrase: String) async throws -> String

    /// Connects to the relays and starts the background loops (idempotent).
    func startNetwork() async throws
    /// Disconnects.
    func stopNetwork() async throws
    /// Catches up with the relays.
    func sync() async throws -> SyncReport
    /// Connection state per relay.
    func relayStatus() async throws -> [RelayStatusView]
    /// The relay settings (read, write, inbox), kept and checked by the core.
    func relaySettings() async throws -> RelaySettingsView
    /// Replaces the lists given (nil leaves one as it is); refused: `InvalidRelays`, no change.
    func setRelaySettings(read: [String]?, write: [String]?, inbox: [String]?) async throws -> RelaySettingsView
    /// Back to the default relays.
    func resetRelaySettings() async throws -> RelaySettingsView
    /// Imports (once) and removes the relay file an earlier version kept.
    func importRelayFile(path: String) async throws -> RelayFileImport
    /// Events still waiting for a relay.
    func outbox() async throws -> [OutboxItemView]

    /// Publishes the user's profile.
    func setProfile(input: ProfileInput) async throws -> ProfileView
    /// A profile as stored locally.
    func profile(pubkey: String) async throws -> ProfileView

    /// The user's languages, most preferred first (BCP 47, e.g. `Locale.preferredLanguages`):
    /// the bundled markets then read in the first of them Freeport speaks. In memory only.
    func setLocales(locales: [String]) async throws
    /// Known markets with their forms, in the language last given to `setLocales`.
    func markets() async throws -> [MarketView]
    /// Builds and judges a market's payload from a form's entries (live feedback).
    func buildPayload(market: String, entries: [FormEntry]) async throws -> String
    /// Builds the payload from the form's entries, signs and publishes an intent.
    func postIntent(input: PostIntentInput) async throws -> IntentView
    /// Withdraws one of the user's intents.
    func withdrawIntent(intentId: String) async throws
    /// Live intents in `market` near the geohash `near`.
    func browse(market: String, near: String?, radius: UInt32) async throws -> [IntentView]
    /// The user's own intents.
    func myIntents() async throws -> [IntentView]

    /// Opens a thread accepting an intent as posted.
    func respondAccept(intentId: String) async throws -> DealView
    /// Opens a thread with other terms.
    func respondCounter(intentId: String, termsJson: String) async throws -> DealView
    /// Opens a thread with the posted terms edited in a form (the core converts the edits).
    func respondCounterForm(intentId: String, entries: [FormEntry]) async throws -> DealView
    /// Proposes a change to the terms on the table (merged onto them).
    func counter(nego: String, termsJson: String) async throws -> DealView
    /// Proposes the terms on the table edited in a form (the core converts the edits).
    func counterForm(nego: String, entries: [FormEntry]) async throws -> DealView
    /// Accepts the terms on the table (on the user's own intent: picks the quote).
    func accept(nego: String) async throws -> DealView
    /// Cancels a thread.
    func cancel(nego: String, reason: String?) async throws -> DealView
    /// Asks the other side to agree to cancel a confirmed deal.
    func requestCancel(nego: String, reason: String?) async throws -> DealView
    /// Agrees to their request to cancel.
    func agreeCancel(nego: String) async throws -> DealView
    /// Declines their request to cancel.
    func declineCancel(nego: String) async throws -> DealView
    /// The owner picks one quote.
    func pick(nego: String) async throws -> DealView
    /// Every responder's quote on one of the user's intents.
    func quotes(intentId: String) async throws -> [QuoteView]
    /// All threads.
    func deals() async throws -> [DealView]
    /// One thread.
    func deal(nego: String) async throws -> DealView
    /// Reports the deal's progress (`.pickedUp`, then `.completed`).
    func markStage(nego: String, stage: DealStage) async throws -> DealView

    /// Sends a chat message in a deal (text only; never part of a rating).
    func chatSend(nego: String, text: String) async throws -> ChatMessageView
    /// A deal's chat, in the order it was written.
    func chat(nego: String) async throws -> [ChatMessageView]
    /// Marks a deal's chat read; returns how many were unread.
    func markChatRead(nego: String) async throws -> UInt32
    /// Messages from counterparties that were refused, and why (one deal's, or all).
    func refusals(nego: String?) async throws -> [RefusalView]
    /// Blocks a key: its intents hidden, its messages dropped, silently.
    func block(key: String) async throws -> BlockedView
    /// Unblocks a key.
    func unblock(key: String) async throws -> Bool
    /// Every key blocked on this device.
    func blocked() async throws -> [BlockedView]
    /// Whether private messages go only as NIP-17 gift wraps (never NIP-04).
    func requireNip17() async throws -> Bool
    /// Sends private messages only as NIP-17 gift wraps (on), or lets the core pick per peer.
    func setRequireNip17(on: Bool) async throws

    /// The meet code to show now.
    func meetShow(nego: String, pngPx: UInt32) async throws -> MeetCodeView
    /// A scanned code as text (QR detector, paste).
    func meetScanText(text: String) async throws -> MeetOutcomeView
    /// A scanned code as an encoded picture.
    func meetScanImage(bytes: Data) async throws -> MeetOutcomeView
    /// A raw luma camera frame.
    func meetScanFrame(width: UInt32, height: UInt32, stride: UInt32, data: Data) async throws -> MeetOutcomeView

    /// Rates a met deal.
    func rate(nego: String, input: RateRecord) async throws
    /// Screens a contact from the user's own position.
    func screen(subject: String, explain: Bool) async throws -> ScreeningView
    /// The user's trust neighbourhood.
    func trustNeighbourhood(maxNodes: UInt32) async throws -> NeighbourhoodView
    /// Live updates until the handle is cancelled or dropped.
    func subscribe(listener: AppListener) async throws -> ListenerHandle

    /// One bounded background pass; returns the notices not acknowledged yet.
    func backgroundPass(budgetMs: UInt64) async throws -> PassReport
    /// Notices not acknowledged yet (at most 100).
    func pendingNotices() async throws -> [Notice]
    /// Acknowledges shown notices by id.
    func ackNotices(ids: [UInt64]) async throws -> UInt32
    /// The user opened this deal: its pending notices are acknowledged.
    func markDealSeen(nego: String) async throws -> UInt32
    /// Which notice channels are on.
    func noticeSettings() async throws -> NoticeSettings
    /// Switches notice channels on or off.
    func setNoticeSettings(settings: NoticeSettings) async throws
}

extension FreeportApp: FreeportCoreAPI {}

/// Forwards the core's events (delivered on a Rust thread) to a closure.
public final class EventForwarder: AppListener, @unchecked Sendable {
    private let handler: @Sendable (AppEventRecord) -> Void

    /// A listener calling `handler` for every event, on the core's thread.
    public init(_ handler: @escaping @Sendable (AppEventRecord) -> Void) {
        self.handler = handler
    }

    /// Called by the core.
    public func onEvent(event: AppEventRecord) {
        handler(event)
    }
}
