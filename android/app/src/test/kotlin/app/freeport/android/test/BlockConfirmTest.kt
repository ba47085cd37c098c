package app.freeport.android.test

import android.app.Application
import androidx.compose.ui.test.junit4.v2.createComposeRule
import androidx.compose.ui.test.onAllNodesWithText
import androidx.compose.ui.test.onLast
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import app.freeport.android.R
import app.freeport.android.ui.FreeportTheme
import app.freeport.android.ui.screens.DealActions
import app.freeport.android.ui.screens.DealScreen
import org.junit.Assert.assertEquals
import org.junit.Rule
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode

/**
 * Blocking someone hides their quotes and silently drops what they send: from a deal it is asked
 * first ("Block …?"), as on a quote card; unblocking is not.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], application = Application::class)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class BlockConfirmTest {
    @get:Rule val compose = createComposeRule()

    private fun str(id: Int) = RuntimeEnvironment.getApplication().getString(id)

    private class Recorder : DealActions {
        val calls = mutableListOf<Boolean>()
        override fun setBlocked(blocked: Boolean) { calls += blocked }
    }

    private fun show(blocked: Boolean): Recorder {
        val on = Recorder()
        val s = ScreenFixtures.deal.let { it.copy(deal = it.deal?.copy(counterpartyBlocked = blocked)) }
        compose.setContent { FreeportTheme(dark = false, dynamicColor = false) { DealScreen(s, ScreenFixtures.dealChat, on) } }
        return on
    }

    @Test
    fun `blocking from a deal asks first, and cancelling blocks no one`() {
        val on = show(blocked = false)
        val blockThem = str(R.string.block_them)
        compose.onNodeWithText(blockThem).performScrollTo().performClick()
        assertEquals("nothing blocked before the answer", emptyList<Boolean>(), on.calls)
        compose.onNodeWithText(str(R.string.quotes_block_body)).assertExists()
        compose.onNodeWithText(str(R.string.cancel)).performClick()
        compose.waitForIdle()
        assertEquals(emptyList<Boolean>(), on.calls)
        compose.onNodeWithText(str(R.string.quotes_block_body)).assertDoesNotExist()

        compose.onNodeWithText(blockThem).performScrollTo().performClick()
        // Two "Block them" now: the screen's and the question's; the question's is the last.
        compose.onAllNodesWithText(blockThem).onLast().performClick()
        compose.waitForIdle()
        assertEquals(listOf(true), on.calls)
    }

    @Test
    fun `unblocking needs no question`() {
        val on = show(blocked = true)
        compose.onNodeWithText(str(R.string.unblock_them)).performScrollTo().performClick()
        compose.waitForIdle()
        assertEquals(listOf(false), on.calls)
        compose.onNodeWithText(str(R.string.quotes_block_body)).assertDoesNotExist()
    }
}
