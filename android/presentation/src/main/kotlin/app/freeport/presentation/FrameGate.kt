package app.freeport.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Keep-only-latest camera frames for a scanning screen: at most one decode in flight. The
 * analyzer thread pays for a frame's copy only when that frame will be decoded; frames arriving
 * meanwhile, a copy that fails (a buffer the camera already recycled) or returns null (broken
 * geometry) are dropped, and the next frame is the retry.
 */
class FrameGate(private val scope: CoroutineScope) {
    private val busy = AtomicBoolean(false)

    /** No decode in flight. */
    val idle: Boolean get() = !busy.get()

    /** Takes the frame if idle and runs [decode] on it; the decoding job, or null when dropped. */
    fun launch(copy: () -> LumaFrame?, decode: suspend (LumaFrame) -> Unit): Job? {
        if (!busy.compareAndSet(false, true)) return null
        val frame = try {
            copy()
        } catch (e: RuntimeException) {
            null
        }
        if (frame == null) {
            busy.set(false)
            return null
        }
        return scope.launch {
            try {
                decode(frame)
            } finally {
                busy.set(false)
            }
        }
    }
}
