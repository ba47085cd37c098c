package app.freeport.presentation

import app.freeport.core.DealRole
import app.freeport.core.Format
import app.freeport.core.IntentAction
import app.freeport.core.IntentSide
import app.freeport.core.Rule
import app.freeport.core.Verdict
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.time.Duration
import java.time.Instant
import java.time.LocalTime
import java.time.ZoneId
import java.time.ZonedDateTime
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

            // Nothing filled in: the core says what is missing, each under its field, at once.
            vm.submit()!!.join()
            val errors = vm.state.value.fieldErrors
            assertEquals(listOf(Rule.Required), errors["title"]?.violations?.map { it.rule }, "$errors / ${vm.state.value.error}")
            assertEquals(listOf(Rule.Required), errors["/from"]?.violations?.map { it.rule }, "$errors")
            assertEquals(listOf(Rule.Required), errors["/to"]?.violations?.map { it.rule }, "$errors")
            assertNull(vm.state.value.posted)

            // A place without its geohash is refused inside that field; a vehicle that is not one
            // of the options on its own.
            vm.setTitle("Ride to the airport")
            vm.setValue("/from", FieldValue.Place("Bishan", ""))
            vm.setValue("/to", FieldValue.Place("Changi", "w21zg"))
            vm.setValue("/category", FieldValue.Text("rocket"))
            vm.submit()!!.join()
            val placed = vm.state.value.fieldErrors
            assertEquals(listOf("/from/geohash"), placed["/from"]?.violations?.map { it.field }, "$placed")
            assertEquals(Rule.Required, placed["/from"]?.violations?.single()?.rule)
            assertTrue(placed["/category"]?.violations?.single()?.rule is Rule.NotAnOption, "$placed")
            assertNull(placed["/to"])
            assertNull(placed["title"])
            // Editing a field clears its error, the others stay.
            vm.setValue("/category", FieldValue.Text(""))
            assertNull(vm.state.value.fieldErrors["/category"])
            assertTrue("/from" in vm.state.value.fieldErrors)

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
            assertEquals(listOf(IntentAction.WITHDRAW), posted.actions)

            val mine = MyIntentsViewModel(alice.core, alice.scope)
            mine.load().join()
            assertEquals(listOf(posted.id), mine.state.value.intents.map { it.id })
            mine.withdraw(posted.id).join()
            val withdrawn = mine.state.value.intents.single()
            assertTrue(withdrawn.withdrawn, "${mine.state.value}")
            assertTrue(withdrawn.actions.isEmpty(), "nothing to do with a withdrawn intent")
        }
    }

    @Test
    fun `a time window and flexibility go to the core, which judges the window under its end`() = runBlocking<Unit> {
        Market.open().use { m ->
            val singapore = ZoneId.of("Asia/Singapore")
            val vm = PostIntentViewModel(m.alice.core, "sg-rideshare", m.alice.scope, singapore)
            vm.load().join()
            vm.setTitle("Airport run, flexible")
            vm.setValue("/from", FieldValue.Place("Bishan", "w21z7"))
            vm.setValue("/to", FieldValue.Place("Changi", "w21zg"))
            vm.setGeohash(RIDE_AREA)

            // A window starts at the next full hour of the phone's zone, for an hour.
            val morning = ZonedDateTime.now(singapore).plusDays(10).withHour(8).withMinute(15).toInstant()
            vm.addWindow(morning)
            val w0 = assertNotNull(vm.state.value.window)
            val start0 = w0.at(PostIntentViewModel.Edge.START, singapore)
            assertEquals(LocalTime.of(9, 0), start0.toLocalTime())
            assertEquals(3_600, w0.end - w0.start)

            // Moving the start by a day takes the end along; moving the end moves only the end.
            vm.setWindowDate(PostIntentViewModel.Edge.START, start0.toLocalDate().plusDays(1))
            val w1 = vm.state.value.window!!
            assertEquals(w0.start + 86_400, w1.start)
            assertEquals(3_600, w1.end - w1.start)
            vm.setWindowTime(PostIntentViewModel.Edge.END, LocalTime.of(10, 30))
            assertEquals(5_400, vm.state.value.window!!.end - vm.state.value.window!!.start)

            // The end picked a day before the start: the core's rule, under the end; nothing is posted.
            vm.setWindowDate(PostIntentViewModel.Edge.END, start0.toLocalDate())
            vm.setFlex(30u)
            vm.submit()!!.join()
            val backwards = vm.state.value
            assertNull(backwards.posted, "${backwards.error}")
            assertEquals(listOf(Rule.EndBeforeStart), backwards.fieldErrors["window_end"]?.rulesOn("window_end"), "${backwards.fieldErrors}")
            assertEquals(setOf("window_end"), backwards.fieldErrors.keys, "only the window is wrong: ${backwards.fieldErrors}")
            // Moving an end clears what the core said about the window.
            vm.setWindowTime(PostIntentViewModel.Edge.END, LocalTime.of(23, 59))
            assertNull(vm.state.value.fieldErrors["window_end"])

            // A window that is already over.
            vm.addWindow(Instant.now() - Duration.ofDays(3))
            vm.submit()!!.join()
            assertEquals(listOf(Rule.InThePast), vm.state.value.fieldErrors["window_end"]?.rulesOn("window_end"), "${vm.state.value}")

            // Removing the time takes its flexibility and the core's word on it along.
            vm.removeWindow()
            assertNull(vm.state.value.window)
            assertNull(vm.state.value.flexMinutes)
            assertTrue(vm.state.value.fieldErrors.isEmpty())

            // A good window with flexibility is published as the reference reads it.
            vm.addWindow(morning)
            vm.setFlex(30u)
            val window = vm.state.value.window!!
            vm.submit()!!.join()
            val posted = assertNotNull(vm.state.value.posted, "${vm.state.value.fieldErrors} ${vm.state.value.error}")
            assertEquals(window.start.toULong(), posted.windowStart)
            assertEquals(window.end.toULong(), posted.windowEnd)
            assertEquals(30u, posted.flexMinutes)
            assertEquals(0, m.alice.core.flushOutbox(10_000))
            val seen = m.bob.until("bob sees the window") {
                m.bob.core.browse("sg-rideshare", RIDE_AREA, 1).firstOrNull { it.id == posted.id }
            }
            assertEquals(posted.windowStart, seen.windowStart)
            assertEquals(posted.windowEnd, seen.windowEnd)
            assertEquals(30u, seen.flexMinutes)
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
            val e = assertNotNull(vm.state.value.fieldErrors["geohash"], "${vm.state.value}")
            assertEquals(UiError.Kind.INVALID_INPUT, e.kind)
            assertEquals(listOf(Rule.BadFormat(Format.GEOHASH)), e.rulesOn("geohash"))
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
            val badge = assertNotNull(seen.badge)
            assertEquals(0u, badge.deals)
            assertTrue(badge.newAccount)
            assertEquals(Verdict.UNKNOWN, badge.verdict)
            assertEquals(listOf(IntentAction.ACCEPT, IntentAction.COUNTER), seen.actions)

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
            assertEquals(DealRole.RESPONDER, opened.role)
            assertEquals(intent.id, opened.intentId)
            assertNull(opened.theirContact, "no contact before the deal is confirmed")
        }
    }
}
