package app.freeport.android.test

import android.graphics.Color
import androidx.compose.ui.graphics.compositeOver
import androidx.compose.ui.graphics.isSpecified
import androidx.compose.ui.graphics.luminance
import androidx.compose.ui.graphics.toArgb
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.text.TextLayoutResult
import androidx.compose.ui.text.style.ResolvedTextDirection
import androidx.compose.ui.graphics.Color as ComposeColor

/**
 * Accessibility checks read from a rendered screen's semantics tree (what TalkBack and Switch
 * Access see) and its pixels:
 *  - every clickable / toggleable node has a label (content description or text);
 *  - its touch target is at least 48×48 dp: its touch bounds, which include the area Material's
 *    `minimumInteractiveComponentSize` and Compose's minimum touch target add around a smaller
 *    control — valid only where that area overlaps no other control's, which is checked too
 *    (within the viewport of the scrolling container it is in: beyond it, it takes no touches);
 *  - no text is clipped (`TextLayoutResult.hasVisualOverflow`: cut by max lines or by the space
 *    it was given) — asserted at font scale 1.5;
 *  - text contrast is at least 4.5:1 (WCAG AA for body text): the text's own colour (from its
 *    layout) composited over the background actually drawn behind it (the dominant colour of
 *    the rendered pixels in its bounds). Disabled controls are exempt, as in WCAG.
 */
object A11y {
    const val MIN_TARGET_DP = 48f
    const val MIN_CONTRAST = 4.5

    fun problems(r: Rendered, checkClipping: Boolean): List<String> {
        val out = mutableListOf<String>()
        val targets = mutableListOf<Pair<SemanticsNode, androidx.compose.ui.geometry.Rect>>()
        walk(r.merged) { n ->
            val c = n.config
            val interactive = c.contains(SemanticsActions.OnClick) || c.contains(SemanticsProperties.ToggleableState)
            if (!interactive || c.contains(SemanticsProperties.HideFromAccessibility)) return@walk
            val label = c.getOrNull(SemanticsProperties.ContentDescription).orEmpty().joinToString(" ") +
                c.getOrNull(SemanticsProperties.Text).orEmpty().joinToString(" ") { it.text } +
                (c.getOrNull(SemanticsProperties.EditableText)?.text ?: "")
            val where = describe(n, r)
            if (label.isBlank()) out += "unlabelled control $where"
            // Partly scrolled out of view: its visible part says nothing about its target size.
            val visible = n.boundsInRoot
            if (visible.width + 1 < n.size.width || visible.height + 1 < n.size.height) return@walk
            // The touch bounds include the padding Material adds around small controls
            // (minimumInteractiveComponentSize): a 32 dp chip still takes touches over 48 dp.
            val touch = n.touchBoundsInRoot
            val wDp = maxOf(touch.width, n.size.width.toFloat()) / r.density
            val hDp = maxOf(touch.height, n.size.height.toFloat()) / r.density
            if (wDp + 0.5f < MIN_TARGET_DP || hDp + 0.5f < MIN_TARGET_DP) {
                out += "touch target %.0f×%.0f dp < 48 dp: %s".format(wDp, hDp, where)
            }
            // A scrolling container clips hit testing to its viewport: the part of an expanded
            // touch area that reaches past it (under a tab bar) takes no touches, so it cannot
            // overlap a control outside. (Its size is judged unclipped above: scrolling moves it.)
            targets += n to (viewport(n)?.let { touch.intersect(it) } ?: touch)
        }
        // An expanded touch area (Material's minimumInteractiveComponentSize, Compose's minimum
        // touch target) only works where it does not overlap another control's: a small
        // control squeezed next to another has a small target in practice.
        val slack = 1f
        for (i in targets.indices) for (j in i + 1 until targets.size) {
            val (a, ta) = targets[i]
            val (b, tb) = targets[j]
            if (isAncestor(a, b) || isAncestor(b, a)) continue
            val overlapW = minOf(ta.right, tb.right) - maxOf(ta.left, tb.left)
            val overlapH = minOf(ta.bottom, tb.bottom) - maxOf(ta.top, tb.top)
            val aSmall = a.size.width < MIN_TARGET_DP * r.density - slack || a.size.height < MIN_TARGET_DP * r.density - slack
            val bSmall = b.size.width < MIN_TARGET_DP * r.density - slack || b.size.height < MIN_TARGET_DP * r.density - slack
            if (overlapW > slack && overlapH > slack && (aSmall || bSmall)) {
                out += "touch targets overlap (a control under 48 dp has no room to grow): ${describe(a, r)} / ${describe(b, r)}"
            }
        }
        walk(r.unmerged) { n ->
            val layouts = mutableListOf<TextLayoutResult>()
            n.config.getOrNull(SemanticsActions.GetTextLayoutResult)?.action?.invoke(layouts) ?: return@walk
            val layout = layouts.firstOrNull() ?: return@walk
            val text = layout.layoutInput.text.text
            if (text.isBlank()) return@walk
            if (checkClipping && clipped(layout)) out += "clipped text \"${text.take(40)}\" ${describe(n, r)}"
            if (disabled(n)) return@walk
            val color = layout.layoutInput.style.color
            if (!color.isSpecified) return@walk
            val bg = background(n, r) ?: return@walk
            val fg = color.compositeOver(bg)
            val ratio = contrast(fg, bg)
            if (ratio + 1e-6 < MIN_CONTRAST) {
                out += "contrast %.2f:1 < 4.5:1 (#%06X on #%06X) for ".format(
                    ratio, fg.toArgb() and 0xFFFFFF, bg.toArgb() and 0xFFFFFF,
                ) + "\"${text.take(40)}\" " + describe(n, r)
            }
        }
        return out
    }

