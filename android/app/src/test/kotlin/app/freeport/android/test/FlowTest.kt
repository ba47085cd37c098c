package app.freeport.android.test

import android.app.Application
import android.graphics.BitmapFactory
import android.graphics.Color
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.padding
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import app.freeport.android.ui.FreeportScaffold
import app.freeport.android.ui.Routes
import app.freeport.android.ui.screens.BrowseActions
import app.freeport.android.ui.screens.BrowseScreen
import app.freeport.android.ui.screens.DealActions
import app.freeport.android.ui.screens.DealScreen
import app.freeport.android.ui.screens.MeetActions
import app.freeport.android.ui.screens.MeetScreen
import app.freeport.android.ui.screens.PostActions
import app.freeport.android.ui.screens.PostScreen
import app.freeport.android.ui.screens.QuotesScreen
import app.freeport.android.ui.screens.RateActions
import app.freeport.android.ui.screens.RateScreen
import app.freeport.android.ui.screens.ScreenContactActions
import app.freeport.android.ui.screens.ScreenContactScreen
import app.freeport.core.DealAction
import app.freeport.core.DealStage
import app.freeport.core.DealState
import app.freeport.core.EmbeddedRelayHandle
import app.freeport.core.FreeportApp
import app.freeport.core.ProfileInput
import app.freeport.core.defaultConfig
import app.freeport.presentation.BrowseViewModel
import app.freeport.presentation.Core
import app.freeport.presentation.DealChatViewModel
import app.freeport.presentation.FfiCore
import app.freeport.presentation.FieldValue
import app.freeport.presentation.InputKind
import app.freeport.presentation.LumaFrame
import app.freeport.presentation.MeetViewModel
import app.freeport.presentation.NegotiationViewModel
import app.freeport.presentation.PostIntentViewModel
import app.freeport.presentation.QuotesViewModel
import app.freeport.presentation.RateViewModel
import app.freeport.presentation.ScreenContactViewModel
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import java.nio.ByteBuffer
import java.nio.file.Files

