import Foundation
import Observation
import FreeportCore

/// One field of a market's form, decoded from `MarketView.formJson`.
public struct FormFieldSpec: Decodable, Equatable, Sendable, Identifiable {
    /// Input widgets a market can ask for.
    public enum Input: String, Decodable, Sendable {
        /// One line of text.
        case text
        /// Several lines.
        case multiline
        /// A number.
        case number
        /// One of `options`.
        case select
        /// A place: `{"name", "geohash"}`.
        case location
        /// A list of image URLs.
        case images
        /// An ISO 4217 code.
        case currency
    }

    /// One choice of a select.
    public struct Option: Decodable, Equatable, Sendable, Identifiable {
        /// Value written into the payload.
        public let value: String
        /// Text shown.
        public let label: String
        /// Stable identity.
        public var id: String { value }
    }

    /// JSON pointer inside the payload, e.g. `/from`.
    public let path: String
    /// Label shown next to the input.
    public let label: String
    /// Widget.
    public let input: Input
    /// Required by the payload schema.
    public let required: Bool
    /// Placeholder.
    public let placeholder: String?
    /// Choices for selects.
    public let options: [Option]
    /// Stable identity.
    public var id: String { path }

    enum CodingKeys: String, CodingKey { case path, label, input, required, placeholder, options }

    /// Decodes one field (optional members default like the core's).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        label = try c.decode(String.self, forKey: .label)
        input = try c.decode(Input.self, forKey: .input)
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
        placeholder = try c.decodeIfPresent(String.self, forKey: .placeholder)
        options = try c.decodeIfPresent([Option].self, forKey: .options) ?? []
    }

    /// Decodes a market's form; a form this app cannot read gives an empty list and an error.
    public static func decode(_ formJson: String) throws -> [FormFieldSpec] {
        try JSONDecoder().decode([FormFieldSpec].self, from: Data(formJson.utf8))
    }
}

/// What the user entered in one field.
public struct FieldEntry: Equatable, Sendable {
    /// Text (text, multiline, number, select value, currency; image URLs one per line).
    public var text = ""
    /// Location fields: the place's geohash (from the device or typed).
    public var geohash = ""

    /// An empty entry.
    public init(text: String = "", geohash: String = "") {
        self.text = text
        self.geohash = geohash
    }
}

/// Post an intent: a form generated from the market's schema hints; the core validates the
/// payload against the schema and its message is shown next to the field it names.
@MainActor
@Observable
public final class PostIntentModel {
    /// The market posted into.
    public let market: MarketView
    /// The form fields, in the market's order.
    public let fields: [FormFieldSpec]
    /// Offer or request.
    public var side: IntentSide = .offer
    /// Title shown in lists.
    public var title = ""
    /// Entries by field path.
    public var entries: [String: FieldEntry] = [:]
    /// Area the intent is published in (defaults to the first location field's geohash).
    public var area: String?
    /// Proof-of-work override (nil = the configured default; tests use 0).
    public var powBits: UInt8?
    /// A call is running.
    public private(set) var busy = false
    /// Last problem (its `field` is a form path like `/from`, `title`, or `payload`).
    public private(set) var error: UserError?
    /// Problems found before calling the core (a number that is not a number), by path.
    public private(set) var fieldProblems: [String: FieldProblem] = [:]
    /// The published intent.
    public private(set) var posted: IntentView?

    /// A local problem with one entry (the view words it).
    public enum FieldProblem: Equatable, Sendable {
        /// Required and empty.
        case required
        /// Not a number.
        case notANumber
    }

    private let core: FreeportCoreAPI

    /// A form for `market`. A form the app cannot decode leaves `fields` empty and sets `error`.
    public init(core: FreeportCoreAPI, market: MarketView) {
        self.core = core
        self.market = market
        do {
            fields = try FormFieldSpec.decode(market.formJson)
        } catch {
            fields = []
            self.error = UserError(message: String(describing: error), field: "form")
        }
    }

