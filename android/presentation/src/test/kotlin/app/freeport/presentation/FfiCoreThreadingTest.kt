package app.freeport.presentation

import app.freeport.core.FreeportException
import app.freeport.core.ProfileInput
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Test
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.Executors
import kotlin.coroutines.CoroutineContext
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * "No network on the main thread": every [Core] call made from a main-like thread must leave it.
 * UniFFI polls a Rust future on the thread that awaits it, so an async core method called from
 * `viewModelScope` would otherwise run its synchronous parts (SQLite, signing, QR decoding) on
 * the main thread. The test runs each call on a single "main" thread and records, through the
 * IO dispatcher [FfiCore] is given, that the call was dispatched away from it.
 */
class FfiCoreThreadingTest {
    /** Dispatches to a real pool and remembers which calls came through. */
    private class RecordingIo : CoroutineDispatcher() {
        val threads: MutableSet<String> = ConcurrentHashMap.newKeySet()
        var dispatches = 0
            private set

        override fun dispatch(context: CoroutineContext, block: Runnable) {
            synchronized(this) { dispatches++ }
            Dispatchers.IO.dispatch(context) {
                threads.add(Thread.currentThread().name)
                block.run()
            }
        }
    }

    @Test
    fun `every core call, async ones included, runs off the calling thread`() = runBlocking<Unit> {
        val phone = Phone(relayUrl = null)
        val io = RecordingIo()
        val core = FfiCore(phone.app, io)
        val main = Executors.newSingleThreadExecutor { Thread(it, "fake-main") }.asCoroutineDispatcher()
        try {
            // name → the call, made on the "main" thread; errors are fine (offline, bad input):
            // what matters is where the work ran.
            val calls: List<Pair<String, suspend () -> Unit>> = listOf(
                "hasIdentity" to { core.hasIdentity() },
                "createIdentity" to { core.createIdentity() },
                "identity" to { core.identity() },
                "setProfile (async)" to { core.setProfile(ProfileInput("Eve", null, null, false, null, null, null)) },
                "markets" to { core.markets() },
                "browse (async)" to { core.browse("sg-rideshare", "w21z7", 1) },
                "myIntents" to { core.myIntents() },
                "deals" to { core.deals() },
                "relayStatus (async)" to { core.relayStatus() },
                "outbox (async)" to { core.outbox() },
                "meetScanText (async)" to { core.meetScanText("not a code") },
                "meetScanFrame (async)" to { core.meetScanFrame(64, 48, 64, ByteArray(64 * 48) { 0x7f }) },
                "screen (async)" to { core.screen(checkNotNull(core.identity()).npub, false) },
                "geohashFor" to { core.geohashFor(1.3521, 103.8198, 5) },
                "validateNpub" to { core.validateNpub("npub1nope") },
                "stopNetwork (async)" to { core.stopNetwork() },
            )
            for ((name, call) in calls) {
                val before = io.dispatches
                withContext(main) {
                    try {
                        call()
                    } catch (e: FreeportException) {
                        // A typed refusal from the core still had to run there.
                    }
                }
                assertTrue(io.dispatches > before, "$name did not leave the calling thread")
            }
            assertTrue(io.threads.none { it == "fake-main" }, "${io.threads}")
            assertEquals(true, core.hasIdentity())
        } finally {
            main.close()
            phone.close()
        }
    }
}
