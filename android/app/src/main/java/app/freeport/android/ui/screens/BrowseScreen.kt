package app.freeport.android.ui.screens

import android.Manifest
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.MyLocation
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Card
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Slider
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateMapOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.semantics.stateDescription
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.core.IntentSide
import app.freeport.core.IntentAction
import app.freeport.android.ui.TermEditor
import app.freeport.android.ui.badgeText
import app.freeport.android.ui.distanceText
import app.freeport.android.ui.TermLines
import app.freeport.android.ui.WindowLine
import app.freeport.android.ui.relativeTimeText
import app.freeport.android.R
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.VerdictChip
import app.freeport.android.ui.coarseLocation
import app.freeport.android.ui.rememberScreenModel
import app.freeport.core.IntentView
import app.freeport.core.TermView
import app.freeport.presentation.BrowseViewModel
import app.freeport.presentation.Core
import kotlinx.coroutines.launch
import kotlin.math.roundToInt

/** What the Browse screen can ask for; the route forwards each to [BrowseViewModel]. */
interface BrowseActions {
    fun select(topic: String) {}
    fun nearMe() {}
    fun setManualArea(area: String) {}
    fun setPrecision(p: Int) {}
    fun setRadius(r: Int) {}
    fun refresh() {}
    fun post(topic: String) {}
    fun respond(intentId: String, changes: Map<String, String> = emptyMap()) {}
    fun openMine(intentId: String) {}
}

