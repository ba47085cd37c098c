import Foundation
import FreeportCore

/// A problem to show on a screen, as the core typed it: the kind selects the heading, and the
/// code (`refusal`, `violations`, `codeProblem`, `phoneProblem`) is what the screen words in the
/// user's language, under the field it belongs to. Nothing here is English from the core:
/// `diagnostic` is the core's detail of a storage, network, keychain or internal failure, for
/// logs and bug reports only.
public struct UserError: Equatable, Sendable {
    /// Error families a screen words differently.
    public enum Kind: Equatable, Sendable {
        case noIdentity, offline, notFound, notPossible, invalidInput, invalidRelays, invalidCode
        case wrongPassphrase, phone, storage, network, secretStore, `internal`
    }

    /// Which family.
    public let kind: Kind
    /// The field it belongs under (`title`, `/from`, `passphrase`, `phone`…), if any.
    public let field: String?
    /// Why the core refused an action (`.notPossible`).
    public let refusal: Refusal?
    /// What is wrong with the input, each on its field (`.invalidInput`).
    public let violations: [FieldViolation]
    /// Why a meet code was refused (`.invalidCode`).
    public let codeProblem: CodeProblem?
    /// Why a phone number was refused (`.phone`).
    public let phoneProblem: PhoneProblem?
    /// Every refused relay entry with its list, position and rule (`.invalidRelays`).
    public let relayViolations: [RelayViolationRecord]
    /// What was not found (a market, intent or deal id), for `.notFound`.
    public let subject: String?
    /// The core's diagnostic for storage / network / keychain / internal failures (not a message).
    public let diagnostic: String?

    /// A problem of `kind` with its typed details.
    public init(
        kind: Kind, field: String? = nil, refusal: Refusal? = nil, violations: [FieldViolation] = [],
        codeProblem: CodeProblem? = nil, phoneProblem: PhoneProblem? = nil,
        relayViolations: [RelayViolationRecord] = [], subject: String? = nil, diagnostic: String? = nil
    ) {
        self.kind = kind
        self.field = field
        self.refusal = refusal
        self.violations = violations
        self.codeProblem = codeProblem
        self.phoneProblem = phoneProblem
        self.relayViolations = relayViolations
        self.subject = subject
        self.diagnostic = diagnostic
    }

    /// Maps anything a core call threw; only the structure is kept, never the text.
    public init(_ error: Error) {
        guard let e = error as? FreeportError else {
            self.init(kind: .internal, diagnostic: String(describing: error))
            return
        }
        switch e {
        case .NoIdentity: self.init(kind: .noIdentity)
        case .Offline: self.init(kind: .offline)
        case let .UnknownMarket(market): self.init(kind: .notFound, subject: market)
        case let .UnknownIntent(id): self.init(kind: .notFound, subject: id)
        case let .UnknownNegotiation(nego): self.init(kind: .notFound, subject: nego)
        case let .NotPossible(refusal): self.init(kind: .notPossible, refusal: refusal)
        case let .InvalidInput(violations):
            self.init(kind: .invalidInput, field: violations.first?.field, violations: violations)
        case let .InvalidRelays(violations): self.init(kind: .invalidRelays, relayViolations: violations)
        case let .InvalidCode(problem): self.init(kind: .invalidCode, codeProblem: problem)
        case .WrongPassphrase: self.init(kind: .wrongPassphrase, field: "passphrase")
        case let .Phone(problem): self.init(kind: .phone, field: "phone", phoneProblem: problem)
        case let .Storage(reason): self.init(kind: .storage, diagnostic: reason)
        case let .Network(reason): self.init(kind: .network, diagnostic: reason)
        case let .SecretStore(reason): self.init(kind: .secretStore, diagnostic: reason)
        case let .Internal(reason): self.init(kind: .internal, diagnostic: reason)
        }
    }

    /// Retrying later may succeed (offline, network, locked keychain).
    public var retryable: Bool { [.offline, .network, .secretStore].contains(kind) }

