//! Markets: a topic tag plus a payload JSON Schema plus form hints (DESIGN §3.6).
//!
//! The definitions live in `assets/markets/*.json` and are embedded with `include_str!`, so
//! mobile builds carry them without file access. The built-in registry is loaded once (lazily,
//! in a `OnceLock`); each payload schema is compiled when its market loads and then validates
//! intent payloads before publishing and on receipt.

use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::Value;

use super::market_l10n::{self, Table};
use super::{ProtocolError, excerpt};

/// The market definitions shipped with the app, as `(file name, JSON text)`.
pub const BUILTIN_SOURCES: &[(&str, &str)] = &[
    (
        "rideshare-1.json",
        include_str!("../../../assets/markets/rideshare-1.json"),
    ),
    (
        "service-1.json",
        include_str!("../../../assets/markets/service-1.json"),
    ),
    (
        "goods-1.json",
        include_str!("../../../assets/markets/goods-1.json"),
    ),
];

/// Most schema violations listed in one error message.
const MAX_REPORTED_VIOLATIONS: usize = 3;

/// How a UI should render one form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    Multiline,
    /// A number.
    Number,
    /// One of `options`.
    Select,
    /// A place: an object `{"name", "geohash"}` picked on a map or typed.
    Location,
    /// A list of image URLs.
    Images,
    /// An ISO 4217 currency code.
    Currency,
}

/// One choice of a `select` field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, uniffi::Record)]
#[serde(deny_unknown_fields)]
pub struct FormOption {
    /// Value written into the payload.
    pub value: String,
    /// Text shown to the user.
    pub label: String,
}

/// A form hint: where a field goes in the payload and how to ask for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// JSON pointer of the field inside the payload, e.g. `/from`.
    pub path: String,
    /// Label shown next to the input.
    pub label: String,
    /// Input widget to use.
    pub input: InputKind,
    /// Whether the payload schema requires the field.
    #[serde(default)]
    pub required: bool,
    /// Placeholder text.
    #[serde(default)]
    pub placeholder: Option<String>,
    /// Choices for `select` inputs (empty otherwise).
    #[serde(default)]
    pub options: Vec<FormOption>,
    /// For a `number` field that is an amount of money: the JSON pointer of the `currency`
    /// field that names its currency (`"/currency"`). Screens then show the two as one amount
    /// ("S$1,200") instead of a bare number and a code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The JSON shape of one `assets/markets/*.json` file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarketFile {
    schema: String,
    topic: String,
    title: String,
    description: String,
    default_expiry_secs: u64,
    payload_schema: Value,
    form: Vec<FormField>,
}

/// A market definition with its compiled payload validator (shared by its localized copies).
#[derive(Debug, Clone)]
pub struct Market {
    schema: String,
    topic: String,
    title: String,
    description: String,
    default_expiry_secs: u64,
    payload_schema: Value,
    form: Vec<FormField>,
    validator: Arc<jsonschema::Validator>,
}

