package app.freeport.presentation

import app.freeport.core.DealAction
import app.freeport.core.DealRole
import app.freeport.core.DealState
import app.freeport.core.Party
import app.freeport.core.Refusal
import app.freeport.core.TermValue
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
            assertEquals(DealState.ACCEPTED_BY_US, bobThread.state.value.deal!!.state)
            // Bob accepted: all he can do now is wait, write, or cancel.
            assertEquals(listOf(DealAction.CANCEL, DealAction.CHAT), bobThread.state.value.actions)

            val q = quotes.state.await("alice sees bob's quote") { s -> s.quotes.any { it.deal.nego == bobDeal.nego } }
                .quotes.first { it.deal.nego == bobDeal.nego }
            assertEquals(m.bob.core.identity()?.npub, q.screening.subjectNpub)
            assertEquals(DealRole.OWNER, q.deal.role)
            assertEquals(q.screening.verdict, q.screening.badge.verdict)
            // The owner is offered a pick (accepting a quote is picking it), never a bare accept.
            assertEquals(listOf(DealAction.PICK, DealAction.CANCEL, DealAction.CHAT), q.deal.actions)
            assertEquals(intent.title, quotes.state.value.intent?.title)
            assertTrue(bobDeal.nego in quotes.state.value.pickable, "an open quote can be picked")

            quotes.pick(bobDeal.nego).join()
            val picked = assertNotNull(quotes.state.value.picked, "${quotes.state.value.error}")
            assertEquals(DealState.CONFIRMED, picked.state)
            assertFalse(bobDeal.nego in quotes.state.value.pickable, "a confirmed quote cannot be picked again")
            quotes.pickedShown()
            assertNull(quotes.state.value.picked, "navigating to the thread happens once")
            m.alice.core.flushOutbox(10_000)

            // Bob's thread follows the pick by itself and reveals Alice's contact.
            val confirmed = bobThread.state.await("bob sees the confirmation") { it.deal?.state == DealState.CONFIRMED }
            val contact = assertNotNull(confirmed.contact)
            assertTrue(contact.contains("Alice") && contact.contains("9123"), contact)
            // The buttons are exactly the core's actions.
            assertEquals(
                listOf(
                    DealAction.CANCEL, DealAction.REQUEST_CANCEL, DealAction.SHOW_CODE, DealAction.SCAN_CODE,
                    DealAction.RATE, DealAction.CHAT, DealAction.MARK_PICKED_UP, DealAction.MARK_COMPLETED,
                ),
                confirmed.actions,
            )

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
    fun `blocking from a quote card hides that person's quotes, the others stay pickable, unblocking restores`() = runBlocking<Unit> {
        Market.open().use { m ->
            Phone(Relay.url).onboard("Carol").use { carol ->
                val intent = m.post("Two riders")
                val bobQuote = m.respond(intent)
                carol.until("carol sees the intent") {
                    carol.core.browse("sg-rideshare", RIDE_AREA, 1).firstOrNull { it.id == intent.id }
                }
                val carolQuote = carol.core.respondAccept(intent.id)
                assertEquals(0, carol.core.flushOutbox(10_000))
                m.alice.until("alice has carol's quote") { m.alice.core.quotes(intent.id).firstOrNull { it.deal.nego == carolQuote.nego } }

                val quotes = QuotesViewModel(m.alice.core, intent.id, m.alice.scope)
                quotes.load().join()
                assertEquals(setOf(bobQuote.nego, carolQuote.nego), quotes.state.value.quotes.map { it.deal.nego }.toSet())

                quotes.block(bobQuote.nego).join()
                val after = quotes.state.value
                assertNull(after.error, "${after.error}")
                assertFalse(after.busy)
                assertEquals(listOf(carolQuote.nego), after.quotes.map { it.deal.nego }, "the core leaves the blocked key's quote out")
                assertEquals(setOf(carolQuote.nego), after.pickable)
                val bobNpub = m.bob.core.identity()?.npub
                assertEquals(listOf(bobNpub), m.alice.core.blocked().map { it.npub })
                // The same key as the deal screen's block: its thread says so, and offers no chat.
                val bobThread = m.alice.core.deal(bobQuote.nego)
                assertTrue(bobThread.counterpartyBlocked)
                assertFalse(DealAction.CHAT in bobThread.actions)

                // Unblocking (Settings) brings the quote back on the next load.
                m.alice.core.unblock(bobNpub!!)
                quotes.load().join()
                assertEquals(setOf(bobQuote.nego, carolQuote.nego), quotes.state.value.quotes.map { it.deal.nego }.toSet())
            }
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
            browse.respond(intent.id, mapOf("/payment" to "SGD 8")).join()
            val opened = assertNotNull(browse.state.value.opened, "${browse.state.value.error}")
            m.bob.core.flushOutbox(10_000)

            val alice = NegotiationViewModel(m.alice.core, opened.nego, m.alice.scope)
            val aliceWatch = alice.watch()
            val a1 = alice.state.await("alice sees bob's counter") { it.deal?.proposedBy == Party.THEM }
            val payment = a1.terms.single { it.path == "/payment" }
            assertEquals(TermValue.Money("8", "SGD"), payment.value, "a payment the core reads is money")
            assertEquals("Payment", payment.label, "terms are labelled as the market's form labels them")
            assertEquals("SGD 8", payment.editText, "a counter starts from the text as typed")
            assertEquals(listOf(DealAction.PICK, DealAction.COUNTER, DealAction.CANCEL, DealAction.CHAT), a1.actions, "$a1")
            val roundsBefore = a1.deal!!.roundsLeft

            // Countering with nothing changed is the core's refusal, as a code; nothing moves.
            alice.counter().join()
            assertEquals(Refusal.NoChange, alice.state.value.error?.refusal, "${alice.state.value.error}")
            assertEquals(roundsBefore, alice.state.value.deal!!.roundsLeft)

            alice.edit("/payment", "SGD 9")
            alice.counter().join()
            val a2 = alice.state.value
            assertEquals(Party.US, a2.deal?.proposedBy, "${a2.error}")
            assertEquals(TermValue.Money("9", "SGD"), a2.terms.single { it.path == "/payment" }.value)
            assertTrue(a2.edits.isEmpty())
            assertTrue(a2.deal!!.roundsLeft < roundsBefore, "rounds count down: $roundsBefore -> ${a2.deal!!.roundsLeft}")
            // Our own proposal is on the table: no accept, no counter; chat or cancel (the core's turn rule).
            assertEquals(listOf(DealAction.CANCEL, DealAction.CHAT), a2.actions, "you don't accept or counter your own terms")
            m.alice.core.flushOutbox(10_000)

            val bob = NegotiationViewModel(m.bob.core, opened.nego, m.bob.scope)
            val bobWatch = bob.watch()
            val b1 = bob.state.await("bob sees alice's counter") { it.deal?.proposedBy == Party.THEM && it.terms.any { t -> t.path == "/payment" && t.editText == "SGD 9" } }
            assertEquals(listOf(DealAction.ACCEPT, DealAction.COUNTER, DealAction.CANCEL, DealAction.CHAT), b1.actions)
            bob.accept().join()
            assertNull(bob.state.value.error, "${bob.state.value.error}")
            m.bob.core.flushOutbox(10_000)

            // Alice, the owner, sees the acceptance and confirms by picking.
            val a3 = alice.state.await("alice sees bob accept") { it.deal?.state == DealState.ACCEPTED_BY_THEM }
            // They accepted our own terms: we confirm by picking (the old screens disagreed here);
            // no counter on our own proposal.
            assertEquals(listOf(DealAction.PICK, DealAction.CANCEL, DealAction.CHAT), a3.actions)
            val quotes = QuotesViewModel(m.alice.core, intent.id, m.alice.scope)
            quotes.pick(opened.nego).join()
            assertEquals(DealState.CONFIRMED, quotes.state.value.picked?.state, "${quotes.state.value.error}")
            m.alice.core.flushOutbox(10_000)
            bob.state.await("bob confirmed") { it.deal?.state == DealState.CONFIRMED && it.contact != null }

            // A confirmed deal: Bob asks to cancel, Alice is offered agree / decline and declines.
            bob.requestCancel("flat tyre").join()
            assertEquals(DealState.CANCEL_REQUESTED_BY_US, bob.state.value.deal?.state, "${bob.state.value.error}")
            assertEquals(
                listOf(DealAction.CANCEL, DealAction.CHAT, DealAction.MARK_PICKED_UP, DealAction.MARK_COMPLETED),
                bob.state.value.actions,
                "waiting for their answer: no second request, no meet code",
            )
            m.bob.core.flushOutbox(10_000)
            val asked = alice.state.await("alice sees the request") { it.deal?.state == DealState.CANCEL_REQUESTED_BY_THEM }
            assertEquals(
                listOf(
                    DealAction.CANCEL, DealAction.AGREE_CANCEL, DealAction.DECLINE_CANCEL,
                    DealAction.CHAT, DealAction.MARK_PICKED_UP, DealAction.MARK_COMPLETED,
                ),
                asked.actions,
            )
            alice.declineCancel().join()
            assertEquals(DealState.CONFIRMED, alice.state.value.deal?.state, "${alice.state.value.error}")
            m.alice.core.flushOutbox(10_000)
            bob.state.await("bob sees the decline") { it.deal?.state == DealState.CONFIRMED }

            // Cancelling is still offered before meeting; the other side follows.
            assertTrue(DealAction.CANCEL in alice.state.value.actions)
            alice.cancel("  ").join()
            val afterCancel = alice.state.value
            assertNull(afterCancel.error, "${afterCancel.error}")
            assertEquals(DealState.CANCELLED, afterCancel.deal?.state)
            assertTrue(afterCancel.actions.isEmpty(), "nothing is offered on a cancelled deal: ${afterCancel.actions}")
            m.alice.core.flushOutbox(10_000)
            bob.state.await("bob sees the cancellation") { it.deal?.state == DealState.CANCELLED }
            aliceWatch.cancel()
            bobWatch.cancel()
        }
    }
}
