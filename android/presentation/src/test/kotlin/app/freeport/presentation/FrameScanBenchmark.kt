package app.freeport.presentation

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.condition.EnabledIfSystemProperty
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import javax.imageio.ImageIO

/**
 * What one camera frame costs through the JVM bindings (copy + JNA + the core's QR decoder), for
 * the keep-only-latest scan loop. Not a test: prints a table. Run with
 * `android/test-presentation.sh -Dtest=FrameScanBenchmark -Dfreeport.bench=true`.
 */
@EnabledIfSystemProperty(named = "freeport.bench", matches = "true")
class FrameScanBenchmark {
    private fun frameWithCode(png: ByteArray, w: Int, h: Int): ByteArray {
        val code = ImageIO.read(ByteArrayInputStream(png))
        val gray = BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY)
        val g = gray.createGraphics()
        g.color = java.awt.Color(200, 200, 200)
        g.fillRect(0, 0, w, h)
        g.drawImage(code, (w - code.width) / 2, (h - code.height) / 2, null)
        g.dispose()
        val out = ByteArray(w * h)
        gray.raster.getDataElements(0, 0, w, h, out)
        return out
    }

    @Test
    fun `frame scan cost`() = runBlocking<Unit> {
        Market.open().use { m ->
            val nego = m.confirmedDeal("Bench")
            val code = m.alice.core.meetShow(nego, 480)
            println("| frame | outcome | median ms | p90 ms | runs |")
            println("|---|---|---|---|---|")
            for ((w, h) in listOf(640 to 480, 1280 to 720, 1920 to 1080)) {
                val blank = ByteArray(w * h) { 0x7f }
                val withCode = frameWithCode(code.png, w, h)
                for ((label, frame) in listOf("no code" to blank, "code (480 px)" to withCode)) {
                    val times = (0 until 30).map {
                        val t0 = System.nanoTime()
                        runCatching { m.bob.core.meetScanFrame(w, h, w, frame) }
                        (System.nanoTime() - t0) / 1e6
                    }.drop(5).sorted()
                    println("| ${w}x$h | $label | ${"%.1f".format(times[times.size / 2])} | ${"%.1f".format(times[times.size * 9 / 10])} | ${times.size} |")
                }
            }
        }
    }
}
