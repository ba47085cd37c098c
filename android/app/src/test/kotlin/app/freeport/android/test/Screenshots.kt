package app.freeport.android.test

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.Canvas
import android.graphics.Color
import android.os.Looper
import android.view.View
import android.view.ViewGroup
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.runtime.Composable
import androidx.compose.ui.platform.ViewRootForTest
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import app.freeport.android.ui.FreeportTheme
import org.robolectric.Robolectric
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import java.io.File
import java.time.Duration
import kotlin.math.abs

/** One of the looks every screen is rendered in: light or dark, at a font scale. */
data class Look(val dark: Boolean, val fontScale: Float, val locale: Locale? = null) {
    /** `light_1.0`, `dark_1.5`, `light_1.0_ar-XB`: the tail of a golden's file name. */
    val tag: String get() = "${if (dark) "dark" else "light"}_$fontScale" + (locale?.let { "_${it.tag}" } ?: "")

    /**
     * A language the screens are rendered in besides English: [qualifier] as resources are
     * selected (Robolectric qualifiers), [rtl] for a right-to-left layout.
     */
    data class Locale(val tag: String, val qualifier: String, val rtl: Boolean)

    companion object {
        /** Arabic (translated, right to left). */
        val AR = Locale("ar", "ar", rtl = true)

        /** Android's pseudo-locales (aapt2 --pseudo-localize of the English strings): accented
         *  and about 30 % longer (en-XA), and mirrored right-to-left text (ar-XB). */
        val EN_XA = Locale("en-XA", "en-rXA", rtl = false)
        val AR_XB = Locale("ar-XB", "ar-rXB", rtl = true)

        val ALL = listOf(
            Look(false, 1.0f), Look(true, 1.0f), Look(false, 1.5f), Look(true, 1.5f),
            Look(false, 1.0f, AR), Look(false, 1.0f, EN_XA), Look(false, 1.0f, AR_XB),
        )
    }
}

/** A rendered screen: its pixels, its density and its semantics trees (for the a11y checks). */
class Rendered(val bitmap: Bitmap, val density: Float, private val root: ViewRootForTest) {
    val merged: SemanticsNode get() = root.semanticsOwner.rootSemanticsNode
    val unmerged: SemanticsNode get() = root.semanticsOwner.unmergedRootSemanticsNode

    /** Every text the screen shows, as its semantics carry it (direction marks included). */
    fun texts(): List<String> {
        val out = mutableListOf<String>()
        fun collect(n: SemanticsNode) {
            n.config.getOrNull(SemanticsProperties.Text)?.forEach { out += it.text }
            n.children.forEach(::collect)
        }
        collect(unmerged)
        return out
    }
}

/**
 * Renders Compose content the way a 360×800 dp phone (xhdpi: 720×1600 px) shows it, on the JVM:
 * Robolectric's SDK 36 with native graphics (real Skia, real fonts), a real `ComponentActivity`,
 * the app's theme in its own palette. Screens are drawn inside the app's frame by the caller.
 */
object Screenshots {
    val goldens = File(System.getProperty("freeport.screenshots.dir") ?: "screenshots")
    val out = File(System.getProperty("freeport.screenshots.out") ?: "build/screenshots").also { it.mkdirs() }
    val record = System.getProperty("freeport.screenshots.record") == "true" ||
        System.getenv("FREEPORT_RECORD_SCREENSHOTS") == "1"

    /** A pixel counts as changed when a channel moves by more than this (anti-aliasing noise). */
    private const val CHANNEL_TOLERANCE = 24

    /** A screen fails when more than this share of its pixels changed. */
    private const val PIXEL_TOLERANCE = 0.002

