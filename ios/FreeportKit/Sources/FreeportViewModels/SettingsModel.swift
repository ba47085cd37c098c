import Foundation
import Observation
import FreeportCore

/// Settings: relays and their status, pending outbox, encrypted backup, version, data wipe.
@MainActor
@Observable
public final class SettingsModel {
    /// Relays with their connection state.
    public private(set) var relays: [RelayStatusView] = []
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
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI
    private let wipeAction: @Sendable () async throws -> Void

    /// A model over `core`; `wipe` erases the data directory and the Keychain entries (the app
    /// shell owns both, so it passes the action in).
    public init(core: FreeportCoreAPI, wipe: @escaping @Sendable () async throws -> Void) {
        self.core = core
        self.wipeAction = wipe
        self.coreVersion = FreeportCore.coreVersion()
    }

    /// Reloads relay status and the outbox.
    public func refresh() async {
        do {
            relays = try await core.relayStatus()
            pending = try await core.outbox()
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
