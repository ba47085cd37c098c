package app.freeport.presentation

import app.freeport.core.AppEventRecord
import app.freeport.core.AppListener
import app.freeport.core.BlockedView
import app.freeport.core.ChatMessageView
import app.freeport.core.DealStage
import app.freeport.core.DealView
import app.freeport.core.FieldViolation
import app.freeport.core.FormEntry
import app.freeport.core.FreeportApp
import app.freeport.core.IdentityView
import app.freeport.core.IntentView
import app.freeport.core.MarketView
import app.freeport.core.MeetCodeView
import app.freeport.core.MeetOutcomeView
import app.freeport.core.NeighbourhoodView
import app.freeport.core.Notice
import app.freeport.core.NoticeSettings
import app.freeport.core.OutboxItemView
import app.freeport.core.PassReport
import app.freeport.core.PassphrasePurpose
import app.freeport.core.PostIntentInput
import app.freeport.core.ProfileInput
import app.freeport.core.ProfileView
import app.freeport.core.QuoteView
import app.freeport.core.RateRecord
import app.freeport.core.RefusalView
import app.freeport.core.RelayFileImport
import app.freeport.core.RelaySettingsView
import app.freeport.core.RelayStatusView
import app.freeport.core.ScreeningView
import app.freeport.core.SyncReport
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import app.freeport.core.checkPassphrase as coreCheckPassphrase
import app.freeport.core.coreVersion as coreVersionString
import app.freeport.core.fullNumberWarning as coreFullNumberWarning
import app.freeport.core.geohashFor as coreGeohashFor
import app.freeport.core.decodeQrFrame as coreDecodeQrFrame
import app.freeport.core.qrPng as coreQrPng
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
    /** The relay settings (read, write, inbox), kept and checked by the core. */
    suspend fun relaySettings(): RelaySettingsView
    /** Replaces the lists given (null leaves one as it is); refused: `InvalidRelays`, no change. */
    suspend fun setRelaySettings(read: List<String>?, write: List<String>?, inbox: List<String>?): RelaySettingsView
    suspend fun resetRelaySettings(): RelaySettingsView
    /** Imports (once) and removes the relay file an earlier version kept. */
    suspend fun importRelayFile(path: String): RelayFileImport
    suspend fun outbox(): List<OutboxItemView>
    suspend fun flushOutbox(timeoutMs: Long): Int

    suspend fun profile(pubkey: String): ProfileView
    suspend fun setProfile(input: ProfileInput): ProfileView
    fun fullNumberWarning(): String

    /** The core library's version (a constant; cheap, no I/O). */
    fun coreVersion(): String

    /** What a passphrase breaks under the core's backup rule (pure, cheap: call per keystroke). */
    fun checkPassphrase(passphrase: String, confirmation: String?, purpose: PassphrasePurpose): List<FieldViolation>

    /**
     * The user's preferred languages, most preferred first (BCP 47 tags): from now on the
     * bundled markets ([markets]: titles, descriptions, form labels, placeholders, option labels)
     * read in the first of them Freeport speaks. In memory only and cheap (no I/O), so it is a
     * plain call: the app makes it at start and on every configuration change, before screens
     * reload. Malformed or unknown tags are skipped (English if nothing matches).
     */
    fun setLocales(tags: List<String>)
    /** The markets with their forms, in the language last given to [setLocales]. */
    suspend fun markets(): List<MarketView>
    suspend fun geohashFor(lat: Double, lon: Double, precision: Int): String
    suspend fun browse(market: String, near: String?, radius: Int): List<IntentView>
    suspend fun postIntent(input: PostIntentInput): IntentView
    /** The payload a form's entries make, or `InvalidInput` with every field's violation. */
    suspend fun buildPayload(market: String, entries: List<FormEntry>): String
    suspend fun withdrawIntent(intentId: String)
    suspend fun myIntents(): List<IntentView>
    suspend fun watchMarket(market: String)

    suspend fun respondAccept(intentId: String): DealView
    suspend fun respondCounter(intentId: String, termsJson: String): DealView
    suspend fun respondCounterForm(intentId: String, entries: List<FormEntry>): DealView
    suspend fun counter(nego: String, termsJson: String): DealView
    suspend fun counterForm(nego: String, entries: List<FormEntry>): DealView
    suspend fun accept(nego: String): DealView
    suspend fun cancel(nego: String, reason: String?): DealView
    suspend fun requestCancel(nego: String, reason: String?): DealView
    suspend fun agreeCancel(nego: String): DealView
    suspend fun declineCancel(nego: String): DealView
    suspend fun pick(nego: String): DealView
    suspend fun quotes(intentId: String): List<QuoteView>
    suspend fun deals(): List<DealView>
    suspend fun deal(nego: String): DealView
    suspend fun markStage(nego: String, stage: DealStage): DealView

    /** Chat inside a deal (text only; never part of a rating). */
    suspend fun chatSend(nego: String, text: String): ChatMessageView
    suspend fun chat(nego: String): List<ChatMessageView>
    suspend fun markChatRead(nego: String): Int
    /** Messages from counterparties that were refused, and why (one deal's, or all). */
    suspend fun refusals(nego: String?): List<RefusalView>
    suspend fun block(key: String): BlockedView
    suspend fun unblock(key: String): Boolean
    /** Every key blocked on this device. */
    suspend fun blocked(): List<BlockedView>
    /** `true` when private messages go only as NIP-17 gift wraps (never NIP-04). */
    suspend fun requireNip17(): Boolean
    suspend fun setRequireNip17(on: Boolean)

    suspend fun meetShow(nego: String, pngPx: Int): MeetCodeView
    suspend fun meetScanText(text: String): MeetOutcomeView
    suspend fun meetScanFrame(width: Int, height: Int, rowStride: Int, luma: ByteArray): MeetOutcomeView

    suspend fun rate(nego: String, input: RateRecord)

    suspend fun validateNpub(input: String): String
    /** The text of the QR code in one luma camera frame (e.g. a contact's `nostr:npub1…`). */
    suspend fun decodeQrFrame(width: Int, height: Int, rowStride: Int, luma: ByteArray): String
    /** A plain QR code PNG (the profile code others scan to check you), about [px] wide. */
    suspend fun qrPng(text: String, px: Int): ByteArray
    suspend fun screen(subject: String, explain: Boolean): ScreeningView
    suspend fun trustNeighbourhood(maxNodes: Int): NeighbourhoodView

    /**
     * One bounded background pass (connect, catch up, apply, push the outbox, disconnect) within
     * [budgetMs]; returns the notices not acknowledged yet.
     */
    suspend fun backgroundPass(budgetMs: Long): PassReport
    suspend fun pendingNotices(): List<Notice>
    /** Acknowledges shown notices; returns how many were pending. */
    suspend fun ackNotices(ids: List<ULong>): Int
    /** The user opened this deal: its pending notices need no notification any more. */
    suspend fun markDealSeen(nego: String): Int
    suspend fun noticeSettings(): NoticeSettings
    suspend fun setNoticeSettings(settings: NoticeSettings)

    /**
     * Registers [onEvent] for live core events (intent seen, negotiation changed, deal met…).
     * The subscription is active when this returns; [onEvent] runs on a core thread. Close the
     * result to stop.
     */
    fun subscribe(onEvent: (AppEventRecord) -> Unit): AutoCloseable

    /** The meetup check-in calls of the same core (`null` for a core without them). */
    val checkins: CheckinCore? get() = null
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