    /// Fills a location field's geohash from the device position (the core computes it).
    public func setLocation(path: String, latitude: Double, longitude: Double, precision: UInt8 = 7) {
        do {
            entries[path, default: FieldEntry()].geohash = try geohashFor(lat: latitude, lon: longitude, precision: precision)
        } catch {
            self.error = UserError(error)
        }
    }

    /// The payload object built from the entries; nil (with `fieldProblems`) when an entry
    /// cannot be converted. Empty optional entries are left out.
    public func payload() -> [String: Any]? {
        var problems: [String: FieldProblem] = [:]
        var root: [String: Any] = [:]
        for f in fields {
            let e = entries[f.path] ?? FieldEntry()
            let text = e.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let value: Any?
            switch f.input {
            case .text, .multiline, .select:
                value = text.isEmpty ? nil : text
            case .currency:
                value = text.isEmpty ? nil : text.uppercased()
            case .number:
                if text.isEmpty {
                    value = nil
                } else if let i = Int(text) {
                    value = i
                } else if let d = Double(text), d.isFinite {
                    value = d
                } else {
                    problems[f.path] = .notANumber
                    value = nil
                }
            case .location:
                let g = e.geohash.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                value = (text.isEmpty && g.isEmpty) ? nil : ["name": text, "geohash": g]
            case .images:
                let urls = e.text.split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                value = urls.isEmpty ? nil : urls
            }
            if let value {
                Self.set(&root, pointer: f.path, value: value)
            } else if f.required, problems[f.path] == nil {
                problems[f.path] = .required
            }
        }
        fieldProblems = problems
        return problems.isEmpty ? root : nil
    }

    /// The core's validation message for one form field, for inline display: the error names
    /// the field itself (`title`), or it is a payload schema error whose text names the field's
    /// JSON pointer (`at `/to/geohash` breaks …` belongs to `/to`). Nil for other fields.
    public func coreProblem(for path: String) -> String? {
        guard let e = error, let field = e.field else { return nil }
        if field == path { return e.message }
        guard field == "payload", path.hasPrefix("/") else { return nil }
        return e.message.contains("`\(path)`") || e.message.contains("`\(path)/") ? e.message : nil
    }

    /// The core's message when it is not about any one form field (shown under the form).
    public var generalProblem: UserError? {
        guard let e = error else { return nil }
        if e.field == "title" { return nil }
        if fields.contains(where: { coreProblem(for: $0.path) != nil }) { return nil }
        return e
    }

    /// The area the intent is published in: the chosen one, else the first location's geohash.
    public var effectiveArea: String? {
        if let area, !area.isEmpty { return area }
        for f in fields where f.input == .location {
            if let g = entries[f.path]?.geohash, !g.isEmpty { return g.lowercased() }
        }
        return nil
    }

    /// Signs and publishes (proof of work runs off the main thread inside the core).
    public func submit() async {
        guard let payload = payload(), let json = JSONText.string(payload) else { return }
        busy = true
        defer { busy = false }
        let input = PostIntentInput(
            market: market.topic, side: side, title: title.trimmingCharacters(in: .whitespacesAndNewlines),
            payloadJson: json, geohash: effectiveArea, expiresInSecs: nil, powBits: powBits)
        do {
            posted = try await core.postIntent(input: input)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Writes `value` at a JSON pointer (`/a/b`), creating objects on the way.
    static func set(_ root: inout [String: Any], pointer: String, value: Any) {
        let keys = pointer.split(separator: "/", omittingEmptySubsequences: true).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
        set(&root, keys: keys[...], value: value)
    }

    private static func set(_ root: inout [String: Any], keys: ArraySlice<String>, value: Any) {
        guard let first = keys.first else { return }
        if keys.count == 1 {
            root[first] = value
            return
        }
        var child = root[first] as? [String: Any] ?? [:]
        set(&child, keys: keys.dropFirst(), value: value)
        root[first] = child
    }
}
