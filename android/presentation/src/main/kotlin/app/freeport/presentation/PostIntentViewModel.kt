package app.freeport.presentation

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
 * Post an intent: the form is generated from the market's `form_json`; the payload is checked by
 * the core against the market's JSON Schema, and its violations come back next to each field.
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
        /** Per-field messages, keyed by form path (`/from`) or input name (`title`, `geohash`). */
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

    /** Loads the market and builds its form. */
    fun load(): Job = action(::fail) {
        val m = core.markets().firstOrNull { it.topic == marketTopic || it.schema == marketTopic }
            ?: throw IllegalArgumentException("market: `$marketTopic` is not offered by this app")
        val fields = MarketForms.parse(m.formJson)
        val initial = fields.associate { f ->
            f.path to if (f.input == InputKind.LOCATION) FieldValue.Place("", "") else FieldValue.Text("")
        }
        _state.update { it.copy(market = m, fields = fields, values = initial) }
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

    /** Builds the payload and posts; field errors come from the core's validation. */
    fun submit(): Job? {
        val s = _state.value
        val market = s.market ?: return null
        val payload = when (val r = MarketForms.payload(s.fields, s.values)) {
            is MarketForms.Result.Refused -> {
                _state.update { it.copy(fieldErrors = r.errors) }
                return null
            }
            is MarketForms.Result.Ok -> r.payloadJson
        }
        _state.update { it.copy(busy = true, error = null, fieldErrors = emptyMap()) }
        return action(::fail) {
            val posted = core.postIntent(
                PostIntentInput(
                    market = market.topic,
                    side = s.side,
                    title = s.title.trim(),
                    payloadJson = payload,
                    geohash = s.geohash.trim().lowercase().ifEmpty { null },
                    expiresInSecs = null,
                    powBits = null,
                ),
            )
            _state.update { it.copy(busy = false, posted = posted) }
        }
    }

    companion object {
        /** Where an `InvalidInput` from the core belongs on this form. */
        fun fieldErrorsFor(e: UiError, fields: List<FormField>): Map<String, UiError> {
            val field = e.field ?: return mapOf("" to e)
            if (field == "payload" || e.detail.contains("schema: at `")) {
                return MarketForms.violationsByField(e.detail, fields)
                    .mapValues { (path, msg) -> UiError(UiError.Kind.INVALID_INPUT, msg, path) }
            }
            return mapOf(field to e)
        }
    }
}
