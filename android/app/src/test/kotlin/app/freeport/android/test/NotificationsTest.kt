package app.freeport.android.test

import android.Manifest
import android.app.Application
import android.app.NotificationManager
import android.content.Context
import androidx.test.core.app.ApplicationProvider
import androidx.work.Configuration
import androidx.work.ListenableWorker
import androidx.work.NetworkType
import androidx.work.WorkInfo
import androidx.work.WorkManager
import androidx.work.testing.SynchronousExecutor
import androidx.work.testing.TestListenableWorkerBuilder
import androidx.work.testing.WorkManagerTestInitHelper
import androidx.work.workDataOf
import app.freeport.android.R
import app.freeport.android.notify.BackgroundWork
import app.freeport.android.notify.CoreHost
import app.freeport.android.notify.NoticeWorker
import app.freeport.android.notify.Notifications
import app.freeport.core.DealState
import app.freeport.core.EmbeddedRelayHandle
import app.freeport.core.EntryValue
import app.freeport.core.FormEntry
import app.freeport.core.FreeportApp
import app.freeport.core.IntentSide
import app.freeport.core.NoticeSettings
import app.freeport.core.PostIntentInput
import app.freeport.core.RateRecord
import app.freeport.core.defaultConfig
import app.freeport.presentation.BackgroundPass
import app.freeport.presentation.Core
import app.freeport.presentation.FfiCore
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.nio.file.Files
import java.util.concurrent.TimeUnit

