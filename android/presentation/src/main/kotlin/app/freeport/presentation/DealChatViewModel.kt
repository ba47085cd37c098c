package app.freeport.presentation

import app.freeport.core.AppEventRecord
import app.freeport.core.ChatMessageView
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/**
 * The chat thread of a deal (text only; never part of a rating): the messages, the draft, and
 * sending it. Whether the user may write at all is the core's [app.freeport.core.DealAction.CHAT]
 * in the deal's actions ([NegotiationViewModel.State.actions]); an empty, oversized or
 * not-allowed message is the core's typed refusal, shown as [State.error], and the draft stays
 * for editing. Showing the thread marks it read.
 */
class DealChatViewModel(
    private val core: Core,
    private val nego: String,
    scope: CoroutineScope,
) : ScreenModel(scope) {

    /** What the chat section renders. */
    data class State(
        /** Oldest first; the counterparty's unread ones carry `unread`. */
        val messages: List<ChatMessageView> = emptyList(),
        val draft: String = "",
        val loaded: Boolean = false,
        val busy: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    /** Reads the thread; the screen shows it, so it is marked read. */
    fun load(): Job = action(::fail) {
        val messages = core.chat(nego)
        if (messages.any { it.unread }) core.markChatRead(nego)
        _state.update { it.copy(messages = messages, loaded = true) }
    }

    fun edit(text: String) = _state.update { it.copy(draft = text, error = null) }

    /** Sends the draft (the core refuses empty, oversized or not-allowed messages with a typed error). */
    fun send(): Job {
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail) {
            val sent = core.chatSend(nego, _state.value.draft)
            _state.update { it.copy(messages = it.messages + sent, draft = "", busy = false) }
        }
    }

    /** Follows new messages while the screen is shown. */
    fun watch(): Job = core.watchEvents(scope, { ev -> ev is AppEventRecord.ChatReceived && ev.nego == nego }) {
        load().join()
    }
}
