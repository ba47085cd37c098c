package app.freeport.presentation

import app.freeport.core.AppEventRecord
import app.freeport.core.CheckinAction
import app.freeport.core.CheckinShareInput
import app.freeport.core.CheckinView
import app.freeport.core.DealCheckinView
import app.freeport.core.FreeportApp
import app.freeport.core.Notice
import app.freeport.core.TrustedContactView
import app.freeport.core.WatchedCheckinView
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * The core's meetup check-in calls (issue #21, docs/SAFETY.md), suspend-only like [Core]: trusted
 * contacts, sharing from a deal, the countdown's "I'm safe" (by PIN when PINs are set), and the
 * contact's side. Every rule — who may be a contact, when a check-in may be shared, what a PIN
 * means, when a phone alerts — is the core's.
 */
interface CheckinCore {
    suspend fun trustedContacts(): List<TrustedContactView>
    suspend fun addTrustedContact(key: String, label: String?): TrustedContactView
    suspend fun addTrustedContactFromDeal(nego: String, label: String?): TrustedContactView
    suspend fun removeTrustedContact(key: String): Boolean

    suspend fun checkinShare(input: CheckinShareInput): CheckinView
    suspend fun checkinExtend(nego: String, deadline: ULong): CheckinView
    suspend fun checkinSafe(nego: String, duress: Boolean): CheckinView
    suspend fun checkinSafeWithPin(nego: String, pin: String): CheckinView
    suspend fun checkinCancel(nego: String): CheckinView
    suspend fun myCheckins(): List<CheckinView>
    suspend fun dealCheckin(nego: String): DealCheckinView
    suspend fun watchedCheckins(): List<WatchedCheckinView>
    suspend fun watchedCheckin(from: String, id: String): WatchedCheckinView

    /** Raises what is due now; call when the alarm set for [checkinNextAlarm] rings. */
    suspend fun checkinTick(): List<Notice>
    /** When this phone must next act (unix seconds), if ever: schedule an exact alarm. */
    suspend fun checkinNextAlarm(): ULong?
    suspend fun checkinPinsSet(): Boolean
    suspend fun setCheckinPins(safePin: String, duressPin: String)
    suspend fun clearCheckinPins()

    /** Live core events; the subscription is active when this returns. Close to stop. */
    fun subscribeCheckins(onEvent: (AppEventRecord) -> Unit): AutoCloseable
}