/** Browse wired to its view model: loading, location permission, navigation. */
@Composable
fun BrowseRoute(core: Core, onPost: (String) -> Unit, onOpenDeal: (String) -> Unit, onOpenMine: (String) -> Unit) {
    val vm = rememberScreenModel("browse") { BrowseViewModel(core, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var locationDenied by rememberSaveable { mutableStateOf(false) }

    LaunchedEffect(Unit) { vm.load().join(); vm.refresh() }
    LaunchedEffect(s.opened) { s.opened?.let { vm.openedShown(); onOpenDeal(it.nego) } }

    val askLocation = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        locationDenied = !granted
        if (granted) {
            scope.launch { coarseLocation(context)?.let { vm.useLocation(it.latitude, it.longitude) } }
        }
    }
    val actions = remember(vm) {
        object : BrowseActions {
            override fun select(topic: String) { vm.select(topic) }
            override fun nearMe() = askLocation.launch(Manifest.permission.ACCESS_COARSE_LOCATION)
            override fun setManualArea(area: String) { vm.setManualArea(area) }
            override fun setPrecision(p: Int) { vm.setPrecision(p) }
            override fun setRadius(r: Int) { vm.setRadius(r) }
            override fun refresh() { vm.refresh() }
            override fun post(topic: String) = onPost(topic)
            override fun respond(intentId: String, changes: Map<String, String>) { vm.respond(intentId, changes) }
            override fun openMine(intentId: String) = onOpenMine(intentId)
        }
    }
    BrowseScreen(s, locationDenied, actions)
}

/** Markets and "Browse near me"; each intent carries its author's screening badge. */
@OptIn(ExperimentalLayoutApi::class) // FlowRow (opt-in kept for older foundation-layout versions)
@Composable
fun BrowseScreen(s: BrowseViewModel.State, locationDenied: Boolean, on: BrowseActions) {
    var countering by remember { mutableStateOf<IntentView?>(null) }
    // One lazy list for everything, controls included: with a large font scale the controls can
    // fill the screen, and they must scroll away rather than squeeze the results to nothing.
    var manual by rememberSaveable { mutableStateOf("") }
    val sizeLabel = precisionLabel(s.precision)
    val precisionDesc = stringResource(R.string.browse_precision_desc)
    val radiusDesc = stringResource(R.string.browse_radius_desc)
    LazyColumn(
        Modifier.fillMaxSize(),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        item {
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                s.markets.forEach { m ->
                    FilterChip(selected = s.market?.topic == m.topic, onClick = { on.select(m.topic) }, label = { Text(m.title) })
                }
            }
        }
        item {
            FlowRow(
                horizontalArrangement = Arrangement.spacedBy(8.dp),
                verticalArrangement = Arrangement.spacedBy(8.dp),
                itemVerticalAlignment = Alignment.CenterVertically,
            ) {
                OutlinedButton(onClick = on::nearMe) {
                    Icon(Icons.Filled.MyLocation, contentDescription = null, modifier = Modifier.padding(end = 8.dp))
                    Text(stringResource(R.string.browse_near_me))
                }
                OutlinedTextField(
                    value = if (s.areaSource == BrowseViewModel.AreaSource.LOCATION) s.area.orEmpty() else manual,
                    onValueChange = { manual = it; on.setManualArea(it) },
                    label = { Text(stringResource(R.string.browse_area_label)) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
            }
        }
        if (locationDenied) {
            item { Text(stringResource(R.string.browse_location_denied), style = MaterialTheme.typography.bodySmall) }
        }
        item {
            Column {
                Text(stringResource(R.string.browse_precision, sizeLabel))
                Slider(
                    value = s.precision.toFloat(),
                    onValueChange = { on.setPrecision(it.roundToInt()) },
                    valueRange = 2f..7f,
                    steps = 4,
                    modifier = Modifier.semantics { contentDescription = precisionDesc; stateDescription = sizeLabel },
                )
                Text(stringResource(R.string.browse_radius, s.radius))
                Slider(
                    value = s.radius.toFloat(),
                    onValueChange = { on.setRadius(it.roundToInt()) },
                    valueRange = 0f..BrowseViewModel.MAX_RADIUS.toFloat(),
                    steps = BrowseViewModel.MAX_RADIUS - 1,
                    modifier = Modifier.semantics { contentDescription = radiusDesc },
                )
            }
        }
        item {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                s.market?.let { m ->
                    OutlinedButton(onClick = { on.post(m.topic) }) {
                        Icon(Icons.Filled.Add, contentDescription = null, modifier = Modifier.padding(end = 8.dp))
                        Text(stringResource(R.string.browse_post))
                    }
                }
                IconButton(onClick = on::refresh) {
                    Icon(Icons.Filled.Refresh, contentDescription = stringResource(R.string.browse_refresh))
                }
            }
        }
        if (s.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        item { ErrorBanner(s.error) }
        if (s.intents.isEmpty() && !s.loading) item { Text(stringResource(R.string.browse_empty)) }
        items(s.intents, key = { it.id }) { i ->
            IntentCard(
                i,
                onAccept = { on.respond(i.id) },
                onCounter = { countering = i },
                onMine = { on.openMine(i.id) },
            )
        }
    }

    countering?.let { intent ->
        CounterDialog(
            terms = intent.terms,
            onDismiss = { countering = null },
            onSend = { changes -> countering = null; on.respond(intent.id, changes) },
        )
    }
}

/** "about 39 km", "about 150 m": the cell size in the user's units and digits. */
@Composable
private fun precisionLabel(p: Int): String = stringResource(R.string.area_about, distanceText(BrowseViewModel.cellKm(p)))

@Composable
private fun IntentCard(i: IntentView, onAccept: () -> Unit, onCounter: () -> Unit, onMine: () -> Unit) {
    Card(Modifier.fillMaxWidth().clickable(enabled = i.mine, onClick = onMine)) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(
                    stringResource(if (i.side == IntentSide.OFFER) R.string.intent_offer else R.string.intent_request),
                    style = MaterialTheme.typography.labelLarge,
                )
                Text(i.title, style = MaterialTheme.typography.titleMedium)
            }
            TermLines(i.terms, MaterialTheme.typography.bodySmall, max = 4)
            WindowLine(i.windowStart, i.windowEnd, i.flexMinutes, MaterialTheme.typography.bodySmall)
            Text(stringResource(R.string.intent_expires, relativeTimeText(i.expiresAt.toLong())), style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.onSurfaceVariant)
            if (i.mine) {
                Text(stringResource(R.string.intent_mine), style = MaterialTheme.typography.labelMedium)
            } else {
                i.badge?.let { b ->
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        VerdictChip(b.verdict)
                        Text(badgeText(b), style = MaterialTheme.typography.bodySmall)
                    }
                }
            }
            // Exactly what the core offers on this intent.
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                if (IntentAction.ACCEPT in i.actions) TextButton(onClick = onAccept) { Text(stringResource(R.string.intent_accept)) }
                if (IntentAction.COUNTER in i.actions) TextButton(onClick = onCounter) { Text(stringResource(R.string.intent_counter)) }
            }
        }
    }
}

/**
 * Edits the terms of an intent for a counter-offer: one field per term that text can edit,
 * labelled as the market labels it, starting from the term's text as typed. Sends the changed
 * ones, by the term's path.
 */
@Composable
fun CounterDialog(terms: List<TermView>, onDismiss: () -> Unit, onSend: (Map<String, String>) -> Unit) {
    val editable = remember(terms) { terms.filter { it.editText != null } }
    val edits = remember { mutableStateMapOf<String, String>() }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.intent_counter)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                editable.forEach { t ->
                    TermEditor(t, edits[t.path] ?: t.editText.orEmpty(), { edits[t.path] = it })
                }
            }
        },
        confirmButton = {
            TextButton(onClick = { onSend(edits.filter { (path, v) -> editable.firstOrNull { it.path == path }?.editText != v }) }) {
                Text(stringResource(R.string.action_counter))
            }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}
