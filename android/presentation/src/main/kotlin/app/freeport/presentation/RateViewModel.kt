package app.freeport.presentation

import app.freeport.core.DealView
import app.freeport.core.RateRecord
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/** Rate a deal partner: safe? reliable? (both required), an optional score, "I reached them". */
class RateViewModel(private val core: Core, private val nego: String, scope: CoroutineScope) : ScreenModel(scope) {

    /** What the rate screen renders. */
    data class State(
        val deal: DealView? = null,
        val safe: Boolean? = null,
        val reliable: Boolean? = null,
        /** Optional −1..2 for reference clients; derived from the answers when null. */
        val score: Int? = null,
        val reachedNumber: Boolean = false,
        /** "I reached them at their number" is offered only if they sent a contact. */
        val canAttestNumber: Boolean = false,
        val busy: Boolean = false,
        val done: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    fun load(): Job = action(::fail) {
        val deal = core.deal(nego)
        _state.update { it.copy(deal = deal, canAttestNumber = deal.theirContact != null, done = deal.rated) }
    }

    fun setSafe(v: Boolean) = _state.update { it.copy(safe = v, error = null) }
    fun setReliable(v: Boolean) = _state.update { it.copy(reliable = v, error = null) }
    /** The score as chosen; the core judges its range (a refused one is an error on `score`). */
    fun setScore(v: Int?) = _state.update { it.copy(score = v, error = null) }
    fun setReachedNumber(v: Boolean) = _state.update { it.copy(reachedNumber = v && it.canAttestNumber) }

    /** Publishes the rating (queued in the outbox when offline). */
    fun submit(): Job? {
        val s = _state.value
        val safe = s.safe
        val reliable = s.reliable
        if (safe == null || reliable == null) {
            _state.update {
                it.copy(error = UiError(UiError.Kind.LOCAL, LocalError.EMPTY, if (safe == null) "safe" else "reliable"))
            }
            return null
        }
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail) {
            val score = s.score?.let { if (it in Byte.MIN_VALUE..Byte.MAX_VALUE) it.toByte() else Byte.MAX_VALUE }
            core.rate(nego, RateRecord(safe, reliable, score, s.reachedNumber))
            val deal = core.deal(nego)
            _state.update { it.copy(busy = false, done = true, deal = deal) }
        }
    }

    companion object {
        /** The scores the picker offers (the reference client's −1..2); the core checks the range. */
        const val MIN_SCORE = -1
        const val MAX_SCORE = 2
    }
}
