package app.freeport.android

import android.app.Application
import app.freeport.core.FreeportApp
import app.freeport.core.defaultConfig
import app.freeport.presentation.Core
import app.freeport.presentation.DataWiper
import app.freeport.presentation.FfiCore
import app.freeport.presentation.FileRelaySettings
import app.freeport.presentation.RelaySettings
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.launch
import java.io.File

/**
 * Process-wide wiring: the secret store, the relay settings and the one core instance. Opening
 * the core opens SQLite, so it happens on [Dispatchers.IO]; screens wait for [core].
 */
class FreeportApplication : Application() {
    /** Lives as long as the process; relay connections and the outbox run here. */
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    val secrets: AndroidKeystoreSecretStore by lazy {
        // noBackupFilesDir is excluded from every backup by the platform itself.
        AndroidKeystoreSecretStore(File(noBackupFilesDir, "secrets"))
    }

    val relaySettings: RelaySettings by lazy { FileRelaySettings(File(filesDir, "relays.txt")) }

    private val dataDir: File get() = File(filesDir, "freeport")

    /** The relays the core starts with when the user has not chosen any. */
    lateinit var defaultRelays: List<String>
        private set

    /** The core, opened off the main thread. */
    lateinit var core: Deferred<Core>
        private set

    override fun onCreate() {
        super.onCreate()
        core = appScope.async(Dispatchers.IO) {
            val defaults = defaultConfig(dataDir.path)
            defaultRelays = defaults.relays
            val config = relaySettings.load()?.let { defaults.copy(relays = it) } ?: defaults
            FfiCore(FreeportApp(config, secrets))
        }
    }

    /** Connects to the relays once an identity exists (idempotent, never on the main thread). */
    fun startNetwork() {
        appScope.launch {
            val c = core.await()
            if (c.hasIdentity()) runCatching { c.startNetwork() }
        }
    }

    /** Settings → erase: the core's files, the relay list, every secret and the Keystore key. */
    val wiper = DataWiper {
        dataDir.deleteRecursively()
        File(filesDir, "relays.txt").delete()
        secrets.wipeAll()
    }
}
