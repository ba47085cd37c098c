package app.freeport.presentation

import app.freeport.core.CodeProblem
import app.freeport.core.FieldViolation
import app.freeport.core.FreeportException
import app.freeport.core.PhoneProblem
import app.freeport.core.Refusal
import app.freeport.core.RelayViolationRecord
import app.freeport.core.Rule
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch

/**
 * An error as a screen shows it: [kind] selects the heading, and the typed code the core sent
 * ([refusal], [violations], [codeProblem], [phoneProblem]) is what the app words, in the user's
 * language, under the right field. Nothing here is English from the core: [detail] is the core's
 * diagnostic for storage, network, secret-store and internal failures (for logs and bug reports),
 * or a [LocalError] code for the few checks a screen makes on its own state.
 */
data class UiError(
    val kind: Kind,
    val detail: String? = null,
    /** The field it belongs under (`title`, `/from`, `passphrase`…), when it belongs to one. */
    val field: String? = null,
    /** Why the core refused an action ([Kind.NOT_POSSIBLE]). */
    val refusal: Refusal? = null,
    /** What is wrong with the input, each on its field ([Kind.INVALID_INPUT]). */
    val violations: List<FieldViolation> = emptyList(),
    /** Why a meet code was refused ([Kind.INVALID_CODE]). */
    val codeProblem: CodeProblem? = null,
    /** Why a phone number was refused ([Kind.PHONE]). */
    val phoneProblem: PhoneProblem? = null,
    /** Every refused relay entry, with its list, position and rule ([Kind.INVALID_RELAYS]). */
    val relayViolations: List<RelayViolationRecord> = emptyList(),
) {
    /** Error families the UI words differently. */
    enum class Kind {
        NO_IDENTITY,
        OFFLINE,
        NOT_FOUND,
        NOT_POSSIBLE,
        INVALID_INPUT,
        INVALID_RELAYS,
        INVALID_CODE,
        WRONG_PASSPHRASE,
        PHONE,
        STORAGE,
        NETWORK,
        SECRET_STORE,
        INTERNAL,

        /** Checked by the screen on its own state (e.g. a yes/no not chosen); [detail] is a [LocalError]. */
        LOCAL,
    }

    /** The rules broken on [field] (exactly that field). */
    fun rulesOn(field: String): List<Rule> = violations.filter { it.field == field }.map { it.rule }
}

/**
 * Stable codes of [UiError.Kind.LOCAL] errors: only what a screen knows and the core cannot (a
 * choice not made yet, a warning not acknowledged). Input rules are the core's.
 */
object LocalError {
    const val WARNING_NOT_CONFIRMED = "warning_not_confirmed"
    const val EMPTY = "empty"
}

/** Maps anything the core (or a precondition) threw to what a screen shows. */
fun Throwable.toUiError(): UiError = when (this) {
    is FreeportException.NoIdentity -> UiError(UiError.Kind.NO_IDENTITY)
    is FreeportException.Offline -> UiError(UiError.Kind.OFFLINE)
    is FreeportException.UnknownMarket -> UiError(UiError.Kind.NOT_FOUND, market)
    is FreeportException.UnknownIntent -> UiError(UiError.Kind.NOT_FOUND, id)
    is FreeportException.UnknownNegotiation -> UiError(UiError.Kind.NOT_FOUND, nego)
    is FreeportException.NotPossible -> UiError(UiError.Kind.NOT_POSSIBLE, refusal = refusal)
    is FreeportException.InvalidInput ->
        UiError(UiError.Kind.INVALID_INPUT, field = violations.firstOrNull()?.field, violations = violations)
    is FreeportException.InvalidRelays -> UiError(UiError.Kind.INVALID_RELAYS, relayViolations = violations)
    is FreeportException.InvalidCode -> UiError(UiError.Kind.INVALID_CODE, codeProblem = problem)
    is FreeportException.WrongPassphrase -> UiError(UiError.Kind.WRONG_PASSPHRASE, field = "passphrase")
    is FreeportException.Phone -> UiError(UiError.Kind.PHONE, field = "phone", phoneProblem = problem)
    is FreeportException.Storage -> UiError(UiError.Kind.STORAGE, reason)
    is FreeportException.Network -> UiError(UiError.Kind.NETWORK, reason)
    is FreeportException.SecretStore -> UiError(UiError.Kind.SECRET_STORE, reason)
    is FreeportException.Internal -> UiError(UiError.Kind.INTERNAL, reason)
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