    /**
     * `hasVisualOverflow`, less sub-pixel rounding: at a non-integer font scale a single line can
     * measure a fraction of a pixel wider than the width it was laid out in, which Compose reports
     * as overflow although nothing is cut. Clipped means lines were dropped (max lines), the text
     * is taller than its box, or a left-to-right line ends more than a pixel past the box. A
     * right-to-left line is judged by its width instead: it is placed from the end of the width
     * the paragraph was laid out in, which can be wider than the box it is then given.
     */
    private fun clipped(l: TextLayoutResult): Boolean {
        if (!l.hasVisualOverflow) return false
        val p = l.multiParagraph
        return p.didExceedMaxLines || p.height > l.size.height + 1f ||
            (0 until l.lineCount).any { i ->
                val rtl = l.getParagraphDirection(l.getLineStart(i)) == ResolvedTextDirection.Rtl
                val overflow = if (rtl) l.getLineRight(i) - l.getLineLeft(i) else l.getLineRight(i)
                overflow > l.size.width + 1f
            }
    }

    private fun walk(n: SemanticsNode, visit: (SemanticsNode) -> Unit) {
        visit(n)
        n.children.forEach { walk(it, visit) }
    }

    /** The visible bounds of the nearest scrolling ancestor of [n], if it is inside one. */
    private fun viewport(n: SemanticsNode): androidx.compose.ui.geometry.Rect? {
        var p = n.parent
        while (p != null) {
            if (p.config.contains(SemanticsProperties.VerticalScrollAxisRange) ||
                p.config.contains(SemanticsProperties.HorizontalScrollAxisRange)
            ) {
                return p.boundsInRoot
            }
            p = p.parent
        }
        return null
    }

    private fun isAncestor(a: SemanticsNode, b: SemanticsNode): Boolean {
        var p = b.parent
        while (p != null) {
            if (p.id == a.id) return true
            p = p.parent
        }
        return false
    }

    private fun disabled(n: SemanticsNode): Boolean {
        var p: SemanticsNode? = n
        while (p != null) {
            if (p.config.contains(SemanticsProperties.Disabled)) return true
            p = p.parent
        }
        return false
    }

    /** The most frequent colour drawn in the node's visible bounds: what the text sits on. */
    private fun background(n: SemanticsNode, r: Rendered): ComposeColor? {
        val b = n.boundsInRoot
        val left = b.left.toInt().coerceIn(0, r.bitmap.width)
        val top = b.top.toInt().coerceIn(0, r.bitmap.height)
        val right = b.right.toInt().coerceIn(0, r.bitmap.width)
        val bottom = b.bottom.toInt().coerceIn(0, r.bitmap.height)
        if (right - left < 2 || bottom - top < 2) return null // off screen
        val counts = HashMap<Int, Int>()
        for (y in top until bottom) for (x in left until right) {
            val p = r.bitmap.getPixel(x, y)
            counts[p] = (counts[p] ?: 0) + 1
        }
        val top1 = counts.maxByOrNull { it.value }?.key ?: return null
        return ComposeColor(Color.red(top1) / 255f, Color.green(top1) / 255f, Color.blue(top1) / 255f)
    }

    fun contrast(a: ComposeColor, b: ComposeColor): Double {
        val la = a.luminance() + 0.05
        val lb = b.luminance() + 0.05
        return if (la > lb) la / lb else lb / la
    }

    private fun describe(n: SemanticsNode, r: Rendered): String {
        val b = n.boundsInRoot
        val text = (n.config.getOrNull(SemanticsProperties.Text)?.joinToString(" ") { it.text }
            ?: n.config.getOrNull(SemanticsProperties.ContentDescription)?.joinToString(" ")).orEmpty()
        return "[\"${text.take(30)}\" at ${(b.left / r.density).toInt()},${(b.top / r.density).toInt()} dp]"
    }
}