/**
 * [Core] over the generated UniFFI `FreeportApp`. **Every** call runs on [io], the async ones too:
 * UniFFI polls a Rust future on the thread that awaits it (`uniffiRustCallAsync` calls the poll
 * function inline), so without the switch an async call made from `viewModelScope` would run its
 * synchronous parts (SQLite, signing, Keystore unwrapping, QR decoding) on the main thread.
 */
class FfiCore(
    private val app: FreeportApp,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : Core {
    private suspend fun <T> onIo(block: suspend () -> T): T = withContext(io) { block() }

    override val checkins: CheckinCore = FfiCheckinCore(app, io)

    override suspend fun hasIdentity() = onIo { app.hasIdentity() }
    override suspend fun identity() = onIo { app.identity() }
    override suspend fun createIdentity() = onIo { app.createIdentity() }
    override suspend fun restoreIdentity(ncryptsec: String, passphrase: String) =
        onIo { app.restoreIdentity(ncryptsec, passphrase) }
    override suspend fun exportBackup(passphrase: String) = onIo { app.exportBackup(passphrase) }

    override suspend fun startNetwork() = onIo { app.startNetwork() }
    override suspend fun stopNetwork() = onIo { app.stopNetwork() }
    override suspend fun sync() = onIo { app.sync() }
    override suspend fun relayStatus() = onIo { app.relayStatus() }
    override suspend fun relaySettings() = onIo { app.relaySettings() }
    override suspend fun setRelaySettings(read: List<String>?, write: List<String>?, inbox: List<String>?) =
        onIo { app.setRelaySettings(read, write, inbox) }
    override suspend fun resetRelaySettings() = onIo { app.resetRelaySettings() }
    override suspend fun importRelayFile(path: String) = onIo { app.importRelayFile(path) }
    override suspend fun outbox() = onIo { app.outbox() }
    override suspend fun flushOutbox(timeoutMs: Long) =
        onIo { app.flushOutbox(timeoutMs.coerceAtLeast(0).toULong()).toInt() }

    override suspend fun profile(pubkey: String) = onIo { app.profile(pubkey) }
    override suspend fun setProfile(input: ProfileInput) = onIo { app.setProfile(input) }
    override fun fullNumberWarning() = coreFullNumberWarning()
    override fun coreVersion() = coreVersionString()
    override fun checkPassphrase(passphrase: String, confirmation: String?, purpose: PassphrasePurpose) =
        coreCheckPassphrase(passphrase, confirmation, purpose)

    override fun setLocales(tags: List<String>) = app.setLocales(tags)
    override suspend fun markets() = onIo { app.markets() }
    override suspend fun geohashFor(lat: Double, lon: Double, precision: Int) =
        onIo { coreGeohashFor(lat, lon, precision.toUByteChecked("precision")) }
    override suspend fun browse(market: String, near: String?, radius: Int) =
        onIo { app.browse(market, near, radius.toUIntChecked("radius")) }
    override suspend fun postIntent(input: PostIntentInput) = onIo { app.postIntent(input) }
    override suspend fun buildPayload(market: String, entries: List<FormEntry>) =
        onIo { app.buildPayload(market, entries) }
    override suspend fun withdrawIntent(intentId: String) = onIo { app.withdrawIntent(intentId) }
    override suspend fun myIntents() = onIo { app.myIntents() }
    override suspend fun watchMarket(market: String) = onIo { app.watchMarket(market) }

    override suspend fun respondAccept(intentId: String) = onIo { app.respondAccept(intentId) }
    override suspend fun respondCounter(intentId: String, termsJson: String) =
        onIo { app.respondCounter(intentId, termsJson) }
    override suspend fun respondCounterForm(intentId: String, entries: List<FormEntry>) =
        onIo { app.respondCounterForm(intentId, entries) }
    override suspend fun counter(nego: String, termsJson: String) = onIo { app.counter(nego, termsJson) }
    override suspend fun counterForm(nego: String, entries: List<FormEntry>) = onIo { app.counterForm(nego, entries) }
    override suspend fun accept(nego: String) = onIo { app.accept(nego) }
    override suspend fun cancel(nego: String, reason: String?) = onIo { app.cancel(nego, reason) }
    override suspend fun requestCancel(nego: String, reason: String?) = onIo { app.requestCancel(nego, reason) }
    override suspend fun agreeCancel(nego: String) = onIo { app.agreeCancel(nego) }
    override suspend fun declineCancel(nego: String) = onIo { app.declineCancel(nego) }
    override suspend fun pick(nego: String) = onIo { app.pick(nego) }
    override suspend fun quotes(intentId: String) = onIo { app.quotes(intentId) }
    override suspend fun deals() = onIo { app.deals() }
    override suspend fun deal(nego: String) = onIo { app.deal(nego) }
    override suspend fun markStage(nego: String, stage: DealStage) = onIo { app.markStage(nego, stage) }

    override suspend fun chatSend(nego: String, text: String) = onIo { app.chatSend(nego, text) }
    override suspend fun chat(nego: String) = onIo { app.chat(nego) }
    override suspend fun markChatRead(nego: String) = onIo { app.markChatRead(nego).toInt() }
    override suspend fun refusals(nego: String?) = onIo { app.refusals(nego) }
    override suspend fun block(key: String) = onIo { app.block(key) }
    override suspend fun unblock(key: String) = onIo { app.unblock(key) }
    override suspend fun blocked() = onIo { app.blocked() }
    override suspend fun requireNip17() = onIo { app.requireNip17() }
    override suspend fun setRequireNip17(on: Boolean) = onIo { app.setRequireNip17(on) }

    override suspend fun meetShow(nego: String, pngPx: Int) =
        onIo { app.meetShow(nego, pngPx.toUIntChecked("png_px")) }
    override suspend fun meetScanText(text: String) = onIo { app.meetScanText(text) }
    override suspend fun meetScanFrame(width: Int, height: Int, rowStride: Int, luma: ByteArray) = onIo {
        app.meetScanFrame(
            width.toUIntChecked("width"),
            height.toUIntChecked("height"),
            rowStride.toUIntChecked("stride"),
            luma,
        )
    }

    override suspend fun rate(nego: String, input: RateRecord) = onIo { app.rate(nego, input) }

    override suspend fun validateNpub(input: String) = onIo { coreValidateNpub(input) }
    override suspend fun decodeQrFrame(width: Int, height: Int, rowStride: Int, luma: ByteArray) = onIo {
        coreDecodeQrFrame(
            width.toUIntChecked("width"),
            height.toUIntChecked("height"),
            rowStride.toUIntChecked("stride"),
            luma,
        )
    }
    override suspend fun qrPng(text: String, px: Int) = onIo { coreQrPng(text, px.toUIntChecked("px")) }
    override suspend fun screen(subject: String, explain: Boolean) = onIo { app.screen(subject, explain) }
    override suspend fun trustNeighbourhood(maxNodes: Int) =
        onIo { app.trustNeighbourhood(maxNodes.toUIntChecked("max_nodes")) }

    override suspend fun backgroundPass(budgetMs: Long) =
        onIo { app.backgroundPass(budgetMs.coerceAtLeast(0).toULong()) }
    override suspend fun pendingNotices() = onIo { app.pendingNotices() }
    override suspend fun ackNotices(ids: List<ULong>) = onIo { app.ackNotices(ids).toInt() }
    override suspend fun markDealSeen(nego: String) = onIo { app.markDealSeen(nego).toInt() }
    override suspend fun noticeSettings() = onIo { app.noticeSettings() }
    override suspend fun setNoticeSettings(settings: NoticeSettings) = onIo { app.setNoticeSettings(settings) }

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
