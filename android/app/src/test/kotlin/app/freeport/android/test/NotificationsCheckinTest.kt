package app.freeport.android.test

import android.Manifest
import android.app.AlarmManager
import android.app.NotificationManager
import androidx.test.core.app.ApplicationProvider
import androidx.work.ListenableWorker
import androidx.work.testing.TestListenableWorkerBuilder
import androidx.work.workDataOf
import app.freeport.android.R
import app.freeport.android.notify.CheckinAlarms
import app.freeport.android.notify.NoticeWorker
import app.freeport.android.notify.Notifications
import app.freeport.core.CheckinShareInput
import app.freeport.core.DealState
import app.freeport.core.EmbeddedRelayHandle
import app.freeport.core.EntryValue
import app.freeport.core.FormEntry
import app.freeport.core.FreeportApp
import app.freeport.core.IntentSide
import app.freeport.core.PostIntentInput
import app.freeport.core.defaultConfig
import app.freeport.presentation.BackgroundPass
import app.freeport.presentation.FfiCore
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.nio.file.Files

/**
 * Check-ins on Android's side, over the real core on its embedded relay: a contact's phone whose
 * app is closed hears of a check-in from the background work — a notification on the safety
 * channel that opens the check-in's alert screen, grouped per check-in — and its alarm is set
 * for the time the core asked (the deadline plus grace), for a receiver that needs no network.
 */
@RunWith(RobolectricTestRunner::class)
// The same application (so the same Robolectric sandbox and class loader) as NotificationsTest,
// and a name that runs right before it: UniFFI registers the foreign callbacks (SecretStore) once
// per class loader, but the native library keeps only the last registration, so a class loader
// must not create a core again after another one did (FlowTest's runs before both).
@Config(sdk = [36], application = NotificationsTest.TestApp::class)
class NotificationsCheckinTest {
    companion object {
        private val relay: EmbeddedRelayHandle by lazy { runBlocking { EmbeddedRelayHandle.start() } }

        @JvmStatic
        @AfterClass
        fun stopRelay() = relay.close()
    }

    private val context: NotificationsTest.TestApp = ApplicationProvider.getApplicationContext()
    private val nm: NotificationManager = context.getSystemService(NotificationManager::class.java)

    private fun phone(): FreeportApp = FreeportApp(
        defaultConfig(Files.createTempDirectory("freeport-checkin").toFile().path)
            .copy(relays = listOf(relay.url()), intentPowBits = 0u, ratingPowBits = 0u),
        MemorySecretStore(),
    )

    private fun work(): Int = runBlocking {
        val worker = TestListenableWorkerBuilder<NoticeWorker>(context)
            .setInputData(workDataOf(NoticeWorker.KEY_BUDGET to BackgroundPass.ONE_SHOT_BUDGET_MS))
            .build()
        val result = worker.doWork()
        assertTrue("$result", result is ListenableWorker.Result.Success)
        result.outputData.getInt(NoticeWorker.KEY_POSTED, -1)
    }

    private suspend fun <T : Any> until(what: String, probe: suspend () -> T?): T = try {
        withTimeout(30_000) {
            var v = probe()
            while (v == null) {
                delay(100)
                v = probe()
            }
            v
        }
    } catch (e: kotlinx.coroutines.TimeoutCancellationException) {
        throw AssertionError("never: $what", e)
    }

