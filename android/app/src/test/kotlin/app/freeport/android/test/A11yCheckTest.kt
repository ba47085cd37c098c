package app.freeport.android.test

import android.app.Application
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.size
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
    fun `text cut at a large font scale is reported`() {
        val p = problemsOf(fontScale = 1.5f) { Text("A sentence far too long for its box", maxLines = 1, modifier = Modifier.width(80.dp)) }
        assertTrue("$p", p.any { it.startsWith("clipped text") })
    }
}
