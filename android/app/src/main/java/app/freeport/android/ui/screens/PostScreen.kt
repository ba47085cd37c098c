package app.freeport.android.ui.screens

import android.Manifest
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.ScrollState
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.DatePicker
import androidx.compose.material3.DatePickerDialog
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TimePicker
import androidx.compose.material3.TimePickerDialog
import androidx.compose.material3.rememberDatePickerState
import androidx.compose.material3.rememberTimePickerState
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalConfiguration
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.NumberKeyboard
import app.freeport.android.ui.coarseLocation
import app.freeport.android.ui.errorText
import app.freeport.android.ui.rememberScreenModel
import app.freeport.core.IntentSide
import app.freeport.presentation.Core
import app.freeport.presentation.FieldValue
import app.freeport.presentation.FormField
import app.freeport.presentation.InputKind
import app.freeport.presentation.PostIntentViewModel
import app.freeport.presentation.PostIntentViewModel.Edge
import app.freeport.presentation.UiError
import kotlinx.coroutines.launch
import java.time.Instant
import java.time.LocalDate
import java.time.LocalTime
import java.time.ZoneOffset
import java.time.ZonedDateTime
import java.time.format.DateTimeFormatter

/** What the post form can ask for; the route forwards each to [PostIntentViewModel]. */
interface PostActions {
    fun setSide(side: IntentSide) {}
    fun setTitle(title: String) {}
    fun setValue(path: String, value: FieldValue) {}
    fun locate(path: String) {}
    fun setGeohash(geohash: String) {}
    fun addWindow() {}
    fun removeWindow() {}
    fun setWindowDate(edge: Edge, date: LocalDate) {}
    fun setWindowTime(edge: Edge, time: LocalTime) {}
    fun setFlex(minutes: UInt?) {}
    fun submit() {}
}

/** The post form, generated from the market's form hints; errors come from the core's schema check. */
@Composable
fun PostRoute(core: Core, market: String, onPosted: () -> Unit) {
    val vm = rememberScreenModel("post-$market") { PostIntentViewModel(core, market, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { if (s.market == null) vm.load() }
    LaunchedEffect(s.posted) { if (s.posted != null) onPosted() }
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var locating by remember { mutableStateOf<String?>(null) }
    val askLocation = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        val path = locating
        if (granted && path != null) {
            scope.launch { coarseLocation(context)?.let { vm.locate(path, it.latitude, it.longitude) } }
        }
    }
    val actions = remember(vm) {
        object : PostActions {
            override fun setSide(side: IntentSide) = vm.setSide(side)
            override fun setTitle(title: String) = vm.setTitle(title)
            override fun setValue(path: String, value: FieldValue) = vm.setValue(path, value)
            override fun locate(path: String) {
                locating = path
                askLocation.launch(Manifest.permission.ACCESS_COARSE_LOCATION)
            }
            override fun setGeohash(geohash: String) = vm.setGeohash(geohash)
            override fun addWindow() = vm.addWindow()
            override fun removeWindow() = vm.removeWindow()
            override fun setWindowDate(edge: Edge, date: LocalDate) = vm.setWindowDate(edge, date)
            override fun setWindowTime(edge: Edge, time: LocalTime) = vm.setWindowTime(edge, time)
            override fun setFlex(minutes: UInt?) = vm.setFlex(minutes)
            override fun submit() { vm.submit() }
        }
    }
    PostScreen(s, actions)
}

@OptIn(ExperimentalLayoutApi::class) // FlowRow (opt-in kept for older foundation-layout versions)
@Composable
fun PostScreen(s: PostIntentViewModel.State, vm: PostActions, scroll: ScrollState = rememberScrollState()) {
    Column(
        Modifier.fillMaxSize().verticalScroll(scroll).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.post_title, s.market?.title.orEmpty()), style = MaterialTheme.typography.headlineSmall,
            modifier = Modifier.semantics { heading() })
        Text(stringResource(R.string.post_side))
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            FilterChip(s.side == IntentSide.OFFER, { vm.setSide(IntentSide.OFFER) }, { Text(stringResource(R.string.post_side_offer)) })
            FilterChip(s.side == IntentSide.REQUEST, { vm.setSide(IntentSide.REQUEST) }, { Text(stringResource(R.string.post_side_request)) })
        }
        LabeledField(s.title, vm::setTitle, stringResource(R.string.post_headline), s.fieldErrors["title"])
        s.fields.forEach { f ->
            FieldInput(f, s.values[f.path], s.fieldErrors[f.path], onChange = { vm.setValue(f.path, it) }) { vm.locate(f.path) }
        }
        WhenSection(s, vm)
        LabeledField(s.geohash, vm::setGeohash, stringResource(R.string.post_area), s.fieldErrors["geohash"])
        ErrorBanner(s.fieldErrors[""])
        ErrorBanner(s.error)
        BusyButton(stringResource(R.string.post_submit), s.busy, vm::submit, Modifier.fillMaxWidth())
    }
}

