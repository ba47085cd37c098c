//! Translations of the bundled markets' text (DESIGN §3.6: the markets we ship are our strings).
//!
//! What a market shows — its title, description, form labels, placeholders and the labels of
//! select options — is looked up by a stable key; what it writes into a payload (paths, select
//! values, the schema) never changes. The key scheme (`docs/TRANSLATIONS.md`, "Market strings"):
//!
//! | text | key |
//! |---|---|
//! | title | `<schema>#title` (`goods/1#title`) |
//! | description | `<schema>#description` |
//! | a field's label | `<schema>#<path>.label` (`goods/1#/price.label`) |
//! | a field's placeholder | `<schema>#<path>.placeholder` |
//! | a select option's label | `<schema>#<path>.option.<value>` (`goods/1#/condition.option.like_new`) |
//!
//! Only text with a letter in it has a key ("0" and "60" are shown as written).
//!
//! `assets/markets/l10n/en.json` holds the English each key was translated from (written by
//! `scripts/l10n-extract.py` from the market files); `<locale>.json` holds one translation per
//! key. A translation is used only where the market's text is still exactly that English, so a
//! market that is not one of ours (or an English label changed since it was translated) keeps
//! its own words rather than showing a translation of something else.
//!
//! Locale resolution is pure and never fails: a malformed tag is skipped.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The English the translations were made from: key → text.
const SOURCE: &str = include_str!("../../../assets/markets/l10n/en.json");

/// The shipped translations, as `(BCP 47 tag, JSON text)`, in the apps' locale order.
pub const TRANSLATIONS: &[(&str, &str)] = &[
    ("ar", include_str!("../../../assets/markets/l10n/ar.json")),
    ("bn", include_str!("../../../assets/markets/l10n/bn.json")),
    ("de", include_str!("../../../assets/markets/l10n/de.json")),
    ("es", include_str!("../../../assets/markets/l10n/es.json")),
    ("fa", include_str!("../../../assets/markets/l10n/fa.json")),
    ("fil", include_str!("../../../assets/markets/l10n/fil.json")),
    ("fr", include_str!("../../../assets/markets/l10n/fr.json")),
    ("ha", include_str!("../../../assets/markets/l10n/ha.json")),
    ("hi", include_str!("../../../assets/markets/l10n/hi.json")),
    ("id", include_str!("../../../assets/markets/l10n/id.json")),
    ("it", include_str!("../../../assets/markets/l10n/it.json")),
    ("ja", include_str!("../../../assets/markets/l10n/ja.json")),
    ("ko", include_str!("../../../assets/markets/l10n/ko.json")),
    ("ms", include_str!("../../../assets/markets/l10n/ms.json")),
    ("pl", include_str!("../../../assets/markets/l10n/pl.json")),
    (
        "pt-BR",
        include_str!("../../../assets/markets/l10n/pt-BR.json"),
    ),
    ("ru", include_str!("../../../assets/markets/l10n/ru.json")),
    ("sw", include_str!("../../../assets/markets/l10n/sw.json")),
    ("th", include_str!("../../../assets/markets/l10n/th.json")),
    ("tr", include_str!("../../../assets/markets/l10n/tr.json")),
    ("uk", include_str!("../../../assets/markets/l10n/uk.json")),
    ("ur", include_str!("../../../assets/markets/l10n/ur.json")),
    ("vi", include_str!("../../../assets/markets/l10n/vi.json")),
    (
        "zh-Hans",
        include_str!("../../../assets/markets/l10n/zh-Hans.json"),
    ),
    (
        "zh-Hant",
        include_str!("../../../assets/markets/l10n/zh-Hant.json"),
    ),
];

/// Key → text. Keys starting with `_` (`_identical`, notes) are not texts and are left out.
pub type Table = HashMap<String, String>;

/// Key of a market's title.
pub fn title_key(schema: &str) -> String {
    format!("{schema}#title")
}

/// Key of a market's description.
pub fn description_key(schema: &str) -> String {
    format!("{schema}#description")
}

/// Key of a form field's label.
pub fn label_key(schema: &str, path: &str) -> String {
    format!("{schema}#{path}.label")
}

/// Key of a form field's placeholder.
pub fn placeholder_key(schema: &str, path: &str) -> String {
    format!("{schema}#{path}.placeholder")
}

/// Key of a select option's label.
pub fn option_key(schema: &str, path: &str, value: &str) -> String {
    format!("{schema}#{path}.option.{value}")
}

