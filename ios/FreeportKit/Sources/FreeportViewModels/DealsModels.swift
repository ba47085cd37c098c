import Foundation
import Observation
import FreeportCore

/// The user's own intents, with withdraw; each opens its quotes.
@MainActor
@Observable
public final class MyIntentsModel {
    /// Own intents, newest first.
    public private(set) var intents: [IntentView] = []
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// A model over `core`.
    public init(core: FreeportCoreAPI) {
        self.core = core
    }

    /// Reloads from the store.
    public func refresh() async {
        do {
            intents = try await core.myIntents()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Withdraws an intent (cancelling its open threads) and reloads.
    public func withdraw(_ intentId: String) async {
        do {
            try await core.withdrawIntent(intentId: intentId)
            await refresh()
        } catch {
            self.error = UserError(error)
        }
    }
}

/// Quotes on one of the user's intents, side by side with each responder's screening card;
/// picking one confirms it and tells every other responder the intent is filled.
@MainActor
@Observable
public final class QuotesModel {
    /// The intent quoted on.
    public let intentId: String
    /// Quotes, as the core orders them.
    public private(set) var quotes: [QuoteView] = []
    /// The picked thread, once picked.
    public private(set) var picked: DealView?
    /// A call is running.
    public private(set) var busy = false
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// Quotes on `intentId`.
    public init(core: FreeportCoreAPI, intentId: String) {
        self.core = core
        self.intentId = intentId
    }

    /// Quotes that can still be picked (not cancelled or expired).
    public var open: [QuoteView] {
        quotes.filter { !["cancelled", "expired", "completed"].contains($0.deal.state) }
    }

    /// Reloads.
    public func refresh() async {
        do {
            quotes = try await core.quotes(intentId: intentId)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Picks one quote.
    public func pick(_ nego: String) async {
        busy = true
        defer { busy = false }
        do {
            picked = try await core.pick(nego: nego)
            await refresh()
        } catch {
            self.error = UserError(error)
        }
    }
}

/// All threads (the Deals tab): each opens its negotiation, meet or rate screen.
@MainActor
@Observable
public final class DealsModel {
    /// Every thread, as the core orders them.
    public private(set) var deals: [DealView] = []
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// A model over `core`.
    public init(core: FreeportCoreAPI) {
        self.core = core
    }

    /// Threads needing the user: terms from them to answer, a meeting, a rating.
    public var needsAttention: [DealView] {
        deals.filter { d in
            (d.state == "open" && d.proposedBy == "them") || d.state == "accepted_by_them" || d.canMeet || d.canRate
        }
    }

    /// Reloads.
    public func refresh() async {
        do {
            deals = try await core.deals()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}

/// One negotiation thread: terms on the table, counter / accept / cancel, rounds left, and
/// the counterparty's contact once (and only once) the deal is confirmed.
@MainActor
@Observable
public final class NegotiationModel {
    /// The thread id.
    public let nego: String
    /// The thread, once loaded.
    public private(set) var deal: DealView?
    /// Editable copy of the terms for a counter-proposal (key → text).
    public var draft: [String: String] = [:]
    /// Reason typed for a cancel.
    public var cancelReason = ""
    /// A call is running.
    public private(set) var busy = false
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// A model for thread `nego`.
    public init(core: FreeportCoreAPI, nego: String) {
        self.core = core
        self.nego = nego
    }

    /// A model for a thread already loaded.
    public convenience init(core: FreeportCoreAPI, deal: DealView) {
        self.init(core: core, nego: deal.nego)
        apply(deal)
    }

    private static let live: Set<String> = ["open", "accepted_by_us", "accepted_by_them"]

    /// Terms on the table, as rows.
    public var terms: [TermRow] { deal.map { JSONText.rows($0.termsJson) } ?? [] }
    /// Accept is offered on their proposal, or to confirm once they accepted ours.
    public var canAccept: Bool {
        guard let d = deal, !busy, Self.live.contains(d.state), d.state != "accepted_by_us" else { return false }
        return d.proposedBy == "them" || d.state == "accepted_by_them"
    }
    /// A counter is possible while rounds are left and the thread is live.
    public var canCounter: Bool {
        guard let d = deal, !busy else { return false }
        return Self.live.contains(d.state) && d.roundsLeft > 0
    }
    /// Cancel is possible before the meeting.
    public var canCancel: Bool {
        guard let d = deal, !busy else { return false }
        return Self.live.contains(d.state) || d.state == "confirmed"
    }
    /// The counterparty's contact (nil until confirmed; the core enforces this).
    public var contact: String? { deal?.theirContact }

    /// Reloads; what notifications had to tell about this deal is now seen.
    public func refresh() async {
        await run { try await self.core.deal(nego: self.nego) }
        _ = try? await core.markDealSeen(nego: nego)
    }

    /// Accepts the terms on the table (reveals the user's contact).
    public func accept() async {
        guard canAccept else { return }
        await run { try await self.core.accept(nego: self.nego) }
    }

    /// Proposes the edited `draft` (merged over the terms on the table).
    public func counter() async {
        guard canCounter, let d = deal else { return }
        var terms = JSONText.object(d.termsJson) ?? [:]
        for (k, text) in draft {
            let current = terms[k]
            if current is NSNumber, let n = Double(text) {
                terms[k] = n.rounded() == n && abs(n) < 1e15 ? Int(n) as Any : n as Any
            } else if current == nil || current is String {
                terms[k] = text
            }
        }
        guard let json = JSONText.string(terms) else { return }
        await run { try await self.core.counter(nego: self.nego, termsJson: json) }
    }

    /// Cancels, with the typed reason if any.
    public func cancel() async {
        guard canCancel else { return }
        let reason = cancelReason.trimmingCharacters(in: .whitespacesAndNewlines)
        await run { try await self.core.cancel(nego: self.nego, reason: reason.isEmpty ? nil : reason) }
    }

    private func apply(_ d: DealView) {
        deal = d
        var editable: [String: String] = [:]
        if let obj = JSONText.object(d.termsJson) {
            for (k, v) in obj where v is String || v is NSNumber {
                editable[k] = JSONText.render(v)
            }
        }
        draft = editable
    }

    private func run(_ body: @MainActor () async throws -> DealView) async {
        busy = true
        defer { busy = false }
        do {
            apply(try await body())
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}