    @Test
    fun `a contact's closed phone is told of a check-in on the safety channel and keeps its alarm`() {
        shadowOf(context).grantPermissions(Manifest.permission.POST_NOTIFICATIONS)
        Notifications.createChannels(context)
        val alice = phone()
        val bob = phone()
        val carol = phone()
        try {
            val a = FfiCore(alice, Dispatchers.IO)
            val b = FfiCore(bob, Dispatchers.IO)
            val c = FfiCore(carol, Dispatchers.IO)
            context.core = c
            val nego = runBlocking {
                for (p in listOf(a, b)) {
                    p.createIdentity()
                    p.startNetwork()
                }
                alice.waitConnected(10_000u)
                bob.waitConnected(10_000u)
                c.createIdentity()
                val intent = a.postIntent(
                    PostIntentInput(
                        "sg-rideshare", IntentSide.OFFER, "Bishan to Changi",
                        listOf(
                            FormEntry("/from", EntryValue.Place("Bishan", "w21z7")),
                            FormEntry("/to", EntryValue.Place("Changi", "w21zg")),
                            FormEntry("/payment", EntryValue.Text("SGD 10")),
                        ),
                        "w21z7", null, 0u,
                    ),
                )
                assertEquals(0, a.flushOutbox(10_000))
                until("Bob sees the ride") { b.browse("sg-rideshare", "w21z7", 1).firstOrNull { it.id == intent.id } }
                val deal = b.respondAccept(intent.id)
                assertEquals(0, b.flushOutbox(10_000))
                until("Alice has the quote") { runCatching { a.deal(deal.nego) }.getOrNull() }
                a.pick(deal.nego)
                assertEquals(0, a.flushOutbox(10_000))
                until("the deal is confirmed") { a.deal(deal.nego).takeIf { it.state == DealState.CONFIRMED } }

                val aliceKey = checkNotNull(alice.identity()).pubkey
                val carolKey = checkNotNull(carol.identity()).pubkey
                checkNotNull(a.checkins).addTrustedContact(carolKey, "Carol")
                checkNotNull(c.checkins).addTrustedContact(aliceKey, "Alice")
                val deadline = (System.currentTimeMillis() / 1000 + 3600).toULong()
                checkNotNull(a.checkins).checkinShare(CheckinShareInput(deal.nego, listOf(carolKey), deadline, "Bishan MRT", null))
                assertEquals(0, a.flushOutbox(10_000))
                deal.nego
            }
            assertTrue(nego.isNotEmpty())

            // Carol's phone is closed: the background work tells her.
            assertEquals(1, work())
            val posted = nm.activeNotifications.single { it.tag == Notifications.TAG_NOTICE }.notification
            assertEquals(Notifications.CHANNEL_SAFETY, posted.channelId)
            assertEquals(context.getString(R.string.notice_checkin_received), posted.extras.getCharSequence("android.title").toString())
            assertEquals("Alice", posted.extras.getCharSequence("android.text").toString())
            val watched = runBlocking { checkNotNull(c.checkins).watchedCheckins().single() }
            assertEquals("checkin:${watched.from.pubkey}:${watched.id}", posted.group)
            val opens = shadowOf(posted.contentIntent).savedIntent.data
            assertEquals(watched.from.pubkey to watched.id, Notifications.checkinOf(opens))
            assertNull(Notifications.negoOf(opens))

            // The alarm is set for the time the core asked (the deadline plus the grace).
            val am = context.getSystemService(AlarmManager::class.java)
            val alarm = checkNotNull(shadowOf(am).peekNextScheduledAlarm()) { "an alarm is set" }
            assertEquals(checkNotNull(watched.alarmAt).toLong() * 1000, alarm.triggerAtMs)

            // Alice says she is safe: the next pass tells Carol, and the alarm is cleared.
            runBlocking {
                checkNotNull(a.checkins).checkinSafe(nego, false)
                assertEquals(0, a.flushOutbox(10_000))
            }
            nm.cancelAll()
            assertEquals(1, work())
            val safe = nm.activeNotifications.single { it.tag == Notifications.TAG_NOTICE }.notification
            assertEquals(context.getString(R.string.notice_checkin_safe), safe.extras.getCharSequence("android.title").toString())
            assertNull("no alarm once closed", shadowOf(am).peekNextScheduledAlarm())
            // Ringing with nothing due posts nothing.
            nm.cancelAll()
            runBlocking { CheckinAlarms.ring(context, c) }
            assertTrue(shadowOf(nm).allNotifications.isEmpty())
        } finally {
            runBlocking {
                alice.stopNetwork()
                bob.stopNetwork()
            }
            alice.close()
            bob.close()
            carol.close()
        }
    }
}
