package app.freeport.android.test

import android.app.Application
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.verticalScroll
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.foundation.layout.width
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode

/** The accessibility checks catch what they claim to: each rule fails on a screen that breaks it. */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], application = Application::class)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class A11yCheckTest {
    private fun problemsOf(fontScale: Float = 1.0f, content: @androidx.compose.runtime.Composable () -> Unit): List<String> {
        val r = Screenshots.render(Look(dark = false, fontScale = fontScale)) { Surface(color = Color.White) { content() } }
        return A11y.problems(r, checkClipping = fontScale >= 1.5f)
    }

    @Test
    fun `a well-made screen passes`() {
        val p = problemsOf { Column { Text("Readable", color = Color(0xFF1B1B1B)) } }
        assertTrue("$p", p.isEmpty())
    }

    @Test
    fun `low contrast text is reported`() {
        val p = problemsOf { Text("Pale grey", color = Color(0xFFAAAAAA)) }
        assertTrue("$p", p.any { it.startsWith("contrast") && "Pale grey" in it })
    }

    @Test
    fun `unlabelled and cramped small controls are reported`() {
        val p = problemsOf {
            Row {
                Box(Modifier.size(24.dp).clickable {})
                Box(Modifier.size(24.dp).clickable {})
            }
        }
        assertTrue("$p", p.any { it.startsWith("unlabelled control") })
        assertTrue("$p", p.any { it.startsWith("touch targets overlap") })
    }

    @Test
    fun `a control at the edge of a scrolled viewport does not reach under what is outside it`() {
        // A 40 dp high control whose expanded 48 dp touch area would reach 4 dp past the end of
        // its scrolling viewport, right above a bar of controls: hit testing stops at the
        // viewport, so nothing overlaps. Without the viewport, the same two would be reported.
        val p = problemsOf {
            Column {
                Column(Modifier.height(100.dp).verticalScroll(androidx.compose.foundation.ScrollState(0))) {
                    Box(Modifier.height(60.dp))
                    Box(Modifier.size(width = 120.dp, height = 40.dp).clickable {}.semantics { contentDescription = "edge" }) {}
                    Box(Modifier.height(200.dp))
                }
                Box(Modifier.size(120.dp, 48.dp).clickable {}.semantics { contentDescription = "bar" })
            }
        }
        assertTrue("$p", p.isEmpty())
    }

    @Test
    fun `text cut at a large font scale is reported`() {
        val p = problemsOf(fontScale = 1.5f) { Text("A sentence far too long for its box", maxLines = 1, modifier = Modifier.width(80.dp)) }
        assertTrue("$p", p.any { it.startsWith("clipped text") })
    }
}
