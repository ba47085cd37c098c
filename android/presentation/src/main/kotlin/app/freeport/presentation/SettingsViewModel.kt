package app.freeport.presentation

import app.freeport.core.BlockedView
import app.freeport.core.FreeportException
import app.freeport.core.IdentityView
import app.freeport.core.NoticeChannel
import app.freeport.core.NoticeSettings
import app.freeport.core.RelayListRole
import app.freeport.core.RelaySettingsView
import app.freeport.core.RelayStatusView
import app.freeport.core.RelayViolationRecord
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

/** Erases everything Freeport keeps on this device (platform-specific: files + secret store). */
fun interface DataWiper {
    suspend fun wipe()
}

/**
 * Settings: the relays (where the user reads, where they publish, where their messages arrive:
 * kept, checked and published by the core), their connection status, the NIP-17-only privacy
 * switch, blocked keys, backup, outbox, and wiping this device's data. A refused relay comes back as the core's violations, each with its list,
 * position and rule code; this model only places them. The wipe touches the disk, so it runs on
 * [io], never on the caller's (main) thread.
 */
class SettingsViewModel(
    private val core: Core,
    private val wiper: DataWiper,
    scope: CoroutineScope,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : ScreenModel(scope) {

    /** What the settings screen renders. */
    data class State(
        val identity: IdentityView? = null,
        val relayStatus: List<RelayStatusView> = emptyList(),
        /** The relay settings as the core keeps them (null until loaded). */
        val relays: RelaySettingsView? = null,
        /** Text typed in each list's "add a relay" field. */
        val drafts: Map<RelayListRole, String> = emptyMap(),
        /** What the core refused in the last change (nothing was changed then). */
        val violations: List<RelayViolationRecord> = emptyList(),
        val outboxPending: Int = 0,
        /** Private messages go only as NIP-17 gift wraps (peers that read only NIP-04 miss them). */
        val requireNip17: Boolean = false,
        /** Keys blocked on this device (from a deal or a screening), each can be unblocked here. */
        val blocked: List<BlockedView> = emptyList(),
        /** Wipe asks twice. */
        val confirmWipe: Boolean = false,
        val wiped: Boolean = false,
        /** The core library's version, for bug reports. */
        val coreVersion: String = "",
        /** Which notification channels are on (null until loaded). */
        val notices: NoticeSettings? = null,
        val error: UiError? = null,
    ) {
        /** One list of the relay settings. */
        fun list(role: RelayListRole): List<String> = when (role) {
            RelayListRole.READ -> relays?.read
            RelayListRole.WRITE -> relays?.write
            RelayListRole.INBOX -> relays?.inbox
        }.orEmpty()

        /** The refusal to show under [role]'s add field: the entry being added, or the list. */
        fun draftViolation(role: RelayListRole): RelayViolationRecord? = violations.firstOrNull {
            it.role == role && (it.index?.let { i -> i.toInt() >= list(role).size } ?: true)
        }

        /** The refusal to show next to an entry already in [role]'s list. */
        fun entryViolation(role: RelayListRole, index: Int): RelayViolationRecord? =
            violations.firstOrNull { it.role == role && it.index?.toInt() == index }

        /** `true` when the relay at [url] is connected now. */
        fun isConnected(url: String): Boolean =
            relayStatus.any { it.connected && it.url.trimEnd('/') == url.trimEnd('/') }
    }

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(error = e) }

    /** One relay change at a time, each on top of the previous one. */
    private val relayChanges = Mutex()

    fun load(): Job = action(::fail) {
        val relays = core.relaySettings()
        val status = core.relayStatus()
        _state.update {
            it.copy(
                identity = core.identity(),
                relayStatus = status,
                relays = relays,
                outboxPending = core.outbox().size,
                requireNip17 = core.requireNip17(),
                blocked = core.blocked(),
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

    /** The text of [role]'s "add a relay" field (editing it clears that list's refusal). */
    fun setDraft(role: RelayListRole, text: String) = _state.update { s ->
        s.copy(drafts = s.drafts + (role to text), violations = s.violations.filterNot { it.role == role })
    }

    /** Adds the typed relay to [role]'s list; the core checks it (the field keeps it if refused). */
    fun addRelay(role: RelayListRole): Job = change(role, clearDraft = true) { list, draft -> list + draft }

    /** Removes [url] from [role]'s list (the core refuses to empty a list). */
    fun removeRelay(role: RelayListRole, url: String): Job = change(role, clearDraft = false) { list, _ -> list - url }

    /** Goes back to the default relays for all three lists. */
    fun resetRelays(): Job = action(::fail) {
        relayChanges.withLock {
            val relays = core.resetRelaySettings()
            _state.update { it.copy(relays = relays, violations = emptyList(), error = null) }
            refreshStatus()
        }
    }

    private fun change(
        role: RelayListRole,
        clearDraft: Boolean,
        edit: (List<String>, String) -> List<String>,
    ): Job = action(::fail) {
        relayChanges.withLock {
            val s = _state.value
            val list = edit(s.list(role), s.drafts[role].orEmpty())
            try {
                val relays = when (role) {
                    RelayListRole.READ -> core.setRelaySettings(list, null, null)
                    RelayListRole.WRITE -> core.setRelaySettings(null, list, null)
                    RelayListRole.INBOX -> core.setRelaySettings(null, null, list)
                }
                _state.update {
                    it.copy(
                        relays = relays,
                        violations = emptyList(),
                        drafts = if (clearDraft) it.drafts - role else it.drafts,
                        error = null,
                    )
                }
                refreshStatus()
            } catch (e: FreeportException.InvalidRelays) {
                _state.update { it.copy(violations = e.violations) }
            }
        }
    }

    private suspend fun refreshStatus() {
        val status = core.relayStatus()
        _state.update { it.copy(relayStatus = status) }
    }

    /** Sends private messages only as NIP-17 gift wraps (on) or lets the core pick per peer (off). */
    fun setRequireNip17(on: Boolean): Job = action(::fail) {
        core.setRequireNip17(on)
        _state.update { it.copy(requireNip17 = core.requireNip17(), error = null) }
    }

    /** Unblocks a key: its intents show again and its messages are accepted. */
    fun unblock(pubkey: String): Job = action(::fail) {
        core.unblock(pubkey)
        _state.update { it.copy(blocked = core.blocked(), error = null) }
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