/** [CheckinCore] over the generated `FreeportApp`; every call on [io] (see [FfiCore]). */
class FfiCheckinCore(
    private val app: FreeportApp,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : CheckinCore {
    private suspend fun <T> onIo(block: suspend () -> T): T = withContext(io) { block() }

    override suspend fun trustedContacts() = onIo { app.trustedContacts() }
    override suspend fun addTrustedContact(key: String, label: String?) = onIo { app.addTrustedContact(key, label) }
    override suspend fun addTrustedContactFromDeal(nego: String, label: String?) =
        onIo { app.addTrustedContactFromDeal(nego, label) }
    override suspend fun removeTrustedContact(key: String) = onIo { app.removeTrustedContact(key) }
    override suspend fun checkinShare(input: CheckinShareInput) = onIo { app.checkinShare(input) }
    override suspend fun checkinExtend(nego: String, deadline: ULong) = onIo { app.checkinExtend(nego, deadline) }
    override suspend fun checkinSafe(nego: String, duress: Boolean) = onIo { app.checkinSafe(nego, duress) }
    override suspend fun checkinSafeWithPin(nego: String, pin: String) = onIo { app.checkinSafeWithPin(nego, pin) }
    override suspend fun checkinCancel(nego: String) = onIo { app.checkinCancel(nego) }
    override suspend fun myCheckins() = onIo { app.myCheckins() }
    override suspend fun dealCheckin(nego: String) = onIo { app.dealCheckin(nego) }
    override suspend fun watchedCheckins() = onIo { app.watchedCheckins() }
    override suspend fun watchedCheckin(from: String, id: String) = onIo { app.watchedCheckin(from, id) }
    override suspend fun checkinTick() = onIo { app.checkinTick() }
    override suspend fun checkinNextAlarm() = onIo { app.checkinNextAlarm() }
    override suspend fun checkinPinsSet() = onIo { app.checkinPinsSet() }
    override suspend fun setCheckinPins(safePin: String, duressPin: String) = onIo { app.setCheckinPins(safePin, duressPin) }
    override suspend fun clearCheckinPins() = onIo { app.clearCheckinPins() }

    override fun subscribeCheckins(onEvent: (AppEventRecord) -> Unit): AutoCloseable {
        val handle = app.subscribe(object : app.freeport.core.AppListener {
            override fun onEvent(event: AppEventRecord) = onEvent(event)
        })
        return AutoCloseable { handle.cancel() }
    }
}

/** Reloads now and after every check-in event [relevant] accepts, until the job is cancelled. */
fun CheckinCore.watchCheckins(
    scope: CoroutineScope,
    relevant: (AppEventRecord) -> Boolean = { it is AppEventRecord.CheckinChanged },
    reload: suspend () -> Unit,
): Job {
    val events = Channel<AppEventRecord>(Channel.UNLIMITED)
    val subscription = subscribeCheckins { events.trySend(it) }
    return scope.launch {
        try {
            reload()
            for (ev in events) if (relevant(ev)) reload()
        } finally {
            subscription.close()
            events.close()
        }
    }
}

/** The trusted contacts screen: the list, adding by key (pasted or scanned) or from a deal, removing. */
class TrustedContactsViewModel(private val core: CheckinCore, scope: CoroutineScope) : ScreenModel(scope) {
    data class State(
        val contacts: List<TrustedContactView> = emptyList(),
        /** The key being typed or scanned (npub, nprofile, hex, `nostr:` URI). */
        val key: String = "",
        val label: String = "",
        val busy: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    private fun busy(block: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail) {
            block()
            _state.update { it.copy(busy = false, contacts = core.trustedContacts()) }
        }
    }

    fun load(): Job = action(::fail) { _state.update { it.copy(contacts = core.trustedContacts(), error = null) } }

    fun editKey(text: String) = _state.update { it.copy(key = text) }
    fun editLabel(text: String) = _state.update { it.copy(label = text) }

    /** Adds the typed or scanned key (the core refuses your own key, a blocked one, a full list). */
    fun add(): Job = busy {
        val s = _state.value
        core.addTrustedContact(s.key.trim(), s.label.trim().ifEmpty { null })
        _state.update { it.copy(key = "", label = "") }
    }

    /** Adds the person of a past deal. */
    fun addFromDeal(nego: String): Job = busy { core.addTrustedContactFromDeal(nego, null) }

    fun remove(key: String): Job = busy { core.removeTrustedContact(key) }
}

/**
 * The check-in part of a deal screen: share (pick contacts, a deadline, optionally the place),
 * then a countdown with "I'm safe", extend and cancel. [State.actions] are the core's; the screen
 * shows one control per action. When PINs are set, "I'm safe" asks for one and the core decides
 * what it means (the duress PIN looks exactly like the usual one here).
 */
class DealCheckinViewModel(
    private val core: CheckinCore,
    private val nego: String,
    scope: CoroutineScope,
) : ScreenModel(scope) {
    data class State(
        val view: DealCheckinView? = null,
        val contacts: List<TrustedContactView> = emptyList(),
        /** Keys of the contacts chosen for a new check-in. */
        val chosen: Set<String> = emptySet(),
        /** The deadline being chosen (unix seconds). */
        val deadline: ULong? = null,
        val placeName: String = "",
        val geohash: String = "",
        /** PINs are set: "I'm safe" needs one. */
        val pinRequired: Boolean = false,
        val pin: String = "",
        val busy: Boolean = false,
        val error: UiError? = null,
    ) {
        /** The check-in on screen, if any. */
        val checkin: CheckinView? get() = view?.checkin
        /** What the user may do (share, extend, safe, cancel): the core's list. */
        val actions: List<CheckinAction> get() = view?.actions.orEmpty()
        /** Seconds to the deadline at [now] (negative once passed): what the countdown shows. */
        fun secondsLeft(now: Long): Long? = checkin?.let { it.deadline.toLong() - now }
    }

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    private fun busy(block: suspend () -> Unit): Job {
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail) {
            block()
            _state.update { it.copy(busy = false, view = core.dealCheckin(nego)) }
        }
    }

    fun load(): Job = action(::fail) {
        val view = core.dealCheckin(nego)
        val contacts = core.trustedContacts()
        val pins = core.checkinPinsSet()
        _state.update { s ->
            s.copy(
                view = view,
                contacts = contacts,
                pinRequired = pins,
                // Everyone by default the first time; the user unticks.
                chosen = s.chosen.ifEmpty { contacts.map { it.pubkey }.toSet() },
                error = null,
            )
        }
    }

    fun toggle(pubkey: String) = _state.update {
        it.copy(chosen = if (pubkey in it.chosen) it.chosen - pubkey else it.chosen + pubkey)
    }

    fun chooseDeadline(unixSeconds: ULong) = _state.update { it.copy(deadline = unixSeconds) }
    fun editPlace(name: String) = _state.update { it.copy(placeName = name) }
    fun editGeohash(geohash: String) = _state.update { it.copy(geohash = geohash) }
    fun editPin(pin: String) = _state.update { it.copy(pin = pin) }

    /** Shares with the chosen contacts (the core checks the deal, the contacts and the deadline). */
    fun share(): Job = busy {
        val s = _state.value
        core.checkinShare(
            CheckinShareInput(
                nego = nego,
                contacts = s.chosen.toList(),
                deadline = s.deadline ?: 0u,
                placeName = s.placeName.trim().ifEmpty { null },
                geohash = s.geohash.trim().ifEmpty { null },
            ),
        )
    }

    /** Moves the deadline to the one chosen. */
    fun extend(): Job = busy { core.checkinExtend(nego, _state.value.deadline ?: 0u) }

    /** "I'm safe": with the typed PIN when PINs are set (the core tells the usual and the duress one apart). */
    fun safe(): Job = busy {
        val s = _state.value
        if (s.pinRequired) core.checkinSafeWithPin(nego, s.pin) else core.checkinSafe(nego, false)
        _state.update { it.copy(pin = "") }
    }

    fun cancel(): Job = busy { core.checkinCancel(nego) }

    /** Follows the check-in while the screen is shown (delivery, the contacts' side is not shown here). */
    fun watch(): Job = core.watchCheckins(scope, { ev ->
        ev is AppEventRecord.CheckinChanged || (ev is AppEventRecord.NegotiationChanged && ev.nego == nego)
    }) { load().join() }
}

