package app.freeport.presentation

import app.freeport.core.DealAction
import app.freeport.core.DealStage
import app.freeport.core.Notice
import app.freeport.core.NoticeChannel
import app.freeport.core.NoticeKind
import app.freeport.core.PassOutcome
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

class BackgroundPassTest {
    /** Records what it shows; can be told to die after showing (a process killed mid-way). */
    private class Shown(var dieAfterPost: Boolean = false, var blocked: Boolean = false) : NoticeSink {
        val posted = mutableListOf<Notice>()
        override suspend fun post(notice: Notice): Boolean {
            if (blocked) return false
            posted += notice
            if (dieAfterPost) throw IllegalStateException("killed after posting ${notice.id}")
            return true
        }
    }

    @Test
    fun `each notice is posted once, and again only if the run died before acknowledging it`() = runBlocking<Unit> {
        Market.open().use { m ->
            val intent = m.post("Ride to the airport")
            val deal = m.respond(intent)
            val sink = Shown(dieAfterPost = true)
            assertFailsWith<IllegalStateException> {
                BackgroundPass.run(m.alice.core, sink, BackgroundPass.ONE_SHOT_BUDGET_MS)
            }
            val first = sink.posted.single()
            assertEquals(NoticeKind.NewQuote(acceptedAsPosted = true), first.kind)
            assertEquals(NoticeChannel.DEALS, first.channel)
            assertEquals(deal.nego, first.deal?.nego)
            assertEquals(intent.title, first.deal?.intentTitle)

            // The next run posts the same notice under the same id, then acknowledges it.
            sink.dieAfterPost = false
            val run = BackgroundPass.run(m.alice.core, sink, BackgroundPass.ONE_SHOT_BUDGET_MS)
            assertEquals(PassOutcome.COMPLETE, run.outcome)
            assertEquals(1, run.posted)
            assertEquals(listOf(first.id, first.id), sink.posted.map { it.id })
            // Nothing twice after that.
            val again = BackgroundPass.run(m.alice.core, sink, BackgroundPass.ONE_SHOT_BUDGET_MS)
            assertEquals(0, again.posted)
            assertEquals(2, sink.posted.size)
            assertTrue(m.alice.core.pendingNotices().isEmpty())
        }
    }

    @Test
    fun `blocked notifications are acknowledged unseen and opening a deal acknowledges its notices`() = runBlocking<Unit> {
        Market.open().use { m ->
            val intent = m.post("Ride to Jurong")
            val deal = m.respond(intent)
            val sink = Shown(blocked = true)
            assertEquals(0, BackgroundPass.run(m.alice.core, sink, BackgroundPass.ONE_SHOT_BUDGET_MS).posted)
            assertTrue(m.alice.core.pendingNotices().isEmpty())

            // Alice picks Bob: Bob has a Confirmed notice; Bob opens the deal before any pass.
            m.confirm(deal.nego)
            m.bob.until("bob's confirmed notice") {
                m.bob.core.pendingNotices().firstOrNull { it.kind == NoticeKind.Confirmed }
            }
            val thread = NegotiationViewModel(m.bob.core, deal.nego, m.bob.scope)
            thread.load().join()
            assertTrue(m.bob.core.pendingNotices().isEmpty(), "seen on the deal screen")
            assertEquals(0, BackgroundPass.run(m.bob.core, Shown(), BackgroundPass.ONE_SHOT_BUDGET_MS).posted)
        }
    }

    @Test
    fun `settings switch channels off and on through the core`() = runBlocking<Unit> {
        Phone(Relay.url).onboard("Carol").use { p ->
            val vm = SettingsViewModel(p.core, DataWiper {}, p.scope)
            vm.load().join()
            val on = vm.state.value.notices!!
            assertTrue(on.deals && on.ratings && on.safety, "all on by default")
            vm.setNotices(NoticeChannel.RATINGS, false).join()
            assertFalse(vm.state.value.notices!!.ratings)
            assertFalse(p.core.noticeSettings().ratings, "kept by the core")
            assertTrue(p.core.noticeSettings().deals)
        }
    }

    @Test
    fun `a pass is requested after posting, responding and accepting, not after reading`() = runBlocking<Unit> {
        Market.open().use { m ->
            var kicks = 0
            val alice = PassAfterActionsCore(m.alice.core) { kicks++ }
            val bob = PassAfterActionsCore(m.bob.core) { kicks++ }
            val intent = alice.postIntent(
                app.freeport.core.PostIntentInput(
                    "sg-rideshare", app.freeport.core.IntentSide.OFFER, "Kick test", RIDE_ENTRIES, RIDE_AREA, null, 0u,
                ),
            )
            assertEquals(1, kicks)
            alice.myIntents()
            alice.deals()
            assertEquals(1, kicks, "reads ask for nothing")
            m.bobSees(intent)
            val deal = bob.respondAccept(intent.id)
            assertEquals(2, kicks)
            m.bob.core.flushOutbox(10_000)
            m.alice.until("alice has the quote") { m.alice.core.quotes(intent.id).firstOrNull() }
            // What the screens send (form counters, chat, stages, cancel answers) asks too.
            bob.chatSend(deal.nego, "I can wait at exit B")
            assertEquals(3, kicks)
            alice.pick(deal.nego)
            assertEquals(4, kicks)
            m.alice.core.flushOutbox(10_000)
            m.bob.until("bob confirmed") { m.bob.core.deal(deal.nego).takeIf { DealAction.MARK_PICKED_UP in it.actions } }
            bob.markStage(deal.nego, DealStage.PICKED_UP)
            alice.requestCancel(deal.nego, null)
            assertEquals(6, kicks)
            alice.chat(deal.nego)
            alice.refusals(deal.nego)
            assertEquals(6, kicks, "reads ask for nothing")
        }
    }
}