@Composable
private fun LabeledField(value: String, onChange: (String) -> Unit, label: String, error: UiError?, minLines: Int = 1) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        isError = error != null,
        supportingText = if (error != null) {
            { Text(errorText(error)) }
        } else {
            null
        },
        minLines = minLines,
        modifier = Modifier.fillMaxWidth(),
    )
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun FieldInput(f: FormField, value: FieldValue?, error: UiError?, onChange: (FieldValue) -> Unit, onLocate: () -> Unit) {
    val label = if (f.required) "${f.label} (${stringResource(R.string.required)})" else f.label
    when (f.input) {
        InputKind.LOCATION -> {
            val place = value as? FieldValue.Place ?: FieldValue.Place("", "")
            Text(label, style = MaterialTheme.typography.titleSmall)
            LabeledField(place.name, { onChange(place.copy(name = it)) }, f.placeholder ?: stringResource(R.string.post_place_name), error)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(place.geohash, { onChange(place.copy(geohash = it)) },
                    label = { Text(stringResource(R.string.post_place_geohash)) }, singleLine = true)
                OutlinedButton(onClick = onLocate) { Text(stringResource(R.string.post_use_location)) }
            }
        }
        InputKind.SELECT -> {
            val current = (value as? FieldValue.Text)?.text.orEmpty()
            Text(label, style = MaterialTheme.typography.titleSmall)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                f.options.forEach { o ->
                    FilterChip(current == o.value, { onChange(FieldValue.Text(if (current == o.value) "" else o.value)) }, { Text(o.label) })
                }
            }
            ErrorBanner(error)
        }
        else -> {
            val text = (value as? FieldValue.Text)?.text.orEmpty()
            val hint = if (f.input == InputKind.IMAGES) stringResource(R.string.post_images_hint) else f.placeholder
            OutlinedTextField(
                value = text,
                onValueChange = { onChange(FieldValue.Text(it)) },
                label = { Text(label) },
                placeholder = if (hint != null) {
                    { Text(hint) }
                } else {
                    null
                },
                isError = error != null,
                supportingText = if (error != null) {
            { Text(errorText(error)) }
        } else {
            null
        },
                minLines = if (f.input == InputKind.MULTILINE || f.input == InputKind.IMAGES) 3 else 1,
                keyboardOptions = if (f.input == InputKind.NUMBER) NumberKeyboard else androidx.compose.foundation.text.KeyboardOptions.Default,
                modifier = Modifier.fillMaxWidth(),
            )
        }
    }
}

