package app.freeport.android.notify

import android.Manifest
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.net.Uri
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import app.freeport.android.ui.shortKey
import app.freeport.android.MainActivity
import app.freeport.android.R
import app.freeport.core.CheckinAlert
import app.freeport.core.MeetStep
import app.freeport.core.Notice
import app.freeport.core.NoticeChannel
import app.freeport.core.NoticeKind
import app.freeport.presentation.NoticeSink

/**
 * How notices become Android notifications: one channel per [NoticeChannel] (safety at high
 * importance), the words for each [NoticeKind], one group per deal, and a tap that opens the
 * deal. *Which* notices exist is the core's decision; this only renders them.
 */
object Notifications {
    /** Channel ids (stable: users' per-channel system settings hang off them). */
    const val CHANNEL_DEALS = "deals"
    const val CHANNEL_RATINGS = "ratings"
    const val CHANNEL_SAFETY = "safety"
    /** The brief "checking" notification some Android versions require for expedited work. */
    const val CHANNEL_SYNC = "sync"

    /** Tag of notice notifications (the id is the notice's). */
    const val TAG_NOTICE = "notice"
    /** Tag of per-deal group summaries. */
    const val TAG_DEAL = "deal"
    const val SYNC_NOTIFICATION_ID = 1

    /** The deep link a notification opens: the deal screen of `nego`. */
    fun dealUri(nego: String): Uri = Uri.parse("freeport://deal/${Uri.encode(nego)}")

    /** The deal a deep link names, or null for anything else. */
    fun negoOf(uri: Uri?): String? =
        uri?.takeIf { it.scheme == "freeport" && it.host == "deal" }?.pathSegments?.singleOrNull()

    /** The deep link of a contact's check-in (its alert screen). */
    fun checkinUri(from: String, id: String): Uri =
        Uri.parse("freeport://checkin/${Uri.encode(from)}/${Uri.encode(id)}")

    /** The check-in (sender key, id) a deep link names, or null. */
    fun checkinOf(uri: Uri?): Pair<String, String>? =
        uri?.takeIf { it.scheme == "freeport" && it.host == "checkin" }?.pathSegments
            ?.takeIf { it.size == 2 && it.all(String::isNotEmpty) }?.let { it[0] to it[1] }

    /** The check-in a contact's notice is about (null for every other kind). */
    fun checkinAlert(k: NoticeKind): CheckinAlert? = when (k) {
        is NoticeKind.CheckinReceived -> k.checkin
        is NoticeKind.CheckinOverdue -> k.checkin
        is NoticeKind.CheckinSafe -> k.checkin
        is NoticeKind.CheckinDuress -> k.checkin
        else -> null
    }

    fun channelId(c: NoticeChannel): String = when (c) {
        NoticeChannel.DEALS -> CHANNEL_DEALS
        NoticeChannel.RATINGS -> CHANNEL_RATINGS
        NoticeChannel.SAFETY -> CHANNEL_SAFETY
    }

    /** The title of a notice's notification. */
    fun titleRes(k: NoticeKind): Int = when (k) {
        is NoticeKind.NewQuote -> if (k.acceptedAsPosted) R.string.notice_new_quote_posted else R.string.notice_new_quote_terms
        NoticeKind.Counter -> R.string.notice_counter
        NoticeKind.Accepted -> R.string.notice_accepted
        NoticeKind.Confirmed -> R.string.notice_confirmed
        NoticeKind.CancelRequested -> R.string.notice_cancel_requested
        NoticeKind.ChatMessage -> R.string.notice_chat_message
        NoticeKind.Cancelled -> R.string.notice_cancelled
        NoticeKind.Filled -> R.string.notice_filled
        is NoticeKind.Meet -> when (k.step) {
            MeetStep.SCANNED_YOUR_CODE -> R.string.notice_meet_scanned
            MeetStep.RECORDED_ON_THEIR_PHONE -> R.string.notice_meet_recorded
        }
        is NoticeKind.RatingReceived -> R.string.notice_rating
        is NoticeKind.CheckinReceived -> R.string.notice_checkin_received
        is NoticeKind.CheckinOverdue -> R.string.notice_checkin_overdue
        is NoticeKind.CheckinSafe -> R.string.notice_checkin_safe
        is NoticeKind.CheckinDuress -> R.string.notice_checkin_duress
        is NoticeKind.CheckinReminder -> R.string.notice_checkin_reminder
    }

