package app.freeport.android.ui

import android.icu.text.DateIntervalFormat
import android.icu.text.MeasureFormat
import android.icu.text.NumberFormat
import android.icu.text.RelativeDateTimeFormatter
import android.icu.util.Currency
import android.icu.util.DateInterval
import android.icu.util.Measure
import android.icu.util.MeasureUnit
import android.icu.util.TimeZone
import android.icu.util.ULocale
import android.text.BidiFormatter
import android.text.TextDirectionHeuristics
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

/** The time zone dates are shown in: the phone's. Screenshot tests fix it, like the clock. */
val LocalTimeZone = staticCompositionLocalOf<TimeZone> { TimeZone.getDefault() }

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

/*
 * Bidirectional text. A phone number, an npub, a meet code, a relay address or an amount put into
 * a right-to-left sentence is reordered by the Unicode bidi algorithm unless it is isolated:
 * "+65••••4321" would read "4321••••65+" in Arabic. Every such value goes through [ltr] (or
 * [isolated] for a locale-formatted amount, which may itself be right to left) before it is put
 * into a string resource or shown in a layout that may be RTL — screens and notifications alike.
 */

/**
 * [text] isolated as left-to-right for a paragraph in [locale]: unchanged in a left-to-right
 * locale; in an RTL one wrapped in direction marks by the platform's [BidiFormatter], so it reads
 * left to right and does not pull its neighbours around.
 */
fun ltr(text: String, locale: Locale): String =
    BidiFormatter.getInstance(locale).unicodeWrap(text, TextDirectionHeuristics.LTR)

/**
 * [text] embedded in its own direction (its first strong character's; left to right if none),
 * without the direction marks [ltr] adds around it: an amount after a market's label keeps the
 * line's direction that label gives ("Payment: SGD 12" stays left to right; "الدفع: SGD 12" right
 * to left with the amount intact).
 */
fun isolated(text: String, locale: Locale): String =
    BidiFormatter.getInstance(locale).unicodeWrap(text, TextDirectionHeuristics.FIRSTSTRONG_LTR, false) ?: text

/** The start of a public key for a line that has no name to show ("npub1bobk4x9c3v7…"), isolated. */
fun shortKey(npub: String, locale: Locale, chars: Int = 16): String = ltr(npub.take(chars) + "…", locale)

/** [shortKey] in the UI's locale. */
@Composable
@ReadOnlyComposable
fun shortKey(npub: String): String = shortKey(npub, uiLocale())

/** [ltr] in the UI's locale. */
@Composable
@ReadOnlyComposable
fun ltr(text: String): String = ltr(text, uiLocale())

/**
 * An amount of money as the locale writes it, from the core's canonical decimal ("1200", "15.5")
 * and ISO 4217 code: "SGD 1,200", "1.200 SGD", "‏١٬٢٠٠ SGD", "S$15.50" in en-SG. A whole amount has
 * no fraction digits ("1,200", not "1,200.00"); any other has the currency's usual number (two for
 * SGD, none for VND). A code the platform does not know reads "1,200 XYZ"; an amount that is not a
 * decimal is shown as the core sent it.
 */
fun moneyText(amount: String, code: String, locale: Locale): String {
    val value = amount.toBigDecimalOrNull() ?: return "$amount $code"
    val whole = value.stripTrailingZeros().scale() <= 0
    val currency = code.takeIf { Currency.isAvailable(it, null, null) }?.let { Currency.getInstance(it) }
    if (currency == null) {
        val n = NumberFormat.getInstance(locale).apply { maximumFractionDigits = 6 }
        return n.format(value) + " " + code
    }
    val f = NumberFormat.getCurrencyInstance(ULocale.forLocale(locale)).apply {
        this.currency = currency
        if (whole) {
            minimumFractionDigits = 0
            maximumFractionDigits = 0
        }
    }
    return f.format(value)
}

/**
 * A time window as the locale writes a range of dates and times, in the phone's time zone:
 * "Sat, 30 May, 09:00 – 10:00", "السبت، ٣٠ مايو، ٩:٠٠ ص – ١٠:٠٠ ص".
 */
fun windowText(startSecs: Long, endSecs: Long, locale: Locale, zone: TimeZone = TimeZone.getDefault()): String {
    val f = DateIntervalFormat.getInstance("MMMEdjm", ULocale.forLocale(locale))
    f.timeZone = zone
    return f.format(DateInterval(startSecs * 1000, maxOf(startSecs, endSecs) * 1000), StringBuffer(), java.text.FieldPosition(0)).toString()
}

/** [moneyText] in the UI's locale, isolated for a sentence. */
@Composable
fun moneyText(amount: String, code: String): String {
    val locale = uiLocale()
    return remember(locale, amount, code) { isolated(moneyText(amount, code, locale), locale) }
}

/** [windowText] in the UI's locale and time zone. */
@Composable
fun windowText(startSecs: Long, endSecs: Long): String {
    val locale = uiLocale()
    val zone = LocalTimeZone.current
    return remember(locale, zone, startSecs, endSecs) { windowText(startSecs, endSecs, locale, zone) }
}