impl Market {
    /// Parses and checks one market definition (JSON text). The payload schema is checked
    /// against the JSON Schema meta-schema and compiled here.
    pub fn from_json(source: &str) -> Result<Self, ProtocolError> {
        let file: MarketFile =
            serde_json::from_str(source).map_err(|e| ProtocolError::NotJson {
                reason: format!("market definition: {e}"),
            })?;
        if file.schema.is_empty() || !file.schema.contains('/') {
            return Err(ProtocolError::field(
                "schema",
                format!(
                    "`{}` is not of the form <name>/<version>",
                    excerpt(&file.schema)
                ),
            ));
        }
        if file.topic.is_empty() {
            return Err(ProtocolError::MissingField { field: "topic" });
        }
        if file.default_expiry_secs == 0 {
            return Err(ProtocolError::field(
                "default_expiry_secs",
                "must be greater than zero",
            ));
        }
        // Checks the schema against its meta-schema and compiles it, once per market.
        let validator = jsonschema::validator_for(&file.payload_schema).map_err(|e| {
            ProtocolError::field(
                "payload_schema",
                format!("is not a valid JSON Schema: {}", e.masked()),
            )
        })?;
        for f in &file.form {
            if !f.path.starts_with('/') {
                return Err(ProtocolError::field(
                    "form.path",
                    format!("`{}` is not a JSON pointer", excerpt(&f.path)),
                ));
            }
            if (f.input == InputKind::Select) == f.options.is_empty() {
                return Err(ProtocolError::field(
                    "form.options",
                    format!("`{}`: options are required for select inputs only", f.path),
                ));
            }
            if let Some(pointer) = &f.currency {
                check_currency_hint(&file.form, f, pointer)?;
            }
        }
        Ok(Self {
            schema: file.schema,
            topic: file.topic,
            title: file.title,
            description: file.description,
            default_expiry_secs: file.default_expiry_secs,
            payload_schema: file.payload_schema,
            form: file.form,
            validator: Arc::new(validator),
        })
    }

    /// This market as a user with these preferred locales (BCP 47 tags, most preferred first)
    /// reads it: title, description, form labels, placeholders and option labels translated
    /// where we ship a translation of exactly this text (see [`market_l10n`]), in the first of
    /// the locales we have in its language. Everything else — schema, topic, paths, option
    /// values, the payload schema — is unchanged, so payloads are the same in every language.
    /// A market that is not one of ours, an unknown or malformed locale: the market's own text.
    pub fn localized(&self, locales: &[String]) -> Market {
        match market_l10n::resolve(locales).and_then(market_l10n::table) {
            Some(table) => self.translated(table),
            None => self.clone(),
        }
    }

    /// A copy with every text that `table` translates from its exact English replaced.
    pub(crate) fn translated(&self, table: &Table) -> Market {
        let source = market_l10n::source();
        let mut m = self.clone();
        m.visit_texts(|key, text| {
            if source.get(&key) == Some(text)
                && let Some(t) = table.get(&key)
            {
                *text = t.clone();
            }
        });
        m
    }

    /// Every text this market shows that can be translated, as `(key, text)` in display order
    /// (the key scheme is in [`market_l10n`]). Numbers-only texts ("60") are left out.
    pub fn texts(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.clone().visit_texts(|k, t| out.push((k, t.clone())));
        out
    }

    fn visit_texts(&mut self, mut f: impl FnMut(String, &mut String)) {
        let schema = self.schema.clone();
        let mut visit = |key: String, text: &mut String| {
            if market_l10n::is_translatable(text) {
                f(key, text);
            }
        };
        visit(market_l10n::title_key(&schema), &mut self.title);
        visit(market_l10n::description_key(&schema), &mut self.description);
        for field in &mut self.form {
            visit(
                market_l10n::label_key(&schema, &field.path),
                &mut field.label,
            );
            if let Some(p) = &mut field.placeholder {
                visit(market_l10n::placeholder_key(&schema, &field.path), p);
            }
            for o in &mut field.options {
                visit(
                    market_l10n::option_key(&schema, &field.path, &o.value),
                    &mut o.label,
                );
            }
        }
    }

    /// Schema identifier carried in intent content, e.g. `rideshare/1`.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Topic (`t` tag), e.g. `sg-rideshare`.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Human title of the market.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// One-sentence description for pickers.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Default intent lifetime in seconds.
    pub fn default_expiry_secs(&self) -> u64 {
        self.default_expiry_secs
    }

    /// The payload JSON Schema.
    pub fn payload_schema(&self) -> &Value {
        &self.payload_schema
    }

    /// Form hints in display order.
    pub fn form(&self) -> &[FormField] {
        &self.form
    }

    /// The compiled payload validator (see [`super::form::schema_violations`]).
    pub(crate) fn validator(&self) -> &jsonschema::Validator {
        &self.validator
    }

