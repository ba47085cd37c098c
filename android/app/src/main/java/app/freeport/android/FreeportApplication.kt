package app.freeport.android

import android.app.Application
import android.content.pm.ApplicationInfo
import android.content.res.Configuration
import android.os.LocaleList
import android.os.StrictMode
import app.freeport.android.notify.BackgroundWork
import app.freeport.android.notify.CoreHost
import app.freeport.android.notify.Notifications
import app.freeport.core.FreeportApp
import app.freeport.core.FreeportException
import app.freeport.core.defaultConfig
import app.freeport.presentation.Core
import app.freeport.presentation.DataWiper
import app.freeport.presentation.FfiCore
import app.freeport.presentation.PassAfterActionsCore
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.launch
import java.io.File

/**
 * Process-wide wiring: the secret store and the one core instance (which keeps the relay
 * settings). Opening the core opens SQLite, so it happens on [Dispatchers.IO]; screens wait for
 * [openCore]. Also the background work ([BackgroundWork]) and its notification channels.
 */
class FreeportApplication : Application(), CoreHost {
    /** Lives as long as the process; relay connections and the outbox run here. */
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    val secrets: AndroidKeystoreSecretStore by lazy {
        // noBackupFilesDir is excluded from every backup by the platform itself.
        AndroidKeystoreSecretStore(File(noBackupFilesDir, "secrets"))
    }

    private val coreDir: File get() = File(filesDir, "freeport")

    private var opening: Deferred<Core>? = null

    /** The core once open (for [onConfigurationChanged]; screens use [openCore]). */
    @Volatile
    private var opened: Core? = null

    /**
     * The one core, opened on [Dispatchers.IO] (SQLite, the secret store) the first time it is
     * asked for. A failed open is kept (every screen sees the same error) until [retry].
     */
    override suspend fun openCore(retry: Boolean): Core = coreDeferred(retry).await()

    @Synchronized
    private fun coreDeferred(retry: Boolean): Deferred<Core> {
        val current = opening
        // A Deferred that completed exceptionally reports isCancelled = true.
        if (current != null && !(retry && current.isCompleted && current.isCancelled)) return current
        return appScope.async<Core>(Dispatchers.IO) {
            // The core keeps the relay settings; an earlier version's relays.txt becomes them once.
            val core = FfiCore(FreeportApp(defaultConfig(coreDir.path), secrets))
            // The bundled markets in the user's language before any screen asks for them.
            core.setLocales(localeTags(LocaleList.getDefault()))
            opened = core
            try {
                core.importRelayFile(File(filesDir, LEGACY_RELAY_FILE).path)
            } catch (e: FreeportException) {
                // An unreadable old file costs only the old list: Settings shows the defaults.
            }
            // After posting, answering or accepting: a background pass soon (the answer may come
            // while the app is closed, and the pass pushes what the action queued).
            PassAfterActionsCore(core) { BackgroundWork.requestNow(this@FreeportApplication) }
        }.also { opening = it }
    }

    override fun onCreate() {
        super.onCreate()
        if (applicationInfo.flags and ApplicationInfo.FLAG_DEBUGGABLE != 0) {
            // Debug builds log any disk or network access on the main thread, so "no I/O on the
            // main thread" can be checked on a device (logcat tag StrictMode).
            StrictMode.setThreadPolicy(
                StrictMode.ThreadPolicy.Builder().detectDiskReads().detectDiskWrites().detectNetwork().penaltyLog().build(),
            )
        }
        coreDeferred(retry = false) // start opening before the first frame asks for it
        Notifications.createChannels(this)
        BackgroundWork.schedulePeriodic(this)
    }

    /**
     * The system language, or this app's own (Android 13+ per-app language, chosen in Settings →
     * Language): the framework updates [LocaleList.getDefault] and then calls this, before the
     * activity is recreated and its screens reload their markets. The call is in memory, cheap.
     */
    override fun onConfigurationChanged(newConfig: Configuration) {
        super.onConfigurationChanged(newConfig)
        opened?.setLocales(localeTags(LocaleList.getDefault()))
    }

    /**
     * Connects to the relays once an identity exists. Idempotent in the core; runs in the
     * process scope, never on the main thread; a failure leaves the app offline-capable (the
     * outbox keeps what is waiting) and the next start tries again.
     */
    fun startNetwork() {
        appScope.launch {
            try {
                val c = openCore()
                if (c.hasIdentity()) c.startNetwork()
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                // Offline is a normal state for this app; Settings shows the relay status.
            }
        }
    }

    /** Settings → erase: the core's files (relay settings included), every secret and the Keystore key. */
    val wiper = DataWiper {
        coreDir.deleteRecursively()
        File(filesDir, LEGACY_RELAY_FILE).delete()
        secrets.wipeAll()
    }

    private companion object {
        /** Where versions before the core kept the relay settings listed the relays. */
        const val LEGACY_RELAY_FILE = "relays.txt"

        /** `[fr-FR, ar-EG]` for the core: the user's languages, most preferred first. */
        fun localeTags(locales: LocaleList): List<String> =
            (0 until locales.size()).map { locales[it].toLanguageTag() }
    }
}
