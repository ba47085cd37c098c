import Foundation
import FreeportCore

/// A problem to show on a screen: the core's sentence, and the input field it is about (if any).
public struct UserError: Equatable, Sendable {
    /// What to show (the core's own words; meet-code errors are already user-facing).
    public let message: String
    /// The form field or argument the core named (`InvalidInput.field`), for inline display.
    public let field: String?
    /// Retrying later may succeed (offline, network, locked keychain).
    public let retryable: Bool

    /// A problem with an explicit message.
    public init(message: String, field: String? = nil, retryable: Bool = false) {
        self.message = message
        self.field = field
        self.retryable = retryable
    }

    /// Maps anything a core call threw. The wording is the core's (`FreeportError` exports
    /// `Display`); only the structure (field, retryability) is taken from the variant.
    public init(_ error: Error) {
        guard let e = error as? FreeportError else {
            self.init(message: String(describing: error))
            return
        }
        switch e {
        case let .InvalidInput(field, rule):
            self.init(message: rule, field: field)
        case let .InvalidCode(reason):
            self.init(message: reason)
        case let .Phone(reason):
            self.init(message: reason, field: "phone")
        case .Offline, .Network, .SecretStore:
            self.init(message: Self.describe(e), retryable: true)
        default:
            self.init(message: Self.describe(e))
        }
    }

    private static func describe(_ e: FreeportError) -> String {
        // `description` is the Rust `Display` (exported with #[uniffi::export(Display)]).
        e.description
    }
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

/// One line of a terms or payload object, for display.
public struct TermRow: Equatable, Sendable, Identifiable {
    /// The JSON key.
    public let key: String
    /// A readable rendering of the value.
    public let text: String
    /// Stable identity for lists.
    public var id: String { key }
}

/// JSON text helpers shared by the screens (rendering only; validation is the core's).
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

    /// Readable text for one JSON value: strings as is, places by name, lists joined.
    public static func render(_ value: Any) -> String {
        switch value {
        case let s as String:
            return s
        case let n as NSNumber:
            return n.stringValue
        case let place as [String: Any]:
            if let name = place["name"] as? String { return name }
            return string(place) ?? ""
        case let list as [Any]:
            return list.map(render).joined(separator: ", ")
        default:
            return ""
        }
    }

    /// Rows of an object, sorted by key; empty when the text is not an object.
    public static func rows(_ text: String) -> [TermRow] {
        guard let obj = object(text) else { return [] }
        return obj.keys.sorted().map { TermRow(key: $0, text: render(obj[$0] as Any)) }
    }
}

/// `npub1abcd…wxyz` for lists (the full key is one tap away).
public func shortKey(_ key: String) -> String {
    guard key.count > 16 else { return key }
    return "\(key.prefix(10))…\(key.suffix(4))"
}
