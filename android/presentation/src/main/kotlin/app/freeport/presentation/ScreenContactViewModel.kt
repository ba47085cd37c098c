package app.freeport.presentation

import app.freeport.core.ScreeningView
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/**
 * Screen a contact before meeting: a pasted npub (or a scanned profile QR, or a deal's
 * counterparty) → verdict, counts, and the path of proven deals that connects you.
 */
class ScreenContactViewModel(private val core: Core, scope: CoroutineScope) : ScreenModel(scope) {

    /** One hop of the drawn connection path. */
    data class PathStep(val pubkey: String, val name: String)

    /** What the screening screen renders. */
    data class State(
        val input: String = "",
        val screening: ScreeningView? = null,
        val path: List<PathStep> = emptyList(),
        val busy: Boolean = false,
        val error: UiError? = null,
        /** The camera is open to read their profile QR code. */
        val scanning: Boolean = false,
        /** Why the last frame gave nothing (no code yet, or a code that is not a public key). */
        val hint: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    fun setInput(text: String) = _state.update { it.copy(input = text, error = null) }

    /** Screens what was typed/pasted/scanned (npub, hex key or nostr: URI). */
    fun screen(): Job = screenSubject { core.validateNpub(_state.value.input) }

    /** Opens / closes the camera for their profile QR code. */
    fun startScan() = _state.update { it.copy(scanning = true, hint = null, error = null) }
    fun stopScan() = _state.update { it.copy(scanning = false, hint = null) }

    private val frames = FrameGate(scope)

    /**
     * A camera frame while scanning (keep-only-latest: [copy] runs only when no decode is in
     * flight). A frame whose code is a public key (`nostr:npub1…`, npub or hex) closes the
     * camera and screens that key; anything else is a hint and scanning goes on.
     */
    fun onFrame(copy: () -> LumaFrame?): Job? {
        if (!_state.value.scanning) return null
        return frames.launch(copy) { frame ->
            try {
                val text = core.decodeQrFrame(frame.width, frame.height, frame.rowStride, frame.bytes)
                val npub = core.validateNpub(text)
                if (!_state.value.scanning) return@launch
                _state.update { it.copy(scanning = false, hint = null, input = npub) }
                screenSubject { npub }.join()
            } catch (e: Exception) {
                if (e is kotlinx.coroutines.CancellationException) throw e
                _state.update { it.copy(hint = e.toUiError()) }
            }
        }
    }

    /**
     * Blocks the screened key (silently: their intents are hidden, their messages dropped) or
     * unblocks it; the card is screened again, so [ScreeningView.blocked] is the core's.
     */
    fun setBlocked(blocked: Boolean): Job? {
        val subject = _state.value.screening?.subjectNpub ?: return null
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail) {
            if (blocked) core.block(subject) else core.unblock(subject)
            val s = core.screen(subject, true)
            _state.update { it.copy(busy = false, screening = s) }
        }
    }

    /** Screens a deal's counterparty. */
    fun screenDeal(nego: String): Job = screenSubject { core.deal(nego).counterpartyNpub }

    private fun screenSubject(subject: suspend () -> String): Job {
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail) {
            val npub = subject()
            val s = core.screen(npub, true)
            val path = s.path.mapIndexed { i, pk ->
                PathStep(pk, s.pathNames.getOrNull(i)?.takeIf { it.isNotBlank() } ?: shortKey(pk))
            }
            _state.update { it.copy(busy = false, input = npub, screening = s, path = path) }
        }
    }

    companion object {
        /** `7e7e9c…df4e`, for a key without a known name. */
        fun shortKey(hex: String) = if (hex.length > 12) "${hex.take(6)}…${hex.takeLast(4)}" else hex
    }
}
