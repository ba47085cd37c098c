package app.freeport.presentation

import app.freeport.core.AppEventRecord
import app.freeport.core.DealView
import app.freeport.core.IntentView
import app.freeport.core.QuoteView
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/** Deal states in which nothing can change any more. */
internal val TERMINAL_STATES = setOf("met", "completed", "cancelled", "expired")

/** Deal states after both sides confirmed (contact may be shown, a meet code can be made). */
internal val CONFIRMED_STATES = setOf("confirmed", "met", "completed", "cancel_requested")

/** Deal states in which the intent's owner can still pick a quote. */
internal val PICKABLE_STATES = setOf("open", "accepted_by_them")

/** My intents and my deals (threads I am in, as owner or responder). */
class MyIntentsViewModel(private val core: Core, scope: CoroutineScope) : ScreenModel(scope) {

    /** What the "mine" screen renders. */
    data class State(
        val intents: List<IntentView> = emptyList(),
        val deals: List<DealView> = emptyList(),
        val loading: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(loading = false, error = e) }

    /** Reads my intents and deals from the core's store (works offline, after process death). */
    fun load(): Job = action(::fail) {
        _state.update { it.copy(loading = true, error = null) }
        val intents = core.myIntents()
        val deals = core.deals()
        _state.update { it.copy(loading = false, intents = intents, deals = deals) }
    }

    /** Withdraws one of my intents (open threads on it are cancelled by the core). */
    fun withdraw(intentId: String): Job = action(::fail) {
        core.withdrawIntent(intentId)
        _state.update { it.copy(intents = core.myIntents(), deals = core.deals()) }
    }

    /** Reloads whenever a negotiation changes or a deal is met, while the screen is shown. */
    fun watch(): Job = core.watchEvents(
        scope,
        { it is AppEventRecord.NegotiationChanged || it is AppEventRecord.DealMet },
    ) { load().join() }
}

/** Quotes on one of my intents, side by side with each responder's screening card; pick one. */
class QuotesViewModel(
    private val core: Core,
    private val intentId: String,
    scope: CoroutineScope,
) : ScreenModel(scope) {

    /** What the quotes screen renders. */
    data class State(
        val intent: IntentView? = null,
        val quotes: List<QuoteView> = emptyList(),
        /** Negotiation ids of the quotes that can be picked now (the others are closed). */
        val pickable: Set<String> = emptySet(),
        val picked: DealView? = null,
        val busy: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    /** Loads the intent and its quotes (live quotes first: open ones before closed ones). */
    fun load(): Job = action(::fail) {
        val intent = core.myIntents().firstOrNull { it.id == intentId }
        val quotes = sorted(core.quotes(intentId))
        _state.update { it.copy(intent = intent, quotes = quotes, pickable = pickable(quotes), error = null) }
    }

    /** Picks one quote: the core confirms it and declines the others. */
    fun pick(nego: String): Job = run {
        _state.update { it.copy(busy = true, error = null) }
        action(::fail) {
            val deal = core.pick(nego)
            val quotes = sorted(core.quotes(intentId))
            _state.update { it.copy(busy = false, picked = deal, quotes = quotes, pickable = pickable(quotes)) }
        }
    }

    /** The screen navigated to [State.picked]'s thread. */
    fun pickedShown() = _state.update { it.copy(picked = null) }

    private fun sorted(quotes: List<QuoteView>) = quotes.sortedBy { it.deal.state in TERMINAL_STATES }
    private fun pickable(quotes: List<QuoteView>) =
        quotes.filter { it.deal.state in PICKABLE_STATES }.map { it.deal.nego }.toSet()

    /** Reloads as quotes arrive. */
    fun watch(): Job = core.watchEvents(scope, { it is AppEventRecord.NegotiationChanged }) { load().join() }
}

/**
 * One negotiation thread: the terms on the table, counter / accept / cancel, rounds left; the
 * counterparty's contact appears only once the deal is confirmed.
 */
class NegotiationViewModel(
    private val core: Core,
    private val nego: String,
    scope: CoroutineScope,
) : ScreenModel(scope) {

    /** What the thread screen renders. */
    data class State(
        val deal: DealView? = null,
        /** The terms on the table as label/value lines. */
        val terms: List<Pair<String, String>> = emptyList(),
        /** Edits for a counter-offer, by top-level key. */
        val edits: Map<String, String> = emptyMap(),
        val canAccept: Boolean = false,
        val canCounter: Boolean = false,
        val canCancel: Boolean = false,
        /** Shown only when the deal is confirmed. */
        val contact: String? = null,
        val busy: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    private fun show(deal: DealView) = _state.update {
        it.copy(
            deal = deal,
            terms = MarketForms.lines(deal.termsJson),
            canAccept = deal.state in setOf("open", "accepted_by_them") && deal.proposedBy == "them",
            canCounter = deal.state in setOf("open", "accepted_by_them", "accepted_by_us") && deal.roundsLeft > 0u,
            canCancel = deal.state !in TERMINAL_STATES,
            contact = deal.theirContact?.takeIf { deal.state in CONFIRMED_STATES },
            busy = false,
        )
    }

    /** Shows the deal; what the notifications had to tell about it is now seen. */
    fun load(): Job = action(::fail) {
        show(core.deal(nego))
        core.markDealSeen(nego)
    }

    fun edit(key: String, value: String) = _state.update { it.copy(edits = it.edits + (key to value)) }

    fun accept(): Job = busy { show(core.accept(nego)) }

    /** Sends the edited terms as a counter-offer. */
    fun counter(): Job? {
        val s = _state.value
        val deal = s.deal ?: return null
        if (s.edits.isEmpty()) {
            _state.update { it.copy(error = UiError(UiError.Kind.LOCAL, LocalError.EMPTY, "terms")) }
            return null
        }
        val terms = MarketForms.withValues(deal.termsJson, s.edits)
        return busy {
            show(core.counter(nego, terms))
            _state.update { it.copy(edits = emptyMap()) }
        }
    }

    fun cancel(reason: String?): Job = busy { show(core.cancel(nego, reason?.trim()?.ifEmpty { null })) }

    private fun busy(block: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail, block)
    }

    /** Follows the other side's moves. */
    fun watch(): Job = core.watchEvents(scope, { ev ->
        when (ev) {
            is AppEventRecord.NegotiationChanged -> ev.nego == nego
            is AppEventRecord.DealMet -> ev.nego == nego
            else -> false
        }
    }) { load().join() }
}