    /// The rules broken on exactly `field`.
    public func rules(on field: String) -> [Rule] {
        violations.filter { $0.field == field }.map(\.rule)
    }
}

/// A typed reason, trimmed; blank is no reason.
func reasonOrNil(_ text: String?) -> String? {
    guard let r = text?.trimmingCharacters(in: .whitespacesAndNewlines), !r.isEmpty else { return nil }
    return r
}

/// Where a violation goes on a form: the form field itself or the one containing it
/// (`/from/geohash` goes under `/from`), else the violation's own name when the screen has such
/// an input (`title`, `geohash`), else nil (under no input). Layout only: the rules are the core's.
public func placement(of v: FieldViolation, formPaths: [String], inputs: [String] = []) -> String? {
    let enclosing = formPaths.filter { v.field == $0 || v.field.hasPrefix($0 + "/") }
    if let best = enclosing.max(by: { $0.count < $1.count }) { return best }
    return inputs.contains(v.field) ? v.field : nil
}

/// The entry for editing top-level term `key` in a counter-offer (JSON pointer `/key`); a term
/// shown from a `TermRow` is edited by its `path`.
public func termEntry(_ key: String, _ text: String) -> FormEntry {
    let token = key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    return FormEntry(path: "/" + token, value: .text(text: text))
}

/// Seconds since 1970, the unit every core timestamp uses.
public typealias UnixTime = UInt64

/// The wall clock, injectable so countdowns are testable without waiting.
public struct Clock: Sendable {
    /// Current unix time in seconds.
    public let now: @Sendable () -> UnixTime

    /// A clock reading `now`.
    public init(now: @escaping @Sendable () -> UnixTime) {
        self.now = now
    }

    /// The system clock.
    public static let system = Clock { UnixTime(max(0, Date().timeIntervalSince1970)) }
}

/// One term of an intent's payload or a deal's terms, as the core typed it (`TermView`), ready
/// for display in the user's locale. The shell reads no JSON: the core says which value is an
/// amount in which currency, an option, a place or a time window.
public struct TermRow: Equatable, Sendable, Identifiable {
    /// The term's JSON pointer (`/payment`); a counter-offer's entry for the term uses it.
    public let path: String
    /// The market form's label ("Payment"); nil for the time window, which the app labels with
    /// its own translated "When".
    public let label: String?
    /// The value in the locale's words: money as the locale writes it, numbers in its digits,
    /// the window as a date range, an option by its label.
    public let text: String
    /// What a counter-offer's field starts from (the value as typed, numbers as JSON writes
    /// them); nil when text cannot edit the term (the window, a yes/no).
    public let editText: String?
    /// A select's choices as (payload value, label in the user's language): a counter-offer
    /// picks one rather than typing it; empty when the term is typed freely.
    public let options: [FormOption]
    /// Stable identity for lists.
    public var id: String { path }

    /// Rows for `terms`, in the core's order.
    public static func rows(_ terms: [TermView], locale: Locale = .autoupdatingCurrent, timeZone: TimeZone = .autoupdatingCurrent) -> [TermRow] {
        terms.map { t in
            let isWindow: Bool
            if case .window = t.value { isWindow = true } else { isWindow = false }
            return TermRow(
                path: t.path,
                label: isWindow ? nil : t.label,
                text: Formats.term(t.value, locale: locale, timeZone: timeZone),
                editText: t.editText,
                options: t.options
            )
        }
    }
}

/// JSON text helpers shared by the screens and tests (rendering of terms is the core's
/// `TermView`; validation is the core's).
public enum JSONText {
    /// Parses a JSON object; nil when the text is not an object.
    public static func object(_ text: String) -> [String: Any]? {
        guard let data = text.data(using: .utf8),
              let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return nil }
        return value as? [String: Any]
    }

    /// Serialises an object with sorted keys (stable for tests and diffs).
    public static func string(_ object: [String: Any]) -> String? {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

/// `npub1abcd…wxyz` for lists (the full key is one tap away).
public func shortKey(_ key: String) -> String {
    guard key.count > 16 else { return key }
    return "\(key.prefix(10))…\(key.suffix(4))"
}
