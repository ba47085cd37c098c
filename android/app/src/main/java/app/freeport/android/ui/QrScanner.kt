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
import androidx.compose.material3.Text
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
import app.freeport.presentation.LumaFrame
import java.util.concurrent.Executors

/**
 * Camera viewfinder that offers every analysis frame to [onFrame] on a background thread. The
 * argument is a *copy* function: it extracts the frame's luminance (Y plane, honouring rowStride
 * and pixelStride — [LumaFrame.fromYPlane], tested on the JVM) and must be called before
 * [onFrame] returns, because the image is closed right after. The view model calls it only when
 * it will decode the frame, so dropped frames cost no copy. The core's own QR decoder reads the
 * result: no Google Play Services.
 *
 * Frames arrive keep-only-latest at about 720p (enough for a phone-screen code; see README.md
 * for the measured cost per frame). A torch toggle appears when the camera has a flash.
 */
@Composable
fun QrScanner(onFrame: (copy: () -> LumaFrame?) -> Unit, modifier: Modifier = Modifier) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val frameSink by rememberUpdatedState(onFrame)
    // COMPATIBLE (a TextureView): the viewfinder sits in a scrolling column, where a SurfaceView
    // (PERFORMANCE mode) can be drawn out of step with the content around it.
    val previewView = remember {
        PreviewView(context).apply { implementationMode = PreviewView.ImplementationMode.COMPATIBLE }
    }
    var camera by remember { mutableStateOf<Camera?>(null) }
    var unavailable by remember { mutableStateOf(false) }
    // The torch goes off whenever the camera is re-bound; follow the camera instance.
    var torch by remember(camera) { mutableStateOf(false) }
    val viewfinderDesc = stringResource(R.string.meet_viewfinder_desc)

    DisposableEffect(lifecycleOwner) {
        var disposed = false
        var provider: ProcessCameraProvider? = null
        val analysisExecutor = Executors.newSingleThreadExecutor()
        val preview = Preview.Builder().build()
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
            image.use { img ->
                // YUV_420_888 (ImageAnalysis' default format): plane 0 is Y.
                val y = img.planes[0]
                frameSink { LumaFrame.fromYPlane(y.buffer, img.width, img.height, y.rowStride, y.pixelStride) }
            }
        }
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            // The screen may have left while the provider was starting: bind nothing then.
            if (disposed) return@addListener
            val p = runCatching { future.get() }.getOrNull()
            if (p == null) {
                unavailable = true
                return@addListener
            }
            provider = p
            preview.setSurfaceProvider(previewView.surfaceProvider)
            camera = try {
                p.bindToLifecycle(lifecycleOwner, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
            } catch (e: IllegalArgumentException) { // no back camera
                null
            } catch (e: IllegalStateException) { // lifecycle already destroyed, or camera in use
                null
            }
            unavailable = camera == null
        }, ContextCompat.getMainExecutor(context))

        onDispose {
            disposed = true
            analysis.clearAnalyzer()
            // Unbind only our use cases (never unbindAll: it is process-wide), without blocking.
            provider?.unbind(preview, analysis)
            camera = null
            analysisExecutor.shutdown()
        }
    }

    Box(modifier) {
        AndroidView(
            factory = { previewView },
            modifier = Modifier.semantics { contentDescription = viewfinderDesc },
        )
        if (unavailable) {
            Text(stringResource(R.string.meet_camera_unavailable), modifier = Modifier.align(Alignment.Center).padding(16.dp))
        }
        val cam = camera
        if (cam != null && cam.cameraInfo.hasFlashUnit()) {
            FilledIconToggleButton(
                checked = torch,
                onCheckedChange = { on ->
                    torch = on
                    cam.cameraControl.enableTorch(on)
                },
                modifier = Modifier.align(Alignment.TopEnd).padding(8.dp),
            ) {
                Icon(
                    if (torch) Icons.Filled.FlashOff else Icons.Filled.FlashOn,
                    contentDescription = stringResource(if (torch) R.string.meet_torch_off else R.string.meet_torch_on),
                )
            }
        }
    }
}
