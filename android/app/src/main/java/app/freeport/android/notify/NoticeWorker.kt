package app.freeport.android.notify

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.ForegroundInfo
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.OutOfQuotaPolicy
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import app.freeport.presentation.BackgroundPass
import app.freeport.presentation.Core
import kotlinx.coroutines.CancellationException
import java.util.concurrent.TimeUnit

/** Whoever owns the process's one core (the Application; a test application in tests). */
interface CoreHost {
    suspend fun openCore(retry: Boolean = false): Core
}

/**
 * The background work: one core pass ([BackgroundPass.run]) with the budget it was given, its
 * notices posted as notifications. Runs the real core; the pass uses the app's connection when
 * the app is open, else its own for the length of the pass.
 */
class NoticeWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val host = applicationContext as? CoreHost ?: return Result.failure()
        val budget = inputData.getLong(KEY_BUDGET, BackgroundPass.PERIODIC_BUDGET_MS)
        return try {
            val core = host.openCore()
            val run = BackgroundPass.run(core, AndroidNoticeSink(applicationContext), budget)
            // What arrived may have set or moved a check-in's alarm (or closed it).
            CheckinAlarms.reschedule(applicationContext, core)
            Result.success(workDataOf(KEY_POSTED to run.posted, KEY_OUTCOME to run.outcome.name))
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            // Storage or key store trouble: the next run tries again; nothing was acknowledged.
            Result.retry()
        }
    }

    /**
     * Only used where expedited work runs as a foreground service (Android 8–11); from Android
     * 12 on it is an expedited job with no notification.
     */
    override suspend fun getForegroundInfo(): ForegroundInfo =
        ForegroundInfo(Notifications.SYNC_NOTIFICATION_ID, Notifications.syncNotification(applicationContext))

    companion object {
        const val KEY_BUDGET = "budget_ms"
        const val KEY_POSTED = "posted"
        const val KEY_OUTCOME = "outcome"
    }
}

/** Scheduling of [NoticeWorker]: every 15 minutes while online, and once right after an action. */
object BackgroundWork {
    const val PERIODIC = "freeport.notices.periodic"
    const val ONE_SHOT = "freeport.notices.now"
    /** Android's shortest period for periodic work. */
    const val PERIOD_MINUTES = 15L

    private val online = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

    /** Keeps the periodic pass scheduled (idempotent; an existing schedule is updated in place). */
    fun schedulePeriodic(context: Context) {
        val req = PeriodicWorkRequestBuilder<NoticeWorker>(PERIOD_MINUTES, TimeUnit.MINUTES)
            .setConstraints(online)
            .setInputData(workDataOf(NoticeWorker.KEY_BUDGET to BackgroundPass.PERIODIC_BUDGET_MS))
            .build()
        WorkManager.getInstance(context).enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.UPDATE, req)
    }

    /**
     * One pass as soon as the network allows, expedited (a normal job once the app's expedited
     * quota is spent). A pass already waiting or running is replaced: a pass cut short loses
     * nothing.
     */
    fun requestNow(context: Context) {
        val req = OneTimeWorkRequestBuilder<NoticeWorker>()
            .setConstraints(online)
            .setExpedited(OutOfQuotaPolicy.RUN_AS_NON_EXPEDITED_WORK_REQUEST)
            .setInputData(workDataOf(NoticeWorker.KEY_BUDGET to BackgroundPass.ONE_SHOT_BUDGET_MS))
            .build()
        WorkManager.getInstance(context).enqueueUniqueWork(ONE_SHOT, ExistingWorkPolicy.REPLACE, req)
    }
}