    /// Validates a payload against this market's schema. The error names the JSON pointer of
    /// each violation (up to three) and the schema keyword it broke.
    pub fn validate_payload(&self, payload: &Value) -> Result<(), ProtocolError> {
        let violations: Vec<String> = self
            .validator
            .iter_errors(payload)
            .take(MAX_REPORTED_VIOLATIONS)
            .map(|e| {
                let pointer = e.instance_path().as_str();
                let pointer = if pointer.is_empty() { "/" } else { pointer };
                format!(
                    "at `{}` breaks `{}`: {}",
                    excerpt(pointer),
                    e.kind().keyword(),
                    e.masked()
                )
            })
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ProtocolError::field(
                "payload",
                format!("{} schema: {}", self.schema, violations.join("; ")),
            ))
        }
    }
}

/// A field's `currency` hint must sit on a `number` field and name a `currency` field.
fn check_currency_hint(
    form: &[FormField],
    field: &FormField,
    pointer: &str,
) -> Result<(), ProtocolError> {
    if field.input != InputKind::Number {
        return Err(ProtocolError::field(
            "form.currency",
            format!("`{}`: only a number field has a currency", field.path),
        ));
    }
    match form.iter().find(|f| f.path == pointer) {
        Some(c) if c.input == InputKind::Currency => Ok(()),
        Some(_) => Err(ProtocolError::field(
            "form.currency",
            format!(
                "`{}`: `{}` is not a currency field",
                field.path,
                excerpt(pointer)
            ),
        )),
        None => Err(ProtocolError::field(
            "form.currency",
            format!(
                "`{}`: `{}` is not a field of the form",
                field.path,
                excerpt(pointer)
            ),
        )),
    }
}

/// A set of markets with lookup by topic and by schema.
#[derive(Debug, Default)]
pub struct MarketRegistry {
    markets: Vec<Market>,
}

impl MarketRegistry {
    /// Builds a registry from definitions. Fails on the first invalid definition, or when two
    /// definitions share a topic or a schema.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ProtocolError> {
        let mut markets: Vec<Market> = Vec::new();
        for src in sources {
            let m = Market::from_json(src)?;
            if markets.iter().any(|o| o.topic == m.topic) {
                return Err(ProtocolError::field(
                    "topic",
                    format!("`{}` is defined twice", m.topic),
                ));
            }
            if markets.iter().any(|o| o.schema == m.schema) {
                return Err(ProtocolError::field(
                    "schema",
                    format!("`{}` is defined twice", m.schema),
                ));
            }
            markets.push(m);
        }
        Ok(Self { markets })
    }

    /// All markets, in definition order (for pickers).
    pub fn list(&self) -> &[Market] {
        &self.markets
    }

    /// The market whose topic tag is `topic`.
    pub fn by_topic(&self, topic: &str) -> Option<&Market> {
        self.markets.iter().find(|m| m.topic == topic)
    }

    /// The market whose payload schema identifier is `schema`.
    pub fn by_schema(&self, schema: &str) -> Option<&Market> {
        self.markets.iter().find(|m| m.schema == schema)
    }
}

/// The markets shipped with the app. Loaded once. If a built-in definition were broken (a
/// build defect caught by the tests), the registry is empty and [`builtin_load_error`] says why;
/// nothing panics.
pub fn builtin() -> &'static MarketRegistry {
    &builtin_state().0
}

/// The built-in markets as a user with these preferred locales reads them (each market as
/// [`Market::localized`] makes it). Each language is built once, when first asked for, and kept
/// (at most one registry per shipped language).
pub fn builtin_localized(locales: &[String]) -> &'static MarketRegistry {
    const N: usize = market_l10n::TRANSLATIONS.len();
    static LOCALIZED: [OnceLock<MarketRegistry>; N] = [const { OnceLock::new() }; N];
    let Some(i) = market_l10n::resolve(locales) else {
        return builtin();
    };
    match (LOCALIZED.get(i), market_l10n::table(i)) {
        (Some(slot), Some(table)) => slot.get_or_init(|| MarketRegistry {
            markets: builtin()
                .list()
                .iter()
                .map(|m| m.translated(table))
                .collect(),
        }),
        _ => builtin(),
    }
}

