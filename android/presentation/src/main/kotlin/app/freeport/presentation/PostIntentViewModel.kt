package app.freeport.presentation

import app.freeport.core.FreeportException
import app.freeport.core.IntentSide
import app.freeport.core.IntentView
import app.freeport.core.MarketView
import app.freeport.core.PostIntentInput
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/**
 * Post an intent: the form is the market's, as the core describes it; the entries go to the core
 * as typed, and the core builds the payload and judges every field. Its violations come back as
 * codes and are placed under their fields; this screen parses nothing and checks nothing itself.
 */
class PostIntentViewModel(
    private val core: Core,
    private val marketTopic: String,
    scope: CoroutineScope,
) : ScreenModel(scope) {

    /** What the post screen renders. */
    data class State(
        val market: MarketView? = null,
        val fields: List<FormField> = emptyList(),
        val values: Map<String, FieldValue> = emptyMap(),
        val side: IntentSide = IntentSide.OFFER,
        val title: String = "",
        /** Geohash the intent is published at (optional; coarse by design). */
        val geohash: String = "",
        /**
         * The core's violations, keyed by where they go: a form path (`/from`, also for
         * `/from/geohash`), `title`, `geohash`, or `""` for one under no input.
         */
        val fieldErrors: Map<String, UiError> = emptyMap(),
        val error: UiError? = null,
        val busy: Boolean = false,
        val posted: IntentView? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    private fun fail(e: UiError) = _state.update { s ->
        if (e.kind == UiError.Kind.INVALID_INPUT) {
            s.copy(busy = false, fieldErrors = fieldErrorsFor(e, s.fields), error = null)
        } else {
            s.copy(busy = false, error = e)
        }
    }

    /** Loads the market and its form. */
    fun load(): Job = action(::fail) {
        val m = core.markets().firstOrNull { it.topic == marketTopic || it.schema == marketTopic }
            ?: throw FreeportException.UnknownMarket(marketTopic)
        val initial = m.form.associate { f ->
            f.path to if (f.input == InputKind.LOCATION) FieldValue.Place("", "") else FieldValue.Text("")
        }
        _state.update { it.copy(market = m, fields = m.form, values = initial) }
    }

    fun setSide(side: IntentSide) = _state.update { it.copy(side = side) }
    fun setTitle(title: String) = _state.update { it.copy(title = title, fieldErrors = it.fieldErrors - "title") }
    fun setGeohash(g: String) = _state.update { it.copy(geohash = g, fieldErrors = it.fieldErrors - "geohash") }
    fun setValue(path: String, value: FieldValue) =
        _state.update { it.copy(values = it.values + (path to value), fieldErrors = it.fieldErrors - path) }

    /** Fills a location field's geohash from the phone's position, at the precision given. */
    fun locate(path: String, lat: Double, lon: Double, precision: Int = 7): Job = action(::fail) {
        val g = core.geohashFor(lat, lon, precision)
        val old = _state.value.values[path] as? FieldValue.Place ?: FieldValue.Place("", "")
        setValue(path, old.copy(geohash = g))
    }

    /** Posts what was entered; the core builds and judges the payload (see [State.fieldErrors]). */
    fun submit(): Job? {
        val s = _state.value
        val market = s.market ?: return null
        _state.update { it.copy(busy = true, error = null, fieldErrors = emptyMap()) }
        return action(::fail) {
            val posted = core.postIntent(
                PostIntentInput(
                    market = market.topic,
                    side = s.side,
                    title = s.title,
                    entries = s.fields.mapNotNull { f -> s.values[f.path]?.toEntry(f.path) },
                    geohash = s.geohash.ifBlank { null },
                    expiresInSecs = null,
                    powBits = null,
                ),
            )
            _state.update { it.copy(busy = false, posted = posted) }
        }
    }

    companion object {
        /** The inputs of this screen that are not market fields. */
        private val INPUTS = listOf("title", "geohash")

        /** Where each of the core's violations goes on this form. */
        fun fieldErrorsFor(e: UiError, fields: List<FormField>): Map<String, UiError> =
            MarketForms.place(e.violations, fields.map { it.path }, INPUTS)
                .mapValues { (place, vs) -> e.copy(field = place, violations = vs) }
    }
}
