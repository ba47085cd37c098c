package app.freeport.presentation

import app.freeport.core.ChatMessageView
import app.freeport.core.DealStage
import app.freeport.core.DealView
import app.freeport.core.FormEntry
import app.freeport.core.IntentView
import app.freeport.core.Notice
import app.freeport.core.PassOutcome
import app.freeport.core.PostIntentInput

/**
 * Where notices go: the platform's notification system. [post] shows one notice (the same
 * [Notice.id] twice must replace, not duplicate: it is the notification's id); it returns false
 * when the user has blocked notifications (the notice is then acknowledged unseen — the deal
 * screens show the state anyway).
 */
interface NoticeSink {
    suspend fun post(notice: Notice): Boolean
}

/** What one run of the background work did. */
data class BackgroundRun(val outcome: PassOutcome, val posted: Int, val relaysConnected: Int)

/**
 * The background work's protocol, shared by the periodic and the one-shot work: one core pass,
 * then every pending notice is posted and acknowledged one at a time (post first, acknowledge
 * after), until none is pending. A process killed between the two posts the same notice again
 * under the same id — a replacement, never a duplicate — and an acknowledged notice never comes
 * back. Which notices exist, for which channels, is the core's decision; this only delivers.
 */
object BackgroundPass {
    /** Budget of the periodic work (a worker may run 10 minutes; a pass needs seconds). */
    const val PERIODIC_BUDGET_MS = 45_000L

    /** Budget of the one-shot work after the user acted (expedited work should be short). */
    const val ONE_SHOT_BUDGET_MS = 25_000L

    suspend fun run(core: Core, sink: NoticeSink, budgetMs: Long): BackgroundRun {
        if (!core.hasIdentity()) return BackgroundRun(PassOutcome.COMPLETE, 0, 0)
        val report = core.backgroundPass(budgetMs)
        val posted = deliver(core, sink, report.notices)
        return BackgroundRun(report.outcome, posted, report.relaysConnected.toInt())
    }

    /**
     * Posts and acknowledges [first], then whatever else is pending, one notice at a time (post
     * first, acknowledge after: a crash in between re-posts under the same id). Used by the pass
     * above and by the check-in alarm, which raises notices without a pass. Returns how many
     * were shown.
     */
    suspend fun deliver(core: Core, sink: NoticeSink, first: List<Notice>): Int {
        var posted = 0
        var batch = first
        while (batch.isNotEmpty()) {
            for (n in batch) {
                if (sink.post(n)) posted++
                core.ackNotices(listOf(n.id))
            }
            batch = core.pendingNotices()
        }
        return posted
    }
}

/**
 * [Core] that asks for a background pass right after the user posted, responded, countered,
 * accepted, wrote, reported a stage or answered a cancel:
 * the answer usually comes within minutes, and the user may leave the app at once (the pass also
 * pushes what the action queued). [requestPass] must only enqueue (WorkManager's one-shot work),
 * never run the pass inline.
 */
class PassAfterActionsCore(private val core: Core, private val requestPass: () -> Unit) : Core by core {
    private fun <T> T.kick(): T = also { requestPass() }

    override val checkins: CheckinCore? = core.checkins?.let { PassAfterCheckinActions(it, requestPass) }

    override suspend fun postIntent(input: PostIntentInput): IntentView = core.postIntent(input).kick()
    override suspend fun respondAccept(intentId: String): DealView = core.respondAccept(intentId).kick()
    override suspend fun respondCounter(intentId: String, termsJson: String): DealView =
        core.respondCounter(intentId, termsJson).kick()
    override suspend fun counter(nego: String, termsJson: String): DealView = core.counter(nego, termsJson).kick()
    override suspend fun accept(nego: String): DealView = core.accept(nego).kick()
    override suspend fun pick(nego: String): DealView = core.pick(nego).kick()

    // What the screens send: counters from the form, chat, stages, the mutual cancel.
    override suspend fun respondCounterForm(intentId: String, entries: List<FormEntry>): DealView =
        core.respondCounterForm(intentId, entries).kick()
    override suspend fun counterForm(nego: String, entries: List<FormEntry>): DealView = core.counterForm(nego, entries).kick()
    override suspend fun cancel(nego: String, reason: String?): DealView = core.cancel(nego, reason).kick()
    override suspend fun requestCancel(nego: String, reason: String?): DealView = core.requestCancel(nego, reason).kick()
    override suspend fun agreeCancel(nego: String): DealView = core.agreeCancel(nego).kick()
    override suspend fun declineCancel(nego: String): DealView = core.declineCancel(nego).kick()
    override suspend fun markStage(nego: String, stage: DealStage): DealView = core.markStage(nego, stage).kick()
    override suspend fun chatSend(nego: String, text: String): ChatMessageView = core.chatSend(nego, text).kick()
}
