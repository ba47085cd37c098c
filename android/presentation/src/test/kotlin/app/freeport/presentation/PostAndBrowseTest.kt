package app.freeport.presentation

import app.freeport.core.IntentSide
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class PostAndBrowseTest {

    @Test
    fun `post form comes from the market, core validation lands on fields, a valid post is published`() = runBlocking<Unit> {
        Phone(Relay.url).onboard("Alice").use { alice ->
            val vm = PostIntentViewModel(alice.core, "sg-rideshare", alice.scope)
            vm.load().join()
            val s0 = vm.state.value
            assertEquals("sg-rideshare", s0.market?.topic, "${s0.error}")
            val from = s0.fields.first { it.path == "/from" }
            assertEquals(InputKind.LOCATION, from.input)
            assertTrue(from.required)
            assertTrue(s0.fields.first { it.path == "/category" }.options.any { it.value == "car" })

            // Nothing filled in: the core's schema says what is missing, per field.
            vm.setTitle("Ride to the airport")
            vm.submit()!!.join()
            val errors = vm.state.value.fieldErrors
            assertEquals(UiError.Kind.INVALID_INPUT, errors["/from"]?.kind, "$errors / ${vm.state.value.error}")
            assertEquals(UiError.Kind.INVALID_INPUT, errors["/to"]?.kind, "$errors")
            assertNull(vm.state.value.posted)

            // A place without its geohash is refused inside that field.
            vm.setValue("/from", FieldValue.Place("Bishan", ""))
            vm.setValue("/to", FieldValue.Place("Changi", "w21zg"))
            vm.submit()!!.join()
            assertTrue(vm.state.value.fieldErrors["/from"]?.detail.orEmpty().contains("geohash"), "${vm.state.value.fieldErrors}")
            assertNull(vm.state.value.fieldErrors["/to"])

            vm.locate("/from", 1.3516, 103.8485).join()
            val place = vm.state.value.values["/from"] as FieldValue.Place
            assertEquals("Bishan", place.name)
            assertEquals(7, place.geohash.length)
            vm.setValue("/category", FieldValue.Text("car"))
            vm.setGeohash(RIDE_AREA)
            vm.setSide(IntentSide.OFFER)
            vm.submit()!!.join()
            val posted = assertNotNull(vm.state.value.posted, "${vm.state.value.fieldErrors} ${vm.state.value.error}")
            assertEquals("Ride to the airport", posted.title)
            assertTrue(posted.mine)

            val mine = MyIntentsViewModel(alice.core, alice.scope)
            mine.load().join()
            assertEquals(listOf(posted.id), mine.state.value.intents.map { it.id })
            mine.withdraw(posted.id).join()
            assertTrue(mine.state.value.intents.single().withdrawn, "${mine.state.value}")
        }
    }

    @Test
    fun `a bad area code is refused by the core and names the field`() = runBlocking<Unit> {
        Phone(Relay.url).onboard("Carol").use { carol ->
            val vm = PostIntentViewModel(carol.core, "sg-rideshare", carol.scope)
            vm.load().join()
            vm.setTitle("x")
            vm.setValue("/from", FieldValue.Place("A", "w21z7"))
            vm.setValue("/to", FieldValue.Place("B", "w21zg"))
            vm.setGeohash("ai!")
            vm.submit()!!.join()
            val e = vm.state.value.fieldErrors["geohash"] ?: vm.state.value.fieldErrors[""]
            assertNotNull(e, "${vm.state.value}")
            assertEquals(UiError.Kind.INVALID_INPUT, e.kind)
            assertNull(vm.state.value.posted)
        }
    }

    @Test
    fun `browse near me finds the intent with its author's badge, far away it does not`() = runBlocking<Unit> {
        Market.open().use { m ->
            val intent = m.post("Browse me")
            val vm = BrowseViewModel(m.bob.core, m.bob.scope)
            vm.load().join()
            assertTrue(vm.state.value.markets.any { it.topic == "sg-rideshare" })
            vm.select("sg-rideshare")!!.join()

            // Bishan, Singapore, at the default precision.
            vm.useLocation(1.3516, 103.8485).join()
            val s = vm.state.value
            assertEquals(BrowseViewModel.AreaSource.LOCATION, s.areaSource)
            assertEquals(BrowseViewModel.DEFAULT_PRECISION, s.area?.length, "$s")
            val seen = assertNotNull(s.intents.firstOrNull { it.id == intent.id }, "${s.intents.map { it.title }} ${s.error}")
            assertEquals(m.alice.core.identity()?.npub, seen.authorNpub)
            assertFalse(seen.mine)
            // Every intent shows its author's badge: Alice is brand new to Bob.
            assertTrue(seen.badge.startsWith("0 deals"), seen.badge)
            assertTrue(seen.badge.contains("new account"), seen.badge)
            assertEquals("unknown", seen.verdict)

            // Coarser precision: a shorter geohash, still covering the intent.
            vm.setPrecision(3)!!.join()
            assertEquals(3, vm.state.value.area?.length)
            assertTrue(vm.state.value.intents.any { it.id == intent.id })

            // Copenhagen: not there.
            vm.setManualArea("u3buw").join()
            assertEquals(BrowseViewModel.AreaSource.MANUAL, vm.state.value.areaSource)
            assertTrue(vm.state.value.intents.none { it.id == intent.id })

            vm.setManualArea("not a geohash!").join()
            assertEquals(UiError.Kind.INVALID_INPUT, vm.state.value.error?.kind, "${vm.state.value.error}")

            // Typing fast: each change starts a query, the older one is cancelled, and the newest
            // area's results are what stays on screen.
            val stale = vm.setManualArea("u3buw")
            val latest = vm.setManualArea(RIDE_AREA)
            latest.join()
            stale.join()
            assertEquals(RIDE_AREA, vm.state.value.area)
            assertTrue(vm.state.value.intents.any { it.id == intent.id }, "${vm.state.value}")
            assertFalse(vm.state.value.loading)

            // Responding opens the thread.
            vm.respond(intent.id).join()
            val opened = assertNotNull(vm.state.value.opened, "${vm.state.value.error}")
            assertEquals("responder", opened.role)
            assertEquals(intent.id, opened.intentId)
            assertNull(opened.theirContact, "no contact before the deal is confirmed")
        }
    }
}
