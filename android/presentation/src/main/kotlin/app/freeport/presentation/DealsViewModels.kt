package app.freeport.presentation

import app.freeport.core.AppEventRecord
import app.freeport.core.DealAction
import app.freeport.core.DealStage
import app.freeport.core.DealView
import app.freeport.core.IntentView
import app.freeport.core.QuoteView
import app.freeport.core.RefusalView
import app.freeport.core.TermView
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

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
        /** Negotiation ids of the quotes the core offers to pick now. */
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

    /**
     * Blocks the person behind quote [nego] (the core's `block`, as on the deal screen and a
     * screening card; the screen asks first): silently, their quotes on every intent are hidden
     * by the core, so the list reloads without them, and what they send is dropped. Unblocking is
     * in Settings.
     */
    fun block(nego: String): Job = run {
        _state.update { it.copy(busy = true, error = null) }
        action(::fail) {
            val who = _state.value.quotes.firstOrNull { it.deal.nego == nego }?.deal?.counterparty
                ?: core.deal(nego).counterparty
            core.block(who)
            val quotes = sorted(core.quotes(intentId))
            _state.update { it.copy(busy = false, quotes = quotes, pickable = pickable(quotes)) }
        }
    }

    /** The screen navigated to [State.picked]'s thread. */
    fun pickedShown() = _state.update { it.copy(picked = null) }

    /** Quotes something can still be done with first (the core offers actions on them). */
    private fun sorted(quotes: List<QuoteView>) = quotes.sortedBy { it.deal.actions.isEmpty() }
    private fun pickable(quotes: List<QuoteView>) =
        quotes.filter { DealAction.PICK in it.deal.actions }.map { it.deal.nego }.toSet()

    /** Reloads as quotes arrive. */
    fun watch(): Job = core.watchEvents(scope, { it is AppEventRecord.NegotiationChanged }) { load().join() }
}

/**
 * One negotiation thread: the terms on the table, rounds left, and exactly the moves the core
 * offers ([State.actions]: accept or pick, counter, cancel, ask / agree / decline to cancel, show
 * or scan the meet code, rate, chat, report the pick-up or completion). The counterparty's
 * contact is there once the core reveals it; what they sent that the core refused is listed with
 * its typed reason; the counterparty can be blocked (and unblocked) from here. The chat thread
 * itself is [DealChatViewModel]'s.
 */
class NegotiationViewModel(
    private val core: Core,
    private val nego: String,
    scope: CoroutineScope,
) : ScreenModel(scope) {

    /** What the thread screen renders. */
    data class State(
        val deal: DealView? = null,
        /** The terms on the table, typed and labelled by the core (money, options, places, the window). */
        val terms: List<TermView> = emptyList(),
        /** Edits for a counter-offer: a term's path (`/payment`) → the text typed. */
        val edits: Map<String, String> = emptyMap(),
        /** The moves the core offers now, in its order: one button each, nothing else. */
        val actions: List<DealAction> = emptyList(),
        /** Their contact, once the core reveals it (a confirmed deal). */
        val contact: String? = null,
        /** What the counterparty sent on this deal that the core refused, and why (typed). */
        val refusals: List<RefusalView> = emptyList(),
        /** The reason typed for a cancel or a request to cancel (optional). */
        val cancelReason: String = "",
        val busy: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    private suspend fun show(deal: DealView) {
        val refusals = core.refusals(nego)
        _state.update {
            it.copy(
                deal = deal,
                terms = deal.terms,
                actions = deal.actions,
                contact = deal.theirContact,
                refusals = refusals,
                busy = false,
            )
        }
    }

    /** Shows the deal; what the notifications had to tell about it is now seen. */
    fun load(): Job = action(::fail) {
        show(core.deal(nego))
        core.markDealSeen(nego)
    }

    /** Edits the term at [path] (a [TermView.path]) for a counter-offer. */
    fun edit(path: String, value: String) = _state.update { it.copy(edits = it.edits + (path to value)) }

    /** Accepts the terms on the table (on my own intent the core offers [pick] instead). */
    fun accept(): Job = busy { show(core.accept(nego)) }

    /** Picks this quote on my intent. */
    fun pick(): Job = busy { show(core.pick(nego)) }

    /**
     * Sends the edited terms as a counter-offer; the core converts each edit by the market's field
     * and refuses what it must (unchanged terms, not a number…) with a code per field.
     */
    fun counter(): Job {
        val edits = _state.value.let { MarketForms.counterEntries(it.terms, it.edits) }
        return busy {
            show(core.counterForm(nego, edits))
            _state.update { it.copy(edits = emptyMap()) }
        }
    }

    fun editCancelReason(text: String) = _state.update { it.copy(cancelReason = text) }

    /** Leaves the deal, with the typed reason if any. */
    fun cancel(reason: String? = _state.value.cancelReason): Job = busy {
        show(core.cancel(nego, reason.orNullIfBlank()))
        _state.update { it.copy(cancelReason = "") }
    }

    /** Asks them to agree to cancel the confirmed deal, with the typed reason if any. */
    fun requestCancel(reason: String? = _state.value.cancelReason): Job = busy {
        show(core.requestCancel(nego, reason.orNullIfBlank()))
        _state.update { it.copy(cancelReason = "") }
    }

    /** Agrees to their request to cancel. */
    fun agreeCancel(): Job = busy { show(core.agreeCancel(nego)) }

    /** Declines their request to cancel: the deal stays confirmed. */
    fun declineCancel(): Job = busy { show(core.declineCancel(nego)) }

    /**
     * Tells them how far the deal got ([DealAction.MARK_PICKED_UP] → [DealStage.PICKED_UP],
     * [DealAction.MARK_COMPLETED] → [DealStage.COMPLETED], which nothing reverses).
     */
    fun markStage(stage: DealStage): Job = busy { show(core.markStage(nego, stage)) }

    /**
     * Blocks the counterparty (silently: nothing tells them; their messages are dropped and
     * their intents hidden) or unblocks them. A blocked key is not offered [DealAction.CHAT].
     */
    fun setBlocked(blocked: Boolean): Job = busy {
        val d = _state.value.deal ?: core.deal(nego)
        if (blocked) core.block(d.counterparty) else core.unblock(d.counterparty)
        show(core.deal(nego))
    }

    private fun busy(block: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail, block)
    }

    /** Follows the other side's moves (and refusals of what they sent). */
    fun watch(): Job = core.watchEvents(scope, { ev ->
        when (ev) {
            is AppEventRecord.NegotiationChanged -> ev.nego == nego
            is AppEventRecord.DealMet -> ev.nego == nego
            is AppEventRecord.MessageRejected -> ev.nego == nego
            else -> false
        }
    }) { load().join() }
}

/** A typed reason, trimmed; blank is no reason. */
internal fun String?.orNullIfBlank(): String? = this?.trim()?.ifEmpty { null }