/**
 * A contact's alert screen: one check-in someone shares with this user — who, whom they meet
 * (key, name, masked phone, the card they saw), where, until when, and its state (overdue and
 * duress are the alarms). Opened from a check-in notice (`CheckinAlert.from.pubkey`, `.id`).
 */
class CheckinAlertViewModel(
    private val core: CheckinCore,
    private val from: String,
    private val id: String,
    scope: CoroutineScope,
) : ScreenModel(scope) {
    data class State(val checkin: WatchedCheckinView? = null, val error: UiError? = null)

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    fun load(): Job = action({ e -> _state.update { it.copy(error = e) } }) {
        _state.update { it.copy(checkin = core.watchedCheckin(from, id), error = null) }
    }

    fun watch(): Job = core.watchCheckins(scope, { ev ->
        (ev is AppEventRecord.CheckinChanged && ev.id == id) || ev is AppEventRecord.Notice
    }) { load().join() }
}

/** Every check-in on this phone: the user's own and the ones contacts share. */
class CheckinsViewModel(private val core: CheckinCore, scope: CoroutineScope) : ScreenModel(scope) {
    data class State(
        val mine: List<CheckinView> = emptyList(),
        val watching: List<WatchedCheckinView> = emptyList(),
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    fun load(): Job = action({ e -> _state.update { it.copy(error = e) } }) {
        _state.update { State(mine = core.myCheckins(), watching = core.watchedCheckins()) }
    }

    fun watch(): Job = core.watchCheckins(scope) { load().join() }
}

/**
 * [CheckinCore] that asks for a background pass right after the user shared, moved, closed or
 * cancelled a check-in: with no network now (a meetup in a basement) the pass waits for one, so
 * "I'm safe" leaves the outbox the moment a network appears. [requestPass] only enqueues.
 */
class PassAfterCheckinActions(private val core: CheckinCore, private val requestPass: () -> Unit) : CheckinCore by core {
    private fun <T> T.kick(): T = also { requestPass() }

    override suspend fun checkinShare(input: CheckinShareInput) = core.checkinShare(input).kick()
    override suspend fun checkinExtend(nego: String, deadline: ULong) = core.checkinExtend(nego, deadline).kick()
    override suspend fun checkinSafe(nego: String, duress: Boolean) = core.checkinSafe(nego, duress).kick()
    override suspend fun checkinSafeWithPin(nego: String, pin: String) = core.checkinSafeWithPin(nego, pin).kick()
    override suspend fun checkinCancel(nego: String) = core.checkinCancel(nego).kick()
}

/** The check-in PINs (Settings): the usual one and the duress one; the core judges and keeps them. */
class CheckinPinsViewModel(private val core: CheckinCore, scope: CoroutineScope) : ScreenModel(scope) {
    data class State(
        val safePin: String = "",
        val duressPin: String = "",
        val pinsSet: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(error = e) }

    fun load(): Job = action(::fail) { _state.update { it.copy(pinsSet = core.checkinPinsSet()) } }
    fun editSafe(pin: String) = _state.update { it.copy(safePin = pin) }
    fun editDuress(pin: String) = _state.update { it.copy(duressPin = pin) }

    fun save(): Job = action(::fail) {
        val s = _state.value
        core.setCheckinPins(s.safePin, s.duressPin)
        _state.update { it.copy(safePin = "", duressPin = "", pinsSet = core.checkinPinsSet(), error = null) }
    }

    fun clear(): Job = action(::fail) {
        core.clearCheckinPins()
        _state.update { it.copy(pinsSet = core.checkinPinsSet(), error = null) }
    }
}