    fun render(look: Look, content: @Composable () -> Unit): Rendered {
        val locale = look.locale?.let { "${it.qualifier}-${if (it.rtl) "ldrtl" else "ldltr"}-" } ?: ""
        RuntimeEnvironment.setQualifiers("${locale}w360dp-h800dp-port-${if (look.dark) "night" else "notnight"}-xhdpi")
        RuntimeEnvironment.setFontScale(look.fontScale)
        val activity = Robolectric.buildActivity(ComponentActivity::class.java).setup().get()
        activity.setContent { FreeportTheme(dark = look.dark, dynamicColor = false, content = content) }
        settle()
        val decor = activity.window.decorView
        val bitmap = Bitmap.createBitmap(decor.width, decor.height, Bitmap.Config.ARGB_8888)
        decor.draw(Canvas(bitmap))
        val root = findRoot(decor) ?: error("no Compose view in the window")
        return Rendered(bitmap, activity.resources.displayMetrics.density, root)
    }

    /** Lets composition, layout, effects and entry animations finish (fixed time: deterministic). */
    fun settle() {
        repeat(4) { shadowOf(Looper.getMainLooper()).idleFor(Duration.ofMillis(250)) }
    }

    private fun findRoot(v: View): ViewRootForTest? {
        if (v is ViewRootForTest) return v
        if (v is ViewGroup) for (i in 0 until v.childCount) findRoot(v.getChildAt(i))?.let { return it }
        return null
    }

    /**
     * Compares [r] with the golden `<name>.png` (or records it). On a difference beyond the
     * tolerance, writes `<name>.actual.png` and `<name>.diff.png` (changed pixels red over a
     * faded copy of the golden) next to the test results and fails, naming them.
     */
    fun verify(name: String, r: Rendered) {
        val golden = File(goldens, "$name.png")
        val actual = File(out, "$name.actual.png")
        actual.outputStream().use { r.bitmap.compress(Bitmap.CompressFormat.PNG, 100, it) }
        if (record) {
            goldens.mkdirs()
            golden.outputStream().use { r.bitmap.compress(Bitmap.CompressFormat.PNG, 100, it) }
            return
        }
        if (!golden.exists()) {
            throw AssertionError("no golden $golden (render: $actual); record with android/ci/build.py --record")
        }
        val expected = BitmapFactory.decodeFile(golden.path) ?: throw AssertionError("unreadable golden $golden")
        if (expected.width != r.bitmap.width || expected.height != r.bitmap.height) {
            throw AssertionError("$name: size ${r.bitmap.width}x${r.bitmap.height}, golden ${expected.width}x${expected.height} (render: $actual)")
        }
        val w = expected.width
        val h = expected.height
        val a = IntArray(w * h).also { r.bitmap.getPixels(it, 0, w, 0, 0, w, h) }
        val e = IntArray(w * h).also { expected.getPixels(it, 0, w, 0, 0, w, h) }
        val diff = IntArray(w * h)
        var changed = 0
        for (i in a.indices) {
            val d = maxOf(
                abs(Color.red(a[i]) - Color.red(e[i])),
                abs(Color.green(a[i]) - Color.green(e[i])),
                abs(Color.blue(a[i]) - Color.blue(e[i])),
                abs(Color.alpha(a[i]) - Color.alpha(e[i])),
            )
            if (d > CHANNEL_TOLERANCE) {
                changed++
                diff[i] = Color.RED
            } else {
                val g = (Color.red(e[i]) + Color.green(e[i]) + Color.blue(e[i])) / 3
                val faded = 255 - (255 - g) / 4
                diff[i] = Color.rgb(faded, faded, faded)
            }
        }
        val share = changed.toDouble() / (w * h)
        if (share > PIXEL_TOLERANCE) {
            val diffFile = File(out, "$name.diff.png")
            diffFile.outputStream().use {
                Bitmap.createBitmap(diff, w, h, Bitmap.Config.ARGB_8888).compress(Bitmap.CompressFormat.PNG, 100, it)
            }
            throw AssertionError(
                "$name changed: %.2f %% of pixels (tolerance %.2f %%). Diff: %s, render: %s. ".format(
                    share * 100, PIXEL_TOLERANCE * 100, diffFile, actual,
                ) + "If the change is intended, re-record: android/ci/build.py --record",
            )
        }
    }
}
