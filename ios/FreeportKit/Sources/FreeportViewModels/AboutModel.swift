import Foundation
import Observation
import FreeportCore

/// Result of checking a public key the user typed or pasted.
public enum KeyCheck: Equatable, Sendable {
    /// Nothing checked yet (or the input was edited since).
    case idle
    /// The key is valid; `npub` is its canonical form.
    case valid(npub: String)
    /// The key was refused; `rule` is the core's code (e.g. `.isSecretKey`), worded by the view.
    case invalid(rule: Rule)
}

/// State of the user's own identity on the About / profile screen.
public enum IdentityState: Equatable, Sendable {
    /// Not loaded yet.
    case unknown
    /// Loading or creating the key.
    case loading
    /// Loaded, or created on first launch.
    case ready(IdentityView)
    /// The secret store is temporarily unavailable (e.g. device locked): offer "retry".
    /// `reason` is the store's diagnostic (logs, bug reports), not a message.
    case retryLater(reason: String)
    /// Loading failed, with the core's typed error.
    case failed(UserError)
}

/// About screen: core version, the user's own npub, and a "check a contact's key" field.
///
/// Holds no business logic: validation and key handling are the core's; this only maps results
/// to view state.
@MainActor
@Observable
public final class AboutModel {
    /// Version of the Rust core, shown in the footer and attached to bug reports.
    public let coreVersion: String
    /// The user's identity.
    public private(set) var identity: IdentityState = .unknown
    /// Text of the "check a key" field; editing it resets `keyCheck`.
    public var keyInput: String = "" {
        didSet { if keyInput != oldValue { keyCheck = .idle } }
    }
    /// Outcome of the last `checkKey()`.
    public private(set) var keyCheck: KeyCheck = .idle

    private let app: FreeportCoreAPI

    /// A model over the app's core (whose secret store is the Keychain store). Calls go through
    /// `FreeportCoreAPI`, so key generation and the Keychain write run off the main actor.
    public init(app: FreeportCoreAPI) {
        self.app = app
        self.coreVersion = FreeportCore.coreVersion()
    }

    /// Validate `keyInput` and publish the outcome in `keyCheck`.
    public func checkKey() {
        do {
            keyCheck = .valid(npub: try validateNpub(input: keyInput))
        } catch let FreeportError.InvalidInput(violations) {
            keyCheck = .invalid(rule: violations.first?.rule ?? .invalid)
        } catch {
            keyCheck = .invalid(rule: .invalid)
        }
    }

    /// Load the identity (creating it on first launch) and publish it in `identity`.
    public func loadIdentity() async {
        identity = .loading
        do {
            if let id = try await app.identity() {
                identity = .ready(id)
            } else {
                identity = .ready(try await app.createIdentity())
            }
        } catch let FreeportError.SecretStore(reason) {
            identity = .retryLater(reason: reason)
        } catch {
            identity = .failed(UserError(error))
        }
    }
}
