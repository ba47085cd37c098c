package app.freeport.presentation

import app.freeport.core.DealAction
import app.freeport.core.DealStage
import app.freeport.core.DealState
import app.freeport.core.RefusalCode
import app.freeport.core.Rule
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * The deal screen's conversation half, both phones through the real core: chat, progress
 * stages, the mutual cancel, blocking, and what the core refused from the counterparty. Every
 * button the screen shows is asserted to be exactly the core's [DealAction]s.
 */
class DealChatTest {

    @Test
    fun `chat on the deal screen sends, receives, marks read, and the core refuses what is not text`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal()
            val alice = DealChatViewModel(m.alice.core, nego, m.alice.scope)
            val bob = DealChatViewModel(m.bob.core, nego, m.bob.scope)
            val aliceWatch = alice.watch()
            val bobWatch = bob.watch()
            alice.state.await("alice's thread loaded") { it.loaded }
            assertTrue(DealAction.CHAT in m.bob.core.deal(nego).actions, "a confirmed deal offers chat")

            bob.edit("Blue car, plate SBA1234")
            bob.send().join()
            assertEquals("", bob.state.value.draft, "${bob.state.value.error}")
            assertEquals(listOf("Blue car, plate SBA1234"), bob.state.value.messages.map { it.text })
            assertTrue(bob.state.value.messages.single().fromMe)
            m.bob.core.flushOutbox(10_000)

            // Alice's screen follows; showing it marks it read (the deal list's badge drops).
            val got = alice.state.await("alice gets the message") { it.messages.isNotEmpty() }
            assertEquals("Blue car, plate SBA1234", got.messages.single().text)
            assertFalse(got.messages.single().fromMe)
            m.alice.until("marked read") { m.alice.core.deal(nego).takeIf { it.unread == 0u } }

            alice.edit("See you at exit B")
            alice.send().join()
            m.alice.core.flushOutbox(10_000)
            bob.state.await("bob gets the answer") { s -> s.messages.any { it.text == "See you at exit B" } }

