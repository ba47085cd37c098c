import Foundation
import Observation
import FreeportCore

/// Settings: relays (read, write and inbox relays, kept, checked and published by the core,
/// with their connection state), the NIP-17-only privacy switch, blocked keys, pending outbox,
/// encrypted backup, version, data wipe. A refused
/// relay comes back as the core's violations, each with its list, position and rule code; this
/// model only places them.
@MainActor
@Observable
public final class SettingsModel {
    /// The lists, in the order screens show them.
    public static let roles: [RelayListRole] = [.read, .write, .inbox]

    /// Relays with their connection state.
    public private(set) var relays: [RelayStatusView] = []
    /// The relay settings as the core keeps them (nil until loaded).
    public private(set) var settings: RelaySettingsView?
    /// Text of each list's "add a relay" field.
    public private(set) var drafts: [RelayListRole: String] = [:]
    /// What the core refused in the last change (nothing was changed then).
    public private(set) var violations: [RelayViolationRecord] = []
    /// Events still waiting for a relay.
    public private(set) var pending: [OutboxItemView] = []
    /// Private messages go only as NIP-17 gift wraps (peers that read only NIP-04 miss them).
    public private(set) var requireNip17 = false
    /// Keys blocked on this device (from a deal or a screening); each can be unblocked here.
    public private(set) var blocked: [BlockedView] = []
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
    private let wipeAction: @Sendable () async throws -> Void

    /// A model over `core`; `wipe` erases the data directory and the Keychain entries (the app
    /// shell owns both, so it passes the action in).
    public init(core: FreeportCoreAPI, wipe: @escaping @Sendable () async throws -> Void) {
        self.core = core
        self.wipeAction = wipe
        self.coreVersion = FreeportCore.coreVersion()
    }

    /// One list of the relay settings.
    public func list(_ role: RelayListRole) -> [String] {
        switch role {
        case .read: settings?.read ?? []
        case .write: settings?.write ?? []
        case .inbox: settings?.inbox ?? []
        }
    }

    /// The refusal to show next to the entry at `index` already in `role`'s list.
    public func entryViolation(_ role: RelayListRole, _ index: Int) -> RelayViolationRecord? {
        violations.first { $0.role == role && $0.index.map(Int.init) == index }
    }

    /// The refusal to show under `role`'s add field: the entry being added, or the whole list.
    public func draftViolation(_ role: RelayListRole) -> RelayViolationRecord? {
        violations.first { v in
            v.role == role && (v.index.map { Int($0) >= list(role).count } ?? true)
        }
    }

    /// `true` when the relay at `url` is connected now.
    public func isConnected(_ url: String) -> Bool {
        relays.contains { $0.connected && $0.url.trimmingSuffix("/") == url.trimmingSuffix("/") }
    }

    /// The text of `role`'s "add a relay" field (editing it clears that list's refusal).
    public func setDraft(_ role: RelayListRole, _ text: String) {
        drafts[role] = text
        violations.removeAll { $0.role == role }
    }

    /// Adds the typed relay to `role`'s list; the core checks it (the field keeps it if refused).
    public func addRelay(_ role: RelayListRole) async {
        await change(role, clearDraft: true) { $0 + [self.drafts[role] ?? ""] }
    }

    /// Removes `url` from `role`'s list (the core refuses to empty a list).
    public func removeRelay(_ role: RelayListRole, _ url: String) async {
        await change(role, clearDraft: false) { $0.filter { $0 != url } }
    }

    /// Goes back to the default relays for all three lists.
    public func resetRelays() async {
        do {
            settings = try await core.resetRelaySettings()
            violations = []
            error = nil
            relays = try await core.relayStatus()
        } catch {
            self.error = UserError(error)
        }
    }

    private func change(
        _ role: RelayListRole, clearDraft: Bool, _ edit: ([String]) -> [String]
    ) async {
        let next = edit(list(role))
        do {
            switch role {
            case .read: settings = try await core.setRelaySettings(read: next, write: nil, inbox: nil)
            case .write: settings = try await core.setRelaySettings(read: nil, write: next, inbox: nil)
            case .inbox: settings = try await core.setRelaySettings(read: nil, write: nil, inbox: next)
            }
            violations = []
            if clearDraft { drafts[role] = nil }
            error = nil
            relays = try await core.relayStatus()
        } catch let FreeportError.InvalidRelays(found) {
            violations = found
        } catch {
            self.error = UserError(error)
        }
    }

    /// Reloads the relay settings, their status and the outbox.
    public func refresh() async {
        do {
            settings = try await core.relaySettings()
            relays = try await core.relayStatus()
            pending = try await core.outbox()
            requireNip17 = try await core.requireNip17()
            blocked = try await core.blocked()
            notices = try await core.noticeSettings()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Sends private messages only as NIP-17 gift wraps (on) or lets the core pick per peer (off).
    public func setRequireNip17(_ on: Bool) async {
        do {
            try await core.setRequireNip17(on: on)
            requireNip17 = try await core.requireNip17()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Unblocks a key: its intents show again and its messages are accepted.
    public func unblock(_ pubkey: String) async {
        do {
            _ = try await core.unblock(key: pubkey)
            blocked = try await core.blocked()
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

    /// What the backup passphrase breaks under the core's rule (empty when acceptable), for
    /// feedback while typing; `export_backup` enforces the same rule.
    public var backupPassphraseViolations: [FieldViolation] {
        checkPassphrase(passphrase: backupPassphrase, confirmation: nil, purpose: .newBackup)
    }

    /// Makes an encrypted backup with `backupPassphrase` (cleared afterwards).
    public func makeBackup() async {
        guard backupPassphraseViolations.isEmpty else { return }
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

private extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
