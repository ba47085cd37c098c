package app.freeport.presentation

import app.freeport.core.DealView
import app.freeport.core.EntryValue
import app.freeport.core.FormEntry
import app.freeport.core.IntentView
import app.freeport.core.MarketView
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/**
 * Markets and "Browse near me": the market list, then the intents of one market around an area.
 * The area is a geohash computed by the core from the phone's location at the precision the user
 * picks (coarser = wider, more private), or typed by hand.
 */
class BrowseViewModel(private val core: Core, scope: CoroutineScope) : ScreenModel(scope) {

    /** Where the search area came from. */
    enum class AreaSource { NONE, LOCATION, MANUAL }

    /** What the markets / browse screens render. */
    data class State(
        val markets: List<MarketView> = emptyList(),
        val market: MarketView? = null,
        /** Geohash precision for "near me" (1 = continent … 9 = a few metres). */
        val precision: Int = DEFAULT_PRECISION,
        val area: String? = null,
        val areaSource: AreaSource = AreaSource.NONE,
        /** Neighbouring cells to include around the area (0 = the cell only). */
        val radius: Int = 1,
        val intents: List<IntentView> = emptyList(),
        val loading: Boolean = false,
        val error: UiError? = null,
        /** The thread my response opened (the screen navigates to it). */
        val opened: DealView? = null,
    )

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()
    private var lastLocation: Pair<Double, Double>? = null
    private var query: Job? = null

    /**
     * Runs a browse query, cancelling the one still in flight: typing an area or dragging a
     * slider starts a query per change, and a slow older answer must never replace the newer one
     * on screen (nor keep the relays busy).
     */
    private fun query(block: suspend () -> Unit): Job {
        query?.cancel()
        return action(::fail, block).also { query = it }
    }

    private fun fail(e: UiError) = _state.update { it.copy(loading = false, error = e) }

    /** Loads the market list. */
    fun load(): Job = action(::fail) {
        val markets = core.markets()
        // The selected market again from the fresh list: after a language change it reads in
        // the new language.
        _state.update { s ->
            s.copy(markets = markets, market = s.market?.let { m -> markets.firstOrNull { it.topic == m.topic } } ?: markets.firstOrNull())
        }
    }

    /** Chooses a market by topic and browses it. */
    fun select(topic: String): Job? {
        val m = _state.value.markets.firstOrNull { it.topic == topic } ?: return null
        _state.update { it.copy(market = m, intents = emptyList()) }
        return refresh()
    }

    /** Uses the phone's location (the app asks for coarse location permission first). */
    fun useLocation(lat: Double, lon: Double): Job {
        lastLocation = lat to lon
        return query {
            val g = core.geohashFor(lat, lon, _state.value.precision)
            _state.update { it.copy(area = g, areaSource = AreaSource.LOCATION, error = null) }
            refreshNow()
        }
    }

    /** Changes the precision; a location-derived area is recomputed at the new precision. */
    fun setPrecision(precision: Int): Job? {
        _state.update { it.copy(precision = precision.coerceIn(MIN_PRECISION, MAX_PRECISION)) }
        val loc = lastLocation
        return if (_state.value.areaSource == AreaSource.LOCATION && loc != null) useLocation(loc.first, loc.second) else null
    }

    /** A typed area (a geohash, validated by the core when browsing); blank clears the area. */
    fun setManualArea(text: String): Job {
        val t = text.trim().lowercase()
        _state.update {
            it.copy(area = t.ifEmpty { null }, areaSource = if (t.isEmpty()) AreaSource.NONE else AreaSource.MANUAL)
        }
        return refresh()
    }

    /** Cells around the area to include. */
    fun setRadius(radius: Int): Job {
        _state.update { it.copy(radius = radius.coerceIn(0, MAX_RADIUS)) }
        return refresh()
    }

    /** Re-queries the relays (when online) and the local store. */
    fun refresh(): Job = query { refreshNow() }

    /**
     * Responds to someone's intent: accept its terms as posted, or counter with [changes] to some
     * of them (a term's path, as in [IntentView.terms] → the text typed). Opens the negotiation
     * thread.
     */
    fun respond(intentId: String, changes: Map<String, String> = emptyMap()): Job = action(::fail) {
        val deal = if (changes.isEmpty()) {
            core.respondAccept(intentId)
        } else {
            core.respondCounterForm(intentId, changes.map { (path, v) -> FormEntry(path, EntryValue.Text(v)) })
        }
        _state.update { it.copy(opened = deal) }
    }

    /** The screen navigated to [State.opened]. */
    fun openedShown() = _state.update { it.copy(opened = null) }

    private suspend fun refreshNow() {
        val s = _state.value
        val market = s.market ?: return
        _state.update { it.copy(loading = true, error = null) }
        val intents = core.browse(market.topic, s.area, s.radius)
        _state.update { it.copy(loading = false, intents = intents) }
    }

    companion object {
        const val DEFAULT_PRECISION = 5
        const val MIN_PRECISION = 1
        const val MAX_PRECISION = 9
        const val MAX_RADIUS = 3

        /**
         * The approximate size of a geohash cell at each precision (1..9), in km, for the
         * "area size" slider; the UI formats it in the user's units (a fact of geohash geometry:
         * a cell is about this wide at the equator).
         */
        val CELL_KM = doubleArrayOf(5000.0, 1250.0, 156.0, 39.0, 4.9, 1.2, 0.153, 0.038, 0.0048)

        /** [CELL_KM] for [precision], clamped to 1..9. */
        fun cellKm(precision: Int): Double = CELL_KM[precision.coerceIn(MIN_PRECISION, MAX_PRECISION) - 1]
    }
}
