package app.freeport.android.notify

import android.app.AlarmManager
import android.app.PendingIntent
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import app.freeport.presentation.BackgroundPass
import app.freeport.presentation.Core
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch

/**
 * The check-in alarm (issue #21, docs/SAFETY.md): the core says when this phone must next act
 * ([app.freeport.presentation.CheckinCore.checkinNextAlarm]: a contact's deadline plus grace, or
 * the user's own reminder); Android wakes [CheckinAlarmReceiver] then, which lets the core raise
 * what is due and posts it — with no network needed, since the alarm is local. `setAndAllowWhileIdle`
 * needs no exact-alarm permission and fires in Doze, at most a few minutes late (inside the grace).
 */
object CheckinAlarms {
    private fun pending(context: Context): PendingIntent = PendingIntent.getBroadcast(
        context,
        0,
        Intent(context, CheckinAlarmReceiver::class.java),
        PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
    )

    /** Sets (or, with `null`, clears) the one alarm at [atUnixSecs]. */
    fun set(context: Context, atUnixSecs: ULong?) {
        val am = context.getSystemService(AlarmManager::class.java) ?: return
        if (atUnixSecs == null) {
            am.cancel(pending(context))
            return
        }
        am.setAndAllowWhileIdle(AlarmManager.RTC_WAKEUP, atUnixSecs.toLong() * 1000, pending(context))
    }

    /** Raises what is due now (posting it) and sets the alarm for the next. */
    suspend fun ring(context: Context, core: Core) {
        val checkins = core.checkins ?: return
        BackgroundPass.deliver(core, AndroidNoticeSink(context), checkins.checkinTick())
        set(context, checkins.checkinNextAlarm())
    }

    /** Sets the alarm from the core (after a background pass or a change on screen). */
    suspend fun reschedule(context: Context, core: Core) {
        val checkins = core.checkins ?: return
        set(context, checkins.checkinNextAlarm())
    }
}

/** Woken by [CheckinAlarms]: the core raises what is due (no network needed), then the next alarm is set. */
class CheckinAlarmReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        val host = context.applicationContext as? CoreHost ?: return
        val done = goAsync()
        CoroutineScope(SupervisorJob() + Dispatchers.IO).launch {
            try {
                CheckinAlarms.ring(context.applicationContext, host.openCore())
            } catch (e: Exception) {
                // The next background pass ticks the same clock.
            } finally {
                done.finish()
            }
        }
    }
}
