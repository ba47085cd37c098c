package app.freeport.presentation

import app.freeport.core.AppEventRecord
import app.freeport.core.AppListener
import app.freeport.core.DealView
import app.freeport.core.FreeportApp
import app.freeport.core.IdentityView
import app.freeport.core.IntentView
import app.freeport.core.MarketView
import app.freeport.core.MeetCodeView
import app.freeport.core.MeetOutcomeView
import app.freeport.core.NeighbourhoodView
import app.freeport.core.OutboxItemView
import app.freeport.core.PostIntentInput
import app.freeport.core.ProfileInput
import app.freeport.core.ProfileView
import app.freeport.core.QuoteView
import app.freeport.core.RateRecord
import app.freeport.core.RelayStatusView
import app.freeport.core.ScreeningView
import app.freeport.core.SyncReport
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import app.freeport.core.fullNumberWarning as coreFullNumberWarning
import app.freeport.core.geohashFor as coreGeohashFor
import app.freeport.core.validateNpub as coreValidateNpub
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * What the view models need from the Rust core: a thin, suspend-only mirror of `FreeportApp`.
 *
 * Every call is a suspend function so no screen can touch SQLite, the secret store or the network
 * from the main thread; [FfiCore] moves the core's blocking calls to [Dispatchers.IO]. The same
 * interface is what the Compose app and the JVM tests use, always over the real core.
 */
interface Core {
    suspend fun hasIdentity(): Boolean
    suspend fun identity(): IdentityView?
    suspend fun createIdentity(): IdentityView
    suspend fun restoreIdentity(ncryptsec: String, passphrase: String): IdentityView
    suspend fun exportBackup(passphrase: String): String

    suspend fun startNetwork()
    suspend fun stopNetwork()
    suspend fun sync(): SyncReport
    suspend fun relayStatus(): List<RelayStatusView>
    suspend fun outbox(): List<OutboxItemView>
    suspend fun flushOutbox(timeoutMs: Long): Int

    suspend fun profile(pubkey: String): ProfileView
    suspend fun setProfile(input: ProfileInput): ProfileView
    fun fullNumberWarning(): String

    suspend fun markets(): List<MarketView>
    suspend fun geohashFor(lat: Double, lon: Double, precision: Int): String
    suspend fun browse(market: String, near: String?, radius: Int): List<IntentView>
    suspend fun postIntent(input: PostIntentInput): IntentView
    suspend fun withdrawIntent(intentId: String)
    suspend fun myIntents(): List<IntentView>
    suspend fun watchMarket(market: String)

    suspend fun respondAccept(intentId: String): DealView
    suspend fun respondCounter(intentId: String, termsJson: String): DealView
    suspend fun counter(nego: String, termsJson: String): DealView
    suspend fun accept(nego: String): DealView
    suspend fun cancel(nego: String, reason: String?): DealView
    suspend fun pick(nego: String): DealView
    suspend fun quotes(intentId: String): List<QuoteView>
    suspend fun deals(): List<DealView>
    suspend fun deal(nego: String): DealView

    suspend fun meetShow(nego: String, pngPx: Int): MeetCodeView
    suspend fun meetScanText(text: String): MeetOutcomeView
    suspend fun meetScanFrame(width: Int, height: Int, rowStride: Int, luma: ByteArray): MeetOutcomeView

    suspend fun rate(nego: String, input: RateRecord)

    suspend fun validateNpub(input: String): String
    suspend fun screen(subject: String, explain: Boolean): ScreeningView
    suspend fun trustNeighbourhood(maxNodes: Int): NeighbourhoodView

    /**
     * Registers [onEvent] for live core events (intent seen, negotiation changed, deal met…).
     * The subscription is active when this returns; [onEvent] runs on a core thread. Close the
     * result to stop.
     */
    fun subscribe(onEvent: (AppEventRecord) -> Unit): AutoCloseable
}

/**
 * Calls [reload] once now and again after every event [relevant] accepts, until the returned job
 * is cancelled. The subscription is made before this returns, so nothing that happens after the
 * call is missed.
 */
fun Core.watchEvents(
    scope: CoroutineScope,
    relevant: (AppEventRecord) -> Boolean,
    reload: suspend () -> Unit,
): Job {
    val events = Channel<AppEventRecord>(Channel.UNLIMITED)
    val subscription = subscribe { events.trySend(it) }
    return scope.launch {
        try {
            reload()
            for (ev in events) if (relevant(ev)) reload()
        } finally {
            subscription.close()
            events.close()
        }
    }
}

