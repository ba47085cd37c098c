package app.freeport.android.ui

import android.annotation.SuppressLint
import android.content.Context
import android.graphics.ImageFormat
import android.graphics.Matrix
import android.graphics.SurfaceTexture
import android.hardware.camera2.CameraAccessException
import android.hardware.camera2.CameraCaptureSession
import android.hardware.camera2.CameraCharacteristics
import android.hardware.camera2.CameraDevice
import android.hardware.camera2.CameraManager
import android.hardware.camera2.CaptureRequest
import android.hardware.camera2.params.OutputConfiguration
import android.hardware.camera2.params.SessionConfiguration
import android.media.ImageReader
import android.os.Build
import android.os.Handler
import android.os.HandlerThread
import android.util.Size
import android.view.Surface
import android.view.TextureView
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
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
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleEventObserver
import androidx.lifecycle.compose.LocalLifecycleOwner
import app.freeport.android.R
import app.freeport.presentation.LumaFrame
import java.util.concurrent.Executor
import kotlin.math.abs
import kotlin.math.max

/**
 * Camera viewfinder that offers every analysis frame to [onFrame] on the camera's background
 * thread. The argument is a *copy* function: it extracts the frame's luminance (the Y plane of a
 * `YUV_420_888` image, honouring rowStride and pixelStride — [LumaFrame.fromYPlane], tested on the
 * JVM) and must be called before [onFrame] returns, because the image is closed right after. The
 * view model calls it only when it will decode the frame, so dropped frames cost no copy. The
 * core's own QR decoder reads the result: no Google Play Services.
 *
 * Built on the framework's `android.hardware.camera2` (CameraX is not used: the app needs one
 * back camera, one preview and one analysis stream, which camera2 gives directly without a
 * Jetpack dependency). Frames come from an [ImageReader] at about 720p — enough for a
 * phone-screen code (see README.md for the measured cost per frame) — with
 * `acquireLatestImage`, so older frames are dropped (keep-only-latest) and at most two buffers
 * are ever held. The camera opens when the screen is resumed and closes when it pauses or
 * leaves; a torch toggle appears when the camera has a flash.
 */
