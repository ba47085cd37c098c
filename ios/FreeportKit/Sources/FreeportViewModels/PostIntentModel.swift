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

/// When a post is for: a time window picked with the platform's date pickers.
public struct PostWindow: Equatable, Sendable {
    /// The earliest time.
    public var start: Date
    /// The latest time.
    public var end: Date

    /// A window from `start` to `end`.
    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }
}

/// Post an intent: the market's form as the core describes it (`MarketView.form`); the entries go
/// to the core as typed, the core builds the payload and judges every field, and each violation
/// comes back as a code placed under its field. This model parses nothing and checks nothing.
///
/// Optionally, when: a time window and minutes of flexibility around it, sent as `windowStart` /
/// `windowEnd` / `flexMinutes`; whether the window makes sense (its end not before its start, not
/// already over) is the core's to say, under the end it concerns (`window_end`).
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
    /// When, if the user gives a time (nil: no window, and no flexibility).
    public private(set) var window: PostWindow?
    /// Minutes of flexibility around `window` (nil: exactly then).
    public var flexMinutes: UInt32? {
        didSet { violations["flex_minutes"] = nil }
    }
    /// The flexibility the form offers besides "exactly then", in minutes.
    public static let flexChoices: [UInt32] = [15, 30, 60, 120]
    /// Proof-of-work override (nil = the configured default; tests use 0).
    public var powBits: UInt8?
    /// A call is running.
    public private(set) var busy = false
    /// Last problem that is not about one input (network, storage…).
    public private(set) var error: UserError?
    /// The core's violations, by where they go: a form path (`/from`, also for `/from/geohash`),
    /// `title`, `geohash`, `window_start`, `window_end`, `flex_minutes`, or `""` for one under no
    /// input of this form.
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

    /// Gives the post a time: from the next full hour, for an hour (a starting point for the
    /// pickers; the user moves either end).
    public func addWindow(now: Date = Date(), calendar: Calendar = .current) {
        let start = calendar.dateInterval(of: .hour, for: now)?.end ?? now
        window = PostWindow(start: start, end: calendar.date(byAdding: .hour, value: 1, to: start) ?? start)
    }

    /// No time after all: the window and its flexibility go, with what the core said about them.
    public func removeWindow() {
        window = nil
        flexMinutes = nil
        for input in Self.windowInputs { violations[input] = nil }
    }

    /// Moves the start; the end moves along (the window keeps its length, as calendars do).
    public func setWindowStart(_ start: Date) {
        guard let w = window else { return }
        window = PostWindow(start: start, end: w.end.addingTimeInterval(start.timeIntervalSince(w.start)))
        violations["window_start"] = nil
        violations["window_end"] = nil
    }

    /// Moves only the end.
    public func setWindowEnd(_ end: Date) {
        guard let w = window else { return }
        window = PostWindow(start: w.start, end: end)
        violations["window_start"] = nil
        violations["window_end"] = nil
    }

    private static let windowInputs = ["window_start", "window_end", "flex_minutes"]

    /// What the core said about one input (a form path, `title`, `geohash`, `window_start`,
    /// `window_end` or `flex_minutes`).
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
            geohash: area, expiresInSecs: nil, powBits: powBits,
            windowStart: window.map { Self.unixSeconds($0.start) },
            windowEnd: window.map { Self.unixSeconds($0.end) },
            flexMinutes: flexMinutes)
        do {
            posted = try await core.postIntent(input: input)
            error = nil
        } catch let FreeportError.InvalidInput(found) {
            let paths = fields.map(\.path)
            violations = Dictionary(grouping: found) {
                placement(of: $0, formPaths: paths, inputs: ["title", "geohash"] + Self.windowInputs) ?? ""
            }
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// A picked date as the wire's unix seconds (a date before 1970 is not a date a picker offers).
    static func unixSeconds(_ date: Date) -> UInt64 {
        UInt64(max(0, date.timeIntervalSince1970.rounded(.down)))
    }
}
