package app.freeport.presentation

import app.freeport.core.IdentityView
import app.freeport.core.NoticeChannel
import app.freeport.core.NoticeSettings
import app.freeport.core.RelayStatusView
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import java.io.File

/** The relay list the app starts the core with (plain settings, nothing secret). */
interface RelaySettings {
    /** Relays to use, or null for the core's defaults. */
    fun load(): List<String>?
    fun save(relays: List<String>)
}

/** [RelaySettings] in a text file, one URL per line (app-private storage on Android). */
class FileRelaySettings(private val file: File) : RelaySettings {
    override fun load(): List<String>? =
        if (file.exists()) file.readLines().map(String::trim).filter(String::isNotEmpty).ifEmpty { null } else null

    override fun save(relays: List<String>) {
        file.parentFile?.mkdirs()
        val tmp = File(file.path + ".tmp")
        tmp.writeText(relays.joinToString("\n", postfix = "\n"))
        if (!tmp.renameTo(file)) {
            file.delete()
            check(tmp.renameTo(file)) { "cannot write ${file.path}" }
        }
    }
}

/** Erases everything Freeport keeps on this device (platform-specific: files + secret store). */
fun interface DataWiper {
    suspend fun wipe()
}

/**
 * Settings: relays (status, list), backup, outbox, and wiping this device's data. The relay file
 * and the wipe touch the disk, so they run on [io], never on the caller's (main) thread.
 */
class SettingsViewModel(
    private val core: Core,
    private val relays: RelaySettings,
    private val wiper: DataWiper,
    scope: CoroutineScope,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : ScreenModel(scope) {

    /** What the settings screen renders. */
    data class State(
        val identity: IdentityView? = null,
        val relayStatus: List<RelayStatusView> = emptyList(),
        /** The relay list in use / to use after the next start. */
        val relays: List<String> = emptyList(),
        val outboxPending: Int = 0,
        /** Wipe asks twice. */
        val confirmWipe: Boolean = false,
        val wiped: Boolean = false,
        val restartNeeded: Boolean = false,
        /** The core library's version, for bug reports. */
        val coreVersion: String = "",
        /** Which notification channels are on (null until loaded). */
        val notices: NoticeSettings? = null,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(error = e) }
    private val relayFile = Mutex()

    fun load(defaultRelays: List<String>): Job = action(::fail) {
        val status = core.relayStatus()
        val saved = withContext(io) { relayFile.withLock { relays.load() } }
        _state.update {
            it.copy(
                identity = core.identity(),
                relayStatus = status,
                relays = saved ?: defaultRelays,
                outboxPending = core.outbox().size,
                coreVersion = core.coreVersion(),
                notices = core.noticeSettings(),
            )
        }
    }

    /** Switches notifications of one channel on or off (kept by the core). */
    fun setNotices(channel: NoticeChannel, on: Boolean): Job = action(::fail) {
        val current = _state.value.notices ?: core.noticeSettings()
        val next = when (channel) {
            NoticeChannel.DEALS -> current.copy(deals = on)
            NoticeChannel.RATINGS -> current.copy(ratings = on)
            NoticeChannel.SAFETY -> current.copy(safety = on)
        }
        core.setNoticeSettings(next)
        _state.update { it.copy(notices = next, error = null) }
    }

    /**
     * Adds a relay URL (`wss://…`; `ws://` only for a local relay). Returns null when the URL is
     * refused (the error says why), else the job that saves the list.
     */
    fun addRelay(url: String): Job? {
        val u = url.trim()
        val ok = u.startsWith("wss://") && u.length > 6 ||
            Regex("""^ws://(localhost|127\.0\.0\.1|\[::1])(:\d+)?(/.*)?$""").matches(u)
        if (!ok) {
            _state.update { it.copy(error = UiError(UiError.Kind.LOCAL, LocalError.RELAY_URL, "relay")) }
            return null
        }
        return persist { if (u in it) it else it + u }
    }

    /** Removes a relay; returns the job that saves the list. */
    fun removeRelay(url: String): Job = persist { it - url }

    /** Applies [change] to the list on screen and writes the result, one change at a time. */
    private fun persist(change: (List<String>) -> List<String>): Job = action(::fail) {
        relayFile.withLock {
            val list = change(_state.value.relays)
            if (list == _state.value.relays) return@withLock
            withContext(io) { relays.save(list) }
            _state.update { it.copy(relays = list, restartNeeded = true, error = null) }
        }
    }

    /** First tap asks, second tap wipes. */
    fun wipe(): Job? {
        if (!_state.value.confirmWipe) {
            _state.update { it.copy(confirmWipe = true) }
            return null
        }
        return action(::fail) {
            core.stopNetwork()
            withContext(io) { wiper.wipe() }
            _state.update { State(wiped = true) }
        }
    }

    fun cancelWipe() = _state.update { it.copy(confirmWipe = false) }
}