/**
 * One deal end to end through the real view models over the real core (the host
 * libfreeport_core.so through JNA, two phones on the core's embedded relay), rendering the
 * screen each step shows: Alice posts → Bob quotes from Browse → Alice picks the quote → both
 * confirmed → Bob writes in the deal's chat and Alice's deal screen shows it → Alice shows her
 * meet code, Bob scans it from a camera frame (Y plane through the core's frame decoder), Alice
 * scans his return code → Bob rates and marks the deal completed → Alice screens Bob. No fake
 * core: every state on screen came from the core's store.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], application = Application::class)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class FlowTest {
    private class Phone(relayUrl: String, name: String) : AutoCloseable {
        val app = FreeportApp(
            defaultConfig(Files.createTempDirectory("freeport-flow").toFile().path)
                .copy(relays = listOf(relayUrl), intentPowBits = 0u, ratingPowBits = 0u),
            MemorySecretStore(),
        )
        val core: Core = FfiCore(app, Dispatchers.IO)
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

        init {
            runBlocking {
                core.createIdentity()
                core.startNetwork()
                app.waitConnected(10_000u)
                core.setProfile(ProfileInput(name, null, null, false, null, null, null))
            }
        }

        override fun close() {
            scope.cancel()
            app.close()
        }
    }

    companion object {
        private val relay: EmbeddedRelayHandle by lazy { runBlocking { EmbeddedRelayHandle.start() } }

        @JvmStatic
        @AfterClass
        fun stopRelay() = relay.close()
    }

    private val look = Look(dark = false, fontScale = 1.0f)

    /** Renders a step's screen, checks it shows [expect] and passes the accessibility checks. */
    private fun step(name: String, tab: String?, expect: String, content: @Composable () -> Unit) {
        val r = Screenshots.render(look) {
            FreeportScaffold(currentTab = tab, onTab = {}) { p -> Box(Modifier.padding(p)) { content() } }
        }
        val file = java.io.File(Screenshots.out, "flow_$name.png")
        file.outputStream().use { r.bitmap.compress(android.graphics.Bitmap.CompressFormat.PNG, 100, it) }
        val texts = mutableListOf<String>()
        fun collect(n: SemanticsNode) {
            n.config.getOrNull(SemanticsProperties.Text)?.forEach { texts += it.text }
            n.config.getOrNull(SemanticsProperties.EditableText)?.let { texts += it.text }
            n.children.forEach(::collect)
        }
        collect(r.unmerged)
        assertTrue("$name shows \"$expect\"; it shows $texts", texts.any { expect in it })
        val problems = A11y.problems(r, checkClipping = false)
        assertTrue("$name accessibility:\n  " + problems.joinToString("\n  "), problems.isEmpty())
    }

    private fun <T> StateFlow<T>.await(what: String, predicate: (T) -> Boolean): T = runBlocking {
        try {
            withTimeout(30_000) { first(predicate) }
        } catch (e: kotlinx.coroutines.TimeoutCancellationException) {
            throw AssertionError("never reached: $what; last state: $value", e)
        }
    }

    /** A camera frame of [png] as the camera2 scanner hands it over: Y plane, padded rows. */
    private fun cameraFrame(png: ByteArray): () -> LumaFrame? {
        val bmp = BitmapFactory.decodeByteArray(png, 0, png.size)
        val stride = bmp.width + 32
        val buf = ByteBuffer.allocateDirect(stride * bmp.height)
        for (y in 0 until bmp.height) for (x in 0 until bmp.width) {
            val p = bmp.getPixel(x, y)
            buf.put(y * stride + x, ((Color.red(p) * 299 + Color.green(p) * 587 + Color.blue(p) * 114) / 1000).toByte())
        }
        return { LumaFrame.fromYPlane(buf, bmp.width, bmp.height, stride, 1) }
    }

    @Test
    fun `post, quote, pick, meet, rate and screen through the real core`() {
        Phone(relay.url(), "Alice").use { alice ->
            Phone(relay.url(), "Bob").use { bob ->
                // Alice posts a ride from the market's own form.
                val post = PostIntentViewModel(alice.core, "sg-rideshare", alice.scope)
                runBlocking { post.load().join() }
                val fields = post.state.await("the rideshare form") { it.fields.isNotEmpty() }.fields
                post.setTitle("Bishan to Changi")
                for (f in fields.filter { it.required }) {
                    post.setValue(
                        f.path,
                        when (f.input) {
                            InputKind.LOCATION -> if (f.path == "/to") FieldValue.Place("Changi", "w21zg") else FieldValue.Place("Bishan", "w21z7")
                            InputKind.SELECT -> FieldValue.Text(f.options.first().value)
                            InputKind.NUMBER -> FieldValue.Text("2")
                            else -> FieldValue.Text("SGD 10")
                        },
                    )
                }
                post.setGeohash("w21z7")
                // When: from the next full hour, give or take half an hour.
                post.addWindow()
                post.setFlex(30u)
                step("post", Routes.MARKETS, "Bishan to Changi") { PostScreen(post.state.value, object : PostActions {}) }
                runBlocking { post.submit()?.join() }
                val intent = post.state.await("posted") { it.posted != null || it.error != null || it.fieldErrors.isNotEmpty() }
                    .let { assertNotNull("not posted: ${it.fieldErrors} ${it.error}", it.posted); it.posted!! }
                assertEquals(30u, intent.flexMinutes)
                assertEquals(post.state.value.window?.start?.toULong(), intent.windowStart)
                runBlocking { assertEquals(0, alice.core.flushOutbox(10_000)) }

                // Bob finds it near Bishan and accepts its terms.
                val browse = BrowseViewModel(bob.core, bob.scope)
                runBlocking { browse.load().join() }
                runBlocking { browse.setManualArea("w21z7").join() }
                browse.state.await("bob sees the ride") { s -> s.intents.any { it.id == intent.id } }
                step("browse", Routes.MARKETS, "Bishan to Changi") { BrowseScreen(browse.state.value, false, object : BrowseActions {}) }
                runBlocking { browse.respond(intent.id).join() }
                val nego = browse.state.await("bob's quote opened") { it.opened != null }.opened!!.nego
                runBlocking { assertEquals(0, bob.core.flushOutbox(10_000)) }

                // Alice compares quotes (with Bob's screening card) and picks his.
                val quotes = QuotesViewModel(alice.core, intent.id, alice.scope)
                val watching = quotes.watch()
                runBlocking { quotes.load().join() }
                quotes.state.await("alice has bob's quote") { s -> s.quotes.any { it.deal.nego == nego } }
                step("quotes", Routes.MINE, "Bishan to Changi") { QuotesScreen(quotes.state.value, onPick = {}, onDeal = {}) }
                runBlocking { quotes.pick(nego).join() }
                watching.cancel()
                runBlocking { assertEquals(0, alice.core.flushOutbox(10_000)) }

                // Both sides see the deal confirmed; the thread shows the contact gate opened and
                // exactly the core's actions. Bob writes where he waits; Alice's deal screen shows it.
                val thread = NegotiationViewModel(bob.core, nego, bob.scope)
                val threadWatch = thread.watch()
                runBlocking { thread.load().join() }
                val confirmed = thread.state.await("bob confirmed") { it.deal?.state == DealState.CONFIRMED }
                assertTrue("${confirmed.actions}", DealAction.CHAT in confirmed.actions && DealAction.SHOW_CODE in confirmed.actions)
                val bobChat = DealChatViewModel(bob.core, nego, bob.scope)
                runBlocking { bobChat.load().join() }
                bobChat.edit("Blue car at exit B")
                runBlocking { bobChat.send().join() }
                assertEquals(null, bobChat.state.value.error)
                runBlocking { assertEquals(0, bob.core.flushOutbox(10_000)) }
                step("deal", Routes.MINE, "Bishan to Changi") { DealScreen(thread.state.value, bobChat.state.value, object : DealActions {}) }
                val aliceThread = NegotiationViewModel(alice.core, nego, alice.scope)
                val aliceChat = DealChatViewModel(alice.core, nego, alice.scope)
                val aliceChatWatch = aliceChat.watch()
                runBlocking { aliceThread.load().join() }
                aliceChat.state.await("alice gets bob's message") { s -> s.messages.any { it.text == "Blue car at exit B" } }
                aliceChatWatch.cancel()
                step("deal_chat", Routes.MINE, "Blue car at exit B") {
                    DealScreen(aliceThread.state.value, aliceChat.state.value, object : DealActions {})
                }

                // The meetup, offline-capable: Alice shows, Bob scans a camera frame, Alice scans back.
                val shower = MeetViewModel(alice.core, nego, alice.scope)
                runBlocking { shower.load().join(); shower.show().join() }
                val code = shower.state.await("alice's code") { it.code != null }.code!!
                step("meet_show", Routes.MINE, "") { MeetScreen(shower.state.value, false, object : MeetActions {}) { } }
                val scanner = MeetViewModel(bob.core, nego, bob.scope)
                runBlocking { scanner.load().join() }
                scanner.scan()
                step("meet_scan", Routes.MINE, "") { MeetScreen(scanner.state.value, false, object : MeetActions {}) { } }
                runBlocking { checkNotNull(scanner.onFrame(cameraFrame(code.png))) { "the frame was dropped" }.join() }
                val outcome = scanner.state.await("bob scanned") { it.outcome != null || it.error != null }.outcome
                assertNotNull("bob's scan: ${scanner.state.value}", outcome)
                step("meet_done", Routes.MINE, outcome!!.sasWords.first()) { MeetScreen(scanner.state.value, false, object : MeetActions {}) { } }
                shower.scan()
                runBlocking { checkNotNull(shower.onFrame(cameraFrame(checkNotNull(outcome.returnPng)))) { "the frame was dropped" }.join() }
                assertEquals(outcome.sasWords, shower.state.await("alice scanned back") { it.outcome != null }.outcome!!.sasWords)

                // Bob rates the meetup.
                val rate = RateViewModel(bob.core, nego, bob.scope)
                runBlocking { rate.load().join() }
                rate.setSafe(true)
                rate.setReliable(true)
                step("rate", Routes.MINE, "") { RateScreen(rate.state.value, object : RateActions {}) }
                runBlocking { rate.submit()?.join() }
                rate.state.await("rated") { it.done || it.error != null }.let { assertTrue("rating: ${it.error}", it.done) }

                // Bob reports the ride done; the core stops offering it, and the deal screen says so.
                runBlocking { thread.load().join() }
                assertTrue("${thread.state.value.actions}", DealAction.MARK_COMPLETED in thread.state.value.actions)
                runBlocking { thread.markStage(DealStage.COMPLETED).join() }
                val done = thread.state.value
                assertEquals(DealStage.COMPLETED, done.deal?.stage)
                assertTrue("${done.actions}", DealAction.MARK_COMPLETED !in done.actions)
                val res = org.robolectric.RuntimeEnvironment.getApplication()
                val progress = res.getString(app.freeport.android.R.string.deal_stage, res.getString(app.freeport.android.R.string.stage_completed))
                step("deal_completed", Routes.MINE, progress) { DealScreen(done, bobChat.state.value, object : DealActions {}) }
                threadWatch.cancel()

                // Alice screens Bob from the deal: his card comes from the core's reputation.
                val screen = ScreenContactViewModel(alice.core, alice.scope)
                runBlocking { screen.screenDeal(nego).join() }
                val card = screen.state.await("bob's card") { it.screening != null || it.error != null }
                assertNotNull("screening: ${card.error}", card.screening)
                step("screen_contact", "screen", "Bob") {
                    ScreenContactScreen(screen.state.value, false, object : ScreenContactActions {}) { }
                }
            }
        }
    }
}
