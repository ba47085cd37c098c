package app.freeport.presentation

import app.freeport.core.FreeportException
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch

/**
 * An error as a screen shows it. [kind] selects the localised heading (a string resource in the
 * app); [detail] is the core's own sentence (field rule, reason, "why"), which names exactly what
 * was wrong; [field] is set when the error belongs next to one input.
 */
data class UiError(val kind: Kind, val detail: String, val field: String? = null) {
    /** Error families the UI words differently. */
    enum class Kind {
        NO_IDENTITY,
        OFFLINE,
        NOT_FOUND,
        NOT_POSSIBLE,
        INVALID_INPUT,
        INVALID_CODE,
        WRONG_PASSPHRASE,
        PHONE,
        STORAGE,
        NETWORK,
        SECRET_STORE,
        INTERNAL,

        /** Checked by the UI itself (e.g. passphrase confirmation); [detail] is a stable code. */
        LOCAL,
    }
}

/** Stable codes of [UiError.Kind.LOCAL] errors (the app maps each to a string resource). */
object LocalError {
    const val PASSPHRASE_MISMATCH = "passphrase_mismatch"
    const val PASSPHRASE_TOO_SHORT = "passphrase_too_short"
    const val NOT_A_NUMBER = "not_a_number"
    const val WARNING_NOT_CONFIRMED = "warning_not_confirmed"
    const val EMPTY = "empty"
}

/** Maps anything the core (or a precondition) threw to what a screen shows. */
fun Throwable.toUiError(): UiError = when (this) {
    is FreeportException.NoIdentity -> UiError(UiError.Kind.NO_IDENTITY, toString())
    is FreeportException.Offline -> UiError(UiError.Kind.OFFLINE, toString())
    is FreeportException.UnknownMarket -> UiError(UiError.Kind.NOT_FOUND, market)
    is FreeportException.UnknownIntent -> UiError(UiError.Kind.NOT_FOUND, id)
    is FreeportException.UnknownNegotiation -> UiError(UiError.Kind.NOT_FOUND, nego)
    is FreeportException.NotPossible -> UiError(UiError.Kind.NOT_POSSIBLE, why, what)
    is FreeportException.InvalidInput -> UiError(UiError.Kind.INVALID_INPUT, rule, field)
    is FreeportException.InvalidRelays -> UiError(UiError.Kind.INVALID_INPUT, toString(), "relays")
    is FreeportException.InvalidCode -> UiError(UiError.Kind.INVALID_CODE, reason)
    is FreeportException.WrongPassphrase -> UiError(UiError.Kind.WRONG_PASSPHRASE, toString())
    is FreeportException.Phone -> UiError(UiError.Kind.PHONE, reason, "phone")
    is FreeportException.Storage -> UiError(UiError.Kind.STORAGE, reason)
    is FreeportException.Network -> UiError(UiError.Kind.NETWORK, reason)
    is FreeportException.SecretStore -> UiError(UiError.Kind.SECRET_STORE, reason)
    is FreeportException.Internal -> UiError(UiError.Kind.INTERNAL, reason)
    is IllegalArgumentException -> UiError(UiError.Kind.INVALID_INPUT, message ?: toString())
    else -> UiError(UiError.Kind.INTERNAL, toString())
}

/**
 * Base of every view model: owns nothing but the [scope] it launches in (androidx
 * `viewModelScope` in the app, a test scope on the JVM). Each user action returns its [Job], so
 * a caller (a test, a screen) can wait for it to finish.
 */
abstract class ScreenModel(protected val scope: CoroutineScope) {
    /** Runs [block]; any failure but cancellation goes to [onError]. */
    protected fun action(onError: (UiError) -> Unit, block: suspend () -> Unit): Job =
        scope.launch {
            try {
                block()
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                onError(e.toUiError())
            }
        }
}
