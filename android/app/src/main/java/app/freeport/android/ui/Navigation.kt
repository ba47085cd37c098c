package app.freeport.android.ui

import android.net.Uri
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.navigationBarsPadding
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.foundation.text.BasicText
import androidx.compose.foundation.text.TextAutoSize
import androidx.compose.foundation.text.modifiers.TextAutoSizeLayoutScope
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.ui.Alignment
import androidx.compose.ui.draw.clip
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.compose.ui.unit.Constraints
import androidx.compose.ui.unit.TextUnit
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.TextLayoutResult
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.consumeWindowInsets
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.AccountCircle
import androidx.compose.material.icons.filled.Inventory
import androidx.compose.material.icons.filled.Search
import androidx.compose.material.icons.filled.Settings
import androidx.compose.material.icons.filled.Storefront
import androidx.compose.material3.Icon
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.stringResource
import androidx.navigation.NavHostController
import androidx.navigation.NavType
import androidx.navigation.navArgument
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navDeepLink
import app.freeport.android.FreeportApplication
import app.freeport.android.R
import app.freeport.android.notify.rememberNotificationPermissionRequest
import app.freeport.android.ui.screens.BrowseRoute
import app.freeport.android.ui.screens.CheckinAlertRoute
import app.freeport.android.ui.screens.DealCheckinRoute
import app.freeport.android.ui.screens.TrustedContactsRoute
import app.freeport.android.ui.screens.DealRoute
import app.freeport.android.ui.screens.MeetRoute
import app.freeport.android.ui.screens.MineRoute
import app.freeport.android.ui.screens.OnboardingRoute
import app.freeport.android.ui.screens.PostRoute
import app.freeport.android.ui.screens.ProfileRoute
import app.freeport.android.ui.screens.QuotesRoute
import app.freeport.android.ui.screens.RateRoute
import app.freeport.android.ui.screens.ScreenContactRoute
import app.freeport.android.ui.screens.SettingsRoute
import app.freeport.presentation.Core

/** Routes; ids are URL-encoded because negotiation ids contain ':'. */
object Routes {
    const val ONBOARDING = "onboarding"
    const val BACKUP = "backup"
    const val MARKETS = "markets"
    const val MINE = "mine"
    const val SCREEN = "screen?nego={nego}"
    const val PROFILE = "profile"
    const val SETTINGS = "settings"
    const val POST = "post/{market}"
    const val QUOTES = "quotes/{intent}"
    const val DEAL = "deal/{nego}"
    /** What a notice's notification opens (see `Notifications.dealUri`). */
    const val DEAL_LINK = "freeport://deal/{nego}"
    const val MEET = "meet/{nego}"
    const val RATE = "rate/{nego}"
    const val DEAL_CHECKIN = "deal-checkin/{nego}"
    /** A contact's check-in (its alert screen); what a check-in notice opens. */
    const val CHECKIN = "checkin/{from}/{id}"
    const val CHECKIN_LINK = "freeport://checkin/{from}/{id}"
    const val CONTACTS = "contacts"

    fun post(market: String) = "post/${Uri.encode(market)}"
    fun quotes(intent: String) = "quotes/${Uri.encode(intent)}"
    fun deal(nego: String) = "deal/${Uri.encode(nego)}"
    fun meet(nego: String) = "meet/${Uri.encode(nego)}"
    fun rate(nego: String) = "rate/${Uri.encode(nego)}"
    fun dealCheckin(nego: String) = "deal-checkin/${Uri.encode(nego)}"
    fun screen(nego: String?) = if (nego == null) "screen" else "screen?nego=${Uri.encode(nego)}"
}

private data class Tab(val route: String, val label: Int, val icon: ImageVector)

/** Routes of the five tabs, in order. */
val tabRoutes get() = tabs.map { it.route }

private val tabs = listOf(
    Tab(Routes.MARKETS, R.string.nav_markets, Icons.Filled.Storefront),
    Tab(Routes.MINE, R.string.nav_mine, Icons.Filled.Inventory),
    Tab("screen", R.string.nav_screen, Icons.Filled.Search),
    Tab(Routes.PROFILE, R.string.nav_profile, Icons.Filled.AccountCircle),
    Tab(Routes.SETTINGS, R.string.nav_settings, Icons.Filled.Settings),
)

