import Foundation
import Observation
import FreeportCore

/// What is wrong with a new backup passphrase.
public enum PassphraseProblem: Equatable, Sendable {
    /// Shorter than `minimum` characters.
    case tooShort(minimum: Int)
    /// The confirmation differs.
    case mismatch
}

/// First launch: create a key or restore one from an `ncryptsec` backup, then the backup prompt.
@MainActor
@Observable
public final class OnboardingModel {
    /// Steps of onboarding.
    public enum Step: Equatable, Sendable {
        /// Choose create or restore.
        case choose
        /// Identity created: suggest writing down an encrypted backup before going on.
        case backupPrompt(IdentityView)
        /// Done (restored, or backup done/skipped).
        case done(IdentityView)
    }

    /// Shortest backup passphrase accepted by this screen (the core encrypts with any).
    public static let minimumPassphraseLength = 8

    /// Current step.
    public private(set) var step: Step = .choose
    /// A call is running.
    public private(set) var busy = false
    /// Last problem.
    public private(set) var error: UserError?

    /// Restore: the pasted backup text.
    public var restoreText = ""
    /// Restore: its passphrase.
    public var restorePassphrase = ""
    /// Backup: the new passphrase and its confirmation.
    public var backupPassphrase = ""
    /// Backup: confirmation of the passphrase.
    public var backupConfirmation = ""
    /// Backup: the `ncryptsec` text to copy or save, once made.
    public private(set) var backupText: String?

    private let core: FreeportCoreAPI

    /// A model over `core`.
    public init(core: FreeportCoreAPI) {
        self.core = core
    }

    /// Restore is possible once both fields are filled.
    public var canRestore: Bool {
        !restoreText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && !restorePassphrase.isEmpty && !busy
    }

    /// Why the backup passphrase is not acceptable yet (nil when it is); the view words it.
    public var backupPassphraseProblem: PassphraseProblem? {
        if backupPassphrase.count < Self.minimumPassphraseLength {
            return .tooShort(minimum: Self.minimumPassphraseLength)
        }
        if backupPassphrase != backupConfirmation {
            return .mismatch
        }
        return nil
    }

    /// Creates a fresh key and moves to the backup prompt.
    public func create() async {
        await run {
            let id = try await self.core.createIdentity()
            self.step = .backupPrompt(id)
        }
    }

    /// Restores from `restoreText` / `restorePassphrase`; a wrong passphrase changes nothing.
    public func restore() async {
        guard canRestore else { return }
        let text = restoreText.trimmingCharacters(in: .whitespacesAndNewlines)
        await run {
            let id = try await self.core.restoreIdentity(ncryptsec: text, passphrase: self.restorePassphrase)
            self.restorePassphrase = ""
            self.step = .done(id)
        }
    }

    /// Makes the encrypted backup text (shown once; the passphrase fields are cleared).
    public func makeBackup() async {
        guard backupPassphraseProblem == nil else { return }
        await run {
            self.backupText = try await self.core.exportBackup(passphrase: self.backupPassphrase)
            self.backupPassphrase = ""
            self.backupConfirmation = ""
        }
    }

    /// Leaves the backup prompt (after saving the backup, or skipping it).
    public func finish() {
        if case let .backupPrompt(id) = step {
            backupText = nil
            step = .done(id)
        }
    }

    private func run(_ body: @MainActor () async throws -> Void) async {
        busy = true
        error = nil
        defer { busy = false }
        do { try await body() } catch { self.error = UserError(error) }
    }
}