            // Not text: refused by the core with its rule, nothing sent, the draft kept.
            alice.edit("   ")
            alice.send().join()
            val e = assertNotNull(alice.state.value.error)
            assertEquals(UiError.Kind.INVALID_INPUT, e.kind)
            assertEquals(Rule.Blank, e.violations.single().rule, "$e")
            assertEquals("   ", alice.state.value.draft)
            assertEquals(2, m.alice.core.chat(nego).size)
            aliceWatch.cancel()
            bobWatch.cancel()
        }
    }

    @Test
    fun `stages and the mutual cancel are the core's actions on both phones`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Stages")
            val alice = NegotiationViewModel(m.alice.core, nego, m.alice.scope)
            val bob = NegotiationViewModel(m.bob.core, nego, m.bob.scope)
            val aliceWatch = alice.watch()
            val bobWatch = bob.watch()
            val b0 = bob.state.await("bob's deal loaded") { it.deal != null }
            assertEquals(
                listOf(
                    DealAction.CANCEL, DealAction.REQUEST_CANCEL, DealAction.SHOW_CODE, DealAction.SCAN_CODE,
                    DealAction.RATE, DealAction.CHAT, DealAction.MARK_PICKED_UP, DealAction.MARK_COMPLETED,
                ),
                b0.actions,
            )

            // Picked up: reported to the other phone; a stage only advances, so it is not offered again.
            bob.markStage(DealStage.PICKED_UP).join()
            val b1 = bob.state.value
            assertEquals(DealStage.PICKED_UP, b1.deal?.stage, "${b1.error}")
            assertFalse(DealAction.MARK_PICKED_UP in b1.actions, "${b1.actions}")
            assertTrue(DealAction.MARK_COMPLETED in b1.actions, "${b1.actions}")
            m.bob.core.flushOutbox(10_000)
            alice.state.await("alice sees the stage") { it.deal?.stage == DealStage.PICKED_UP }

            // Alice asks to cancel; Bob is offered exactly agree / decline (and a plain cancel).
            alice.requestCancel("rain").join()
            assertEquals(DealState.CANCEL_REQUESTED_BY_US, alice.state.value.deal?.state, "${alice.state.value.error}")
            assertFalse(DealAction.REQUEST_CANCEL in alice.state.value.actions)
            m.alice.core.flushOutbox(10_000)
            val asked = bob.state.await("bob is asked") { it.deal?.state == DealState.CANCEL_REQUESTED_BY_THEM }
            assertTrue(DealAction.AGREE_CANCEL in asked.actions && DealAction.DECLINE_CANCEL in asked.actions, "${asked.actions}")
            assertFalse(DealAction.SHOW_CODE in asked.actions, "no meet code while a cancel is pending")
            bob.declineCancel().join()
            assertEquals(DealState.CONFIRMED, bob.state.value.deal?.state, "${bob.state.value.error}")
            m.bob.core.flushOutbox(10_000)
            alice.state.await("alice sees the decline") { it.deal?.state == DealState.CONFIRMED }

            // Completed closes the deal's progress for good: nothing offered that would reverse it.
            alice.markStage(DealStage.COMPLETED).join()
            val a2 = alice.state.value
            assertEquals(DealStage.COMPLETED, a2.deal?.stage, "${a2.error}")
            assertFalse(DealAction.MARK_COMPLETED in a2.actions, "${a2.actions}")
            assertFalse(DealAction.MARK_PICKED_UP in a2.actions, "${a2.actions}")
            m.alice.core.flushOutbox(10_000)
            bob.state.await("bob sees it completed") { it.deal?.stage == DealStage.COMPLETED }
            aliceWatch.cancel()
            bobWatch.cancel()
        }
    }

    @Test
    fun `blocking the counterparty from the deal screen drops what they send and stops chat`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Block me")
            val alice = NegotiationViewModel(m.alice.core, nego, m.alice.scope)
            val chat = DealChatViewModel(m.alice.core, nego, m.alice.scope)
            alice.load().join()
            chat.load().join()
            assertTrue(DealAction.CHAT in alice.state.value.actions)
            alice.setBlocked(true).join()
            val blocked = alice.state.value
            assertTrue(assertNotNull(blocked.deal).counterpartyBlocked, "${blocked.error}")
            assertFalse(DealAction.CHAT in blocked.actions, "no chat with a blocked key: ${blocked.actions}")

            m.bob.core.chatSend(nego, "are you there?")
            m.bob.core.flushOutbox(10_000)
            m.alice.core.sync()
            assertTrue(m.alice.core.chat(nego).isEmpty(), "a blocked key's messages are dropped")
            assertTrue(m.alice.core.refusals(nego).isEmpty(), "silently: not even a refusal")
            // Writing to a blocked key anyway (the screen hides the field) is the core's refusal.
            chat.edit("hello?")
            chat.send().join()
            assertEquals(UiError.Kind.NOT_POSSIBLE, chat.state.value.error?.kind, "${chat.state.value.error}")
            assertTrue(m.alice.core.blocked().any { it.npub == blocked.deal?.counterpartyNpub })

            alice.setBlocked(false).join()
            assertFalse(assertNotNull(alice.state.value.deal).counterpartyBlocked)
            assertTrue(DealAction.CHAT in alice.state.value.actions)
            assertTrue(m.alice.core.blocked().isEmpty())
        }
    }

    @Test
    fun `what the counterparty sent that the core refused is on the deal screen, typed`() = runBlocking<Unit> {
        Market.open().use { m ->
            val intent = m.post("Refusals")
            m.bobSees(intent)
            val opened = m.bob.core.respondCounterForm(intent.id, listOf(MarketForms.termEntry("payment", "SGD 8")))
            m.bob.core.flushOutbox(10_000)
            val alice = NegotiationViewModel(m.alice.core, opened.nego, m.alice.scope)
            val watching = alice.watch()
            alice.state.await("alice sees bob's quote") { it.deal != null }
            alice.edit("/payment", "SGD 9")
            alice.counter().join()
            m.alice.core.flushOutbox(10_000)
            m.bob.until("bob's turn") { m.bob.core.deal(opened.nego).takeIf { DealAction.COUNTER in it.actions } }

            // Their moves cross: Bob counters while offline, Alice cancels meanwhile. When Bob's
            // counter arrives the deal is closed: Alice's core refuses it once, with its code, and
            // her screen shows why (nothing else changes).
            m.bob.core.stopNetwork()
            m.bob.core.counterForm(opened.nego, listOf(MarketForms.termEntry("payment", "SGD 8.50")))
            alice.cancel(null).join()
            assertEquals(DealState.CANCELLED, alice.state.value.deal?.state, "${alice.state.value.error}")
            m.alice.core.flushOutbox(10_000)
            m.bob.core.startNetwork()
            m.bob.core.flushOutbox(10_000)

            val refused = alice.state.await("alice sees the refusal") { it.refusals.isNotEmpty() }
            assertEquals(DealState.CANCELLED, refused.deal?.state, "a refused message changes nothing")
            val r = refused.refusals.single()
            assertEquals(opened.nego, r.nego)
            assertEquals(RefusalCode.CLOSED, r.code, "$r")
            assertEquals(m.bob.core.identity()?.npub, r.senderNpub)
            assertEquals(1u, refused.deal?.refused)
            watching.cancel()
        }
    }
}
