package app.freeport.android.test

import android.app.Application
import androidx.compose.foundation.ScrollState
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import app.freeport.android.ui.FreeportScaffold
import app.freeport.android.ui.LocalNowSecs
import app.freeport.android.ui.LocalTimeZone
import app.freeport.android.ui.Routes
import app.freeport.android.ui.screens.BrowseActions
import app.freeport.android.ui.screens.BrowseScreen
import app.freeport.android.ui.screens.DealActions
import app.freeport.android.ui.screens.DealScreen
import app.freeport.android.ui.screens.MeetActions
import app.freeport.android.ui.screens.MeetScreen
import app.freeport.android.ui.screens.MineScreen
import app.freeport.android.ui.screens.OnboardingActions
import app.freeport.android.ui.screens.OnboardingScreen
import app.freeport.android.ui.screens.PostActions
import app.freeport.android.ui.screens.PostScreen
import app.freeport.android.ui.screens.ProfileActions
import app.freeport.android.ui.screens.ProfileScreen
import app.freeport.android.ui.screens.QuotesScreen
import app.freeport.android.ui.screens.RateActions
import app.freeport.android.ui.screens.RateScreen
import app.freeport.android.ui.screens.ScreenContactActions
import app.freeport.android.ui.screens.ScreenContactScreen
import app.freeport.android.ui.screens.SettingsActions
import app.freeport.android.ui.screens.SettingsScreen
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.ParameterizedRobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode

/**
 * Every screen, rendered from its fixture state (ScreenFixtures) in light and dark at font scale
 * 1.0 and 1.5 on a 360×800 dp phone, and in Arabic and the pseudo-locales en-XA (accented, ~30 %
 * longer) and ar-XB (mirrored) at 1.0, compared with its golden in android/screenshots/
 * (`<screen>_<light|dark>_<fontscale>[_<locale>].png`), and checked for accessibility (A11y:
 * labels, 48 dp targets, contrast; clipped text at 1.5 and in every other language).
 */