/// Why the built-in registry failed to load, if it did.
pub fn builtin_load_error() -> Option<&'static ProtocolError> {
    builtin_state().1.as_ref()
}

fn builtin_state() -> &'static (MarketRegistry, Option<ProtocolError>) {
    static STATE: OnceLock<(MarketRegistry, Option<ProtocolError>)> = OnceLock::new();
    STATE.get_or_init(|| {
        match MarketRegistry::from_sources(BUILTIN_SOURCES.iter().map(|(_, s)| *s)) {
            Ok(r) => (r, None),
            Err(e) => {
                tracing::error!("built-in market definitions failed to load: {e}");
                (MarketRegistry::default(), Some(e))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rideshare() -> &'static Market {
        builtin().by_schema("rideshare/1").unwrap()
    }

    #[test]
    fn builtin_markets_load_and_are_found_by_topic_and_schema() {
        assert_eq!(builtin_load_error(), None);
        let reg = builtin();
        let schemas: Vec<&str> = reg.list().iter().map(Market::schema).collect();
        assert_eq!(schemas, ["rideshare/1", "service/1", "goods/1"]);
        assert_eq!(
            reg.by_topic("sg-rideshare").unwrap().schema(),
            "rideshare/1"
        );
        assert_eq!(reg.by_topic("sg-service").unwrap().schema(), "service/1");
        assert_eq!(reg.by_topic("sg-goods").unwrap().schema(), "goods/1");
        assert!(reg.by_topic("sg-unknown").is_none());
        assert!(reg.by_schema("rideshare/2").is_none());
        for m in reg.list() {
            assert!(m.default_expiry_secs() > 0);
            assert!(!m.form().is_empty());
            assert!(!m.title().is_empty() && !m.description().is_empty());
            // Every form path points at a property the schema declares.
            for f in m.form() {
                let prop = f.path.trim_start_matches('/');
                assert!(
                    m.payload_schema()["properties"].get(prop).is_some(),
                    "{}: form path {} not in schema",
                    m.schema(),
                    f.path
                );
            }
        }
    }

    #[test]
    fn reference_rideshare_payload_is_valid() {
        let p = json!({
            "from": {"name": "Hoan Kiem", "geohash": "w7er8u"},
            "to": {"name": "Noi Bai airport", "geohash": "w7g2p1"},
            "category": "car",
            "payment": "VND 250000",
            "note": "2 bags",
            // The reference does not fix the image element shape: URLs and objects both pass.
            "images": ["https://i.example/1.jpg", {"url": "https://i.example/2.jpg", "w": 640}],
            "future_field": {"anything": true}
        });
        rideshare().validate_payload(&p).unwrap();
    }

    #[test]
    fn reference_service_payload_is_valid() {
        let p = json!({
            "location": {"name": "Tiong Bahru", "geohash": "w21z6"},
            "service": "Fix a leaking tap",
            "category": "home",
            "subcategory": "plumbing",
            "payment": "SGD 40",
            "duration_minutes": 45,
            "notes": "Kitchen"
        });
        builtin()
            .by_schema("service/1")
            .unwrap()
            .validate_payload(&p)
            .unwrap();
    }

    #[test]
    fn goods_payload_rules() {
        let goods = builtin().by_topic("sg-goods").unwrap();
        let ok = json!({
            "item": "Road bike", "condition": "good", "price": 120, "currency": "SGD",
            "location": {"name": "Bishan", "geohash": "w21zf"}, "photos": ["https://x/1.jpg"]
        });
        goods.validate_payload(&ok).unwrap();
        for (bad, pointer, keyword) in [
            (json!({"condition": "mint"}), "/condition", "enum"),
            (json!({"price": -1}), "/price", "minimum"),
            (json!({"currency": "sgd"}), "/currency", "pattern"),
            (json!({"price": "12"}), "/price", "type"),
        ] {
            let mut p = ok.clone();
            for (k, v) in bad.as_object().unwrap() {
                p[k] = v.clone();
            }
            let err = goods.validate_payload(&p).unwrap_err().to_string();
            assert!(err.contains(&format!("`{pointer}`")), "{err}");
            assert!(err.contains(&format!("`{keyword}`")), "{err}");
        }
        let mut missing = ok.clone();
        missing.as_object_mut().unwrap().remove("item");
        let err = goods.validate_payload(&missing).unwrap_err().to_string();
        assert!(err.contains("`required`"), "{err}");
    }

    #[test]
    fn goods_price_names_its_currency_field() {
        let goods = builtin().by_schema("goods/1").unwrap();
        let price = goods.form().iter().find(|f| f.path == "/price").unwrap();
        assert_eq!(price.currency.as_deref(), Some("/currency"));
        assert!(
            goods
                .form()
                .iter()
                .filter(|f| f.path != "/price")
                .all(|f| f.currency.is_none())
        );
    }

    #[test]
    fn a_currency_hint_must_name_a_currency_field_from_a_number_field() {
        let good = BUILTIN_SOURCES[2].1;
        let v: Value = serde_json::from_str(good).unwrap();
        let price = |v: &Value| {
            v["form"]
                .as_array()
                .unwrap()
                .iter()
                .position(|f| f["path"] == "/price")
                .unwrap()
        };
        let i = price(&v);
        for (hint_on, pointer, why) in [
            (i, json!("/nowhere"), "is not a field of the form"),
            (i, json!("/item"), "is not a currency field"),
            (i, json!("/price"), "is not a currency field"),
            (0, json!("/currency"), "only a number field has a currency"),
        ] {
            let mut x = v.clone();
            x["form"][hint_on]["currency"] = pointer.clone();
            let err = Market::from_json(&x.to_string()).unwrap_err();
            let ProtocolError::InvalidField { field, rule } = &err else {
                panic!("unexpected {err:?}");
            };
            assert_eq!(*field, "form.currency", "{pointer}");
            assert!(rule.contains(why), "{pointer}: {rule}");
        }
        // Not a pointer string at all: the definition does not parse.
        let mut x = v.clone();
        x["form"][i]["currency"] = json!(3);
        assert!(Market::from_json(&x.to_string()).is_err());
    }

    #[test]
    fn invalid_payload_errors_name_pointer_and_rule() {
        let p = json!({
            "from": {"name": "A", "geohash": "AAAA"},
            "to": {"name": "B"}
        });
        let err = rideshare().validate_payload(&p).unwrap_err();
        let ProtocolError::InvalidField { field, rule } = &err else {
            panic!("unexpected {err:?}");
        };
        assert_eq!(*field, "payload");
        assert!(rule.contains("`/from/geohash` breaks `pattern`"), "{rule}");
        assert!(rule.contains("`/to` breaks `required`"), "{rule}");
        // Reference markets bound only the image count.
        let too_many = json!({
            "from": {"name": "A", "geohash": "w7"}, "to": {"name": "B", "geohash": "w8"},
            "images": vec!["x"; 21]
        });
        let err = rideshare().validate_payload(&too_many).unwrap_err();
        assert!(
            err.to_string().contains("`/images` breaks `maxItems`"),
            "{err}"
        );
        // Not an object at all.
        let err = rideshare().validate_payload(&json!([1])).unwrap_err();
        assert!(err.to_string().contains("`/` breaks `type`"), "{err}");
    }

    fn tags(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    /// Keys a translation may leave as the English: a currency code ("SGD"), and what the
    /// locale lists in `_identical` (a loanword such as "Van" in Malay).
    fn allowed_identical(locale_json: &str, english: &str, key: &str) -> bool {
        let v: Value = serde_json::from_str(locale_json).unwrap();
        let listed = v["_identical"]
            .as_array()
            .is_some_and(|a| a.iter().any(|k| k.as_str() == Some(key)));
        listed || (english.len() == 3 && english.chars().all(|c| c.is_ascii_uppercase()))
    }

    #[test]
    fn the_translations_were_made_from_the_bundled_markets_english() {
        // assets/markets/l10n/en.json (written by scripts/l10n-extract.py) is exactly the
        // texts of the built-in markets under this module's key scheme.
        let mut ours: Vec<(String, String)> =
            builtin().list().iter().flat_map(Market::texts).collect();
        let mut source: Vec<(String, String)> = market_l10n::source()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        ours.sort();
        source.sort();
        assert_eq!(ours, source);
        assert!(
            ours.iter()
                .any(|(k, _)| k == "goods/1#/condition.option.like_new")
        );
        assert!(ours.iter().any(|(k, _)| k == "goods/1#/price.label"));
        // Numbers are not texts to translate.
        assert!(!ours.iter().any(|(k, _)| k == "goods/1#/price.placeholder"));
    }

    #[test]
    fn every_bundled_market_is_fully_localized_in_every_locale() {
        for (tag, json) in market_l10n::TRANSLATIONS {
            let reg = builtin_localized(&tags(&[tag]));
            assert_eq!(reg.list().len(), builtin().list().len());
            for (en, m) in builtin().list().iter().zip(reg.list()) {
                let before = en.texts();
                let after = m.texts();
                assert_eq!(before.len(), after.len(), "{tag} {}", en.schema());
                for ((k, e), (k2, t)) in before.iter().zip(&after) {
                    assert_eq!(k, k2);
                    assert!(!t.trim().is_empty(), "{tag} {k} is empty");
                    assert!(
                        t != e || allowed_identical(json, e, k),
                        "{tag} {k} is still English: {e:?}"
                    );
                }
                // The same market through the pure function.
                let direct = en.localized(&tags(&[tag]));
                assert_eq!(direct.texts(), after, "{tag}");
            }
        }
    }

    #[test]
    fn localizing_changes_only_what_is_shown() {
        for (tag, _) in market_l10n::TRANSLATIONS {
            for en in builtin().list() {
                let m = en.localized(&tags(&[tag, "en"]));
                assert_eq!(m.schema(), en.schema());
                assert_eq!(m.topic(), en.topic());
                assert_eq!(m.default_expiry_secs(), en.default_expiry_secs());
                assert_eq!(m.payload_schema(), en.payload_schema());
                assert_eq!(m.form().len(), en.form().len());
                for (a, b) in m.form().iter().zip(en.form()) {
                    assert_eq!(a.path, b.path);
                    assert_eq!(a.input, b.input);
                    assert_eq!(a.required, b.required);
                    assert_eq!(a.placeholder.is_some(), b.placeholder.is_some());
                    let values = |f: &FormField| -> Vec<String> {
                        f.options.iter().map(|o| o.value.clone()).collect()
                    };
                    assert_eq!(values(a), values(b));
                }
                // Numbers-only placeholders stay as written.
                if en.schema() == "goods/1" {
                    assert_eq!(m.form()[2].placeholder.as_deref(), Some("0"));
                }
            }
        }
        // The same payload is valid, or not, in every language.
        let de = builtin_localized(&tags(&["de-DE"]))
            .by_schema("goods/1")
            .unwrap();
        assert_eq!(de.title(), "Gebrauchtwaren");
        let cond = &de.form()[1];
        let like_new = cond.options.iter().find(|o| o.value == "like_new").unwrap();
        assert_eq!(like_new.label, "Wie neu");
        let p = json!({"item": "Rennrad", "condition": "like_new", "price": 120, "currency": "EUR",
            "location": {"name": "Kreuzberg", "geohash": "u33dc"}});
        de.validate_payload(&p).unwrap();
        assert!(
            de.validate_payload(&json!({"condition": "wie neu"}))
                .is_err()
        );
    }

    #[test]
    fn unknown_or_english_locales_read_the_markets_own_text() {
        let en = builtin().by_schema("rideshare/1").unwrap();
        for l in [
            tags(&[]),
            tags(&["en"]),
            tags(&["en-SG", "zh-CN"]),
            tags(&["nl-NL", "he"]),
            tags(&["", "-", "x-klingon"]),
            tags(&["ar-XB"]),
        ] {
            let m = en.localized(&l);
            assert_eq!(m.texts(), en.texts(), "{l:?}");
            assert!(std::ptr::eq(builtin_localized(&l), builtin()), "{l:?}");
        }
        // The registry cache hands out one localized registry per language.
        assert!(std::ptr::eq(
            builtin_localized(&tags(&["ar-EG"])),
            builtin_localized(&tags(&["ar"]))
        ));
        assert_eq!(
            builtin_localized(&tags(&["ar-EG"]))
                .by_topic("sg-rideshare")
                .unwrap()
                .title(),
            "مشاركة الرحلات"
        );
    }

    #[test]
    fn a_market_that_is_not_ours_keeps_its_own_words() {
        // Same schema and paths as a bundled market, but its author's own text: nothing is
        // translated, except where its text is exactly ours (then the translation is right).
        let mut v: Value = serde_json::from_str(BUILTIN_SOURCES[2].1).unwrap();
        v["title"] = json!("Flohmarkt Kreuzberg");
        v["form"][0]["label"] = json!("Thing");
        let theirs = Market::from_json(&v.to_string()).unwrap();
        let fr = theirs.localized(&tags(&["fr"]));
        assert_eq!(fr.title(), "Flohmarkt Kreuzberg");
        assert_eq!(fr.form()[0].label, "Thing");
        assert_eq!(fr.form()[1].label, "État");
        // A wholly different market: untouched.
        v["schema"] = json!("bikes/1");
        v["form"][1]["label"] = json!("Condition");
        let other = Market::from_json(&v.to_string()).unwrap();
        assert_eq!(other.localized(&tags(&["fr"])).texts(), other.texts());
    }

    #[test]
    fn broken_definitions_are_refused() {
        let good = BUILTIN_SOURCES[0].1;
        let mut v: Value = serde_json::from_str(good).unwrap();
        let cases: Vec<(Value, &str)> = vec![
            (
                {
                    let mut x = v.clone();
                    x["schema"] = json!("rideshare");
                    x
                },
                "schema",
            ),
            (
                {
                    let mut x = v.clone();
                    x["topic"] = json!("");
                    x
                },
                "topic",
            ),
            (
                {
                    let mut x = v.clone();
                    x["default_expiry_secs"] = json!(0);
                    x
                },
                "expiry",
            ),
            (
                {
                    let mut x = v.clone();
                    x["payload_schema"] = json!({"type": 12});
                    x
                },
                "meta",
            ),
            (
                {
                    let mut x = v.clone();
                    x["form"][0]["input"] = json!("slider");
                    x
                },
                "input",
            ),
            (
                {
                    let mut x = v.clone();
                    x["form"][0]["path"] = json!("from");
                    x
                },
                "pointer",
            ),
            (
                {
                    let mut x = v.clone();
                    x["form"][0]["options"] = json!([{"value":"a","label":"A"}]);
                    x
                },
                "options",
            ),
            (
                {
                    let mut x = v.clone();
                    x["surprise"] = json!(1);
                    x
                },
                "unknown key",
            ),
        ];
        for (bad, why) in cases {
            assert!(
                Market::from_json(&bad.to_string()).is_err(),
                "accepted: {why}"
            );
        }
        assert!(Market::from_json("nope").is_err());
        // Duplicate topic / schema in one registry.
        assert!(MarketRegistry::from_sources([good, good]).is_err());
        v["schema"] = json!("rideshare/9");
        let other = v.to_string();
        assert!(MarketRegistry::from_sources([good, other.as_str()]).is_err());
    }
}