    /** Creates (or updates the names of) the channels; idempotent, cheap. */
    fun createChannels(context: Context) {
        val nm = context.getSystemService(NotificationManager::class.java) ?: return
        fun channel(id: String, name: Int, description: Int, importance: Int) =
            NotificationChannel(id, context.getString(name), importance).apply {
                this.description = context.getString(description)
            }
        nm.createNotificationChannels(
            listOf(
                channel(CHANNEL_DEALS, R.string.channel_deals, R.string.channel_deals_description, NotificationManager.IMPORTANCE_DEFAULT),
                channel(CHANNEL_RATINGS, R.string.channel_ratings, R.string.channel_ratings_description, NotificationManager.IMPORTANCE_DEFAULT),
                channel(CHANNEL_SAFETY, R.string.channel_safety, R.string.channel_safety_description, NotificationManager.IMPORTANCE_HIGH),
                channel(CHANNEL_SYNC, R.string.channel_sync, R.string.channel_sync_description, NotificationManager.IMPORTANCE_MIN),
            ),
        )
    }

    /** `true` when notifications may be posted (Android 13+: the runtime permission). */
    fun allowed(context: Context): Boolean =
        (Build.VERSION.SDK_INT < 33 ||
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) == PackageManager.PERMISSION_GRANTED) &&
            NotificationManagerCompat.from(context).areNotificationsEnabled()

    private fun open(context: Context, uri: Uri?): PendingIntent {
        val intent = Intent(context, MainActivity::class.java).apply {
            action = Intent.ACTION_VIEW
            data = uri
            flags = Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_CLEAR_TASK
        }
        return PendingIntent.getActivity(
            context,
            uri?.hashCode() ?: 0,
            intent,
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )
    }

    /** The notification id of a notice (its id is a 64-bit counter that never repeats). */
    fun notificationId(n: Notice): Int = (n.id % Int.MAX_VALUE.toULong()).toInt()

    /** Posts one notice (and its deal's group summary). Returns false when not allowed. */
    fun post(context: Context, n: Notice): Boolean {
        if (!allowed(context)) return false
        val channel = channelId(n.channel)
        val nego = n.deal?.nego
        // A contact's check-in: who it is from, grouped per check-in, opening its alert screen.
        val alert = checkinAlert(n.kind)
        val locale = context.resources.configuration.locales[0] ?: java.util.Locale.getDefault()
        val text = alert?.let { it.from.name ?: shortKey(it.from.npub, locale) }
            ?: n.deal?.intentTitle?.takeIf { it.isNotBlank() }
            ?: context.getString(R.string.notice_a_deal)
        val group = alert?.let { "checkin:${it.from.pubkey}:${it.id}" } ?: nego?.let { "deal:$it" }
        val target = alert?.let { checkinUri(it.from.pubkey, it.id) } ?: nego?.let(::dealUri)
        val nm = NotificationManagerCompat.from(context)
        val notification = NotificationCompat.Builder(context, channel)
            .setSmallIcon(R.drawable.ic_notification)
            .setContentTitle(context.getString(titleRes(n.kind)))
            .setContentText(text)
            .setWhen(n.createdAt.toLong() * 1000)
            .setShowWhen(true)
            .setCategory(if (n.channel == NoticeChannel.SAFETY) NotificationCompat.CATEGORY_ALARM else NotificationCompat.CATEGORY_EVENT)
            .setPriority(if (n.channel == NoticeChannel.SAFETY) NotificationCompat.PRIORITY_HIGH else NotificationCompat.PRIORITY_DEFAULT)
            .setAutoCancel(true)
            // Posted again after a crash (same id): replace quietly.
            .setOnlyAlertOnce(true)
            .setContentIntent(open(context, target))
            .apply { if (group != null) setGroup(group) }
            .build()
        try {
            nm.notify(TAG_NOTICE, notificationId(n), notification)
            if (group != null) {
                val summary = NotificationCompat.Builder(context, channel)
                    .setSmallIcon(R.drawable.ic_notification)
                    .setContentTitle(text)
                    .setGroup(group)
                    .setGroupSummary(true)
                    .setGroupAlertBehavior(NotificationCompat.GROUP_ALERT_CHILDREN)
                    .setAutoCancel(true)
                    .setContentIntent(open(context, target))
                    .build()
                nm.notify(TAG_DEAL, group.hashCode(), summary)
            }
        } catch (e: SecurityException) {
            return false // the permission was revoked between the check and the post
        }
        return true
    }

    /** The silent notification shown while an expedited pass runs as a foreground job (Android < 12). */
    fun syncNotification(context: Context) = NotificationCompat.Builder(context, CHANNEL_SYNC)
        .setSmallIcon(R.drawable.ic_notification)
        .setContentTitle(context.getString(R.string.notice_checking))
        .setPriority(NotificationCompat.PRIORITY_MIN)
        .setSilent(true)
        .setOngoing(true)
        .build()
}

/** [NoticeSink] over the Android notification system. */
class AndroidNoticeSink(private val context: Context) : NoticeSink {
    override suspend fun post(notice: Notice): Boolean = Notifications.post(context, notice)
}
