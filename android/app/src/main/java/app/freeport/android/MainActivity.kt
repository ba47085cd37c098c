package app.freeport.android

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Surface
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import app.freeport.android.ui.FreeportNavHost
import app.freeport.android.ui.FreeportTheme
import app.freeport.presentation.Core

/** The single activity: hosts the Compose navigation graph once the core is open. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val app = application as FreeportApplication
        setContent {
            FreeportTheme {
                Surface(Modifier.fillMaxSize()) {
                    val core by produceState<Core?>(null) { value = app.core.await() }
                    val c = core
                    if (c == null) {
                        val loading = stringResource(R.string.loading)
                        Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
                            CircularProgressIndicator(Modifier.semantics { contentDescription = loading })
                        }
                    } else {
                        FreeportNavHost(core = c, app = app)
                    }
                }
            }
        }
    }
}
