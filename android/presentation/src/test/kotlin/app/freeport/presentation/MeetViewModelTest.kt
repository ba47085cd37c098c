package app.freeport.presentation

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
            assertTrue(scanner.state.value.hint?.isNotBlank() == true, "${scanner.state.value}")
            assertNull(scanner.state.value.error)
            assertEquals(MeetViewModel.Mode.SCAN, scanner.state.value.mode)

            val (w, stride, luma) = lumaFrame(refreshed.png)
            val h = luma.size / stride
            val job = assertNotNull(scanner.onFrame(w, h, stride, luma))
            job.join()
            val outcome = assertNotNull(scanner.state.value.outcome, "${scanner.state.value}")
            assertEquals(MeetViewModel.Mode.DONE, scanner.state.value.mode)
            assertEquals("met", scanner.state.value.deal?.state)
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
            assertEquals("met", shower.state.value.deal?.state)
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
            assertTrue(bob.state.value.error!!.detail.contains("not a Freeport code"), bob.state.value.error!!.detail)
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
}
