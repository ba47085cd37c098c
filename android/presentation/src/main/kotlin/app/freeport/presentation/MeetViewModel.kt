package app.freeport.presentation

import app.freeport.core.DealState
import app.freeport.core.DealView
import app.freeport.core.MeetCodeView
import app.freeport.core.MeetOutcomeView
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch

/** Seconds since the Unix epoch; injectable so countdowns are testable. */
fun interface Clock {
    fun nowSecs(): Long

    companion object {
        /** The system clock. */
        val SYSTEM = Clock { System.currentTimeMillis() / 1000 }
    }
}

/**
 * The meetup, offline: one phone shows a rotating single-use code (with a countdown to the next
 * one), the other scans it from camera frames; the scanner then shows a return code the first
 * phone scans. Both end with the same words on screen, to compare aloud, and the deal is met.
 */
class MeetViewModel(
    private val core: Core,
    private val nego: String,
    scope: CoroutineScope,
    private val clock: Clock = Clock.SYSTEM,
    /** Edge of the QR image to request, in pixels. */
    private val pngPx: Int = 720,
) : ScreenModel(scope) {

    /** What the screen is doing. */
    enum class Mode { IDLE, SHOW, SCAN, DONE }

    /** What the meet screen renders. */
    data class State(
        val deal: DealView? = null,
        val mode: Mode = Mode.IDLE,
        val code: MeetCodeView? = null,
        /** Seconds until the shown code is replaced (the visible countdown). */
        val secondsToRefresh: Long = 0,
        /**
         * Why the last camera frame gave no usable code (a live hint, not an error): kind
         * [UiError.Kind.INVALID_CODE], the core's reason in `detail`.
         */
        val hint: UiError? = null,
        val outcome: MeetOutcomeView? = null,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()
    private val frames = FrameGate(scope)
    private var ticker: Job? = null

    private fun fail(e: UiError) = _state.update { it.copy(error = e) }

    fun load(): Job = action(::fail) {
        val deal = core.deal(nego)
        _state.update { it.copy(deal = deal, mode = if (deal.state == DealState.MET) Mode.DONE else it.mode) }
    }

    /** Shows a code and keeps it fresh: call [stop] (or cancel the scope) to end the rotation. */
    fun show(): Job = action(::fail) {
        _state.update { it.copy(mode = Mode.SHOW, error = null, hint = null) }
        refreshCode()
        ticker?.cancel()
        ticker = scope.launch {
            while (isActive && _state.value.mode == Mode.SHOW) {
                delay(1_000)
                tick().join()
            }
        }
    }

    /** One countdown step: updates the seconds left and fetches a fresh code when due. */
    fun tick(): Job = action(::fail) {
        val code = _state.value.code ?: return@action
        if (_state.value.mode != Mode.SHOW) return@action
        if (clock.nowSecs() >= code.refreshAt.toLong()) {
            refreshCode()
        } else {
            _state.update { it.copy(secondsToRefresh = code.refreshAt.toLong() - clock.nowSecs()) }
        }
        // The other phone may have scanned us and we may have scanned its return code already.
        val deal = core.deal(nego)
        if (deal.state == DealState.MET) stopWith(Mode.DONE, deal)
    }

    private suspend fun refreshCode() {
        val code = core.meetShow(nego, pngPx)
        _state.update {
            it.copy(code = code, secondsToRefresh = (code.refreshAt.toLong() - clock.nowSecs()).coerceAtLeast(0))
        }
    }

    /** Switches to scanning (the camera starts sending frames). */
    fun scan() {
        ticker?.cancel()
        _state.update { it.copy(mode = Mode.SCAN, error = null, hint = null) }
    }

    /** Stops showing / scanning. */
    fun stop() = stopWith(Mode.IDLE, null)

    private fun stopWith(mode: Mode, deal: DealView?) {
        ticker?.cancel()
        _state.update { it.copy(mode = mode, deal = deal ?: it.deal) }
    }

    /** True while a camera frame would be decoded (scanning, and no decode in flight). */
    val wantsFrame: Boolean get() = _state.value.mode == Mode.SCAN && frames.idle

    /**
     * One camera frame's luminance plane. Frames arriving while one is being decoded, or after a
     * code was accepted, are dropped; returns the decoding job, or null when dropped.
     */
    fun onFrame(width: Int, height: Int, rowStride: Int, luma: ByteArray): Job? =
        onFrame { LumaFrame(width, height, rowStride, luma) }

    /**
     * A camera frame whose luminance [copy] produces only if the frame is taken: the analyzer
     * thread calls this before closing the image, and pays for the copy only when no decode is
     * in flight (keep-only-latest). [copy] returning null (broken geometry) drops the frame.
     */
    fun onFrame(copy: () -> LumaFrame?): Job? {
        if (_state.value.mode != Mode.SCAN) return null
        return frames.launch(copy) { frame ->
            try {
                accept(core.meetScanFrame(frame.width, frame.height, frame.rowStride, frame.bytes))
            } catch (e: Exception) {
                if (e is kotlinx.coroutines.CancellationException) throw e
                val err = e.toUiError()
                // Frames without a (valid) code are normal while aiming: a hint, keep scanning.
                if (err.kind == UiError.Kind.INVALID_CODE) {
                    _state.update { it.copy(hint = err) }
                } else {
                    _state.update { it.copy(error = err) }
                }
            }
        }
    }

    /** A code typed or pasted (remote deals, or a phone without a camera). */
    fun onText(text: String): Job = action(::fail) { accept(core.meetScanText(text.trim())) }

    private suspend fun accept(outcome: MeetOutcomeView) {
        // The core matches a code to whichever of our confirmed deals it names, which may not be
        // the one this screen was opened for: show the deal that was actually met.
        val deal = core.deal(outcome.nego)
        ticker?.cancel()
        _state.update { it.copy(outcome = outcome, mode = Mode.DONE, hint = null, error = null, deal = deal) }
    }
}
