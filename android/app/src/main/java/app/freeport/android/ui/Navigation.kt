package app.freeport.android.ui

import android.net.Uri
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
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
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
import app.freeport.android.FreeportApplication
import app.freeport.android.R
import app.freeport.android.ui.screens.BrowseRoute
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
    const val MEET = "meet/{nego}"
    const val RATE = "rate/{nego}"

    fun post(market: String) = "post/${Uri.encode(market)}"
    fun quotes(intent: String) = "quotes/${Uri.encode(intent)}"
    fun deal(nego: String) = "deal/${Uri.encode(nego)}"
    fun meet(nego: String) = "meet/${Uri.encode(nego)}"
    fun rate(nego: String) = "rate/${Uri.encode(nego)}"
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
        bottomBar = {
            if (currentTab != null) {
                NavigationBar {
                    tabs.forEach { t ->
                        NavigationBarItem(
                            selected = currentTab == t.route,
                            onClick = { onTab(t.route) },
                            icon = { Icon(t.icon, contentDescription = null) },
                            label = { Text(stringResource(t.label)) },
                        )
                    }
                }
            }
        },
        content = content,
    )
}

/** The whole app's navigation. Starts at onboarding, which skips itself when a key exists. */
@OptIn(ExperimentalLayoutApi::class) // consumeWindowInsets (opt-in kept for older foundation-layout versions)
@Composable
fun FreeportNavHost(core: Core, app: FreeportApplication, nav: NavHostController = rememberNavController()) {
    val entry by nav.currentBackStackEntryAsState()
    val current = entry?.destination?.route
    val showTabs = current != null && current != Routes.ONBOARDING && current != Routes.BACKUP
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
                    onOpenDeal = { nav.navigate(Routes.deal(it)) },
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
                SettingsRoute(core, app, onBackup = { nav.navigate(Routes.BACKUP) })
            }
            composable(Routes.POST) { e ->
                PostRoute(core, market = e.arguments?.getString("market").orEmpty()) { nav.popBackStack() }
            }
            composable(Routes.QUOTES) { e ->
                QuotesRoute(core, intentId = e.arguments?.getString("intent").orEmpty(), onDeal = { nav.navigate(Routes.deal(it)) })
            }
            composable(Routes.DEAL) { e ->
                val nego = e.arguments?.getString("nego").orEmpty()
                DealRoute(
                    core,
                    nego,
                    onMeet = { nav.navigate(Routes.meet(nego)) },
                    onRate = { nav.navigate(Routes.rate(nego)) },
                    onScreen = { nav.navigate(Routes.screen(nego)) },
                )
            }
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
