import Foundation
import Observation
import FreeportCore

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

/// Post an intent: the market's form as the core describes it (`MarketView.form`); the entries go
/// to the core as typed, the core builds the payload and judges every field, and each violation
/// comes back as a code placed under its field. This model parses nothing and checks nothing.
@MainActor
@Observable
public final class PostIntentModel {
    /// The market posted into.
    public let market: MarketView
    /// The form fields, in the market's order.
    public var fields: [FormFieldView] { market.form }
    /// Offer or request.
    public var side: IntentSide = .offer
    /// Title shown in lists.
    public var title = ""
    /// Entries by field path.
    public var entries: [String: FieldEntry] = [:]
    /// Area the intent is published in (optional: the core uses the first place's geohash).
    public var area: String?
    /// Proof-of-work override (nil = the configured default; tests use 0).
    public var powBits: UInt8?
    /// A call is running.
    public private(set) var busy = false
    /// Last problem that is not about one input (network, storage…).
    public private(set) var error: UserError?
    /// The core's violations, by where they go: a form path (`/from`, also for `/from/geohash`),
    /// `title`, `geohash`, or `""` for one under no input of this form.
    public private(set) var violations: [String: [FieldViolation]] = [:]
    /// The published intent.
    public private(set) var posted: IntentView?

    private let core: FreeportCoreAPI

    /// A form for `market`.
    public init(core: FreeportCoreAPI, market: MarketView) {
        self.core = core
        self.market = market
    }

    /// Fills a location field's geohash from the device position (the core computes it).
    public func setLocation(path: String, latitude: Double, longitude: Double, precision: UInt8 = 7) {
        do {
            entries[path, default: FieldEntry()].geohash = try geohashFor(lat: latitude, lon: longitude, precision: precision)
        } catch {
            self.error = UserError(error)
        }
    }

    /// What the core said about one input (a form path, `title` or `geohash`).
    public func problems(for input: String) -> [FieldViolation] { violations[input] ?? [] }

    /// The core's entries for what was typed: a place for location fields, text otherwise.
    public var formEntries: [FormEntry] {
        fields.compactMap { f in
            guard let e = entries[f.path] else { return nil }
            switch f.input {
            case .location: return FormEntry(path: f.path, value: .place(name: e.text, geohash: e.geohash))
            default: return FormEntry(path: f.path, value: .text(text: e.text))
            }
        }
    }

    /// Signs and publishes (proof of work runs off the main thread inside the core). Bad input
    /// is refused by the core with every violation at once; they land in `violations`.
    public func submit() async {
        busy = true
        defer { busy = false }
        violations = [:]
        let input = PostIntentInput(
            market: market.topic, side: side, title: title, entries: formEntries,
            geohash: area, expiresInSecs: nil, powBits: powBits)
        do {
            posted = try await core.postIntent(input: input)
            error = nil
        } catch let FreeportError.InvalidInput(found) {
            let paths = fields.map(\.path)
            violations = Dictionary(grouping: found) {
                placement(of: $0, formPaths: paths, inputs: ["title", "geohash"]) ?? ""
            }
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}
