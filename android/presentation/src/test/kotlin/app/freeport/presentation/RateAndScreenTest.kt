package app.freeport.presentation

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class RateAndScreenTest {

    @Test
    fun `rating needs both answers, attests the number reached, and marks the deal rated`() = runBlocking<Unit> {
        Market.open(alicePhone = "+65 9123 4567").use { m ->
            val nego = m.confirmedDeal("Rate me")
            m.meet(nego)

            val vm = RateViewModel(m.bob.core, nego, m.bob.scope)
            vm.load().join()
            assertTrue(vm.state.value.canAttestNumber, "alice sent her number with the accept")
            assertNull(vm.submit())
            assertEquals("safe", vm.state.value.error?.field)
            vm.setSafe(true)
            assertNull(vm.submit())
            assertEquals("reliable", vm.state.value.error?.field)
            vm.setReliable(true)
            vm.setScore(5)
            assertEquals(RateViewModel.MAX_SCORE, vm.state.value.score, "scores are clamped to the protocol's range")
            vm.setReachedNumber(true)
            vm.submit()!!.join()
            assertNull(vm.state.value.error, "${vm.state.value.error}")
            assertTrue(vm.state.value.done)
            assertEquals(true, vm.state.value.deal?.rated)
            assertEquals(false, vm.state.value.deal?.canRate)

            // Process death: a new screen on the same deal knows it is rated.
            val again = RateViewModel(m.bob.core, nego, m.bob.scope)
            again.load().join()
            assertTrue(again.state.value.done)
        }
    }

    @Test
    fun `screening a deal partner shows verdict, counts and a path, bad keys are refused`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Screen me")
            m.meet(nego)
            val bobNpub = m.bob.core.identity()!!.npub

            val vm = ScreenContactViewModel(m.alice.core, m.alice.scope)
            vm.screenDeal(nego).join()
            val card = assertNotNull(vm.state.value.screening, "${vm.state.value.error}")
            assertEquals(bobNpub, card.subjectNpub)
            assertEquals(bobNpub, vm.state.value.input)
            assertTrue(card.verdict in setOf("trusted", "caution", "unknown", "warning"))
            assertEquals(1u, card.deals, "the met deal counts: $card")
            // The connection drawn: me → Bob, by name.
            assertEquals(listOf(m.alice.core.identity()!!.pubkey, card.subject), card.path)
            assertEquals(listOf("Alice", "Bob"), vm.state.value.path.map { it.name })

            vm.setInput("nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5")
            vm.screen().join()
            val e = assertNotNull(vm.state.value.error)
            assertEquals(UiError.Kind.INVALID_INPUT, e.kind)
            assertEquals("npub", e.field)
            assertTrue(e.detail.contains("secret key"), e.detail)

            vm.setInput("  nostr:$bobNpub ")
            vm.screen().join()
            assertNull(vm.state.value.error)
            assertEquals(bobNpub, vm.state.value.screening?.subjectNpub)
        }
    }

    @Test
    fun `short keys for unnamed path steps`() {
        assertEquals("7e7e9c…df4e", ScreenContactViewModel.shortKey("7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"))
        assertEquals("abc", ScreenContactViewModel.shortKey("abc"))
    }
}
