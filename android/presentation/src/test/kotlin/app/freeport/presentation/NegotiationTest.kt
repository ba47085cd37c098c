package app.freeport.presentation

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class NegotiationTest {

    @Test
    fun `quotes arrive with screening cards, picking confirms, and only then the contact shows`() = runBlocking<Unit> {
        Market.open(alicePhone = "+65 9123 4567").use { m ->
            val intent = m.post("Pick me a rider")
            val quotes = QuotesViewModel(m.alice.core, intent.id, m.alice.scope)
            val watching = quotes.watch()

            m.bobSees(intent)
            val bobDeal = m.bob.core.respondAccept(intent.id)
            m.bob.core.flushOutbox(10_000)

            // The bob side, before any confirmation: no contact.
            val bobThread = NegotiationViewModel(m.bob.core, bobDeal.nego, m.bob.scope)
            val bobWatching = bobThread.watch()
            bobThread.state.await("bob's thread loaded") { it.deal != null }
            assertNull(bobThread.state.value.contact)
            assertFalse(bobThread.state.value.deal!!.state in CONFIRMED_STATES)

            val q = quotes.state.await("alice sees bob's quote") { s -> s.quotes.any { it.deal.nego == bobDeal.nego } }
                .quotes.first { it.deal.nego == bobDeal.nego }
            assertEquals(m.bob.core.identity()?.npub, q.screening.subjectNpub)
            assertEquals("owner", q.deal.role)
            assertTrue(q.screening.verdict.isNotEmpty())
            assertEquals(intent.title, quotes.state.value.intent?.title)
            assertTrue(bobDeal.nego in quotes.state.value.pickable, "an open quote can be picked")

            quotes.pick(bobDeal.nego).join()
            val picked = assertNotNull(quotes.state.value.picked, "${quotes.state.value.error}")
            assertEquals("confirmed", picked.state)
            assertEquals(DealState.CONFIRMED, DealState.of(picked.state), "the core's label maps to a worded state")
            assertFalse(bobDeal.nego in quotes.state.value.pickable, "a confirmed quote cannot be picked again")
            quotes.pickedShown()
            assertNull(quotes.state.value.picked, "navigating to the thread happens once")
            m.alice.core.flushOutbox(10_000)

            // Bob's thread follows the pick by itself and reveals Alice's contact.
            val confirmed = bobThread.state.await("bob sees the confirmation") { it.deal?.state == "confirmed" }
            val contact = assertNotNull(confirmed.contact)
            assertTrue(contact.contains("Alice") && contact.contains("9123"), contact)
            assertFalse(confirmed.canAccept)
            assertTrue(confirmed.deal!!.canMeet)

            // "Mine" lists the deal on both sides.
            val bobMine = MyIntentsViewModel(m.bob.core, m.bob.scope)
            bobMine.load().join()
            assertEquals(listOf(bobDeal.nego), bobMine.state.value.deals.map { it.nego })
            assertTrue(bobMine.state.value.intents.isEmpty())
            watching.cancel()
            bobWatching.cancel()
        }
    }

    @Test
    fun `counter-offers go back and forth with rounds counting down, then accept confirms`() = runBlocking<Unit> {
        Market.open().use { m ->
            val intent = m.post("Haggle")
            m.bobSees(intent)
            val browse = BrowseViewModel(m.bob.core, m.bob.scope)
            browse.load().join()
            browse.setManualArea(RIDE_AREA).join()
            browse.respond(intent.id, mapOf("payment" to "SGD 8")).join()
            val opened = assertNotNull(browse.state.value.opened, "${browse.state.value.error}")
            m.bob.core.flushOutbox(10_000)

            val alice = NegotiationViewModel(m.alice.core, opened.nego, m.alice.scope)
            val aliceWatch = alice.watch()
            val a1 = alice.state.await("alice sees bob's counter") { it.deal?.proposedBy == "them" }
            assertEquals("SGD 8", a1.terms.toMap()["payment"])
            assertTrue(a1.canAccept && a1.canCounter, "$a1")
            val roundsBefore = a1.deal!!.roundsLeft

            // An empty counter is stopped by the screen.
            assertNull(alice.counter())
            assertEquals(LocalError.EMPTY, alice.state.value.error?.detail)

            alice.edit("payment", "SGD 9")
            alice.counter()!!.join()
            val a2 = alice.state.value
            assertEquals("us", a2.deal?.proposedBy, "${a2.error}")
            assertEquals("SGD 9", a2.terms.toMap()["payment"])
            assertTrue(a2.edits.isEmpty())
            assertTrue(a2.deal!!.roundsLeft < roundsBefore, "rounds count down: $roundsBefore -> ${a2.deal!!.roundsLeft}")
            assertFalse(a2.canAccept, "you don't accept your own terms")
            m.alice.core.flushOutbox(10_000)

            val bob = NegotiationViewModel(m.bob.core, opened.nego, m.bob.scope)
            val bobWatch = bob.watch()
            val b1 = bob.state.await("bob sees alice's counter") { it.deal?.proposedBy == "them" && it.terms.toMap()["payment"] == "SGD 9" }
            assertTrue(b1.canAccept)
            bob.accept().join()
            assertNull(bob.state.value.error, "${bob.state.value.error}")
            m.bob.core.flushOutbox(10_000)

            // Alice, the owner, sees the acceptance and confirms by picking.
            alice.state.await("alice sees bob accept") { it.deal?.state == "accepted_by_them" }
            val quotes = QuotesViewModel(m.alice.core, intent.id, m.alice.scope)
            quotes.pick(opened.nego).join()
            assertEquals("confirmed", quotes.state.value.picked?.state, "${quotes.state.value.error}")
            m.alice.core.flushOutbox(10_000)
            bob.state.await("bob confirmed") { it.deal?.state == "confirmed" && it.contact != null }

            // Cancelling is still offered before meeting; the other side follows.
            assertTrue(alice.state.value.canCancel)
            alice.cancel("  ").join()
            val afterCancel = alice.state.value
            assertNull(afterCancel.error, "${afterCancel.error}")
            assertEquals("cancelled", afterCancel.deal?.state)
            assertFalse(afterCancel.canCancel || afterCancel.canAccept || afterCancel.canCounter)
            m.alice.core.flushOutbox(10_000)
            bob.state.await("bob sees the cancellation") { it.deal?.state == "cancelled" }
            aliceWatch.cancel()
            bobWatch.cancel()
        }
    }
}
