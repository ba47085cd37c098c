package app.freeport.presentation

import java.nio.ByteBuffer

/**
 * One camera frame's luminance as the core's raw-frame decoder takes it: [height] rows of
 * [width] 8-bit samples, row `r` starting at `r × rowStride` in [bytes]; the last row may end
 * right after its last pixel (no trailing padding).
 */
class LumaFrame(val width: Int, val height: Int, val rowStride: Int, val bytes: ByteArray) {
    companion object {
        /**
         * Copies the Y plane of a `YUV_420_888` image (CameraX `ImageProxy.planes[0]`, or
         * `android.media.Image.Plane`) out of its [buffer], which the camera reuses once the image
         * is closed.
         *
         * Honours both strides: [rowStride] bytes between rows (often > width, e.g. 1280 px in a
         * 1344-byte row) and [pixelStride] bytes between samples. Android guarantees a pixel
         * stride of 1 for Y; should a device report more, the samples are compacted so the core
         * always gets one byte per pixel. The buffer's position/limit are left untouched; the
         * copy starts at its current position. Per `Image.Plane`, the last row may stop right
         * after its last sample, so only `rowStride × (height − 1) + (width − 1) × pixelStride + 1`
         * bytes are required.
         *
         * Returns null when the geometry does not fit the buffer (a broken frame is dropped, not
         * decoded); never throws on bad geometry.
         */
        fun fromYPlane(buffer: ByteBuffer, width: Int, height: Int, rowStride: Int, pixelStride: Int): LumaFrame? {
            if (width <= 0 || height <= 0 || pixelStride <= 0 || rowStride <= 0) return null
            val rowSpan = (width - 1).toLong() * pixelStride + 1 // bytes one row's samples cover
            if (rowStride < rowSpan) return null
            val need = rowStride.toLong() * (height - 1) + rowSpan
            val src = buffer.duplicate() // own position/limit: the caller's buffer is not moved
            if (need > src.remaining() || need > Int.MAX_VALUE) return null
            val base = src.position()
            if (pixelStride == 1) {
                // The common case: one bulk copy, padding included; the core skips it.
                val out = ByteArray(need.toInt())
                src.get(out)
                return LumaFrame(width, height, rowStride, out)
            }
            val packed = width.toLong() * height
            if (packed > Int.MAX_VALUE) return null
            val out = ByteArray(packed.toInt())
            var o = 0
            for (r in 0 until height) {
                val rowStart = base + r * rowStride
                for (c in 0 until width) out[o++] = src.get(rowStart + c * pixelStride)
            }
            return LumaFrame(width, height, width, out)
        }
    }
}
