package app.freeport.android.ui.screens

import app.freeport.android.ui.shortKey
import app.freeport.android.ui.BlockDialog
import android.Manifest
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.material3.OutlinedButton
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.core.content.ContextCompat
import app.freeport.android.ui.ltr
import app.freeport.android.ui.QrScanner
import app.freeport.android.ui.errorText
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowForward
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.phoneStatusText
import app.freeport.android.ui.ScreeningCard
import app.freeport.android.ui.rememberScreenModel
import app.freeport.presentation.Core
import app.freeport.presentation.ScreenContactViewModel

/**
 * Check someone before meeting: paste an npub, scan their profile QR code, or come from a deal;
 * verdict, counts, path.
 */
@OptIn(ExperimentalLayoutApi::class) // FlowRow (opt-in kept for older foundation-layout versions)
@Composable
fun ScreenContactRoute(core: Core, nego: String?) {
    val vm = rememberScreenModel("screen-${nego.orEmpty()}") { ScreenContactViewModel(core, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(nego) { if (nego != null && s.screening == null) vm.screenDeal(nego) }
    val context = LocalContext.current
    var cameraAllowed by remember {
        mutableStateOf(ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    var cameraDenied by rememberSaveable { mutableStateOf(false) }
    val askCamera = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        cameraAllowed = granted
        cameraDenied = !granted
        if (granted) vm.startScan()
    }
    val actions = remember(vm) {
        object : ScreenContactActions {
            override fun setInput(text: String) = vm.setInput(text)
            override fun screen() { vm.screen() }
            override fun startScan() = if (cameraAllowed) vm.startScan() else askCamera.launch(Manifest.permission.CAMERA)
            override fun stopScan() = vm.stopScan()
            override fun setBlocked(blocked: Boolean) { vm.setBlocked(blocked) }
        }
    }
    ScreenContactScreen(s, cameraDenied, actions) {
        QrScanner(onFrame = { copy -> vm.onFrame(copy) }, modifier = it)
    }
}

/** What the screening screen can ask for; the route forwards each to [ScreenContactViewModel]. */
interface ScreenContactActions {
    fun setInput(text: String) {}
    fun screen() {}
    fun startScan() {}
    fun stopScan() {}
    fun setBlocked(blocked: Boolean) {}
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun ScreenContactScreen(
    s: ScreenContactViewModel.State,
    cameraDenied: Boolean,
    vm: ScreenContactActions,
    viewfinder: @Composable (Modifier) -> Unit,
) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.screen_title), style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
        OutlinedTextField(s.input, vm::setInput, label = { Text(stringResource(R.string.screen_input)) },
            singleLine = true, modifier = Modifier.fillMaxWidth())
        BusyButton(stringResource(R.string.screen_action), s.busy, { vm.screen() })
        if (s.scanning) {
            Text(stringResource(R.string.screen_scan_aim))
            viewfinder(Modifier.fillMaxWidth().aspectRatio(3f / 4f).background(Color.Black))
            s.hint?.let {
                Text(errorText(it), style = MaterialTheme.typography.bodySmall,
                    modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
            }
            OutlinedButton(onClick = { vm.stopScan() }, modifier = Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.screen_scan_stop))
            }
        } else {
            OutlinedButton(
                onClick = vm::startScan,
                modifier = Modifier.fillMaxWidth(),
            ) { Text(stringResource(R.string.screen_scan)) }
            if (cameraDenied) Text(stringResource(R.string.screen_camera_denied))
        }
        ErrorBanner(s.error)
        val card = s.screening ?: return@Column
        ScreeningCard(card)
        if (card.blocked) Text(stringResource(R.string.deal_blocked_note), color = MaterialTheme.colorScheme.error)
        var confirmBlock by rememberSaveable { mutableStateOf(false) }
        TextButton(onClick = { if (card.blocked) vm.setBlocked(false) else confirmBlock = true }, enabled = !s.busy) {
            Text(stringResource(if (card.blocked) R.string.unblock_them else R.string.block_them))
        }
        if (confirmBlock) {
            BlockDialog(card.name ?: shortKey(card.subjectNpub), onBlock = { confirmBlock = false; vm.setBlocked(true) }, onDismiss = { confirmBlock = false })
        }
        card.phone?.let {
            Text(stringResource(R.string.screen_phone, ltr(it), phoneStatusText(card.phoneStatus)))
        }
        Text(stringResource(R.string.screen_path), style = MaterialTheme.typography.titleMedium)
        if (s.path.isEmpty()) {
            Text(stringResource(R.string.screen_not_connected))
        } else {
            // The path drawn as a chain of names that wraps (long paths, large text); TalkBack
            // reads it as one sentence instead of stopping on every arrow.
            val spoken = stringResource(R.string.screen_path_desc, s.path.joinToString(", ") { it.name })
            FlowRow(
                horizontalArrangement = Arrangement.spacedBy(4.dp),
                verticalArrangement = Arrangement.spacedBy(4.dp),
                modifier = Modifier.clearAndSetSemantics { contentDescription = spoken },
            ) {
                s.path.forEachIndexed { i, step ->
                    if (i > 0) Icon(Icons.AutoMirrored.Filled.ArrowForward, contentDescription = null)
                    Text(step.name, style = MaterialTheme.typography.bodyLarge)
                }
            }
        }
    }
}
