import Foundation
import Observation
import FreeportCore

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

    /// Restore is possible once a backup is pasted and its passphrase passes the core's
    /// restore rule (any passphrase a backup can have).
    public var canRestore: Bool {
        !restoreText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && !busy
            && checkPassphrase(passphrase: restorePassphrase, confirmation: nil, purpose: .restore).isEmpty
    }

    /// What the new backup passphrase and its confirmation break under the core's rule (field
    /// `passphrase` or `confirmation`; empty when acceptable), for feedback while typing. The
    /// view words each rule; `export_backup` enforces the same rule again.
    public var backupPassphraseViolations: [FieldViolation] {
        checkPassphrase(passphrase: backupPassphrase, confirmation: backupConfirmation, purpose: .newBackup)
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
        guard backupPassphraseViolations.isEmpty else { return }
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