/** [Core] over the generated UniFFI `FreeportApp`; blocking calls run on [io]. */
class FfiCore(
    private val app: FreeportApp,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : Core {
    private suspend fun <T> blocking(block: () -> T): T = withContext(io) { block() }

    override suspend fun hasIdentity() = blocking { app.hasIdentity() }
    override suspend fun identity() = blocking { app.identity() }
    override suspend fun createIdentity() = blocking { app.createIdentity() }
    override suspend fun restoreIdentity(ncryptsec: String, passphrase: String) =
        blocking { app.restoreIdentity(ncryptsec, passphrase) }
    override suspend fun exportBackup(passphrase: String) = blocking { app.exportBackup(passphrase) }

    override suspend fun startNetwork() = app.startNetwork()
    override suspend fun stopNetwork() = app.stopNetwork()
    override suspend fun sync() = app.sync()
    override suspend fun relayStatus() = app.relayStatus()
    override suspend fun outbox() = app.outbox()
    override suspend fun flushOutbox(timeoutMs: Long) =
        app.flushOutbox(timeoutMs.coerceAtLeast(0).toULong()).toInt()

    override suspend fun profile(pubkey: String) = blocking { app.profile(pubkey) }
    override suspend fun setProfile(input: ProfileInput) = app.setProfile(input)
    override fun fullNumberWarning() = coreFullNumberWarning()

    override suspend fun markets() = blocking { app.markets() }
    override suspend fun geohashFor(lat: Double, lon: Double, precision: Int) =
        blocking { coreGeohashFor(lat, lon, precision.toUByteChecked("precision")) }
    override suspend fun browse(market: String, near: String?, radius: Int) =
        app.browse(market, near, radius.toUIntChecked("radius"))
    override suspend fun postIntent(input: PostIntentInput) = app.postIntent(input)
    override suspend fun withdrawIntent(intentId: String) = app.withdrawIntent(intentId)
    override suspend fun myIntents() = blocking { app.myIntents() }
    override suspend fun watchMarket(market: String) = app.watchMarket(market)

    override suspend fun respondAccept(intentId: String) = app.respondAccept(intentId)
    override suspend fun respondCounter(intentId: String, termsJson: String) =
        app.respondCounter(intentId, termsJson)
    override suspend fun counter(nego: String, termsJson: String) = app.counter(nego, termsJson)
    override suspend fun accept(nego: String) = app.accept(nego)
    override suspend fun cancel(nego: String, reason: String?) = app.cancel(nego, reason)
    override suspend fun pick(nego: String) = app.pick(nego)
    override suspend fun quotes(intentId: String) = blocking { app.quotes(intentId) }
    override suspend fun deals() = blocking { app.deals() }
    override suspend fun deal(nego: String) = blocking { app.deal(nego) }

    override suspend fun meetShow(nego: String, pngPx: Int) =
        blocking { app.meetShow(nego, pngPx.toUIntChecked("png_px")) }
    override suspend fun meetScanText(text: String) = app.meetScanText(text)
    override suspend fun meetScanFrame(width: Int, height: Int, rowStride: Int, luma: ByteArray) =
        app.meetScanFrame(
            width.toUIntChecked("width"),
            height.toUIntChecked("height"),
            rowStride.toUIntChecked("stride"),
            luma,
        )

    override suspend fun rate(nego: String, input: RateRecord) = app.rate(nego, input)

    override suspend fun validateNpub(input: String) = blocking { coreValidateNpub(input) }
    override suspend fun screen(subject: String, explain: Boolean) = app.screen(subject, explain)
    override suspend fun trustNeighbourhood(maxNodes: Int) =
        blocking { app.trustNeighbourhood(maxNodes.toUIntChecked("max_nodes")) }

    override fun subscribe(onEvent: (AppEventRecord) -> Unit): AutoCloseable {
        val handle = app.subscribe(object : AppListener {
            override fun onEvent(event: AppEventRecord) = onEvent(event)
        })
        return AutoCloseable {
            handle.cancel()
            handle.close()
        }
    }
}

/** A negative count or size is a programming error in the UI, refused before the core. */
internal fun Int.toUIntChecked(field: String): UInt {
    require(this >= 0) { "$field must not be negative (was $this)" }
    return toUInt()
}

internal fun Int.toUByteChecked(field: String): UByte {
    require(this in 0..255) { "$field must be in 0..255 (was $this)" }
    return toUByte()
}
