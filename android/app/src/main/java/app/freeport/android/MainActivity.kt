package app.freeport.android

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.produceState
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.FreeportNavHost
import app.freeport.android.ui.FreeportTheme
import app.freeport.presentation.Core
import app.freeport.presentation.UiError
import app.freeport.presentation.toUiError
import kotlinx.coroutines.CancellationException

/** The single activity: hosts the Compose navigation graph once the core is open. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val app = application as FreeportApplication
        setContent {
            FreeportTheme {
                Surface(Modifier.fillMaxSize()) {
                    var attempt by rememberSaveable { mutableIntStateOf(0) }
                    val opened by produceState<CoreOpen>(CoreOpen.Opening, attempt) {
                        value = try {
                            CoreOpen.Ready(app.openCore(retry = attempt > 0))
                        } catch (e: CancellationException) {
                            throw e
                        } catch (e: Exception) {
                            CoreOpen.Failed(e.toUiError())
                        }
                    }
                    when (val o = opened) {
                        CoreOpen.Opening -> Loading()
                        is CoreOpen.Failed -> OpenFailed(o.error) { attempt++ }
                        is CoreOpen.Ready -> {
                            // Every start (cold, or after process death straight into a deep
                            // screen, where onboarding is not on the back stack) reconnects.
                            LaunchedEffect(o.core) { app.startNetwork() }
                            FreeportNavHost(core = o.core, app = app)
                        }
                    }
                }
            }
        }
    }
}

/** Opening the core (SQLite, secret store) off the main thread. */
private sealed interface CoreOpen {
    data object Opening : CoreOpen
    data class Ready(val core: Core) : CoreOpen
    data class Failed(val error: UiError) : CoreOpen
}

@Composable
private fun Loading() {
    val loading = stringResource(R.string.loading)
    Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
        CircularProgressIndicator(Modifier.semantics { contentDescription = loading })
    }
}

/** The store or the key store could not be opened: say so, and offer to try again. */
@Composable
private fun OpenFailed(error: UiError, onRetry: () -> Unit) {
    Column(
        Modifier.fillMaxSize().padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
        horizontalAlignment = Alignment.CenterHorizontally,
    ) {
        Text(stringResource(R.string.core_open_failed))
        ErrorBanner(error)
        Button(onClick = onRetry) { Text(stringResource(R.string.retry)) }
    }
}
