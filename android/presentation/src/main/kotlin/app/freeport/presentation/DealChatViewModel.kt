package app.freeport.presentation

import app.freeport.core.AppEventRecord
import app.freeport.core.ChatMessageView
import app.freeport.core.DealStage
import app.freeport.core.DealView
import app.freeport.core.RefusalView
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/**
 * The conversation part of a deal screen: the chat thread (text only, never part of a rating),
 * what the counterparty sent that was refused and why (typed codes the app words), the progress
 * reports and the mutual cancel, and blocking the counterparty. Every rule is the core's: this
 * model forwards taps and shows the core's answer (or its typed error).
 */
class DealChatViewModel(
    private val core: Core,
    private val nego: String,
    scope: CoroutineScope,
) : ScreenModel(scope) {

    /** What the chat section renders. */
    data class State(
        val deal: DealView? = null,
        /** Oldest first; the counterparty's unread ones carry `unread`. */
        val messages: List<ChatMessageView> = emptyList(),
        val draft: String = "",
        /** Their messages that were not accepted, newest first. */
        val refusals: List<RefusalView> = emptyList(),
        val busy: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    private fun busy(block: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail) {
            block()
            _state.update { it.copy(busy = false) }
        }
    }

    /** Reads the thread; the screen shows it, so it is marked read. */
    fun load(): Job = action(::fail) {
        val messages = core.chat(nego)
        if (messages.any { it.unread }) core.markChatRead(nego)
        val deal = core.deal(nego)
        val refusals = core.refusals(nego)
        _state.update { it.copy(deal = deal, messages = messages, refusals = refusals, error = null) }
    }

    fun edit(text: String) = _state.update { it.copy(draft = text) }

    /** Sends the draft (the core refuses empty, oversized or non-text messages with a typed error). */
    fun send(): Job = busy {
        val sent = core.chatSend(nego, _state.value.draft)
        _state.update { it.copy(messages = it.messages + sent, draft = "") }
    }

    /** Reports the deal's progress (`PickedUp`, then `Completed`, which closes the deal). */
    fun markStage(stage: DealStage): Job = busy {
        val d = core.markStage(nego, stage)
        _state.update { it.copy(deal = d) }
    }

    /** Asks the counterparty to agree to cancel the confirmed deal. */
    fun requestCancel(reason: String?): Job = busy {
        val d = core.requestCancel(nego, reason?.trim()?.ifEmpty { null })
        _state.update { it.copy(deal = d) }
    }

    /** Answers their request to cancel. */
    fun answerCancel(agree: Boolean): Job = busy {
        val d = if (agree) core.agreeCancel(nego) else core.declineCancel(nego)
        _state.update { it.copy(deal = d) }
    }

    /** Blocks the counterparty (silently: nothing tells them) or unblocks them. */
    fun setBlocked(blocked: Boolean): Job = busy {
        val d = _state.value.deal ?: core.deal(nego)
        if (blocked) core.block(d.counterparty) else core.unblock(d.counterparty)
        _state.update { it.copy(deal = core.deal(nego)) }
    }

    /** Follows new messages and the deal's changes while the screen is shown. */
    fun watch(): Job = core.watchEvents(scope, { ev ->
        when (ev) {
            is AppEventRecord.ChatReceived -> ev.nego == nego
            is AppEventRecord.NegotiationChanged -> ev.nego == nego
            else -> false
        }
    }) { load().join() }
}
