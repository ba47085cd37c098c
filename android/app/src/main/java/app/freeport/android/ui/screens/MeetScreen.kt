package app.freeport.android.ui.screens

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.BitmapFactory
import android.os.Build
import android.view.HapticFeedbackConstants
import android.view.WindowManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.FilterQuality
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalView
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextDirection
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.findActivity
import app.freeport.android.ui.errorText
import app.freeport.android.ui.QrScanner
import app.freeport.android.ui.rememberScreenModel
import app.freeport.presentation.Core
import app.freeport.presentation.MeetViewModel
import app.freeport.presentation.MeetViewModel.Mode

/** What the meet screen can ask for; the route forwards each to [MeetViewModel]. */
interface MeetActions {
    fun show() {}
    fun scan() {}
    fun pasted(text: String) {}
    fun rate() {}
}

/** Meet in person: show a rotating code (full brightness, countdown) or scan one. Works offline. */
@Composable
fun MeetRoute(core: Core, nego: String, onRate: () -> Unit) {
    val vm = rememberScreenModel("meet-$nego") { MeetViewModel(core, nego, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val view = LocalView.current
    var cameraAllowed by remember {
        mutableStateOf(ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    var cameraDenied by rememberSaveable { mutableStateOf(false) }
    val askCamera = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        cameraAllowed = granted
        cameraDenied = !granted
        if (granted) vm.scan()
    }
    LaunchedEffect(Unit) { vm.load() }
    // Haptic confirmation the moment a scan succeeds — once per outcome, not again after a
    // rotation or when the screen is re-entered (the flag survives configuration changes).
    var confirmedFor by rememberSaveable { mutableStateOf<String?>(null) }
    LaunchedEffect(s.outcome) {
        val o = s.outcome ?: return@LaunchedEffect
        val key = o.sasWords.joinToString(" ")
        if (confirmedFor != key) {
            confirmedFor = key
            view.performHapticFeedback(
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) HapticFeedbackConstants.CONFIRM else HapticFeedbackConstants.LONG_PRESS,
            )
        }
    }
    if (s.mode == Mode.SHOW || s.outcome?.returnPng != null) FullBrightness()
    val actions = remember(vm) {
        object : MeetActions {
            override fun show() { vm.show() }
            override fun scan() = if (cameraAllowed) vm.scan() else askCamera.launch(Manifest.permission.CAMERA)
            override fun pasted(text: String) { vm.onText(text) }
            override fun rate() = onRate()
        }
    }
    MeetScreen(s, cameraDenied, actions) {
        QrScanner(onFrame = { copy -> vm.onFrame(copy) }, modifier = it)
    }
}

/**
 * The meet screen for a state. [viewfinder] draws the camera (the route passes the camera2
 * scanner; a screenshot passes a stand-in, there being no camera on the JVM).
 */
@Composable
fun MeetScreen(
    s: MeetViewModel.State,
    cameraDenied: Boolean,
    vm: MeetActions,
    viewfinder: @Composable (Modifier) -> Unit,
) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.meet_title), style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
        Text(stringResource(R.string.meet_offline_note), style = MaterialTheme.typography.bodyMedium)
        ErrorBanner(s.error)
        when (s.mode) {
            Mode.IDLE -> {
                Button(onClick = vm::show, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.meet_show)) }
                OutlinedButton(onClick = vm::scan, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.meet_scan)) }
                if (cameraDenied) Text(stringResource(R.string.meet_camera_denied))
                PasteCode(vm)
            }
            Mode.SHOW -> {
                s.code?.let { code ->
                    QrImage(code.png, stringResource(R.string.meet_code_desc))
                    val total = (code.refreshAt.toLong() - code.createdAt.toLong()).coerceAtLeast(1)
                    LinearProgressIndicator(
                        progress = { (s.secondsToRefresh.toFloat() / total).coerceIn(0f, 1f) },
                        modifier = Modifier.fillMaxWidth(),
                    )
                    val secs = s.secondsToRefresh.toInt()
                    Text(pluralStringResource(R.plurals.meet_refresh_in, secs, secs))
                }
                OutlinedButton(onClick = vm::scan, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.meet_scan_return)) }
            }
            Mode.SCAN -> {
                Text(stringResource(R.string.meet_aim))
                viewfinder(Modifier.fillMaxWidth().aspectRatio(3f / 4f).background(Color.Black))
                // Why the last frame gave nothing (the core's reason), under a localised heading;
                // polite, so TalkBack does not interrupt the user while aiming.
                s.hint?.let { Text(errorText(it), style = MaterialTheme.typography.bodyMedium,
                    modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
                PasteCode(vm)
            }
            Mode.DONE -> {
                val o = s.outcome
                if (o != null) {
                    Text(stringResource(R.string.meet_words))
                    // The words are the core's fixed English list, in its order, on both phones: laid
                    // out left to right in a right-to-left UI too.
                    Text(o.sasWords.joinToString("  ·  "), style = MaterialTheme.typography.headlineMedium.copy(textDirection = TextDirection.Ltr),
                        modifier = Modifier.semantics { liveRegion = LiveRegionMode.Assertive })
                    Text(stringResource(R.string.meet_words_fixed), style = MaterialTheme.typography.bodySmall,
                        color = MaterialTheme.colorScheme.onSurfaceVariant)
                    o.returnPng?.let { png ->
                        Text(stringResource(R.string.meet_show_return))
                        QrImage(png, stringResource(R.string.meet_return_desc))
                    }
                }
                Text(stringResource(R.string.meet_met))
                Button(onClick = vm::rate, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.action_rate)) }
            }
        }
    }
}

@Composable
private fun PasteCode(vm: MeetActions) {
    var text by rememberSaveable { mutableStateOf("") }
    OutlinedTextField(text, { text = it }, label = { Text(stringResource(R.string.meet_paste)) }, modifier = Modifier.fillMaxWidth())
    OutlinedButton(onClick = { vm.pasted(text) }, enabled = text.isNotBlank()) { Text(stringResource(R.string.meet_paste_action)) }
}

/** The QR, pixel-exact (no smoothing) on a white quiet zone, so it scans in sunlight. */
@Composable
internal fun QrImage(png: ByteArray, description: String) {
    val bitmap = remember(png) { BitmapFactory.decodeByteArray(png, 0, png.size)?.asImageBitmap() } ?: return
    Image(
        bitmap = bitmap,
        contentDescription = description,
        filterQuality = FilterQuality.None,
        modifier = Modifier.fillMaxWidth().aspectRatio(1f).background(Color.White),
    )
}

/** Full screen brightness and screen kept on while the composable is shown. */
@Composable
private fun FullBrightness() {
    val activity = LocalContext.current.findActivity() ?: return
    DisposableEffect(activity) {
        val window = activity.window
        val previous = window.attributes.screenBrightness
        window.attributes = window.attributes.apply { screenBrightness = WindowManager.LayoutParams.BRIGHTNESS_OVERRIDE_FULL }
        window.addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        onDispose {
            window.attributes = window.attributes.apply { screenBrightness = previous }
            window.clearFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        }
    }
}
