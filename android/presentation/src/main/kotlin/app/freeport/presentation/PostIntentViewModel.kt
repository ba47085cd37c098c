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
import java.time.Instant
import java.time.LocalDate
import java.time.LocalTime
import java.time.ZoneId
import java.time.ZonedDateTime
import java.time.temporal.ChronoUnit

/**
 * Post an intent: the form is the market's, as the core describes it; the entries go to the core
 * as typed, and the core builds the payload and judges every field. Its violations come back as
 * codes and are placed under their fields; this screen parses nothing and checks nothing itself.
 *
 * Optionally, when: a time window picked as dates and times in [zone] (the phone's), and minutes of
 * flexibility around it, sent as `window_start` / `window_end` / `flex_minutes`; whether the
 * window makes sense (its end not before its start, not already over) is the core's to say, under
 * the start or end it concerns.
 */
class PostIntentViewModel(
    private val core: Core,
    private val marketTopic: String,
    scope: CoroutineScope,
    private val zone: ZoneId = ZoneId.systemDefault(),
) : ScreenModel(scope) {

    /** One end of the time window. */
    enum class Edge { START, END }

    /** The time window as picked: unix seconds. */
    data class Window(val start: Long, val end: Long) {
        /** When [edge] is, in [zone]. */
        fun at(edge: Edge, zone: ZoneId): ZonedDateTime =
            Instant.ofEpochSecond(if (edge == Edge.START) start else end).atZone(zone)
    }

    /** What the post screen renders. */
    data class State(
        val market: MarketView? = null,
        val fields: List<FormField> = emptyList(),
        val values: Map<String, FieldValue> = emptyMap(),
        val side: IntentSide = IntentSide.OFFER,
        val title: String = "",
        /** Geohash the intent is published at (optional; coarse by design). */
        val geohash: String = "",
        /** When, if the user gives a time: null means no window (and no flexibility). */
        val window: Window? = null,
        /** Minutes of flexibility around [window]; null: exactly then. */
        val flexMinutes: UInt? = null,
        /** The zone the window's dates and times are picked and shown in (the phone's). */
        val zone: ZoneId = ZoneId.systemDefault(),
        /**
         * The core's violations, keyed by where they go: a form path (`/from`, also for
         * `/from/geohash`), `title`, `geohash`, `window_start`, `window_end`, `flex_minutes`, or
         * `""` for one under no input.
         */
        val fieldErrors: Map<String, UiError> = emptyMap(),
        val error: UiError? = null,
        val busy: Boolean = false,
        val posted: IntentView? = null,
    )

    private val _state = MutableStateFlow(State(zone = zone))
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

    /**
     * Gives the post a time: from the next full hour in [zone], for an hour (a starting point
     * for the pickers; the user moves either end).
     */
    fun addWindow(now: Instant = Instant.now()) {
        val start = now.atZone(zone).truncatedTo(ChronoUnit.HOURS).plusHours(1)
        _state.update { it.copy(window = Window(start.toEpochSecond(), start.plusHours(1).toEpochSecond())) }
    }

    /** No time after all: the window and its flexibility go, with what the core said about them. */
    fun removeWindow() = _state.update {
        it.copy(window = null, flexMinutes = null, fieldErrors = it.fieldErrors - WINDOW_INPUTS)
    }

    /** Moves [edge] to [date], keeping its time of day. */
    fun setWindowDate(edge: Edge, date: LocalDate) = moveEdge(edge) { it.with(date) }

    /** Moves [edge] to [time] of day, keeping its date. */
    fun setWindowTime(edge: Edge, time: LocalTime) = moveEdge(edge) { it.with(time) }

    /**
     * Moving the start takes the end along (the window keeps its length, as calendars do);
     * moving the end moves only the end. Either clears what the core said about the window.
     */
    private fun moveEdge(edge: Edge, change: (ZonedDateTime) -> ZonedDateTime) = _state.update { s ->
        val w = s.window ?: return@update s
        val moved = change(w.at(edge, zone)).toEpochSecond()
        val window = when (edge) {
            Edge.START -> Window(moved, w.end + (moved - w.start))
            Edge.END -> w.copy(end = moved)
        }
        s.copy(window = window, fieldErrors = s.fieldErrors - "window_start" - "window_end")
    }

    /** Minutes of flexibility around the window (null: exactly then). */
    fun setFlex(minutes: UInt?) = _state.update { it.copy(flexMinutes = minutes, fieldErrors = it.fieldErrors - "flex_minutes") }

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
                    windowStart = s.window?.start?.toULong(),
                    windowEnd = s.window?.end?.toULong(),
                    flexMinutes = s.flexMinutes,
                ),
            )
            _state.update { it.copy(busy = false, posted = posted) }
        }
    }

    companion object {
        /** The core's names of the time window's inputs. */
        private val WINDOW_INPUTS = listOf("window_start", "window_end", "flex_minutes")

        /** The inputs of this screen that are not market fields. */
        private val INPUTS = listOf("title", "geohash") + WINDOW_INPUTS

        /** The flexibility the form offers besides "exactly then", in minutes. */
        val FLEX_CHOICES: List<UInt> = listOf(15u, 30u, 60u, 120u)

        /** Where each of the core's violations goes on this form. */
        fun fieldErrorsFor(e: UiError, fields: List<FormField>): Map<String, UiError> =
            MarketForms.place(e.violations, fields.map { it.path }, INPUTS)
                .mapValues { (place, vs) -> e.copy(field = place, violations = vs) }
    }
}
