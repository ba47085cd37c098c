package app.freeport.android.test

import android.app.Application
import android.icu.util.TimeZone
import app.freeport.android.ui.isolated
import app.freeport.android.ui.ltr
import app.freeport.android.ui.moneyText
import app.freeport.android.ui.shortKey
import app.freeport.android.ui.windowText
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import java.util.Locale

/**
 * The locale formats of the core's typed terms (money, time windows) and the left-to-right
 * isolation of phone numbers, keys and amounts in right-to-left text, with the platform's ICU and
 * BidiFormatter as the app runs them.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [36], application = Application::class)
class FormatsTest {
    private val ar = Locale.forLanguageTag("ar")
    private val en = Locale.forLanguageTag("en")

    /** No-break spaces as plain spaces, for readable expectations. */
    private fun plain(s: String) = s.replace('\u00a0', ' ').replace('\u202f', ' ').replace('\u2009', ' ')

    @Test
    fun `phone numbers and keys are isolated left to right in RTL text only`() {
        val phone = "+65••••4321"
        // Arabic: the platform wraps it in a left-to-right embedding between right-to-left marks.
        assertEquals("\u200F\u202A$phone\u202C\u200F", ltr(phone, ar))
        assertEquals("\u200F\u202A$phone\u202C\u200F", ltr(phone, Locale.forLanguageTag("fa")))
        // English: nothing to do, nothing added.
        assertEquals(phone, ltr(phone, en))
        assertEquals("npub1bob…", shortKey("npub1bobk4x9c3v7", en, 8))
        assertTrue(shortKey("npub1bobk4x9c3v7", ar, 8).contains("\u202Anpub1bob…\u202C"))
        // An amount the locale wrote right to left keeps its direction; a Latin one is isolated LTR.
        assertEquals("\u202ASGD 12\u202C", isolated("SGD 12", ar))
        assertEquals("SGD 12", isolated("SGD 12", en))
        assertEquals("ريال ١٢", isolated("ريال ١٢", ar))
    }

    @Test
    fun `money reads as the locale writes an amount in that currency`() {
        assertEquals("SGD 1,200", plain(moneyText("1200", "SGD", en)))
        assertEquals("SGD 15.50", plain(moneyText("15.5", "SGD", en)))
        assertEquals("SGD 0", plain(moneyText("0", "SGD", en)))
        assertEquals("SGD 1,000,000,000", plain(moneyText("1000000000", "SGD", en)))
        assertEquals("$1,200", plain(moneyText("1200", "SGD", Locale.forLanguageTag("en-SG"))))
        assertEquals("1.200 SGD", plain(moneyText("1200", "SGD", Locale.GERMANY)))
        assertEquals("1.234,50 €", plain(moneyText("1234.5", "EUR", Locale.GERMANY)))
        assertEquals("250.000 ₫", plain(moneyText("250000", "VND", Locale.forLanguageTag("vi"))))
        assertEquals("Rp 15.000", plain(moneyText("15000", "IDR", Locale.forLanguageTag("id"))))
        // A currency without minor units never shows any.
        assertEquals("￥500", plain(moneyText("500", "JPY", Locale.JAPAN)))
        // Arabic: the locale's own pattern and digits, whatever they are, with the code.
        val arabic = moneyText("1200", "SGD", ar)
        assertTrue(arabic, arabic.contains("SGD"))
        assertEquals(arabic, moneyText("1200.00", "SGD", ar))
        // A code ICU does not know: the number in the locale's format, then the code.
        assertEquals("1,200.5 ZZZ", moneyText("1200.5", "ZZZ", en))
        // Not a decimal (never from the core): shown as sent.
        assertEquals("lots SGD", moneyText("lots", "SGD", en))
    }

    @Test
    fun `a time window reads as the locale writes a range of dates and times`() {
        val sg = TimeZone.getTimeZone("Asia/Singapore")
        // Saturday 30 May 2026, 07:00–08:00 in Singapore.
        val start = 1_780_095_600L
        assertEquals("Sat, May 30, 7:00 – 8:00 AM", plain(windowText(start, start + 3_600, en, sg)))
        val days = plain(windowText(start, start + 86_400, en, sg))
        assertTrue(days, days.contains("May 30") && days.contains("May 31"))
        // An end before the start (never from the core) is the start alone.
        assertEquals(plain(windowText(start, start, en, sg)), plain(windowText(start, start - 60, en, sg)))
        val arabic = windowText(start, start + 3_600, ar, sg)
        assertTrue(arabic, arabic.isNotBlank() && arabic != windowText(start, start + 3_600, en, sg))
    }
}
