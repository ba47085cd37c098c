package app.freeport.android.ui.screens

import android.Manifest
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
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
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.semantics.stateDescription
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.VerdictChip
import app.freeport.android.ui.coarseLocation
import app.freeport.android.ui.rememberScreenModel
import app.freeport.core.IntentView
import app.freeport.presentation.BrowseViewModel
import app.freeport.presentation.Core
import app.freeport.presentation.MarketForms
import kotlinx.coroutines.launch

/** Markets and "Browse near me"; each intent carries its author's screening badge. */
@Composable
fun BrowseScreen(core: Core, onPost: (String) -> Unit, onOpenDeal: (String) -> Unit, onOpenMine: (String) -> Unit) {
    val vm = rememberScreenModel("browse") { BrowseViewModel(core, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var locationDenied by rememberSaveable { mutableStateOf(false) }
    var countering by remember { mutableStateOf<IntentView?>(null) }

    LaunchedEffect(Unit) { vm.load().join(); vm.refresh() }
    LaunchedEffect(s.opened) { s.opened?.let { vm.openedShown(); onOpenDeal(it.nego) } }

    val askLocation = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        locationDenied = !granted
        if (granted) {
            scope.launch { coarseLocation(context)?.let { vm.useLocation(it.latitude, it.longitude) } }
        }
    }

    Column(Modifier.fillMaxSize().padding(horizontal = 16.dp)) {
        Row(Modifier.horizontalScroll(rememberScrollState()), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            s.markets.forEach { m ->
                FilterChip(selected = s.market?.topic == m.topic, onClick = { vm.select(m.topic) }, label = { Text(m.title) })
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { askLocation.launch(Manifest.permission.ACCESS_COARSE_LOCATION) }) {
                Icon(Icons.Filled.MyLocation, contentDescription = null)
                Text(stringResource(R.string.browse_near_me))
            }
            var manual by rememberSaveable { mutableStateOf("") }
            OutlinedTextField(
                value = if (s.areaSource == BrowseViewModel.AreaSource.LOCATION) s.area.orEmpty() else manual,
                onValueChange = { manual = it; vm.setManualArea(it) },
                label = { Text(stringResource(R.string.browse_area_label)) },
                singleLine = true,
                modifier = Modifier.weight(1f),
            )
        }
        if (locationDenied) Text(stringResource(R.string.browse_location_denied), style = MaterialTheme.typography.bodySmall)
        val sizeLabel = precisionLabel(s.precision)
        val precisionDesc = stringResource(R.string.browse_precision_desc)
        Text(stringResource(R.string.browse_precision, sizeLabel))
        Slider(
            value = s.precision.toFloat(),
            onValueChange = { vm.setPrecision(it.toInt()) },
            valueRange = 2f..7f,
            steps = 4,
            modifier = Modifier.semantics { contentDescription = precisionDesc; stateDescription = sizeLabel },
        )
        Text(stringResource(R.string.browse_radius, s.radius))
        Slider(
            value = s.radius.toFloat(),
            onValueChange = { vm.setRadius(it.toInt()) },
            valueRange = 0f..BrowseViewModel.MAX_RADIUS.toFloat(),
            steps = BrowseViewModel.MAX_RADIUS - 1,
        )
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            s.market?.let { m ->
                OutlinedButton(onClick = { onPost(m.topic) }) {
                    Icon(Icons.Filled.Add, contentDescription = null)
                    Text(stringResource(R.string.browse_post))
                }
            }
            IconButton(onClick = { vm.refresh() }) {
                Icon(Icons.Filled.Refresh, contentDescription = stringResource(R.string.browse_refresh))
            }
        }
        if (s.loading) LinearProgressIndicator(Modifier.fillMaxWidth())
        ErrorBanner(s.error)
        if (s.intents.isEmpty() && !s.loading) Text(stringResource(R.string.browse_empty))
        LazyColumn(verticalArrangement = Arrangement.spacedBy(8.dp)) {
            items(s.intents, key = { it.id }) { i ->
                IntentCard(
                    i,
                    onAccept = { vm.respond(i.id) },
                    onCounter = { countering = i },
                    onMine = { onOpenMine(i.id) },
                )
            }
        }
    }

    countering?.let { intent ->
        CounterDialog(
            termsJson = intent.payloadJson,
            onDismiss = { countering = null },
            onSend = { changes -> countering = null; vm.respond(intent.id, changes) },
        )
    }
}

@Composable
private fun precisionLabel(p: Int): String = when (p) {
    2 -> "≈ 1 250 km"
    3 -> "≈ 156 km"
    4 -> "≈ 39 km"
    5 -> "≈ 5 km"
    6 -> "≈ 1.2 km"
    else -> "≈ 150 m"
}

@Composable
private fun IntentCard(i: IntentView, onAccept: () -> Unit, onCounter: () -> Unit, onMine: () -> Unit) {
    Card(Modifier.fillMaxWidth().clickable(enabled = i.mine, onClick = onMine)) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(
                    stringResource(if (i.side == "offer") R.string.intent_offer else R.string.intent_request),
                    style = MaterialTheme.typography.labelLarge,
                )
                Text(i.title, style = MaterialTheme.typography.titleMedium)
            }
            MarketForms.lines(i.payloadJson).take(4).forEach { (k, v) -> Text("$k: $v", style = MaterialTheme.typography.bodySmall) }
            if (i.mine) {
                Text(stringResource(R.string.intent_mine), style = MaterialTheme.typography.labelMedium)
            } else {
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    VerdictChip(i.verdict)
                    Text(i.badge, style = MaterialTheme.typography.bodySmall)
                }
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    TextButton(onClick = onAccept) { Text(stringResource(R.string.intent_accept)) }
                    TextButton(onClick = onCounter) { Text(stringResource(R.string.intent_counter)) }
                }
            }
        }
    }
}

/** Edits the top-level terms of an intent or a deal, for a counter-offer. */
@Composable
fun CounterDialog(termsJson: String, onDismiss: () -> Unit, onSend: (Map<String, String>) -> Unit) {
    val lines = remember(termsJson) { MarketForms.lines(termsJson) }
    val edits = remember { mutableStateMapOf<String, String>() }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.intent_counter)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                lines.forEach { (k, v) ->
                    OutlinedTextField(edits[k] ?: v, { edits[k] = it }, label = { Text(k) }, singleLine = true)
                }
            }
        },
        confirmButton = {
            TextButton(onClick = { onSend(edits.filter { (k, v) -> lines.firstOrNull { it.first == k }?.second != v }) }) {
                Text(stringResource(R.string.deal_counter))
            }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}