@RunWith(ParameterizedRobolectricTestRunner::class)
@Config(sdk = [36], application = Application::class)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class ScreenshotTest(private val look: Look) {
    companion object {
        @JvmStatic
        @ParameterizedRobolectricTestRunner.Parameters(name = "{0}")
        fun looks(): List<Array<Any>> = Look.ALL.map { arrayOf<Any>(it) }
    }

    private fun shoot(screen: String, tab: String?, content: @Composable () -> Unit) {
        ScreenFixtures.locale = look.locale?.tag
        try {
            val r = Screenshots.render(look) {
                // The fixtures' clock and zone, so "expires in 1 day" and dates read the same on every run.
                CompositionLocalProvider(
                    LocalNowSecs provides { ScreenFixtures.NOW.toLong() },
                    LocalTimeZone provides ScreenFixtures.ZONE,
                ) {
                    FreeportScaffold(currentTab = tab, onTab = {}) { padding ->
                        Box(Modifier.padding(padding)) { content() }
                    }
                }
            }
            val name = "${screen}_${look.tag}"
            Screenshots.verify(name, r)
            // Long (pseudo-)translations and large text must wrap, never be cut.
            val problems = A11y.problems(r, checkClipping = look.fontScale >= 1.5f || look.locale != null)
            if (problems.isNotEmpty()) throw AssertionError("$name accessibility:\n  " + problems.joinToString("\n  "))
        } finally {
            ScreenFixtures.locale = null
        }
    }

    /** What the camera preview would show; there is no camera on the JVM. */
    private val viewfinder: @Composable (Modifier) -> Unit = { m ->
        Box(m, contentAlignment = Alignment.Center) { Text("", color = Color.White) }
    }

    @Test fun onboarding() = shoot("onboarding", null) { OnboardingScreen(ScreenFixtures.onboarding, object : OnboardingActions {}) }

    @Test fun restore() = shoot("restore", null) { OnboardingScreen(ScreenFixtures.restore, object : OnboardingActions {}) }

    // The market texts come from the real core in the look's locale.
    @Test fun browse() {
        val state = ScreenFixtures.browse(look.locale?.tag)
        shoot("browse", Routes.MARKETS) { BrowseScreen(state, false, object : BrowseActions {}) }
    }

    @Test fun post() {
        val state = ScreenFixtures.post(look.locale?.tag)
        shoot("post", Routes.MARKETS) { PostScreen(state, object : PostActions {}) }
    }

    /** The post form scrolled to its end: the time window and its flexibility, the area, publish. */
    @Test fun postEnd() {
        val state = ScreenFixtures.post(look.locale?.tag)
        shoot("post_end", Routes.MARKETS) { PostScreen(state, object : PostActions {}, ScrollState(Int.MAX_VALUE)) }
    }

    @Test fun quotes() = shoot("quotes", Routes.MINE) { QuotesScreen(ScreenFixtures.quotes, onPick = {}, onDeal = {}) }

    @Test fun quotesMine() = shoot("quotes_mine", Routes.MINE) { MineScreen(ScreenFixtures.mine, onQuotes = {}, onDeal = {}, onWithdraw = {}) }

    @Test fun deal() = shoot("deal", Routes.MINE) { DealScreen(ScreenFixtures.deal, ScreenFixtures.dealChat, object : DealActions {}) }

    @Test fun dealConfirmed() = shoot("deal_confirmed", Routes.MINE) {
        DealScreen(ScreenFixtures.dealConfirmed, ScreenFixtures.dealConfirmedChat, object : DealActions {})
    }

    /** The same deal scrolled to its end: the chat, what was refused, leaving, blocking. */
    @Test fun dealConfirmedEnd() = shoot("deal_confirmed_end", Routes.MINE) {
        DealScreen(ScreenFixtures.dealConfirmed, ScreenFixtures.dealConfirmedChat, object : DealActions {}, ScrollState(Int.MAX_VALUE))
    }

    @Test fun dealCancelAsked() = shoot("deal_cancel_asked", Routes.MINE) {
        DealScreen(ScreenFixtures.dealCancelAsked, ScreenFixtures.dealCancelAskedChat, object : DealActions {})
    }

    @Test fun dealCancelled() = shoot("deal_cancelled", Routes.MINE) {
        DealScreen(ScreenFixtures.dealCancelled, ScreenFixtures.dealCancelledChat, object : DealActions {})
    }

    @Test fun meetShow() = shoot("meet_show", Routes.MINE) { MeetScreen(ScreenFixtures.meetShow(), false, object : MeetActions {}, viewfinder) }

    @Test fun meetDone() = shoot("meet_done", Routes.MINE) { MeetScreen(ScreenFixtures.meetDone(), false, object : MeetActions {}, viewfinder) }

    @Test fun meetScan() = shoot("meet_scan", Routes.MINE) { MeetScreen(ScreenFixtures.meetScan, false, object : MeetActions {}, viewfinder) }

    @Test fun rate() = shoot("rate", Routes.MINE) { RateScreen(ScreenFixtures.rate, object : RateActions {}) }

    @Test fun screenContactTrusted() = shoot("screen_contact_trusted", "screen") {
        ScreenContactScreen(ScreenFixtures.screenContact("trusted"), false, object : ScreenContactActions {}, viewfinder)
    }

    @Test fun screenContactUnknown() = shoot("screen_contact_unknown", "screen") {
        ScreenContactScreen(ScreenFixtures.screenContact("unknown"), false, object : ScreenContactActions {}, viewfinder)
    }

    @Test fun screenContactSybil() = shoot("screen_contact_sybil", "screen") {
        ScreenContactScreen(ScreenFixtures.screenContact("sybil"), false, object : ScreenContactActions {}, viewfinder)
    }

    @Test fun profile() = shoot("profile", Routes.PROFILE) { ProfileScreen(ScreenFixtures.profile(), object : ProfileActions {}) }

    @Test fun settings() = shoot("settings", Routes.SETTINGS) { SettingsScreen(ScreenFixtures.settings, object : SettingsActions {}) }

    /** Settings scrolled to its end: the inbox list, privacy, blocked people, backup, erase. */
    @Test fun settingsEnd() = shoot("settings_end", Routes.SETTINGS) {
        SettingsScreen(ScreenFixtures.settings, object : SettingsActions {}, ScrollState(Int.MAX_VALUE))
    }
}
