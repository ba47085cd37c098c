package app.freeport.presentation

import app.freeport.core.FieldViolation
import app.freeport.core.IdentityView
import app.freeport.core.PassphrasePurpose
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/** Onboarding: create a key or restore one from an `ncryptsec` backup, then the backup prompt. */
class OnboardingViewModel(private val core: Core, scope: CoroutineScope) : ScreenModel(scope) {

    /** Where onboarding is. */
    enum class Step { LOADING, WELCOME, RESTORE, BACKUP, DONE }

    /** What the onboarding screen renders. */
    data class State(
        val step: Step = Step.LOADING,
        val identity: IdentityView? = null,
        val busy: Boolean = false,
        val error: UiError? = null,
        /** The `ncryptsec1…` text once exported, to copy or write down. */
        val backup: String? = null,
        /**
         * What the new backup passphrase and its confirmation break right now (the core's rule,
         * for feedback while typing: field `passphrase` or `confirmation`). Empty when acceptable.
         */
        val passphraseViolations: List<FieldViolation> = emptyList(),
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { it.copy(busy = false, error = e) }

    /** Reads whether this device already has an identity (after process death too). */
    fun load(): Job = action(::fail) {
        val id = if (core.hasIdentity()) core.identity() else null
        _state.update { it.copy(step = if (id != null) Step.DONE else Step.WELCOME, identity = id) }
    }

    /** Creates a fresh key in the secret store, then asks for a backup. */
    fun create(): Job = run {
        _state.update { it.copy(busy = true, error = null) }
        action(::fail) {
            val id = core.createIdentity()
            _state.update { it.copy(busy = false, identity = id, step = Step.BACKUP) }
        }
    }

    /** Shows the restore form. */
    fun showRestore() = _state.update { it.copy(step = Step.RESTORE, error = null) }

    /** Back from the restore form. */
    fun back() = _state.update { it.copy(step = if (it.identity != null) Step.DONE else Step.WELCOME, error = null) }

    /** Restores from an NIP-49 backup; a wrong passphrase changes nothing and says so. */
    fun restore(ncryptsec: String, passphrase: String): Job = run {
        _state.update { it.copy(busy = true, error = null) }
        action(::fail) {
            val id = core.restoreIdentity(ncryptsec.trim(), passphrase)
            _state.update { it.copy(busy = false, identity = id, step = Step.DONE) }
        }
    }

    /** Opens the backup prompt (also reachable from Settings later). */
    fun showBackup() = _state.update { it.copy(step = Step.BACKUP, error = null, backup = null) }

    /** Live feedback as the new backup passphrase is typed: the core's rule, as codes per field. */
    fun checkPassphrase(passphrase: String, confirmation: String) = _state.update {
        it.copy(passphraseViolations = core.checkPassphrase(passphrase, confirmation, PassphrasePurpose.NEW_BACKUP))
    }

    /**
     * Encrypts the key with [passphrase] (typed twice) and shows the `ncryptsec` to keep. A
     * passphrase the core's rule refuses (or a confirmation that differs) is not sent: the
     * violations are the error, under their fields. The core enforces the same rule again.
     */
    fun exportBackup(passphrase: String, confirmation: String): Job? {
        val violations = core.checkPassphrase(passphrase, confirmation, PassphrasePurpose.NEW_BACKUP)
        if (violations.isNotEmpty()) {
            _state.update {
                it.copy(
                    passphraseViolations = violations,
                    error = UiError(UiError.Kind.INVALID_INPUT, field = violations.first().field, violations = violations),
                )
            }
            return null
        }
        _state.update { it.copy(busy = true, error = null, passphraseViolations = emptyList()) }
        return action(::fail) {
            val text = core.exportBackup(passphrase)
            _state.update { it.copy(busy = false, backup = text) }
        }
    }

    /** Leaves the backup prompt (done or "later"). */
    fun finishBackup() = _state.update { it.copy(step = Step.DONE, backup = null, error = null) }
}
