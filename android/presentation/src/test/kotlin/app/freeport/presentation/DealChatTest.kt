package app.freeport.presentation

import app.freeport.core.DealStage
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

class DealChatTest {

    @Test
    fun `a chat thread on the deal screen sends, receives, marks read and refuses what is not text`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal()
            val alice = DealChatViewModel(m.alice.core, nego, m.alice.scope)
            val bob = DealChatViewModel(m.bob.core, nego, m.bob.scope)
            val aliceWatch = alice.watch()
            val bobWatch = bob.watch()
            alice.state.await("alice's thread loaded") { it.deal != null }

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

            // Not text: refused by the core, nothing sent, the draft kept for editing.
            alice.edit("   ")
            alice.send().join()
            assertEquals(UiError.Kind.INVALID_INPUT, alice.state.value.error?.kind)
            assertEquals(2, m.alice.core.chat(nego).size)

            // Progress and the mutual cancel go through the same screen.
            bob.markStage(DealStage.PICKED_UP).join()
            assertEquals(DealStage.PICKED_UP, bob.state.value.deal?.stage, "${bob.state.value.error}")
            m.bob.core.flushOutbox(10_000)
            alice.state.await("alice sees the stage") { it.deal?.stage == DealStage.PICKED_UP }
            alice.requestCancel("rain").join()
            m.alice.core.flushOutbox(10_000)
            val asked = bob.state.await("bob is asked") { it.deal?.cancelRequestedByThem == true }
            assertEquals("cancel_requested", asked.deal?.state)
            bob.answerCancel(agree = false).join()
            assertEquals("confirmed", bob.state.value.deal?.state)
            aliceWatch.cancel()
            bobWatch.cancel()
        }
    }

    @Test
    fun `blocking the counterparty from the deal screen drops what they send`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Block me")
            val alice = DealChatViewModel(m.alice.core, nego, m.alice.scope)
            alice.load().join()
            alice.setBlocked(true).join()
            assertTrue(assertNotNull(alice.state.value.deal).counterpartyBlocked, "${alice.state.value.error}")
            m.bob.core.chatSend(nego, "are you there?")
            m.bob.core.flushOutbox(10_000)
            m.alice.core.sync()
            assertTrue(m.alice.core.chat(nego).isEmpty(), "a blocked key's messages are dropped")
            assertTrue(m.alice.core.refusals(nego).isEmpty(), "silently: not even a refusal")
            // Sending to a blocked key is refused by the core.
            alice.edit("hello?")
            alice.send().join()
            assertEquals(UiError.Kind.NOT_POSSIBLE, alice.state.value.error?.kind)
            alice.setBlocked(false).join()
            assertFalse(assertNotNull(alice.state.value.deal).counterpartyBlocked)
        }
    }
}
