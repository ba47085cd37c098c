package app.freeport.presentation

import app.freeport.core.CodeProblem
import app.freeport.core.DealState

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import javax.imageio.ImageIO
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class MeetViewModelTest {

    /** What CameraX's ImageAnalysis hands the app: the Y plane, with padding at each row's end. */
    private fun lumaFrame(png: ByteArray, pad: Int = 32): Triple<Int, Int, ByteArray> {
        val img = ImageIO.read(ByteArrayInputStream(png))
        val gray = BufferedImage(img.width, img.height, BufferedImage.TYPE_BYTE_GRAY)
        gray.graphics.drawImage(img, 0, 0, null)
        val stride = img.width + pad
        val out = ByteArray(stride * img.height) { 0x55 }
        val raster = gray.raster
        for (y in 0 until img.height) for (x in 0 until img.width) out[y * stride + x] = raster.getSample(x, y, 0).toByte()
        return Triple(img.width, stride, out)
    }

    @Test
    fun `show a rotating code with a countdown, scan it from a camera frame, return code closes both sides`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Meet me")
            // The meetup needs no network: both phones go offline first.
            m.alice.core.stopNetwork()
            m.bob.core.stopNetwork()
            var now = System.currentTimeMillis() / 1000
            val shower = MeetViewModel(m.alice.core, nego, m.alice.scope, clock = { now }, pngPx = 480)
            shower.load().join()
            shower.show().join()
            val code = assertNotNull(shower.state.value.code, "${shower.state.value.error}")
            assertEquals(MeetViewModel.Mode.SHOW, shower.state.value.mode)
            assertTrue(code.token.startsWith("FPM1:"), code.token)
            assertTrue(code.refreshAt > code.createdAt && code.expiresAt >= code.refreshAt)

            // The countdown follows the clock.
            now = code.createdAt.toLong() + 3
            shower.tick().join()
            assertEquals(code.refreshAt.toLong() - now, shower.state.value.secondsToRefresh)
            now = code.refreshAt.toLong() + 1
            shower.tick().join()
            val refreshed = assertNotNull(shower.state.value.code)
            assertTrue(shower.state.value.secondsToRefresh >= 0)
            assertTrue(refreshed.refreshAt >= code.refreshAt)

            val scanner = MeetViewModel(m.bob.core, nego, m.bob.scope)
            scanner.load().join()
            assertNull(scanner.onFrame(10, 10, 10, ByteArray(100)), "no frames are taken before scanning starts")
            scanner.scan()

            // A frame without a code: a hint, and scanning goes on.
            scanner.onFrame(64, 48, 64, ByteArray(64 * 48) { 0x7f })!!.join()
            val hint = assertNotNull(scanner.state.value.hint, "${scanner.state.value}")
            assertEquals(UiError.Kind.INVALID_CODE, hint.kind)
            assertEquals(CodeProblem.NoCode, hint.codeProblem)
            assertNull(scanner.state.value.error)
            assertEquals(MeetViewModel.Mode.SCAN, scanner.state.value.mode)

            val (w, stride, luma) = lumaFrame(refreshed.png)
            val h = luma.size / stride
            val job = assertNotNull(scanner.onFrame(w, h, stride, luma))
            job.join()
            val outcome = assertNotNull(scanner.state.value.outcome, "${scanner.state.value}")
            assertEquals(MeetViewModel.Mode.DONE, scanner.state.value.mode)
            assertEquals(DealState.MET, scanner.state.value.deal?.state)
            assertTrue(outcome.sasWords.isNotEmpty())
            val ret = assertNotNull(outcome.returnToken)
            assertNotNull(outcome.returnPng)
            assertNull(scanner.onFrame(w, h, stride, luma), "done: frames are ignored")
            assertTrue(m.bob.core.outbox().size >= 2, "both receipt halves wait in the outbox until online")

            // The shower scans the return code (typed/pasted path) and sees the same words.
            shower.scan()
            shower.onText("  $ret  ").join()
            val back = assertNotNull(shower.state.value.outcome, "${shower.state.value.error}")
            assertEquals(outcome.sasWords, back.sasWords)
            assertEquals(DealState.MET, shower.state.value.deal?.state)
        }
    }

    @Test
    fun `a replayed or foreign code is refused with the core's sentence`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Replay")
            val token = m.alice.core.meetShow(nego, 256).token
            val bob = MeetViewModel(m.bob.core, nego, m.bob.scope)
            bob.scan()
            bob.onText("hello").join()
            assertEquals(UiError.Kind.INVALID_CODE, bob.state.value.error?.kind, "${bob.state.value}")
            assertEquals(CodeProblem.NotFreeport, bob.state.value.error?.codeProblem)
            bob.onText(token).join()
            assertNotNull(bob.state.value.outcome)

            // The same code again, on a fresh screen: already used.
            val again = MeetViewModel(m.bob.core, nego, m.bob.scope)
            again.scan()
            again.onText(token).join()
            assertNull(again.state.value.outcome)
            assertNotNull(again.state.value.error, "a code is single-use")
        }
    }

    /**
     * The Y plane exactly as a camera may lay it out: rows padded to [rowStride], samples
     * [pixelStride] bytes apart, the last row ending right after its last sample, and the plane
     * starting at a non-zero buffer position.
     */
    private class YPlane(val buffer: java.nio.ByteBuffer, val width: Int, val height: Int, val rowStride: Int, val pixelStride: Int) {
        fun copy() = LumaFrame.fromYPlane(buffer, width, height, rowStride, pixelStride)
    }

    private fun yPlane(png: ByteArray, pad: Int, pixelStride: Int, offset: Int): YPlane {
        val img = ImageIO.read(ByteArrayInputStream(png))
        val rowStride = img.width * pixelStride + pad
        val gray = BufferedImage(img.width, img.height, BufferedImage.TYPE_BYTE_GRAY)
        gray.graphics.drawImage(img, 0, 0, null)
        val len = rowStride * (img.height - 1) + (img.width - 1) * pixelStride + 1
        val backing = ByteArray(offset + len) { 0x33 } // padding and interleaved bytes are noise
        for (y in 0 until img.height) for (x in 0 until img.width) {
            backing[offset + y * rowStride + x * pixelStride] = gray.raster.getSample(x, y, 0).toByte()
        }
        val buf = java.nio.ByteBuffer.allocateDirect(backing.size)
        buf.put(backing)
        buf.position(offset)
        return YPlane(buf, img.width, img.height, rowStride, pixelStride)
    }

    @Test
    fun `a camera Y plane with row padding, interleaved samples and a short last row scans through the core`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Strides")
            val code = m.alice.core.meetShow(nego, 480)
            // pixelStride 2 (compacted by LumaFrame) for Bob's scan of Alice's code…
            val plane = yPlane(code.png, pad = 64, pixelStride = 2, offset = 7)
            val scanner = MeetViewModel(m.bob.core, nego, m.bob.scope)
            scanner.load().join()
            scanner.scan()
            var copies = 0
            val job = assertNotNull(scanner.onFrame { copies++; plane.copy() })
            assertEquals(7, plane.buffer.position(), "the camera's buffer is not moved")
            // A second frame while the first decodes is dropped without paying for the copy.
            if (!job.isCompleted) assertNull(scanner.onFrame { copies++; null })
            job.join()
            assertEquals(1, copies)
            val outcome = assertNotNull(scanner.state.value.outcome, "${scanner.state.value}")
            assertEquals(nego, outcome.nego)
            assertEquals(DealState.MET, scanner.state.value.deal?.state)

            // …and pixelStride 1 with row padding (the common layout) for Alice's return scan.
            val ret = assertNotNull(outcome.returnPng)
            val returnPlane = yPlane(ret, pad = 48, pixelStride = 1, offset = 0)
            val shower = MeetViewModel(m.alice.core, nego, m.alice.scope)
            shower.scan()
            assertNotNull(shower.onFrame { returnPlane.copy() }).join()
            assertEquals(outcome.sasWords, assertNotNull(shower.state.value.outcome, "${shower.state.value}").sasWords)
        }
    }

    @Test
    fun `Y plane geometry that does not fit the buffer is dropped, never read out of bounds`() {
        val buf = java.nio.ByteBuffer.allocate(100)
        // Exactly enough: 9 rows of stride 10 plus a last row of 10 samples.
        assertNotNull(LumaFrame.fromYPlane(buf, 10, 10, 10, 1))
        // The last row may be short of its padding.
        val f = assertNotNull(LumaFrame.fromYPlane(java.nio.ByteBuffer.allocate(9 * 12 + 10), 10, 10, 12, 1))
        assertEquals(9 * 12 + 10, f.bytes.size)
        assertEquals(12, f.rowStride)
        assertNull(LumaFrame.fromYPlane(buf, 10, 11, 10, 1), "one row too many")
        assertNull(LumaFrame.fromYPlane(buf, 11, 10, 10, 1), "row stride shorter than a row")
        assertNull(LumaFrame.fromYPlane(buf, 0, 10, 10, 1), "empty width")
        assertNull(LumaFrame.fromYPlane(buf, 10, 0, 10, 1), "empty height")
        assertNull(LumaFrame.fromYPlane(buf, 10, 10, 10, 0), "pixel stride 0")
        assertNull(LumaFrame.fromYPlane(buf, 10, 10, -10, 1), "negative stride")
        assertNull(LumaFrame.fromYPlane(buf, 6, 10, 10, 2), "interleaved row wider than its stride")
        assertNull(LumaFrame.fromYPlane(buf, Int.MAX_VALUE, Int.MAX_VALUE, Int.MAX_VALUE, 1), "overflowing geometry")
        // A position past the start shrinks what is available.
        buf.position(1)
        assertNull(LumaFrame.fromYPlane(buf, 10, 10, 10, 1))
        assertEquals(1, buf.position())
        // Interleaved samples are compacted to one byte per pixel, row stride = width.
        val inter = java.nio.ByteBuffer.wrap(ByteArray(2 * 3 * 2) { it.toByte() }) // 3×2, pixelStride 2, rowStride 6
        val packed = assertNotNull(LumaFrame.fromYPlane(inter, 3, 2, 6, 2))
        assertEquals(listOf<Byte>(0, 2, 4, 6, 8, 10), packed.bytes.toList())
        assertEquals(3, packed.rowStride)
    }
}