/// Whether `text` is something to translate (it has a letter), not a number like "60".
pub fn is_translatable(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
}

fn parse(json: &str) -> Table {
    // A broken table (a build defect the tests catch) leaves that language in English.
    match serde_json::from_str::<HashMap<String, serde_json::Value>>(json) {
        Ok(map) => map
            .into_iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .collect(),
        Err(e) => {
            tracing::error!("market translations do not parse: {e}");
            Table::new()
        }
    }
}

/// The English the translations were made from.
pub fn source() -> &'static Table {
    static S: OnceLock<Table> = OnceLock::new();
    S.get_or_init(|| parse(SOURCE))
}

/// The translation table of `TRANSLATIONS[index]`, parsed once.
pub fn table(index: usize) -> Option<&'static Table> {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES
        .get_or_init(|| TRANSLATIONS.iter().map(|(_, j)| parse(j)).collect())
        .get(index)
}

/// What one preferred locale resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// The markets' own English.
    English,
    /// `TRANSLATIONS[i]`.
    Table(usize),
}

/// A language tag taken apart: `zh_hant_tw` → (`zh`, `Hant`, `TW`). `None` when it is not a
/// well-formed tag (empty, not ASCII, a language that is not 2–3 letters).
fn parse_tag(tag: &str) -> Option<(String, Option<String>, Option<String>)> {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > 64 || !tag.is_ascii() {
        return None;
    }
    let mut parts = tag.split(['-', '_']);
    let lang = parts.next()?.to_ascii_lowercase();
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let (mut script, mut region) = (None, None);
    for p in parts {
        if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        // Variants, extensions (`-u-nu-latn`) and private use end what we read.
        if p.len() == 1 {
            break;
        }
        if p.len() == 4 && script.is_none() && region.is_none() {
            if !p.bytes().all(|b| b.is_ascii_alphabetic()) {
                return None;
            }
            let mut s = p.to_ascii_lowercase();
            s[..1].make_ascii_uppercase();
            script = Some(s);
        } else if region.is_none()
            && ((p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
                || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit())))
        {
            region = Some(p.to_ascii_uppercase());
        }
    }
    Some((lang, script, region))
}

fn index_of(tag: &str) -> Option<usize> {
    TRANSLATIONS.iter().position(|(t, _)| *t == tag)
}

/// What one preferred locale resolves to, or `None` when we have nothing in its language.
/// The chain: the exact tag (`pt-BR`), language and script (`zh-Hant`), the language alone,
/// then the language in any region we have (`pt-PT` reads `pt-BR`, as Android's own resource
/// matching does). Chinese picks its script from the region when none is given (`zh-TW`,
/// `zh-HK`, `zh-MO` → `zh-Hant`; `zh`, `zh-CN`, `zh-SG` → `zh-Hans`); legacy codes are mapped
/// (`tl` → `fil`, `in` → `id`). Android's pseudo-locales (`en-XA`, `ar-XB`) are English
/// pseudo-translated, so they read the English.
fn resolve_one(tag: &str) -> Option<Choice> {
    let (lang, script, region) = parse_tag(tag)?;
    if matches!(region.as_deref(), Some("XA" | "XB" | "XC")) || lang == "en" {
        return Some(Choice::English);
    }
    let lang = match lang.as_str() {
        "tl" => "fil".to_string(),
        "in" => "id".to_string(),
        _ => lang,
    };
    if lang == "zh" {
        let script = script.unwrap_or_else(|| {
            match region.as_deref() {
                Some("TW" | "HK" | "MO") => "Hant",
                _ => "Hans",
            }
            .to_string()
        });
        return index_of(&format!("zh-{script}")).map(Choice::Table);
    }
    let mut candidates = Vec::new();
    if let (Some(s), Some(r)) = (&script, &region) {
        candidates.push(format!("{lang}-{s}-{r}"));
    }
    if let Some(r) = &region {
        candidates.push(format!("{lang}-{r}"));
    }
    if let Some(s) = &script {
        candidates.push(format!("{lang}-{s}"));
    }
    candidates.push(lang.clone());
    if let Some(i) = candidates.iter().find_map(|c| index_of(c)) {
        return Some(Choice::Table(i));
    }
    // The same language in another region or script.
    TRANSLATIONS
        .iter()
        .position(|(t, _)| t.split('-').next() == Some(lang.as_str()))
        .map(Choice::Table)
}

