package app.freeport.android.test

import android.app.Application
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.padding
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import app.freeport.android.ui.FreeportScaffold
import app.freeport.android.ui.Routes
import app.freeport.android.ui.ltr
import app.freeport.android.ui.screens.CheckinAlertScreen
import app.freeport.android.ui.screens.DealCheckinActions
import app.freeport.android.ui.screens.DealCheckinScreen
import app.freeport.android.ui.screens.TrustedContactsActions
import app.freeport.android.ui.screens.TrustedContactsScreen
import app.freeport.core.CheckinAction
import app.freeport.core.CheckinDelivery
import app.freeport.core.CheckinMeetingView
import app.freeport.core.CheckinPersonView
import app.freeport.core.CheckinScreeningView
import app.freeport.core.CheckinState
import app.freeport.core.CheckinView
import app.freeport.core.DealCheckinView
import app.freeport.core.TrustedContactView
import app.freeport.core.Verdict
import app.freeport.core.WatchedCheckinView
import app.freeport.presentation.CheckinAlertViewModel
import app.freeport.presentation.CheckinPinsViewModel
import app.freeport.presentation.DealCheckinViewModel
import app.freeport.presentation.TrustedContactsViewModel
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.ParameterizedRobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode

/** The check-in screens' fixture states (a fixed clock: goldens must not move with time). */
object CheckinFixtures {
    const val NOW = 1_767_000_000L
    private const val NEGO = "goods-bike-1:aa:bb"

    private val carol = TrustedContactView(
        pubkey = "c".repeat(64), npub = "npub1carol7x0q4m3f5n8z2kq9w6r", name = "Carol Tan",
        label = "Carol", addedAt = 1u, fromDeal = null,
    )
    private val mum = TrustedContactView(
        pubkey = "d".repeat(64), npub = "npub1mum5w8e2r4t6y7u9i0o1p3a", name = null,
        label = "Mum", addedAt = 2u, fromDeal = null,
    )
    private val bob = CheckinMeetingView(
        pubkey = "b".repeat(64), npub = "npub1bobk4x9c3v7b2n5m8q1w4e6r7t9y0u2i3o5p",
        name = "Bob", phone = "+65••••4321",
        screening = CheckinScreeningView(
            deals = 12u, partners = 9u, partnersInNetwork = 3u, metInPerson = 2u, verifiedBy = 4u,
            newAccount = false, verdict = Verdict.TRUSTED,
        ),
    )

    private fun running(state: CheckinState, deadline: Long, delivery: CheckinDelivery) = CheckinView(
        id = "ab".repeat(16), nego = NEGO, state = state, sharedAt = (NOW - 1800).toULong(), meetAt = null,
        deadline = deadline.toULong(), remindAt = null,
        contacts = listOf(CheckinPersonView(carol.pubkey, carol.npub, "Carol"), CheckinPersonView(mum.pubkey, mum.npub, "Mum")),
        meeting = bob, placeName = "Tanjong Pagar MRT, exit A", geohash = "w21z7",
        delivery = delivery, unsent = if (delivery == CheckinDelivery.NOT_YET_SENT) 2u else 0u,
        actions = listOf(CheckinAction.EXTEND, CheckinAction.SAFE, CheckinAction.CANCEL), closedAt = null,
    )

    /** Before sharing: contacts, deadline choices, place. */
    val share = DealCheckinViewModel.State(
        view = DealCheckinView(NEGO, null, listOf(CheckinAction.SHARE), null),
        contacts = listOf(carol, mum),
        chosen = setOf(carol.pubkey),
        deadline = (NOW + 7200).toULong(),
        placeName = "Tanjong Pagar MRT, exit A",
    )

    /** Running, with a PIN asked, and "I'm safe" offline (not yet sent). */
    val running = DealCheckinViewModel.State(
        view = DealCheckinView(
            NEGO,
            running(CheckinState.ACTIVE, NOW + 4_509, CheckinDelivery.NOT_YET_SENT),
            listOf(CheckinAction.EXTEND, CheckinAction.SAFE, CheckinAction.CANCEL),
            null,
        ),
        contacts = listOf(carol, mum),
        pinRequired = true,
        pin = "1234",
    )

