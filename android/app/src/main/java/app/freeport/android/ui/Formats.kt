package app.freeport.android.ui

import android.icu.text.MeasureFormat
import android.icu.text.NumberFormat
import android.icu.text.RelativeDateTimeFormatter
import android.icu.util.Measure
import android.icu.util.MeasureUnit
import android.icu.util.ULocale
import androidx.compose.runtime.Composable
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.remember
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.platform.LocalConfiguration
import java.util.Locale
import kotlin.math.abs
import kotlin.math.roundToInt

/*
 * Numbers, percentages, distances and times in the user's language (ICU: digits, separators,
 * units and word order of the locale — Arabic-Indic digits in Arabic, "50 %" in French, "%50" in
 * Turkish). The locale is the one the resources are read in: the per-app language on Android 13+,
 * else the phone's. Counts inside sentences are plurals in the string resources, whose %d is
 * formatted in the same locale by Resources.getString.
 */

/** Now, in unix seconds. Screenshot tests provide a fixed clock so relative times are stable. */
val LocalNowSecs = staticCompositionLocalOf<() -> Long> { { System.currentTimeMillis() / 1000 } }

/** The locale of the UI. */
@Composable
@ReadOnlyComposable
fun uiLocale(): Locale = LocalConfiguration.current.locales[0] ?: Locale.getDefault()

/** A formatter of plain numbers for the UI locale (grouping, decimal sign, digits). */
@Composable
fun numberFormatter(): (Double) -> String {
    val locale = uiLocale()
    return remember(locale) {
        val f = NumberFormat.getInstance(locale).apply { maximumFractionDigits = 6 }
        ({ x: Double -> f.format(x) })
    }
}

/** A share (0.0–1.0) as a percentage: "72 %", "%72", "٧٢٪". */
@Composable
fun percentText(share: Double): String {
    val locale = uiLocale()
    return remember(locale, share) { NumberFormat.getPercentInstance(locale).format(share) }
}

/** A signed small number ("+2", "−1") in the locale's digits. */
@Composable
fun signedText(n: Int): String {
    val locale = uiLocale()
    return remember(locale, n) {
        val f = NumberFormat.getInstance(locale)
        if (n > 0) "+" + f.format(n) else f.format(n)
    }
}

/** A distance with the locale's short unit: "39 km", "1,2 km", "150 m", "٣٩ كم". */
@Composable
fun distanceText(km: Double): String {
    val locale = uiLocale()
    return remember(locale, km) {
        val n = NumberFormat.getInstance(locale).apply { maximumFractionDigits = if (km < 10) 1 else 0 }
        val f = MeasureFormat.getInstance(ULocale.forLocale(locale), MeasureFormat.FormatWidth.SHORT, n)
        if (km >= 1.0) {
            f.format(Measure(km, MeasureUnit.KILOMETER))
        } else {
            // Whole metres, rounded to a sensible step for an approximate size.
            val m = km * 1000
            val step = if (m >= 100) 10 else 1
            f.format(Measure(((m / step).roundToInt() * step), MeasureUnit.METER))
        }
    }
}

/**
 * A moment relative to now, in the locale's own words: "in 3 days", "in 5 hours", "2 minutes ago"
 * ("dans 3 jours", "خلال ٣ أيام"). Rounded to the largest whole unit, as a person would say it.
 */
@Composable
fun relativeTimeText(atSecs: Long): String {
    val locale = uiLocale()
    val now = LocalNowSecs.current()
    return remember(locale, atSecs, now) {
        val f = RelativeDateTimeFormatter.getInstance(ULocale.forLocale(locale))
        val delta = atSecs - now
        val dir = if (delta >= 0) RelativeDateTimeFormatter.Direction.NEXT else RelativeDateTimeFormatter.Direction.LAST
        val s = abs(delta)
        val (q, unit) = when {
            s >= 86_400 -> (s / 86_400).toDouble() to RelativeDateTimeFormatter.RelativeUnit.DAYS
            s >= 3_600 -> (s / 3_600).toDouble() to RelativeDateTimeFormatter.RelativeUnit.HOURS
            else -> (s / 60).coerceAtLeast(1).toDouble() to RelativeDateTimeFormatter.RelativeUnit.MINUTES
        }
        f.format(q, dir, unit)
    }
}
