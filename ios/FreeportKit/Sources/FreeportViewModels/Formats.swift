import Foundation

/// Numbers, shares, durations and moments in the user's language, through Foundation's
/// `FormatStyle`s (the locale's digits, separators, unit words and plural forms: "72 %" in German,
/// "%72" in Turkish, "٧٢٪" in Arabic, "45 Sekunden", "через 3 дня"). Counts inside sentences are
/// plural variations in the string catalog; these are the values that are not sentences.
/// The locale defaults to the app's current one (the per-app language on iOS 17).
public enum Formats {
    /// A plain number: "1.234,5" (de), "١٬٢٣٤٫٥" (ar).
    public static func number(_ x: Double, locale: Locale = .autoupdatingCurrent) -> String {
        x.formatted(.number.locale(locale))
    }

    /// A share from 0 to 1 as a percentage, whole: "72 %", "%72", "٧٢٪".
    public static func percent(_ share: Double, locale: Locale = .autoupdatingCurrent) -> String {
        share.formatted(.percent.precision(.fractionLength(0)).locale(locale))
    }

    /// A number of seconds with the locale's unit word, plural form included: "45 seconds",
    /// "1 секунда", "٤٥ ثانية".
    public static func seconds(_ n: Int, locale: Locale = .autoupdatingCurrent) -> String {
        Duration.seconds(max(0, n)).formatted(.units(allowed: [.seconds], width: .wide).locale(locale))
    }

    /// When `at` is, seen from `now` (unix seconds), in the locale's words: "in 3 days",
    /// "dans 5 heures", "2 minutes ago". Rounded down to the largest whole unit (days, hours,
    /// minutes), as a person would say it; at least one minute.
    public static func relative(_ at: UnixTime, now: UnixTime = Clock.system.now(), locale: Locale = .autoupdatingCurrent) -> String {
        let delta = Double(at) - Double(now)
        let magnitude = abs(delta)
        let unit: Double = magnitude >= 86_400 ? 86_400 : (magnitude >= 3_600 ? 3_600 : 60)
        let whole = max(1, (magnitude / unit).rounded(.down))
        var style = Date.RelativeFormatStyle(presentation: .numeric, unitsStyle: .wide)
        style.locale = locale
        // The style measures from the system clock (a reference date needs iOS 18), so the
        // moment is placed the same distance from it: the whole units plus a quarter unit,
        // which keeps the rounding away from a unit's edge.
        let sign: Double = delta < 0 ? -1 : 1
        return style.format(Date().addingTimeInterval(sign * (whole * unit + unit / 4)))
    }
}