/// The translation for the user's preferred locales (most preferred first): the first locale
/// that we have in its language (English included) decides, as the apps' own string resources
/// do. `None`: English (nothing matched, or English came first).
pub fn resolve(locales: &[String]) -> Option<usize> {
    match locales.iter().find_map(|l| resolve_one(l)) {
        Some(Choice::Table(i)) => Some(i),
        Some(Choice::English) | None => None,
    }
}

/// The tag [`resolve`] picked (`None`: English).
#[cfg(test)]
pub fn resolve_tag(locales: &[String]) -> Option<&'static str> {
    resolve(locales).map(|i| TRANSLATIONS[i].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(l: &[&str]) -> Option<&'static str> {
        resolve_tag(&l.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn fallback_chain() {
        // Exact tags.
        for (t, _) in TRANSLATIONS {
            assert_eq!(tag(&[t]), Some(*t));
        }
        // Language + region → language.
        assert_eq!(tag(&["de-AT"]), Some("de"));
        assert_eq!(tag(&["fr_CA"]), Some("fr"));
        assert_eq!(tag(&["ar-EG"]), Some("ar"));
        assert_eq!(tag(&["sw-KE"]), Some("sw"));
        assert_eq!(tag(&["es-419"]), Some("es"));
        // Portuguese of any region reads Brazilian Portuguese; the plain language too.
        assert_eq!(tag(&["pt-BR"]), Some("pt-BR"));
        assert_eq!(tag(&["pt"]), Some("pt-BR"));
        assert_eq!(tag(&["pt-PT"]), Some("pt-BR"));
        // Chinese by script, or by region when no script is given.
        for t in [
            "zh-Hant-TW",
            "zh-TW",
            "zh-HK",
            "zh-MO",
            "zh_Hant",
            "zh-hant-hk",
        ] {
            assert_eq!(tag(&[t]), Some("zh-Hant"), "{t}");
        }
        for t in ["zh-CN", "zh-SG", "zh", "zh-Hans-CN", "zh-Hans-HK"] {
            assert_eq!(tag(&[t]), Some("zh-Hans"), "{t}");
        }
        // Legacy codes.
        assert_eq!(tag(&["tl"]), Some("fil"));
        assert_eq!(tag(&["fil-PH"]), Some("fil"));
        assert_eq!(tag(&["in-ID"]), Some("id"));
        // Extensions and variants are ignored.
        assert_eq!(tag(&["ar-EG-u-nu-latn"]), Some("ar"));
        assert_eq!(tag(&["de-DE-x-private"]), Some("de"));
    }

    #[test]
    fn the_first_locale_we_speak_decides() {
        // Dutch is not shipped: the next preference.
        assert_eq!(tag(&["nl-NL", "de-DE"]), Some("de"));
        // English first: English, even with a translated language after it.
        assert_eq!(tag(&["en-US", "fr-FR"]), None);
        assert_eq!(tag(&["nl", "en-GB", "fr"]), None);
        // Pseudo-locales read English.
        assert_eq!(tag(&["ar-XB"]), None);
        assert_eq!(tag(&["en-XA", "ar"]), None);
        // Nothing we speak, or nothing at all.
        assert_eq!(tag(&["nl", "he", "xx"]), None);
        assert_eq!(tag(&[]), None);
    }

    #[test]
    fn malformed_tags_are_skipped_never_panic() {
        for bad in [
            "",
            " ",
            "-",
            "_",
            "--",
            "a",
            "abcd",
            "ar--EG",
            "1234",
            "é",
            "ar-ÉG",
            "ar-",
            "-ar",
            "\u{0}",
            "ar-EG-",
            "x-private",
            "de-\u{1F600}",
            "ar-EG-abcdefghi!",
        ] {
            // Skipped: the next preference decides.
            assert_eq!(tag(&[bad, "ja"]), Some("ja"), "{bad:?}");
            assert_eq!(tag(&[bad]), None, "{bad:?}");
        }
        assert_eq!(tag(&["", "é", "--", "ko-KR"]), Some("ko"));
        assert_eq!(tag(&[&"x".repeat(10_000), "vi"]), Some("vi"));
    }

    #[test]
    fn every_table_parses_and_source_is_not_empty() {
        assert!(!source().is_empty());
        for (i, (t, _)) in TRANSLATIONS.iter().enumerate() {
            let table = table(i).unwrap();
            assert_eq!(table.len(), source().len(), "{t}");
        }
        assert!(table(TRANSLATIONS.len()).is_none());
    }
}