/**
 * The app's frame: the tab bar (when [currentTab] is one of the tabs' routes, or any non-null
 * route) around [content]. The screenshot tests draw every screen inside this same frame.
 */
@Composable
fun FreeportScaffold(currentTab: String?, onTab: (String) -> Unit, content: @Composable (PaddingValues) -> Unit) {
    Scaffold(
        bottomBar = { if (currentTab != null) TabBar(currentTab, onTab) },
        content = content,
    )
}

/**
 * The five tabs. Not Material's NavigationBar: that one has a fixed 80 dp height, so at a large
 * font scale or in a long language its labels are cut off. This bar grows with its labels (up
 * to two lines each), keeps Material's look (pill indicator behind the selected icon) and is a
 * proper tab group for TalkBack.
 */
@Composable
private fun TabBar(currentTab: String, onTab: (String) -> Unit) {
    val colors = MaterialTheme.colorScheme
    Surface(color = colors.surfaceContainer) {
        Row(Modifier.fillMaxWidth().navigationBarsPadding().selectableGroup()) {
            tabs.forEach { t ->
                val selected = currentTab == t.route
                Column(
                    Modifier.weight(1f)
                        .selectable(selected = selected, role = Role.Tab, onClick = { onTab(t.route) })
                        .heightIn(min = 64.dp)
                        .padding(top = 12.dp, bottom = 12.dp),
                    horizontalAlignment = Alignment.CenterHorizontally,
                    verticalArrangement = Arrangement.spacedBy(4.dp),
                ) {
                    Box(
                        Modifier.clip(RoundedCornerShape(16.dp))
                            .background(if (selected) colors.secondaryContainer else Color.Transparent)
                            .padding(horizontal = 16.dp, vertical = 4.dp),
                    ) {
                        Icon(t.icon, contentDescription = null, tint = if (selected) colors.onSecondaryContainer else colors.onSurfaceVariant)
                    }
                    // Up to two lines (a long translation wraps at a space, the bar grows),
                    // shrunk (never below 10 sp) when a large font scale or one long word would
                    // otherwise be cut, or broken in the middle ("Setting-s"), in a fifth of a
                    // phone's width.
                    val style = MaterialTheme.typography.labelMedium
                    BasicText(
                        stringResource(t.label),
                        style = style.copy(color = if (selected) colors.onSurface else colors.onSurfaceVariant, textAlign = TextAlign.Center),
                        maxLines = 2,
                        autoSize = WholeWordsAutoSize(minFontSize = 10.sp, maxFontSize = style.fontSize),
                        modifier = Modifier.padding(horizontal = 2.dp),
                    )
                }
            }
        }
    }
}