/**
 * The background work on Android's side, on the JVM: [NoticeWorker] runs the real core (the host
 * libfreeport_core.so) against the core's embedded relay and posts what the core says, on the
 * right channel, grouped per deal, opening the right deal — and nothing twice. Also the channels,
 * the schedule (WorkManager's test driver) and the deep link.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], application = NotificationsTest.TestApp::class)
class NotificationsTest {
    /** The process's application in these tests: it hands the worker the phone under test. */
    class TestApp : Application(), CoreHost {
        var core: Core? = null
        override suspend fun openCore(retry: Boolean): Core = checkNotNull(core) { "no core yet" }
    }

    companion object {
        private val relay: EmbeddedRelayHandle by lazy { runBlocking { EmbeddedRelayHandle.start() } }

        @JvmStatic
        @AfterClass
        fun stopRelay() = relay.close()
    }

    private val context: TestApp = ApplicationProvider.getApplicationContext()
    private val nm: NotificationManager = context.getSystemService(NotificationManager::class.java)

    private fun phone(): FreeportApp = FreeportApp(
        defaultConfig(Files.createTempDirectory("freeport-notify").toFile().path)
            .copy(relays = listOf(relay.url()), intentPowBits = 0u, ratingPowBits = 0u),
        MemorySecretStore(),
    )

    /** Runs the worker as WorkManager would; returns how many notifications it posted. */
    private fun work(): Int = runBlocking {
        val worker = TestListenableWorkerBuilder<NoticeWorker>(context)
            .setInputData(workDataOf(NoticeWorker.KEY_BUDGET to BackgroundPass.ONE_SHOT_BUDGET_MS))
            .build()
        val result = worker.doWork()
        assertTrue("$result", result is ListenableWorker.Result.Success)
        assertEquals("COMPLETE", result.outputData.getString(NoticeWorker.KEY_OUTCOME))
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
    fun `the worker posts what the real core says, once, on the right channel, opening the deal`() {
        shadowOf(context).grantPermissions(Manifest.permission.POST_NOTIFICATIONS)
        Notifications.createChannels(context)
        val alice = phone()
        val bob = phone()
        try {
            // Alice's phone is closed: she posts (queued), and only background work runs after.
            val aliceCore = FfiCore(alice, Dispatchers.IO)
            context.core = aliceCore
            val intent = runBlocking {
                aliceCore.createIdentity()
                aliceCore.postIntent(
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
            }
            assertEquals("the first run has nothing to tell, and publishes the intent", 0, work())

            // Bob answers with other terms.
            val bobCore = FfiCore(bob, Dispatchers.IO)
            val deal = runBlocking {
                bobCore.createIdentity()
                bobCore.startNetwork()
                bob.waitConnected(10_000u)
                until("Bob sees the intent") { bobCore.browse("sg-rideshare", "w21z7", 1).firstOrNull { it.id == intent.id } }
                val d = bobCore.respondCounter(intent.id, """{"payment":"SGD 12"}""")
                assertEquals(0, bobCore.flushOutbox(10_000))
                d
            }
            assertEquals(1, work())
            val notices = nm.activeNotifications.filter { it.tag == Notifications.TAG_NOTICE }
            assertEquals("one notification for the one notice", 1, notices.size)
            val posted = notices.single().notification
            assertEquals(Notifications.CHANNEL_DEALS, posted.channelId)
            val extras = posted.extras
            assertEquals(context.getString(R.string.notice_new_quote_terms), extras.getCharSequence("android.title").toString())
            assertEquals("Bishan to Changi", extras.getCharSequence("android.text").toString())
            assertEquals("deal:${deal.nego}", posted.group)
            val opens = shadowOf(posted.contentIntent).savedIntent
            assertEquals(Notifications.dealUri(deal.nego), opens.data)
            assertEquals(deal.nego, Notifications.negoOf(opens.data))
            // The group summary of that deal.
            assertTrue(
                nm.activeNotifications.any {
                    it.tag == Notifications.TAG_DEAL && it.notification.group == "deal:${deal.nego}" &&
                        it.notification.flags and android.app.Notification.FLAG_GROUP_SUMMARY != 0
                },
            )

            // The user swipes it away; the next runs post nothing again.
            nm.cancelAll()
            assertEquals(0, work())
            assertEquals(0, work())
            assertTrue(shadowOf(nm).allNotifications.isEmpty())

            // Alice accepts Bob's terms (queued); Bob's phone confirms; Alice hears it is confirmed.
            runBlocking { aliceCore.pick(deal.nego) }
            // The pass publishes the pick; Bob's phone may answer within that same pass.
            val during = work()
            runBlocking { until("Bob confirmed") { bobCore.deal(deal.nego).takeIf { it.state == DealState.CONFIRMED } } }
            runBlocking { assertEquals(0, bobCore.flushOutbox(10_000)) }
            assertEquals("one confirmation, told once", 1, during + work())
            assertTrue(
                shadowOf(nm).allNotifications.any {
                    it.extras.getCharSequence("android.title").toString() == context.getString(R.string.notice_confirmed)
                },
            )

            // Ratings switched off in Settings: Bob's rating is applied, not posted.
            runBlocking { aliceCore.setNoticeSettings(NoticeSettings(deals = true, ratings = false, safety = true)) }
            runBlocking {
                bobCore.rate(deal.nego, RateRecord(safe = true, reliable = true, score = null, reachedNumber = false))
                assertEquals(0, bobCore.flushOutbox(10_000))
            }
            nm.cancelAll()
            assertEquals(0, work())
            assertTrue(shadowOf(nm).allNotifications.isEmpty())
            runBlocking { assertTrue(aliceCore.pendingNotices().isEmpty()) }
        } finally {
            runBlocking { bob.stopNetwork() }
            alice.close()
            bob.close()
        }
    }

    @Test
    fun `one channel per kind of notice, safety at high importance`() {
        Notifications.createChannels(context)
        val importance = mapOf(
            Notifications.CHANNEL_DEALS to NotificationManager.IMPORTANCE_DEFAULT,
            Notifications.CHANNEL_RATINGS to NotificationManager.IMPORTANCE_DEFAULT,
            Notifications.CHANNEL_SAFETY to NotificationManager.IMPORTANCE_HIGH,
            Notifications.CHANNEL_SYNC to NotificationManager.IMPORTANCE_MIN,
        )
        for ((id, want) in importance) {
            val c = nm.getNotificationChannel(id)
            assertNotNull(id, c)
            assertEquals(id, want, c.importance)
            assertTrue(id, c.name.isNotBlank() && !c.description.isNullOrBlank())
        }
        assertEquals(context.getString(R.string.channel_safety), nm.getNotificationChannel(Notifications.CHANNEL_SAFETY).name)
    }

    @Test
    fun `periodic work every 15 minutes online, and a one-shot that runs the worker`() {
        WorkManagerTestInitHelper.initializeTestWorkManager(
            context,
            Configuration.Builder().setExecutor(SynchronousExecutor()).build(),
        )
        val wm = WorkManager.getInstance(context)
        BackgroundWork.schedulePeriodic(context)
        BackgroundWork.schedulePeriodic(context) // idempotent
        val periodic = wm.getWorkInfosForUniqueWork(BackgroundWork.PERIODIC).get()
        assertEquals(1, periodic.size)
        val p = periodic.single()
        assertEquals(WorkInfo.State.ENQUEUED, p.state)
        assertEquals(TimeUnit.MINUTES.toMillis(15), p.periodicityInfo?.repeatIntervalMillis)
        assertEquals(NetworkType.CONNECTED, p.constraints.requiredNetworkType)

        // The one-shot after an action: waits for the network, then runs the worker (a phone
        // without an identity: nothing to do, success).
        val alice = phone()
        try {
            context.core = FfiCore(alice, Dispatchers.IO)
            BackgroundWork.requestNow(context)
            val once = wm.getWorkInfosForUniqueWork(BackgroundWork.ONE_SHOT).get().single()
            assertEquals(NetworkType.CONNECTED, once.constraints.requiredNetworkType)
            assertEquals(WorkInfo.State.ENQUEUED, once.state)
            WorkManagerTestInitHelper.getTestDriver(context)!!.setAllConstraintsMet(once.id)
            val done = runBlocking {
                until("the one-shot ran") {
                    wm.getWorkInfoById(once.id).get()?.takeIf { it.state.isFinished }
                }
            }
            assertEquals(WorkInfo.State.SUCCEEDED, done.state)
            assertEquals(0, done.outputData.getInt(NoticeWorker.KEY_POSTED, -1))
        } finally {
            alice.close()
        }
    }

    @Test
    fun `a deal's deep link round-trips its id`() {
        val nego = "d1f0:ab12cd:ef34ab"
        val uri = Notifications.dealUri(nego)
        assertEquals("freeport", uri.scheme)
        assertEquals(nego, Notifications.negoOf(uri))
        assertEquals(null, Notifications.negoOf(android.net.Uri.parse("https://example.com/deal/x")))
    }
}
