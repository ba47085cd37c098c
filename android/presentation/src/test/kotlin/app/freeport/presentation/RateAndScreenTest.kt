package app.freeport.presentation

import app.freeport.core.DealAction
import app.freeport.core.Rule

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class RateAndScreenTest {

    @Test
    fun `rating needs both answers, attests the number reached, and marks the deal rated`() = runBlocking<Unit> {
        Market.open(alicePhone = "+65 9123 4567").use { m ->
            val nego = m.confirmedDeal("Rate me")
            m.meet(nego)

            val vm = RateViewModel(m.bob.core, nego, m.bob.scope)
            vm.load().join()
            assertTrue(vm.state.value.canAttestNumber, "alice sent her number with the accept")
            assertNull(vm.submit())
            assertEquals("safe", vm.state.value.error?.field)
            vm.setSafe(true)
            assertNull(vm.submit())
            assertEquals("reliable", vm.state.value.error?.field)
            vm.setReliable(true)
            // A score out of range is the core's refusal, on its field, and rates nothing.
            vm.setScore(5)
            vm.submit()!!.join()
            assertEquals(listOf<Rule>(Rule.AboveMaximum(2.0)), vm.state.value.error?.rulesOn("score"), "${vm.state.value.error}")
            assertFalse(vm.state.value.done)
            vm.setScore(RateViewModel.MAX_SCORE)
            vm.setReachedNumber(true)
            vm.submit()!!.join()
            assertNull(vm.state.value.error, "${vm.state.value.error}")
            assertTrue(vm.state.value.done)
            assertEquals(true, vm.state.value.deal?.rated)
            assertEquals(false, vm.state.value.deal?.actions?.contains(DealAction.RATE), "rating is offered once")

            // Process death: a new screen on the same deal knows it is rated.
            val again = RateViewModel(m.bob.core, nego, m.bob.scope)
            again.load().join()
            assertTrue(again.state.value.done)
        }
    }

    @Test
    fun `screening a deal partner shows verdict, counts and a path, bad keys are refused`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Screen me")
            m.meet(nego)
            val bobNpub = m.bob.core.identity()!!.npub

            val vm = ScreenContactViewModel(m.alice.core, m.alice.scope)
            vm.screenDeal(nego).join()
            val card = assertNotNull(vm.state.value.screening, "${vm.state.value.error}")
            assertEquals(bobNpub, card.subjectNpub)
            assertEquals(bobNpub, vm.state.value.input)
            assertEquals(card.verdict, card.badge.verdict)
            assertTrue(card.reasons.isNotEmpty(), "a verdict comes with its reasons: $card")
            assertEquals(1u, card.deals, "the met deal counts: $card")
            // The connection drawn: me → Bob, by name.
            assertEquals(listOf(m.alice.core.identity()!!.pubkey, card.subject), card.path)
            assertEquals(listOf("Alice", "Bob"), vm.state.value.path.map { it.name })

            vm.setInput("nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5")
            vm.screen().join()
            val e = assertNotNull(vm.state.value.error)
            assertEquals(UiError.Kind.INVALID_INPUT, e.kind)
            assertEquals("npub", e.field)
            assertEquals(listOf(Rule.IsSecretKey), e.rulesOn("npub"))

            vm.setInput("  nostr:$bobNpub ")
            vm.screen().join()
            assertNull(vm.state.value.error)
            assertEquals(bobNpub, vm.state.value.screening?.subjectNpub)
        }
    }

    /** A camera-style Y plane (rows padded past the width) of a PNG. */
    private fun cameraFrame(png: ByteArray, pad: Int = 40): LumaFrame {
        val img = javax.imageio.ImageIO.read(java.io.ByteArrayInputStream(png))
        val gray = java.awt.image.BufferedImage(img.width, img.height, java.awt.image.BufferedImage.TYPE_BYTE_GRAY)
        gray.graphics.drawImage(img, 0, 0, null)
        val stride = img.width + pad
        val out = ByteArray(stride * img.height) { 0x40 }
        for (y in 0 until img.height) for (x in 0 until img.width) out[y * stride + x] = gray.raster.getSample(x, y, 0).toByte()
        return LumaFrame(img.width, img.height, stride, out)
    }

    @Test
    fun `scanning their profile QR screens them, other codes are hints and scanning goes on`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Scan my profile")
            m.meet(nego)
            val bobNpub = m.bob.core.identity()!!.npub
            // Bob's profile screen shows this code.
            val bobsCode = m.bob.core.qrPng("nostr:$bobNpub", 480)

            val vm = ScreenContactViewModel(m.alice.core, m.alice.scope)
            assertNull(vm.onFrame { cameraFrame(bobsCode) }, "frames are ignored until the camera is opened")
            vm.startScan()
            // A frame with no code, then a QR that is not a public key: hints, still scanning.
            vm.onFrame { LumaFrame(64, 64, 64, ByteArray(64 * 64) { -1 }) }!!.join()
            assertEquals(UiError.Kind.INVALID_CODE, vm.state.value.hint?.kind)
            val notAKey = m.alice.core.qrPng("https://example.com/not-a-key", 480)
            vm.onFrame { cameraFrame(notAKey) }!!.join()
            assertEquals(UiError.Kind.INVALID_INPUT, vm.state.value.hint?.kind)
            assertTrue(vm.state.value.scanning)
            assertNull(vm.state.value.screening)

            vm.onFrame { cameraFrame(bobsCode) }!!.join()
            val s = vm.state.value
            assertEquals(false, s.scanning, "a key closes the camera")
            assertNull(s.hint)
            assertEquals(bobNpub, s.input)
            val card = assertNotNull(s.screening, "${s.error}")
            assertEquals(bobNpub, card.subjectNpub)
            assertEquals(1u, card.deals)
            assertEquals(listOf("Alice", "Bob"), s.path.map { it.name })
        }
    }

    @Test
    fun `short keys for unnamed path steps`() {
        assertEquals("7e7e9c…df4e", ScreenContactViewModel.shortKey("7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"))
        assertEquals("abc", ScreenContactViewModel.shortKey("abc"))
    }
}