@Composable
fun QrScanner(onFrame: (copy: () -> LumaFrame?) -> Unit, modifier: Modifier = Modifier) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val frameSink by rememberUpdatedState(onFrame)
    var unavailable by remember { mutableStateOf(false) }
    var hasFlash by remember { mutableStateOf(false) }
    var torch by remember { mutableStateOf(false) }
    val viewfinderDesc = stringResource(R.string.meet_viewfinder_desc)
    val textureView = remember { TextureView(context) }
    val scanner = remember {
        Camera2Scanner(
            context.applicationContext,
            textureView,
            onFrame = { copy -> frameSink(copy) },
            onState = { ok, flash ->
                unavailable = !ok
                hasFlash = flash
                if (!ok) torch = false
            },
        )
    }

    DisposableEffect(lifecycleOwner, scanner) {
        val observer = LifecycleEventObserver { _, event ->
            when (event) {
                Lifecycle.Event.ON_RESUME -> scanner.start()
                Lifecycle.Event.ON_PAUSE -> {
                    torch = false // the torch goes off with the camera
                    scanner.stop()
                }
                else -> Unit
            }
        }
        lifecycleOwner.lifecycle.addObserver(observer)
        onDispose {
            lifecycleOwner.lifecycle.removeObserver(observer)
            scanner.stop()
        }
    }

    Box(modifier) {
        AndroidView(
            factory = { textureView },
            modifier = Modifier.fillMaxSize().semantics { contentDescription = viewfinderDesc },
        )
        if (unavailable) {
            Text(
                stringResource(R.string.meet_camera_unavailable),
                color = Color.White,
                modifier = Modifier.align(Alignment.Center).padding(16.dp),
            )
        }
        if (hasFlash) {
            FilledIconToggleButton(
                checked = torch,
                onCheckedChange = { on ->
                    torch = on
                    scanner.setTorch(on)
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

/**
 * One back camera with two outputs: the [TextureView] preview and a `YUV_420_888` [ImageReader]
 * whose Y plane goes to [onFrame]. All camera callbacks run on one background [HandlerThread];
 * [onState] is posted to the main thread. [start] and [stop] are called on the main thread and
 * are idempotent.
 */
private class Camera2Scanner(
    private val context: Context,
    private val textureView: TextureView,
    private val onFrame: (copy: () -> LumaFrame?) -> Unit,
    private val onState: (ok: Boolean, hasFlash: Boolean) -> Unit,
) {
    private val main = Handler(context.mainLooper)
    private var thread: HandlerThread? = null
    private var handler: Handler? = null
    // Written on the camera thread, read by stop() on the main thread.
    @Volatile private var device: CameraDevice? = null
    @Volatile private var session: CameraCaptureSession? = null
    @Volatile private var reader: ImageReader? = null
    @Volatile private var previewSurface: Surface? = null

    /** Bumped by stop(): callbacks of a closed session see a stale generation and do nothing. */
    @Volatile private var generation = 0
    @Volatile private var torchOn = false
    private var flash = false

    fun start() {
        if (thread != null) return
        val t = HandlerThread("qr-camera").also { it.start() }
        thread = t
        handler = Handler(t.looper)
        val gen = ++generation
        if (textureView.isAvailable) {
            open(gen)
        } else {
            textureView.surfaceTextureListener = object : TextureView.SurfaceTextureListener {
                override fun onSurfaceTextureAvailable(st: SurfaceTexture, w: Int, h: Int) {
                    if (gen == generation) open(gen)
                }
                override fun onSurfaceTextureSizeChanged(st: SurfaceTexture, w: Int, h: Int) = Unit
                override fun onSurfaceTextureDestroyed(st: SurfaceTexture) = true
                override fun onSurfaceTextureUpdated(st: SurfaceTexture) = Unit
            }
        }
    }

    fun stop() {
        generation++
        torchOn = false
        runCatching { session?.close() }
        runCatching { device?.close() }
        runCatching { reader?.close() }
        previewSurface?.release()
        session = null
        device = null
        reader = null
        previewSurface = null
        thread?.quitSafely()
        thread = null
        handler = null
    }

    fun setTorch(on: Boolean) {
        torchOn = on
        handler?.post { repeat() }
    }

    private fun fail() {
        main.post { onState(false, false) }
    }

    @SuppressLint("MissingPermission") // MeetScreen shows the scanner only once CAMERA is granted
    private fun open(gen: Int) {
        val h = handler ?: return
        val manager = context.getSystemService(CameraManager::class.java) ?: return fail()
        val id = try {
            val ids = manager.cameraIdList
            ids.firstOrNull {
                manager.getCameraCharacteristics(it).get(CameraCharacteristics.LENS_FACING) == CameraCharacteristics.LENS_FACING_BACK
            } ?: ids.firstOrNull()
        } catch (e: CameraAccessException) {
            null
        }
        if (id == null) return fail()
        val texture = textureView.surfaceTexture ?: return fail()
        val chars = manager.getCameraCharacteristics(id)
        val map = chars.get(CameraCharacteristics.SCALER_STREAM_CONFIGURATION_MAP) ?: return fail()
        flash = chars.get(CameraCharacteristics.FLASH_INFO_AVAILABLE) == true
        val analysis = closestTo(map.getOutputSizes(ImageFormat.YUV_420_888), 1280, 720) ?: return fail()
        val preview = closestTo(map.getOutputSizes(SurfaceTexture::class.java), analysis.width, analysis.height) ?: analysis
        val sensorOrientation = chars.get(CameraCharacteristics.SENSOR_ORIENTATION) ?: 90

        val r = ImageReader.newInstance(analysis.width, analysis.height, ImageFormat.YUV_420_888, 2)
        r.setOnImageAvailableListener({ rd ->
            // Keep only the latest frame: anything older still queued is dropped here.
            val image = try {
                rd.acquireLatestImage()
            } catch (e: IllegalStateException) {
                null
            } ?: return@setOnImageAvailableListener
            try {
                val y = image.planes[0]
                onFrame { LumaFrame.fromYPlane(y.buffer, image.width, image.height, y.rowStride, y.pixelStride) }
            } finally {
                image.close()
            }
        }, h)
        reader = r
        main.post { fitPreview(preview, sensorOrientation) }

        try {
            manager.openCamera(id, object : CameraDevice.StateCallback() {
                override fun onOpened(camera: CameraDevice) {
                    if (gen != generation) return camera.close()
                    device = camera
                    createSession(camera, texture, preview, r, gen)
                }
                override fun onDisconnected(camera: CameraDevice) {
                    camera.close()
                    if (gen == generation) fail()
                }
                override fun onError(camera: CameraDevice, error: Int) {
                    camera.close()
                    if (gen == generation) fail()
                }
            }, h)
        } catch (e: CameraAccessException) {
            fail()
        } catch (e: SecurityException) {
            fail()
        }
    }

    private fun createSession(camera: CameraDevice, st: SurfaceTexture, previewSize: Size, r: ImageReader, gen: Int) {
        st.setDefaultBufferSize(previewSize.width, previewSize.height)
        val surface = Surface(st).also { previewSurface = it }
        val callback = object : CameraCaptureSession.StateCallback() {
            override fun onConfigured(s: CameraCaptureSession) {
                if (gen != generation) return s.close()
                session = s
                repeat()
                main.post { if (gen == generation) onState(true, flash) }
            }
            override fun onConfigureFailed(s: CameraCaptureSession) {
                if (gen == generation) fail()
            }
        }
        try {
            if (Build.VERSION.SDK_INT >= 28) {
                val h = handler ?: return
                val executor = Executor { h.post(it) }
                camera.createCaptureSession(
                    SessionConfiguration(
                        SessionConfiguration.SESSION_REGULAR,
                        listOf(OutputConfiguration(surface), OutputConfiguration(r.surface)),
                        executor,
                        callback,
                    ),
                )
            } else {
                @Suppress("DEPRECATION")
                camera.createCaptureSession(listOf(surface, r.surface), callback, handler)
            }
        } catch (e: CameraAccessException) {
            fail()
        } catch (e: IllegalStateException) {
            // The camera closed meanwhile (stop() raced the callback): nothing to configure.
        }
    }

    /** The repeating request: preview + analysis, continuous autofocus, torch as toggled. */
    private fun repeat() {
        val s = session ?: return
        val camera = device ?: return
        val r = reader ?: return
        val surface = previewSurface ?: return
        try {
            val req = camera.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW).apply {
                addTarget(surface)
                addTarget(r.surface)
                set(CaptureRequest.CONTROL_AF_MODE, CaptureRequest.CONTROL_AF_MODE_CONTINUOUS_PICTURE)
                set(CaptureRequest.FLASH_MODE, if (torchOn) CaptureRequest.FLASH_MODE_TORCH else CaptureRequest.FLASH_MODE_OFF)
            }
            s.setRepeatingRequest(req.build(), null, handler)
        } catch (e: CameraAccessException) {
            fail()
        } catch (e: IllegalStateException) {
            // The session closed meanwhile (stop() or a re-open): the next session repeats.
        }
    }

    /**
     * Centre-crops the preview buffer into the view. In portrait the sensor's landscape buffer is
     * shown rotated by the SurfaceTexture's own transform; only the aspect ratio needs fixing.
     */
    private fun fitPreview(buffer: Size, sensorOrientation: Int) {
        val vw = textureView.width.toFloat()
        val vh = textureView.height.toFloat()
        if (vw == 0f || vh == 0f) {
            textureView.post { if (textureView.width > 0) fitPreview(buffer, sensorOrientation) }
            return
        }
        val rotated = sensorOrientation % 180 != 0
        val bw = (if (rotated) buffer.height else buffer.width).toFloat()
        val bh = (if (rotated) buffer.width else buffer.height).toFloat()
        val scale = max(vw / bw, vh / bh)
        val m = Matrix()
        m.setScale(bw * scale / vw, bh * scale / vh, vw / 2, vh / 2)
        textureView.setTransform(m)
    }

    private fun closestTo(sizes: Array<Size>?, w: Int, h: Int): Size? =
        sizes?.minByOrNull { abs(it.width * it.height - w * h) + 4 * abs(it.width * h - it.height * w) / max(h, 1) }
}
