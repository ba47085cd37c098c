package app.freeport.presentation

import app.freeport.core.DealState
import app.freeport.core.DealView
import app.freeport.core.EntryValue
import app.freeport.core.FormEntry
import app.freeport.core.IntentSide
import app.freeport.core.IntentView
import app.freeport.core.PostIntentInput
import app.freeport.core.ProfileInput
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.withTimeout
import kotlin.test.assertEquals

/** The rideshare form filled in: between two Singapore places (geohashes at precision 5). */
val RIDE_ENTRIES = listOf(
    FormEntry("/from", EntryValue.Place("Bishan", "w21z7")),
    FormEntry("/to", EntryValue.Place("Changi", "w21zg")),
    FormEntry("/payment", EntryValue.Text("SGD 10")),
)

/** Where the rideshare intents of these tests are published. */
const val RIDE_AREA = "w21z7"

/**
 * Waits for [probe] to return non-null, re-checking after every core event of this phone (so it
 * follows real asynchronous progress: relay delivery, ingest). Bounded so a bug fails the test.
 */
suspend fun <T : Any> Phone.until(what: String, timeoutMs: Long = 30_000, probe: suspend () -> T?): T {
    val signal = Channel<Unit>(Channel.CONFLATED)
    core.subscribe { signal.trySend(Unit) }.use {
        try {
            return withTimeout(timeoutMs) {
                var found = probe()
                while (found == null) {
                    signal.receive()
                    found = probe()
                }
                found
            }
        } catch (e: TimeoutCancellationException) {
            throw AssertionError("never happened: $what", e)
        }
    }
}

/** Two phones on one relay and the core-level steps that bring a deal to a given stage. */
class Market(val alice: Phone, val bob: Phone) : AutoCloseable {
    companion object {
        suspend fun open(alicePhone: String? = null): Market {
            val alice = Phone(Relay.url).onboard("Alice")
            if (alicePhone != null) {
                alice.core.setProfile(ProfileInput("Alice", null, alicePhone, false, null, null, null))
            }
            val bob = Phone(Relay.url).onboard("Bob")
            return Market(alice, bob)
        }
    }

    /** Alice posts a rideshare offer and it reaches the relay. */
    suspend fun post(title: String = "Bishan to Changi"): IntentView {
        val intent = alice.core.postIntent(
            PostIntentInput("sg-rideshare", IntentSide.OFFER, title, RIDE_ENTRIES, RIDE_AREA, null, 0u),
        )
        assertEquals(0, alice.core.flushOutbox(10_000), "alice's intent did not reach the relay")
        return intent
    }

    /** Bob fetches the market so the intent is in his store. */
    suspend fun bobSees(intent: IntentView) {
        bob.until("bob sees ${intent.id}") {
            bob.core.browse("sg-rideshare", RIDE_AREA, 1).firstOrNull { it.id == intent.id }
        }
    }

    /** Bob accepts the intent's terms; Alice receives the quote. */
    suspend fun respond(intent: IntentView): DealView {
        bobSees(intent)
        val deal = bob.core.respondAccept(intent.id)
        assertEquals(0, bob.core.flushOutbox(10_000))
        alice.until("alice has bob's quote") { alice.core.quotes(intent.id).firstOrNull { it.deal.nego == deal.nego } }
        return deal
    }

    /** Alice picks Bob's quote; both sides end confirmed. */
    suspend fun confirm(nego: String) {
        alice.core.pick(nego)
        assertEquals(0, alice.core.flushOutbox(10_000))
        bob.until("bob confirmed") { bob.core.deal(nego).takeIf { it.state == DealState.CONFIRMED } }
        alice.until("alice confirmed") { alice.core.deal(nego).takeIf { it.state == DealState.CONFIRMED } }
    }

    /** The meetup, phone to phone (codes as text; the camera path is in MeetViewModelTest). */
    suspend fun meet(nego: String) {
        val code = alice.core.meetShow(nego, 256)
        val scanned = bob.core.meetScanText(code.token)
        alice.core.meetScanText(checkNotNull(scanned.returnToken))
        assertEquals(DealState.MET, alice.core.deal(nego).state)
        assertEquals(DealState.MET, bob.core.deal(nego).state)
    }

    /** All the way to a confirmed deal; returns its id. */
    suspend fun confirmedDeal(title: String = "Bishan to Changi"): String {
        val deal = respond(post(title))
        confirm(deal.nego)
        return deal.nego
    }

    override fun close() {
        alice.close()
        bob.close()
    }
}
