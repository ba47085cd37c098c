package app.freeport.android.ui

import android.net.Uri
import androidx.compose.foundation.layout.ExperimentalLayoutApi
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
import app.freeport.android.ui.screens.BrowseScreen
import app.freeport.android.ui.screens.DealScreen
import app.freeport.android.ui.screens.MeetScreen
import app.freeport.android.ui.screens.MineScreen
import app.freeport.android.ui.screens.OnboardingScreen
import app.freeport.android.ui.screens.PostScreen
import app.freeport.android.ui.screens.ProfileScreen
import app.freeport.android.ui.screens.QuotesScreen
import app.freeport.android.ui.screens.RateScreen
import app.freeport.android.ui.screens.ScreenContactScreen
import app.freeport.android.ui.screens.SettingsScreen
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

private val tabs = listOf(
    Tab(Routes.MARKETS, R.string.nav_markets, Icons.Filled.Storefront),
    Tab(Routes.MINE, R.string.nav_mine, Icons.Filled.Inventory),
    Tab("screen", R.string.nav_screen, Icons.Filled.Search),
    Tab(Routes.PROFILE, R.string.nav_profile, Icons.Filled.AccountCircle),
    Tab(Routes.SETTINGS, R.string.nav_settings, Icons.Filled.Settings),
)

/** The whole app's navigation. Starts at onboarding, which skips itself when a key exists. */
@OptIn(ExperimentalLayoutApi::class) // consumeWindowInsets (opt-in kept for older foundation-layout versions)
@Composable
fun FreeportNavHost(core: Core, app: FreeportApplication, nav: NavHostController = rememberNavController()) {
    val entry by nav.currentBackStackEntryAsState()
    val current = entry?.destination?.route
    val showTabs = current != null && current != Routes.ONBOARDING && current != Routes.BACKUP
    Scaffold(
        bottomBar = {
            if (showTabs) {
                NavigationBar {
                    tabs.forEach { t ->
                        NavigationBarItem(
                            selected = current?.substringBefore('?') == t.route,
                            onClick = {
                                nav.navigate(t.route) {
                                    popUpTo(Routes.MARKETS) { saveState = true }
                                    launchSingleTop = true
                                    restoreState = true
                                }
                            },
                            icon = { Icon(t.icon, contentDescription = null) },
                            label = { Text(stringResource(t.label)) },
                        )
                    }
                }
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
                OnboardingScreen(core, backupOnly = false) {
                    app.startNetwork()
                    nav.navigate(Routes.MARKETS) { popUpTo(Routes.ONBOARDING) { inclusive = true } }
                }
            }
            composable(Routes.BACKUP) { OnboardingScreen(core, backupOnly = true) { nav.popBackStack() } }
            composable(Routes.MARKETS) {
                BrowseScreen(
                    core,
                    onPost = { nav.navigate(Routes.post(it)) },
                    onOpenDeal = { nav.navigate(Routes.deal(it)) },
                    onOpenMine = { nav.navigate(Routes.quotes(it)) },
                )
            }
            composable(Routes.MINE) {
                MineScreen(core, onQuotes = { nav.navigate(Routes.quotes(it)) }, onDeal = { nav.navigate(Routes.deal(it)) })
            }
            composable(
                Routes.SCREEN,
                arguments = listOf(navArgument("nego") { type = NavType.StringType; nullable = true; defaultValue = null }),
            ) { e ->
                ScreenContactScreen(core, nego = e.arguments?.getString("nego"))
            }
            composable(Routes.PROFILE) { ProfileScreen(core) }
            composable(Routes.SETTINGS) {
                SettingsScreen(core, app, onBackup = { nav.navigate(Routes.BACKUP) })
            }
            composable(Routes.POST) { e ->
                PostScreen(core, market = e.arguments?.getString("market").orEmpty()) { nav.popBackStack() }
            }
            composable(Routes.QUOTES) { e ->
                QuotesScreen(core, intentId = e.arguments?.getString("intent").orEmpty(), onDeal = { nav.navigate(Routes.deal(it)) })
            }
            composable(Routes.DEAL) { e ->
                val nego = e.arguments?.getString("nego").orEmpty()
                DealScreen(
                    core,
                    nego,
                    onMeet = { nav.navigate(Routes.meet(nego)) },
                    onRate = { nav.navigate(Routes.rate(nego)) },
                    onScreen = { nav.navigate(Routes.screen(nego)) },
                )
            }
            composable(Routes.MEET) { e ->
                val nego = e.arguments?.getString("nego").orEmpty()
                MeetScreen(core, nego, onRate = { nav.navigate(Routes.rate(nego)) })
            }
            composable(Routes.RATE) { e ->
                RateScreen(core, e.arguments?.getString("nego").orEmpty()) { nav.popBackStack() }
            }
        }
    }
}
