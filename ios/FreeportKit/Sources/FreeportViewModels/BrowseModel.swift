import Foundation
import Observation
import FreeportCore

/// Markets and "Browse near me": a market, an area (from the device location at a chosen
/// precision, or typed), and the live intents there with each author's screening badge.
@MainActor
@Observable
public final class BrowseModel {
    /// Geohash precisions offered, with the approximate cell size a UI can show.
    public static let precisions: [(precision: UInt8, approxKm: Double)] = [
        (3, 156), (4, 39), (5, 4.9), (6, 1.2),
    ]

    /// Markets known to the core.
    public private(set) var markets: [MarketView] = []
    /// Selected market topic.
    public var market: String?
    /// Precision used when turning the device location into an area.
    public var precision: UInt8 = 5
    /// Rings of neighbouring cells included around the area (0 = the cell only).
    public var radius: UInt32 = 1
    /// The area searched, a geohash; nil = the whole market.
    public private(set) var area: String?
    /// Intents found.
    public private(set) var intents: [IntentView] = []
    /// A call is running.
    public private(set) var loading = false
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// A model over `core`.
    public init(core: FreeportCoreAPI) {
        self.core = core
    }

    /// Loads the markets and selects the first one if none is selected.
    public func loadMarkets() async {
        do {
            markets = try await core.markets()
            if market == nil { market = markets.first?.topic }
        } catch {
            self.error = UserError(error)
        }
    }

    /// Uses the device location: the core turns it into a geohash at `precision`.
    public func useLocation(latitude: Double, longitude: Double) {
        do {
            area = try geohashFor(lat: latitude, lon: longitude, precision: precision)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Uses a typed area (a geohash; the core validates it when browsing). Empty clears it.
    public func useTypedArea(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        area = t.isEmpty ? nil : t
    }

    /// Fetches (when online) and lists the market's live intents in the area.
    public func refresh() async {
        guard let market else { return }
        loading = true
        defer { loading = false }
        do {
            intents = try await core.browse(market: market, near: area, radius: radius)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}

/// One intent seen while browsing: its terms, the author's screening card, and respond.
@MainActor
@Observable
public final class IntentDetailModel {
    /// The intent.
    public let intent: IntentView
    /// The author's screening card, once loaded.
    public private(set) var screening: ScreeningView?
    /// The thread opened by responding.
    public private(set) var deal: DealView?
    /// A call is running.
    public private(set) var busy = false
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// A model for `intent`.
    public init(core: FreeportCoreAPI, intent: IntentView) {
        self.core = core
        self.intent = intent
    }

    /// The payload as the core typed it, as rows for display.
    public var rows: [TermRow] { TermRow.rows(intent.terms) }

    /// The intent's time window as the locale writes a date range, nil when it has none.
    public var window: String? {
        guard let start = intent.windowStart, let end = intent.windowEnd else { return nil }
        return Formats.window(start: start, end: end)
    }

    /// Responding is what the core offers on this intent (not ours, live, not answered yet).
    public var canRespond: Bool {
        deal == nil && !busy && (intent.actions.contains(.accept) || intent.actions.contains(.counter))
    }

    /// Loads the author's screening card (fetching from the relays when online).
    public func loadScreening() async {
        do {
            screening = try await core.screen(subject: intent.author, explain: false)
        } catch {
            self.error = UserError(error)
        }
    }

    /// Accepts the terms as posted (this reveals the user's contact to the author).
    public func acceptAsPosted() async {
        guard canRespond else { return }
        await run { try await self.core.respondAccept(intentId: self.intent.id) }
    }

    /// Proposes other terms: `changes` (top-level key → text as typed) edit the posted terms; the
    /// core converts them by the market's fields and refuses what it must, per field.
    public func propose(_ changes: [String: String]) async {
        guard canRespond else { return }
        let edits = changes.sorted { $0.key < $1.key }.map { termEntry($0.key, $0.value) }
        await run { try await self.core.respondCounterForm(intentId: self.intent.id, entries: edits) }
    }

    private func run(_ body: @MainActor () async throws -> DealView) async {
        busy = true
        defer { busy = false }
        do {
            deal = try await body()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}
