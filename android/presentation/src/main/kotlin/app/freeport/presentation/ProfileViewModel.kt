package app.freeport.presentation

import app.freeport.core.PhoneStatus
import app.freeport.core.ProfileInput
import app.freeport.core.ProfileView
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/**
 * My profile: name, about, phone (published masked by default), vehicle. Publishing the full
 * number is an explicit opt-in behind the core's permanence warning, shown verbatim and confirmed.
 */
class ProfileViewModel(private val core: Core, scope: CoroutineScope) : ScreenModel(scope) {

    /** What the profile screen renders and edits. */
    data class State(
        val profile: ProfileView? = null,
        val name: String = "",
        val about: String = "",
        /** A new number to publish; the private full number is never read back. */
        val phone: String = "",
        val vehicleModel: String = "",
        val plate: String = "",
        val publishFullNumber: Boolean = false,
        /** The core's permanence warning, shown while the opt-in is being considered. */
        val warning: String? = null,
        val warningConfirmed: Boolean = false,
        /** How my phone stands with raters who reached it (from my own screening card). */
        val phoneStatus: PhoneStatus? = null,
        /** My profile code (`nostr:npub1…` as a QR PNG) for someone to scan and check me. */
        val profileCode: ByteArray? = null,
        val busy: Boolean = false,
        val saved: Boolean = false,
        val error: UiError? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    /** Loads my published profile and my phone's verification status. */
    fun load(): Job = action(::fail) {
        val me = core.identity() ?: throw app.freeport.core.FreeportException.NoIdentity()
        val p = core.profile(me.pubkey)
        _state.update {
            it.copy(
                profile = p,
                name = p.name.orEmpty(),
                about = p.about.orEmpty(),
                vehicleModel = p.vehicleModel.orEmpty(),
                plate = p.plate.orEmpty(),
                publishFullNumber = p.phoneIsFull,
            )
        }
        val code = core.qrPng("nostr:${me.npub}", PROFILE_CODE_PX)
        _state.update { it.copy(profileCode = code) }
        val card = core.screen(me.npub, false)
        _state.update { it.copy(phoneStatus = card.phoneStatus) }
    }

    fun setName(v: String) = _state.update { it.copy(name = v, saved = false) }
    fun setAbout(v: String) = _state.update { it.copy(about = v, saved = false) }
    fun setPhone(v: String) = _state.update { it.copy(phone = v, saved = false, error = null) }
    fun setVehicle(model: String, plate: String) = _state.update { it.copy(vehicleModel = model, plate = plate, saved = false) }

    /** Turning full publishing on shows the warning; it takes effect only once confirmed. */
    fun setPublishFullNumber(on: Boolean) = _state.update {
        if (on) {
            it.copy(publishFullNumber = true, warning = core.fullNumberWarning(), warningConfirmed = false)
        } else {
            it.copy(publishFullNumber = false, warning = null, warningConfirmed = false)
        }
    }

    /** The user read the warning and still wants the full number public. */
    fun confirmWarning() = _state.update { it.copy(warningConfirmed = it.warning != null) }

    /** Publishes the profile. */
    fun save(): Job? {
        val s = _state.value
        if (s.publishFullNumber && s.phone.isNotBlank() && !s.warningConfirmed) {
            _state.update { it.copy(error = UiError(UiError.Kind.LOCAL, LocalError.WARNING_NOT_CONFIRMED, "phone")) }
            return null
        }
        _state.update { it.copy(busy = true, error = null) }
        return action(::fail) {
            val p = core.setProfile(
                ProfileInput(
                    name = s.name.trim().ifEmpty { null },
                    about = s.about.trim().ifEmpty { null },
                    phone = s.phone.trim().ifEmpty { null },
                    publishFullNumber = s.publishFullNumber && s.warningConfirmed,
                    fullNumberWarningShown = s.warning.takeIf { s.warningConfirmed },
                    vehicleModel = s.vehicleModel.trim().ifEmpty { null },
                    plate = s.plate.trim().ifEmpty { null },
                ),
            )
            _state.update { it.copy(busy = false, saved = true, profile = p, phone = "") }
        }
    }

    companion object {
        /** Width of the profile code PNG; the screen scales it pixel-exact. */
        const val PROFILE_CODE_PX = 480
    }
}