    /** [due]: their deadline in our clock; their clock runs 7 minutes ahead, so it reads 7 minutes later. */
    private fun watched(state: CheckinState, due: Long) = WatchedCheckinView(
        id = "cd".repeat(16),
        from = CheckinPersonView("a".repeat(64), "npub1alice3x8c9v2b4n6m1q7w5e0r", "Alice"),
        state = state, sharedAt = (NOW - 3600).toULong(), receivedAt = (NOW - 3500).toULong(), meetAt = null,
        deadline = (due + 420).toULong(), alarmAt = null, dueAt = due.toULong(), meeting = bob,
        placeName = "Tanjong Pagar MRT, exit A", geohash = "w21z7",
        clockOffsetSecs = 420, clockSkewed = true, closedAt = null,
    )

    /** The contact's alert: overdue. */
    val overdue = CheckinAlertViewModel.State(watched(CheckinState.OVERDUE, NOW - 754))

    /** The contact's view of a check-in still running. */
    val watching = CheckinAlertViewModel.State(watched(CheckinState.ACTIVE, NOW + 3_000).copy(clockSkewed = false, clockOffsetSecs = 3))

    val contacts = TrustedContactsViewModel.State(contacts = listOf(carol, mum), key = "npub1dave")
    val pins = CheckinPinsViewModel.State(pinsSet = true)
}

/** The check-in screens, light and dark, at font scale 1.0 and 1.5, like every screen (ScreenshotTest). */
@RunWith(ParameterizedRobolectricTestRunner::class)
@Config(sdk = [36], application = Application::class)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class CheckinScreenshotTest(private val look: Look) {
    companion object {
        @JvmStatic
        @ParameterizedRobolectricTestRunner.Parameters(name = "{0}")
        fun looks(): List<Array<Any>> = Look.ALL.map { arrayOf<Any>(it) }
    }

    private fun shoot(screen: String, tab: String?, content: @Composable () -> Unit) {
        rendered(screen, tab, content)
    }

    /** [shoot], and the rendering for a test to look into. */
    private fun rendered(screen: String, tab: String?, content: @Composable () -> Unit): Rendered {
        val r = Screenshots.render(look) {
            FreeportScaffold(currentTab = tab, onTab = {}) { padding ->
                Box(Modifier.padding(padding)) { content() }
            }
        }
        val name = "${screen}_${look.tag}"
        Screenshots.verify(name, r)
        val problems = A11y.problems(r, checkClipping = look.fontScale >= 1.5f)
        if (problems.isNotEmpty()) throw AssertionError("$name accessibility:\n  " + problems.joinToString("\n  "))
        return r
    }

    @Test fun checkinShare() = shoot("checkin_share", Routes.MINE) {
        DealCheckinScreen(CheckinFixtures.share, CheckinFixtures.NOW, object : DealCheckinActions {})
    }

    @Test fun checkinRunning() = shoot("checkin_running", Routes.MINE) {
        DealCheckinScreen(CheckinFixtures.running, CheckinFixtures.NOW, object : DealCheckinActions {})
    }

    @Test fun checkinAlertOverdue() {
        val r = rendered("checkin_alert_overdue", null) {
            CheckinAlertScreen(CheckinFixtures.overdue, CheckinFixtures.NOW)
        }
        // The masked phone inside the translated "Phone: %1$s" is isolated left to right, so an
        // Arabic sentence shows "+65••••4321", not "4321••••65+" (the bidi algorithm's reordering).
        val phone = "+65••••4321"
        val locale = java.util.Locale.forLanguageTag(look.locale?.tag ?: "en")
        val line = r.texts().single { phone in it }
        assertTrue("$line", ltr(phone, locale) in line)
        if (look.locale?.rtl == true) {
            assertTrue("isolated in ${look.tag}: ${line.map { "%04x".format(it.code) }}", "\u202A$phone\u202C" in line)
        } else {
            assertTrue("no marks in ${look.tag}: $line", line.none { it in "\u200E\u200F\u202A\u202B\u202C" })
        }
    }

    @Test fun checkinWatching() = shoot("checkin_watching", null) {
        CheckinAlertScreen(CheckinFixtures.watching, CheckinFixtures.NOW)
    }

    @Test fun trustedContacts() = shoot("trusted_contacts", Routes.SETTINGS) {
        TrustedContactsScreen(CheckinFixtures.contacts, CheckinFixtures.pins, object : TrustedContactsActions {})
    }
}
