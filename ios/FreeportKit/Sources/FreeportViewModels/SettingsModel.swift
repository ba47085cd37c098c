import Foundation
import Observation
import FreeportCore

/// Settings: relays (status, and the list used from the next start), pending outbox, encrypted
/// backup, version, data wipe.
@MainActor
@Observable
public final class SettingsModel {
    /// Relays with their connection state.
    public private(set) var relays: [RelayStatusView] = []
    /// The relay list used from the next start (the saved one, else the core's defaults).
    public private(set) var relayList: [String] = []
    /// Text of the "add a relay" field; editing it clears `relayProblem`.
    public var newRelay = "" {
        didSet { if newRelay != oldValue { relayProblem = nil } }
    }
    /// Why the typed relay was refused.
    public private(set) var relayProblem: RelayProblem?
    /// The relay list changed: it takes effect when the app restarts the core.
    public private(set) var restartNeeded = false
    /// Events still waiting for a relay.
    public private(set) var pending: [OutboxItemView] = []
    /// Version of the Rust core (footer, bug reports).
    public let coreVersion: String
    /// Backup passphrase being typed.
    public var backupPassphrase = ""
    /// The encrypted backup, once made.
    public private(set) var backupText: String?
    /// The wipe confirmation is up.
    public private(set) var wipeRequested = false
    /// Data was wiped (the app returns to onboarding).
    public private(set) var wiped = false
    /// Which notification channels are on (nil until `refresh`).
    public private(set) var notices: NoticeSettings?
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI
    private let savedRelays: RelayList
    private let defaultRelays: [String]
    private let wipeAction: @Sendable () async throws -> Void

    /// A model over `core`; `relayList` is where the app keeps the relays it starts the core
    /// with, `defaultRelays` the core's defaults; `wipe` erases the data directory and the
    /// Keychain entries (the app shell owns both, so it passes the action in).
    public init(
        core: FreeportCoreAPI, relayList: RelayList, defaultRelays: [String],
        wipe: @escaping @Sendable () async throws -> Void
    ) {
        self.core = core
        self.savedRelays = relayList
        self.defaultRelays = defaultRelays
        self.wipeAction = wipe
        self.coreVersion = FreeportCore.coreVersion()
        self.relayList = relayList.load() ?? defaultRelays
    }

    /// Adds `newRelay` to the list (after checking its shape); true when it is in the list.
    @discardableResult
    public func addRelay() -> Bool {
        let url = newRelay.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = relayAddressProblem(url) {
            relayProblem = problem
            return false
        }
        newRelay = ""
        if relayList.contains(url) { return true }
        return persist(relayList + [url])
    }

    /// Removes a relay from the list (the last one cannot be removed: the app needs one).
    public func removeRelay(_ url: String) {
        guard relayList.count > 1, relayList.contains(url) else { return }
        persist(relayList.filter { $0 != url })
    }

    /// Goes back to the core's default relays.
    public func resetRelays() {
        persist(defaultRelays)
    }

    @discardableResult
    private func persist(_ list: [String]) -> Bool {
        do {
            try savedRelays.save(list)
            relayList = list
            restartNeeded = true
            error = nil
            return true
        } catch {
            self.error = UserError(message: String(describing: error), field: "relays")
            return false
        }
    }

    /// Reloads relay status and the outbox.
    public func refresh() async {
        do {
            relays = try await core.relayStatus()
            pending = try await core.outbox()
            notices = try await core.noticeSettings()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Switches one notification channel on or off (kept by the core).
    public func setNotices(_ channel: NoticeChannel, on: Bool) async {
        do {
            var next = try await core.noticeSettings()
            switch channel {
            case .deals: next.deals = on
            case .ratings: next.ratings = on
            case .safety: next.safety = on
            }
            try await core.setNoticeSettings(settings: next)
            notices = next
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Why the backup passphrase is not acceptable yet (nil when it is).
    public var backupPassphraseProblem: PassphraseProblem? {
        backupPassphrase.count < OnboardingModel.minimumPassphraseLength
            ? .tooShort(minimum: OnboardingModel.minimumPassphraseLength) : nil
    }

    /// Makes an encrypted backup with `backupPassphrase` (cleared afterwards).
    public func makeBackup() async {
        guard backupPassphraseProblem == nil else { return }
        do {
            backupText = try await core.exportBackup(passphrase: backupPassphrase)
            backupPassphrase = ""
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// First step of wiping: ask for confirmation.
    public func requestWipe() { wipeRequested = true }

    /// The user backed out.
    public func cancelWipe() { wipeRequested = false }

    /// Erases everything (only after `requestWipe`).
    public func confirmWipe() async {
        guard wipeRequested else { return }
        wipeRequested = false
        do {
            try? await core.stopNetwork()
            try await wipeAction()
            wiped = true
        } catch {
            self.error = UserError(error)
        }
    }
}
