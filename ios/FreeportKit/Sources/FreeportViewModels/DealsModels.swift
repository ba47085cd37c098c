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

    /// Quotes the core offers to pick now.
    public var pickable: [QuoteView] {
        quotes.filter { $0.deal.actions.contains(.pick) }
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

    /// Blocks the person behind quote `nego` (the core's `block`, as on the deal screen and a
    /// screening card; the screen asks first): silently, the core leaves their quotes out, so the
    /// list reloads without them, and drops what they send. Unblocking is in Settings.
    public func block(_ nego: String) async {
        busy = true
        defer { busy = false }
        do {
            let who: String
            if let quote = quotes.first(where: { $0.deal.nego == nego }) {
                who = quote.deal.counterparty
            } else {
                who = try await core.deal(nego: nego).counterparty
            }
            _ = try await core.block(key: who)
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

    /// Threads with unread messages, or where the core offers a move besides leaving and
    /// writing (answer terms, pick, answer a request to cancel, meet, rate, report progress).
    public var needsAttention: [DealView] {
        deals.filter { d in
            d.unread > 0 || d.actions.contains { ![.cancel, .requestCancel, .chat].contains($0) }
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

/// One negotiation thread: terms on the table, rounds left, and exactly the moves the core offers
/// (`actions`: accept or pick, counter, cancel, ask / agree / decline to cancel, meet, rate,
/// chat, report the pick-up or completion); the counterparty's contact once (and only once) the
/// deal is confirmed; what the counterparty sent that the core refused, with its code; blocking
/// them. The chat thread itself is `ChatModel`'s.
@MainActor
@Observable
public final class NegotiationModel {
    /// The thread id.
    public let nego: String
    /// The thread, once loaded.
    public private(set) var deal: DealView?
    /// Editable copy of the terms for a counter-proposal (a term's path, `/payment` → text).
    public var draft: [String: String] = [:]
    /// The terms as first shown, to send only what was edited.
    private var shown: [String: String] = [:]
    /// Reason typed for a cancel.
    public var cancelReason = ""
    /// What the counterparty sent on this deal that the core refused, and why (typed).
    public private(set) var refusals: [RefusalView] = []
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

    /// Terms on the table, as the core typed them, as rows.
    public var terms: [TermRow] { deal.map { TermRow.rows($0.terms) } ?? [] }
    /// The moves the core offers now, in its order (none while a call runs): one button each.
    public var actions: [DealAction] { busy ? [] : deal?.actions ?? [] }
    /// Whether the core offers `action` now.
    public func offers(_ action: DealAction) -> Bool { actions.contains(action) }
    /// The counterparty's contact (nil until confirmed; the core enforces this).
    public var contact: String? { deal?.theirContact }

    /// Reloads; what notifications had to tell about this deal is now seen.
    public func refresh() async {
        await run { try await self.core.deal(nego: self.nego) }
        _ = try? await core.markDealSeen(nego: nego)
    }

    /// Accepts the terms on the table (reveals the user's contact).
    public func accept() async {
        guard offers(.accept) else { return }
        await run { try await self.core.accept(nego: self.nego) }
    }

    /// Picks this quote on the user's own intent.
    public func pick() async {
        guard offers(.pick) else { return }
        await run { try await self.core.pick(nego: self.nego) }
    }

    /// Proposes the edited `draft`: the core converts each edit by the market's field (numbers,
    /// options, places) and refuses what it must, per field.
    public func counter() async {
        guard offers(.counter) else { return }
        let edits = draft.filter { shown[$0.key] != $0.value }.sorted { $0.key < $1.key }
            .map { FormEntry(path: $0.key, value: .text(text: $0.value)) }
        await run { try await self.core.counterForm(nego: self.nego, entries: edits) }
    }

    /// Cancels, with the typed reason if any.
    public func cancel() async {
        guard offers(.cancel) else { return }
        await run { try await self.core.cancel(nego: self.nego, reason: reasonOrNil(self.cancelReason)) }
        if error == nil { cancelReason = "" }
    }

    /// Asks them to agree to cancel the confirmed deal, with the typed reason if any.
    public func requestCancel() async {
        guard offers(.requestCancel) else { return }
        await run { try await self.core.requestCancel(nego: self.nego, reason: reasonOrNil(self.cancelReason)) }
        if error == nil { cancelReason = "" }
    }

    /// Agrees to their request to cancel.
    public func agreeCancel() async {
        guard offers(.agreeCancel) else { return }
        await run { try await self.core.agreeCancel(nego: self.nego) }
    }

    /// Declines their request to cancel: the deal stays confirmed.
    public func declineCancel() async {
        guard offers(.declineCancel) else { return }
        await run { try await self.core.declineCancel(nego: self.nego) }
    }

    /// Tells them the goods or the passenger were picked up (`.markPickedUp`).
    public func markPickedUp() async {
        guard offers(.markPickedUp) else { return }
        await run { try await self.core.markStage(nego: self.nego, stage: .pickedUp) }
    }

    /// Tells them the deal is done (`.markCompleted`; nothing reverses it).
    public func markCompleted() async {
        guard offers(.markCompleted) else { return }
        await run { try await self.core.markStage(nego: self.nego, stage: .completed) }
    }

    /// Blocks the counterparty (silently: their messages are dropped, their intents hidden,
    /// they are not told) or unblocks them. A blocked key is not offered `.chat`.
    public func setBlocked(_ blocked: Bool) async {
        await run {
            let d: DealView
            if let loaded = self.deal {
                d = loaded
            } else {
                d = try await self.core.deal(nego: self.nego)
            }
            if blocked {
                _ = try await self.core.block(key: d.counterparty)
            } else {
                _ = try await self.core.unblock(key: d.counterparty)
            }
            return try await self.core.deal(nego: self.nego)
        }
    }

    private func apply(_ d: DealView) {
        deal = d
        var editable: [String: String] = [:]
        // By path, as the core wrote each term for editing (as typed; numbers as JSON writes them).
        for t in d.terms {
            if let text = t.editText { editable[t.path] = text }
        }
        draft = editable
        shown = editable
    }

    private func run(_ body: @MainActor () async throws -> DealView) async {
        busy = true
        defer { busy = false }
        do {
            apply(try await body())
            refusals = try await core.refusals(nego: nego)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}
