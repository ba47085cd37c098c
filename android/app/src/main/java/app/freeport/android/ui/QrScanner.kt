package app.freeport.android.ui

import android.util.Size
import androidx.camera.core.Camera
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.FlashOff
import androidx.compose.material.icons.filled.FlashOn
import androidx.compose.material3.FilledIconToggleButton
import androidx.compose.material3.Icon
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner
import app.freeport.android.R
import java.util.concurrent.Executors

/**
 * Camera viewfinder that hands every frame's luminance (Y) plane to [onFrame] as
 * `(width, height, rowStride, bytes)`, on a background thread: the core's own QR decoder reads
 * it, so no Google Play Services are needed. Frames arrive keep-only-latest: a slow decode drops
 * frames instead of queueing them. Includes a torch toggle when the camera has a flash.
 */
@Composable
fun QrScanner(onFrame: (Int, Int, Int, ByteArray) -> Unit, modifier: Modifier = Modifier) {
    val context = LocalContext.current
    val lifecycle = LocalLifecycleOwner.current
    val frameSink by rememberUpdatedState(onFrame)
    val analysisExecutor = remember { Executors.newSingleThreadExecutor() }
    var camera by remember { mutableStateOf<Camera?>(null) }
    var torch by remember { mutableStateOf(false) }
    val viewfinderDesc = stringResource(R.string.meet_viewfinder_desc)

    Box(modifier) {
        AndroidView(
            factory = { ctx ->
                val view = PreviewView(ctx)
                val providerFuture = ProcessCameraProvider.getInstance(ctx)
                providerFuture.addListener({
                    val provider = providerFuture.get()
                    val preview = Preview.Builder().build().also { it.setSurfaceProvider(view.surfaceProvider) }
                    val analysis = ImageAnalysis.Builder()
                        .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                        .setResolutionSelector(
                            ResolutionSelector.Builder()
                                .setResolutionStrategy(
                                    ResolutionStrategy(Size(1280, 720), ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
                                )
                                .build(),
                        )
                        .build()
                    analysis.setAnalyzer(analysisExecutor) { image ->
                        image.use {
                            val y = it.planes[0]
                            val buf = y.buffer
                            val bytes = ByteArray(buf.remaining())
                            buf.get(bytes)
                            frameSink(it.width, it.height, y.rowStride, bytes)
                        }
                    }
                    provider.unbindAll()
                    camera = provider.bindToLifecycle(lifecycle, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
                }, ContextCompat.getMainExecutor(ctx))
                view
            },
            modifier = Modifier.semantics { contentDescription = viewfinderDesc },
        )
        val cam = camera
        if (cam != null && cam.cameraInfo.hasFlashUnit()) {
            FilledIconToggleButton(
                checked = torch,
                onCheckedChange = { on -> torch = on; cam.cameraControl.enableTorch(on) },
                modifier = Modifier.align(Alignment.TopEnd).padding(8.dp),
            ) {
                Icon(
                    if (torch) Icons.Filled.FlashOff else Icons.Filled.FlashOn,
                    contentDescription = stringResource(if (torch) R.string.meet_torch_off else R.string.meet_torch_on),
                )
            }
        }
    }
    DisposableEffect(Unit) {
        onDispose {
            runCatching { ProcessCameraProvider.getInstance(context).get().unbindAll() }
            analysisExecutor.shutdown()
        }
    }
}
