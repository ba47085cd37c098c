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
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
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
import app.freeport.presentation.UiError
import kotlinx.coroutines.launch

/** What the post form can ask for; the route forwards each to [PostIntentViewModel]. */
interface PostActions {
    fun setSide(side: IntentSide) {}
    fun setTitle(title: String) {}
    fun setValue(path: String, value: FieldValue) {}
    fun locate(path: String) {}
    fun setGeohash(geohash: String) {}
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
            override fun submit() { vm.submit() }
        }
    }
    PostScreen(s, actions)
}

@OptIn(ExperimentalLayoutApi::class) // FlowRow (opt-in kept for older foundation-layout versions)
@Composable
fun PostScreen(s: PostIntentViewModel.State, vm: PostActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
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