/** The whole app's navigation. Starts at onboarding, which skips itself when a key exists. */
@OptIn(ExperimentalLayoutApi::class) // consumeWindowInsets (opt-in kept for older foundation-layout versions)
@Composable
fun FreeportNavHost(core: Core, app: FreeportApplication, nav: NavHostController = rememberNavController()) {
    val entry by nav.currentBackStackEntryAsState()
    val current = entry?.destination?.route
    val showTabs = current != null && current != Routes.ONBOARDING && current != Routes.BACKUP
    // After posting or answering, an answer is what the user waits for: ask to notify them.
    val askNotifications = rememberNotificationPermissionRequest()
    FreeportScaffold(
        currentTab = if (showTabs) current.substringBefore('?') else null,
        onTab = { route ->
            nav.navigate(route) {
                popUpTo(Routes.MARKETS) { saveState = true }
                launchSingleTop = true
                restoreState = true
            }
        },
    ) { padding ->
        // Edge-to-edge: the Scaffold pads for the system bars and the tab bar, but not for the
        // keyboard; imePadding (after consuming what the Scaffold already applied) keeps a
        // focused field above the keyboard on every screen.
        NavHost(
            nav,
            startDestination = Routes.ONBOARDING,
            modifier = Modifier.padding(padding).consumeWindowInsets(padding).imePadding(),
        ) {
            composable(Routes.ONBOARDING) {
                OnboardingRoute(core, backupOnly = false) {
                    app.startNetwork()
                    nav.navigate(Routes.MARKETS) { popUpTo(Routes.ONBOARDING) { inclusive = true } }
                }
            }
            composable(Routes.BACKUP) { OnboardingRoute(core, backupOnly = true) { nav.popBackStack() } }
            composable(Routes.MARKETS) {
                BrowseRoute(
                    core,
                    onPost = { nav.navigate(Routes.post(it)) },
                    onOpenDeal = {
                        askNotifications()
                        nav.navigate(Routes.deal(it))
                    },
                    onOpenMine = { nav.navigate(Routes.quotes(it)) },
                )
            }
            composable(Routes.MINE) {
                MineRoute(core, onQuotes = { nav.navigate(Routes.quotes(it)) }, onDeal = { nav.navigate(Routes.deal(it)) })
            }
            composable(
                Routes.SCREEN,
                arguments = listOf(navArgument("nego") { type = NavType.StringType; nullable = true; defaultValue = null }),
            ) { e ->
                ScreenContactRoute(core, nego = e.arguments?.getString("nego"))
            }
            composable(Routes.PROFILE) { ProfileRoute(core) }
            composable(Routes.SETTINGS) {
                SettingsRoute(core, app, onBackup = { nav.navigate(Routes.BACKUP) }, onContacts = { nav.navigate(Routes.CONTACTS) })
            }
            composable(Routes.POST) { e ->
                PostRoute(core, market = e.arguments?.getString("market").orEmpty()) {
                    askNotifications()
                    nav.popBackStack()
                }
            }
            composable(Routes.QUOTES) { e ->
                QuotesRoute(core, intentId = e.arguments?.getString("intent").orEmpty(), onDeal = { nav.navigate(Routes.deal(it)) })
            }
            composable(Routes.DEAL, deepLinks = listOf(navDeepLink { uriPattern = Routes.DEAL_LINK })) { e ->
                val nego = e.arguments?.getString("nego").orEmpty()
                DealRoute(
                    core,
                    nego,
                    onMeet = { nav.navigate(Routes.meet(nego)) },
                    onRate = { nav.navigate(Routes.rate(nego)) },
                    onScreen = { nav.navigate(Routes.screen(nego)) },
                    onCheckin = { nav.navigate(Routes.dealCheckin(nego)) },
                )
            }
            composable(Routes.DEAL_CHECKIN) { e ->
                core.checkins?.let { DealCheckinRoute(it, e.arguments?.getString("nego").orEmpty()) }
            }
            composable(Routes.CHECKIN, deepLinks = listOf(navDeepLink { uriPattern = Routes.CHECKIN_LINK })) { e ->
                core.checkins?.let {
                    CheckinAlertRoute(it, e.arguments?.getString("from").orEmpty(), e.arguments?.getString("id").orEmpty())
                }
            }
            composable(Routes.CONTACTS) { core.checkins?.let { TrustedContactsRoute(it) } }
            composable(Routes.MEET) { e ->
                val nego = e.arguments?.getString("nego").orEmpty()
                MeetRoute(core, nego, onRate = { nav.navigate(Routes.rate(nego)) })
            }
            composable(Routes.RATE) { e ->
                RateRoute(core, e.arguments?.getString("nego").orEmpty()) { nav.popBackStack() }
            }
        }
    }
}

/**
 * The largest font size, from [maxFontSize] down in half-sp steps to [minFontSize], at which the
 * text fits its box without overflowing *and* without a word broken across two lines (Android
 * breaks a word that is wider than the line; a tab label must shrink instead).
 */
private class WholeWordsAutoSize(private val minFontSize: TextUnit, private val maxFontSize: TextUnit) : TextAutoSize {
    override fun TextAutoSizeLayoutScope.getFontSize(constraints: Constraints, text: AnnotatedString): TextUnit {
        var size = maxFontSize.value
        while (size > minFontSize.value) {
            val r = performLayout(constraints, text, size.sp)
            if (!r.hasVisualOverflow && wholeWords(r, text.text)) return size.sp
            size -= 0.5f
        }
        return minFontSize
    }

    private fun wholeWords(r: TextLayoutResult, s: String): Boolean = (0 until r.lineCount - 1).all { i ->
        val end = r.getLineEnd(i)
        end <= 0 || end >= s.length || s[end - 1].isWhitespace() || s[end].isWhitespace()
    }

    override fun equals(other: Any?) =
        other is WholeWordsAutoSize && other.minFontSize == minFontSize && other.maxFontSize == maxFontSize

    override fun hashCode() = 31 * minFontSize.hashCode() + maxFontSize.hashCode()
}
