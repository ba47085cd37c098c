import Foundation
import Observation
import FreeportCore

/// One step of the connection path drawn on the screening card.
public struct PathStep: Equatable, Sendable, Identifiable {
    /// Public key (hex).
    public let pubkey: String
    /// Display name, or a short key when the name is unknown.
    public let label: String
    /// Position on the path (0 = the viewer).
    public let index: Int
    /// Stable identity.
    public var id: Int { index }
}

/// Screen a contact: paste an npub, scan their profile QR, or open from a deal; shows the
/// verdict, the counts, the reasons and the connection path from the user's own position.
@MainActor
@Observable
public final class ScreenModel {
    /// Typed, pasted or scanned key (npub, hex or `nostr:` URI).
    public var input = "" {
        didSet { if input != oldValue { keyProblem = nil } }
    }
    /// The card, once screened.
    public private(set) var card: ScreeningView?
    /// Why the key was refused: the core's rule (e.g. `.isSecretKey`), worded by the screen.
    public private(set) var keyProblem: Rule?
    /// A call is running.
    public private(set) var busy = false
    /// Last problem other than the key.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// A model over `core`.
    public init(core: FreeportCoreAPI) {
        self.core = core
    }

    /// The path as labelled steps (names where known).
    public var path: [PathStep] {
        guard let c = card else { return [] }
        return c.path.enumerated().map { i, pk in
            let name = i < c.pathNames.count ? c.pathNames[i] : ""
            return PathStep(pubkey: pk, label: name.isEmpty ? shortKey(pk) : name, index: i)
        }
    }

    /// Screens `input` (validated by the core first, so a pasted nsec is refused and not sent).
    public func screen(explain: Bool = true) async {
        let subject: String
        do {
            subject = try validateNpub(input: input)
        } catch let FreeportError.InvalidInput(violations) {
            keyProblem = violations.first?.rule ?? .invalid
            return
        } catch {
            self.error = UserError(error)
            return
        }
        await screen(subject: subject, explain: explain)
    }

    /// Blocks the screened key (silently: their intents hidden, their messages dropped) or
    /// unblocks it; the card is screened again, so `card.blocked` is the core's.
    public func setBlocked(_ blocked: Bool) async {
        guard let subject = card?.subjectNpub else { return }
        busy = true
        defer { busy = false }
        do {
            if blocked {
                _ = try await core.block(key: subject)
            } else {
                _ = try await core.unblock(key: subject)
            }
            card = try await core.screen(subject: subject, explain: true)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Screens a known key (from a deal or an intent).
    public func screen(subject: String, explain: Bool = true) async {
        busy = true
        defer { busy = false }
        do {
            card = try await core.screen(subject: subject, explain: explain)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}