/**
 * When (optional): the window's start and end, each a date and a time picked with the platform's
 * pickers in the phone's zone, and the flexibility around it. What is wrong with the window is
 * the core's to say; it shows under the end it concerns.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun WhenSection(s: PostIntentViewModel.State, vm: PostActions) {
    Text(stringResource(R.string.post_when), style = MaterialTheme.typography.titleSmall)
    val w = s.window
    if (w == null) {
        OutlinedButton(onClick = vm::addWindow) { Text(stringResource(R.string.post_when_add)) }
        return
    }
    WindowEdge(stringResource(R.string.post_when_start), w.at(Edge.START, s.zone), s.fieldErrors["window_start"],
        { vm.setWindowDate(Edge.START, it) }, { vm.setWindowTime(Edge.START, it) })
    WindowEdge(stringResource(R.string.post_when_end), w.at(Edge.END, s.zone), s.fieldErrors["window_end"],
        { vm.setWindowDate(Edge.END, it) }, { vm.setWindowTime(Edge.END, it) })
    Text(stringResource(R.string.post_flex), style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        FilterChip(s.flexMinutes == null, { vm.setFlex(null) }, { Text(stringResource(R.string.post_flex_none)) })
        PostIntentViewModel.FLEX_CHOICES.forEach { m ->
            FilterChip(s.flexMinutes == m, { vm.setFlex(m) }, {
                Text(pluralStringResource(R.plurals.post_flex_minutes, m.toInt(), m.toInt()))
            })
        }
    }
    ErrorBanner(s.fieldErrors["flex_minutes"])
    TextButton(onClick = vm::removeWindow) { Text(stringResource(R.string.post_when_remove)) }
}

/** One end of the window: its label, a date button and a time button (each opens its picker), and the core's word on it. */
@OptIn(ExperimentalLayoutApi::class, ExperimentalMaterial3Api::class)
@Composable
private fun WindowEdge(label: String, at: ZonedDateTime, error: UiError?, onDate: (LocalDate) -> Unit, onTime: (LocalTime) -> Unit) {
    var picking by remember { mutableStateOf<Picker?>(null) }
    val context = LocalContext.current
    val locale = LocalConfiguration.current.locales[0]
    val h24 = android.text.format.DateFormat.is24HourFormat(context)
    val dateText = at.format(DateTimeFormatter.ofPattern(android.text.format.DateFormat.getBestDateTimePattern(locale, "yMMMEd"), locale))
    val timeText = at.format(DateTimeFormatter.ofPattern(android.text.format.DateFormat.getBestDateTimePattern(locale, if (h24) "Hm" else "hm"), locale))
    Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Text(label, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { picking = Picker.DATE }) { Text(dateText) }
            OutlinedButton(onClick = { picking = Picker.TIME }) { Text(timeText) }
        }
        ErrorBanner(error)
    }
    when (picking) {
        Picker.DATE -> {
            // The Material date picker works in UTC midnights; the date itself is the local one.
            val state = rememberDatePickerState(at.toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli())
            DatePickerDialog(
                onDismissRequest = { picking = null },
                confirmButton = {
                    TextButton(onClick = {
                        state.selectedDateMillis?.let { onDate(Instant.ofEpochMilli(it).atZone(ZoneOffset.UTC).toLocalDate()) }
                        picking = null
                    }) { Text(stringResource(R.string.done)) }
                },
                dismissButton = { TextButton(onClick = { picking = null }) { Text(stringResource(R.string.cancel)) } },
            ) { DatePicker(state) }
        }
        Picker.TIME -> {
            val state = rememberTimePickerState(at.hour, at.minute, h24)
            TimePickerDialog(
                onDismissRequest = { picking = null },
                confirmButton = {
                    TextButton(onClick = {
                        onTime(LocalTime.of(state.hour, state.minute))
                        picking = null
                    }) { Text(stringResource(R.string.done)) }
                },
                title = { Text(label) },
                dismissButton = { TextButton(onClick = { picking = null }) { Text(stringResource(R.string.cancel)) } },
            ) { TimePicker(state) }
        }
        null -> Unit
    }
}

private enum class Picker { DATE, TIME }
