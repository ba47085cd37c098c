//! A market's post form as screens render it, and the payload built from what the user entered.
//!
//! The form is the market definition's hints (order, labels, input kinds, options) joined with
//! what its payload schema says about each field (required, length, range, list size), so a
//! screen only lays out fields. [`build_payload`] turns the entered values into the payload
//! object the schema validates, or into typed [`FieldViolation`]s, each naming the field's JSON
//! pointer: a number that is not a number, a value that is not one of a select's options, a
//! required field left empty, and every schema violation (`/from/geohash` breaking its pattern
//! is `BadFormat { Geohash }` on `/from/geohash`). The same violations come back from posting.
//!
//! Pure: no I/O.

use serde::Serialize;
use serde_json::{Map, Number, Value};

use super::market::{FormOption, InputKind, Market};
use crate::rules::{FieldViolation, Format, Rule, ValueKind, count};

/// Most entries one form submission may carry (a form has a handful of fields).
pub const MAX_ENTRIES: usize = 64;
/// Longest text accepted in one entry before the schema is even consulted (bytes).
pub const MAX_ENTRY_BYTES: usize = 16 * 1024;

/// One field of a market's form, in display order.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct FormFieldView {
    /// JSON pointer of the field in the payload, e.g. `/from`; entries and violations use it.
    pub path: String,
    /// The market's label for the field (English; a screen may translate it by `path`).
    pub label: String,
    /// How the value is entered.
    pub input: InputKind,
    /// The schema requires the field.
    pub required: bool,
    /// Placeholder hint.
    pub placeholder: Option<String>,
    /// The choices of a `select` field (empty otherwise).
    pub options: Vec<FormOption>,
    /// Most characters of a text (for a location: of its name), if the schema limits it.
    pub max_length: Option<u32>,
    /// Smallest number allowed, for number fields that have one.
    pub minimum: Option<f64>,
    /// Largest number allowed, for number fields that have one.
    pub maximum: Option<f64>,
    /// Most items of a list (images), if limited.
    pub max_items: Option<u32>,
}

/// What the user entered in one form field.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormEntry {
    /// The field's `path` from the form.
    pub path: String,
    /// The value as entered.
    pub value: EntryValue,
}

/// An entered value, as typed: the core converts it (numbers, codes, lists) for the payload.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum EntryValue {
    /// Text as typed: text fields, numbers, a select's option value, a currency code, or image
    /// addresses one per line (or comma-separated).
    Text {
        /// The text.
        text: String,
    },
    /// A place: its name and geohash (from the phone's position, a map, or typed).
    Place {
        /// The place's name.
        name: String,
        /// Its geohash.
        geohash: String,
    },
    /// A list of items (image addresses).
    Items {
        /// The items.
        items: Vec<String>,
    },
}

impl FormEntry {
    /// A text entry.
    pub fn text(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            value: EntryValue::Text { text: text.into() },
        }
    }

    /// A place entry.
    pub fn place(
        path: impl Into<String>,
        name: impl Into<String>,
        geohash: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            value: EntryValue::Place {
                name: name.into(),
                geohash: geohash.into(),
            },
        }
    }
}

/// The form of `market`: its fields with the schema's constraints.
pub fn form_of(market: &Market) -> Vec<FormFieldView> {
    let schema = market.payload_schema();
    market
        .form()
        .iter()
        .map(|f| {
            let prop = property(schema, &f.path);
            // A location's length limit is its name's.
            let text = match f.input {
                InputKind::Location => prop.and_then(|p| property(p, "/name")),
                _ => prop,
            };
            let num = |key: &str| prop.and_then(|p| p.get(key)).and_then(Value::as_f64);
            let int = |v: Option<&Value>, key: &str| {
                v.and_then(|p| p.get(key))
                    .and_then(Value::as_u64)
                    .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            };
            FormFieldView {
                path: f.path.clone(),
                label: f.label.clone(),
                input: f.input,
                required: f.required || is_required(schema, &f.path),
                placeholder: f.placeholder.clone(),
                options: f.options.clone(),
                max_length: int(text, "maxLength"),
                minimum: num("minimum"),
                maximum: num("maximum"),
                max_items: int(prop, "maxItems"),
            }
        })
        .collect()
}

/// Builds `market`'s payload from `entries`, or says what is wrong with each field. Empty
/// entries are left out of the payload (and are a [`Rule::Required`] violation for a required
/// field); an entry for a path the form does not have is a [`Rule::Unknown`] violation.
pub fn build_payload(
    market: &Market,
    entries: &[FormEntry],
) -> Result<Map<String, Value>, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    if entries.len() > MAX_ENTRIES {
        return Err(vec![FieldViolation::new(
            "entries",
            Rule::TooMany {
                max: count(MAX_ENTRIES),
            },
        )]);
    }
    for e in entries {
        if !market.form().iter().any(|f| f.path == e.path) {
            violations.push(FieldViolation::new(e.path.clone(), Rule::Unknown));
        }
    }
    let mut payload = Map::new();
    for f in market.form() {
        // The last entry for a path wins (a screen may send a field twice after an edit).
        let entry = entries.iter().rev().find(|e| e.path == f.path);
        let value = match entry.map(|e| convert(f.input, &f.options, &e.value)) {
            None | Some(Ok(None)) => None,
            Some(Ok(Some(v))) => Some(v),
            Some(Err(rule)) => {
                violations.push(FieldViolation::new(f.path.clone(), rule));
                continue;
            }
        };
        match value {
            Some(v) => set_pointer(&mut payload, &f.path, v),
            None if f.required || is_required(market.payload_schema(), &f.path) => {
                violations.push(FieldViolation::new(f.path.clone(), Rule::Required));
            }
            None => {}
        }
    }
    // The schema judges the rest; a field already refused above is not judged twice.
    let judged: Vec<String> = violations.iter().map(|v| v.field.clone()).collect();
    for v in schema_violations(market, &Value::Object(payload.clone())) {
        let covered = judged
            .iter()
            .any(|j| v.field == *j || v.field.starts_with(&format!("{j}/")));
        if !covered && !violations.contains(&v) {
            violations.push(v);
        }
    }
    if violations.is_empty() {
        Ok(payload)
    } else {
        Err(violations)
    }
}

/// Applies a counter-offer's edits to the terms on the table: each entry sets one top-level key
/// (`/price`) to the entered value, converted by the market's field of that path when it has one
/// (a number field's text becomes a number, a select's value must be an option); an empty entry
/// removes the key. Text entered for a place keeps its geohash and changes its name. The terms
/// themselves are free-form (a counter may add keys the market does not know, as text).
pub fn edit_terms(
    market: Option<&Market>,
    base: &Map<String, Value>,
    entries: &[FormEntry],
) -> Result<Map<String, Value>, Vec<FieldViolation>> {
    if entries.len() > MAX_ENTRIES {
        return Err(vec![FieldViolation::new(
            "entries",
            Rule::TooMany {
                max: count(MAX_ENTRIES),
            },
        )]);
    }
    let mut out = base.clone();
    let mut violations = Vec::new();
    for e in entries {
        let key = match e.path.strip_prefix('/') {
            Some(k) if !k.is_empty() && !k.contains('/') => unescape_token(k),
            _ => {
                violations.push(FieldViolation::new(e.path.clone(), Rule::Unknown));
                continue;
            }
        };
        let field = market.and_then(|m| m.form().iter().find(|f| f.path == e.path));
        let value = match (field.map(|f| f.input), &e.value) {
            // A place renamed in a counter keeps where it is.
            (Some(InputKind::Location), EntryValue::Text { text }) => {
                let name = text.trim();
                match out.get(&key) {
                    Some(Value::Object(place)) if !name.is_empty() => {
                        let mut place = place.clone();
                        place.insert("name".into(), Value::from(name));
                        Ok(Some(Value::Object(place)))
                    }
                    _ => convert(InputKind::Location, &[], &e.value),
                }
            }
            (Some(input), v) => convert(input, field.map_or(&[][..], |f| &f.options), v),
            (None, EntryValue::Place { .. }) => convert(InputKind::Location, &[], &e.value),
            (None, EntryValue::Items { .. }) => convert(InputKind::Images, &[], &e.value),
            // A key the market has no field for keeps its kind: a number stays a number.
            (None, v @ EntryValue::Text { .. }) => match out.get(&key) {
                Some(Value::Number(_)) => convert(InputKind::Number, &[], v),
                _ => convert(InputKind::Text, &[], v),
            },
        };
        match value {
            Ok(Some(v)) => {
                out.insert(key, v);
            }
            Ok(None) => {
                out.remove(&key);
            }
            Err(rule) => violations.push(FieldViolation::new(e.path.clone(), rule)),
        }
    }
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(violations)
    }
}

/// Every way `payload` breaks `market`'s schema, as typed violations on JSON pointers (a
/// missing property is reported on the property's own pointer).
pub fn schema_violations(market: &Market, payload: &Value) -> Vec<FieldViolation> {
    let mut out: Vec<FieldViolation> = Vec::new();
    for e in market.validator().iter_errors(payload) {
        let at = e.instance_path().as_str().to_string();
        let (field, rule) = match e.kind() {
            jsonschema::error::ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                (format!("{at}/{}", escape_token(name)), Rule::Required)
            }
            kind => (at.clone(), rule_of(market, &at, kind)),
        };
        let v = FieldViolation::new(if field.is_empty() { "/" } else { &field }, rule);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn rule_of(market: &Market, at: &str, kind: &jsonschema::error::ValidationErrorKind) -> Rule {
    use jsonschema::error::ValidationErrorKind as K;
    let limit = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let number = |v: &Value| v.as_f64().unwrap_or(0.0);
    match kind {
        K::MinLength { limit: l } => Rule::TooShort { min: limit(*l) },
        K::MaxLength { limit: l } => Rule::TooLong { max: limit(*l) },
        K::MinItems { limit: l } => Rule::TooFew { min: limit(*l) },
        K::MaxItems { limit: l } => Rule::TooMany { max: limit(*l) },
        K::Minimum { limit: l } | K::ExclusiveMinimum { limit: l } => {
            Rule::BelowMinimum { min: number(l) }
        }
        K::Maximum { limit: l } | K::ExclusiveMaximum { limit: l } => {
            Rule::AboveMaximum { max: number(l) }
        }
        K::Enum { options } => Rule::NotAnOption {
            options: options
                .as_array()
                .map(|a| a.iter().map(option_text).collect())
                .unwrap_or_default(),
        },
        K::Pattern { .. } => Rule::BadFormat {
            format: format_at(market, at),
        },
        K::Type { kind } => Rule::WrongType {
            expected: value_kind(kind),
        },
        other => Rule::Schema {
            keyword: other.keyword().to_string(),
        },
    }
}

/// What format a pattern at `at` stands for: a place's geohash, a currency field's code.
fn format_at(market: &Market, at: &str) -> Format {
    if at.ends_with("/geohash") {
        return Format::Geohash;
    }
    match market.form().iter().find(|f| f.path == at).map(|f| f.input) {
        Some(InputKind::Currency) => Format::CurrencyCode,
        Some(InputKind::Location) => Format::Geohash,
        _ => Format::Pattern,
    }
}

fn value_kind(kind: &jsonschema::error::TypeKind) -> ValueKind {
    use jsonschema::JsonType as J;
    let first = match kind {
        jsonschema::error::TypeKind::Single(t) => Some(*t),
        jsonschema::error::TypeKind::Multiple(set) => set.iter().next(),
    };
    match first {
        Some(J::String) => ValueKind::Text,
        Some(J::Number) => ValueKind::Number,
        Some(J::Integer) => ValueKind::Integer,
        Some(J::Boolean) => ValueKind::Boolean,
        Some(J::Array) => ValueKind::List,
        Some(J::Object) => ValueKind::Object,
        Some(J::Null) | None => ValueKind::Null,
    }
}

fn option_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Converts one entry for a field of kind `input`: `Ok(None)` when it is empty.
fn convert(
    input: InputKind,
    options: &[FormOption],
    value: &EntryValue,
) -> Result<Option<Value>, Rule> {
    let too_big = |s: &str| s.len() > MAX_ENTRY_BYTES;
    match (input, value) {
        (InputKind::Location, EntryValue::Place { name, geohash }) => {
            let name = name.trim();
            let geohash = geohash.trim().to_lowercase();
            if too_big(name) || too_big(&geohash) {
                return Err(Rule::TooLarge {
                    max: count(MAX_ENTRY_BYTES),
                });
            }
            if name.is_empty() && geohash.is_empty() {
                return Ok(None);
            }
            // A half-filled place goes to the schema as is: it names the missing part.
            let mut place = Map::new();
            if !name.is_empty() {
                place.insert("name".into(), Value::from(name));
            }
            if !geohash.is_empty() {
                place.insert("geohash".into(), Value::from(geohash));
            }
            Ok(Some(Value::Object(place)))
        }
        (InputKind::Location, _) => Err(Rule::WrongType {
            expected: ValueKind::Object,
        }),
        (InputKind::Images, EntryValue::Items { items }) => {
            images(items.iter().map(String::as_str))
        }
        (InputKind::Images, EntryValue::Text { text }) => {
            if too_big(text) {
                return Err(Rule::TooLarge {
                    max: count(MAX_ENTRY_BYTES),
                });
            }
            images(text.split(['\n', ',']))
        }
        (_, EntryValue::Text { text }) => {
            let t = text.trim();
            if too_big(t) {
                return Err(Rule::TooLarge {
                    max: count(MAX_ENTRY_BYTES),
                });
            }
            if t.is_empty() {
                return Ok(None);
            }
            match input {
                InputKind::Number => number(t).map(Some),
                InputKind::Currency => Ok(Some(Value::from(t.to_uppercase()))),
                InputKind::Select => {
                    if options.iter().any(|o| o.value == t) {
                        Ok(Some(Value::from(t)))
                    } else {
                        Err(Rule::NotAnOption {
                            options: options.iter().map(|o| o.value.clone()).collect(),
                        })
                    }
                }
                _ => Ok(Some(Value::from(t))),
            }
        }
        (_, _) => Err(Rule::WrongType {
            expected: if input == InputKind::Number {
                ValueKind::Number
            } else {
                ValueKind::Text
            },
        }),
    }
}

fn images<'a>(items: impl Iterator<Item = &'a str>) -> Result<Option<Value>, Rule> {
    let list: Vec<Value> = items
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Value::from)
        .collect();
    Ok((!list.is_empty()).then_some(Value::Array(list)))
}

/// A number typed by a person: an integer, or a finite decimal with a `.`.
fn number(t: &str) -> Result<Value, Rule> {
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Value::from(i));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)))
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or(Rule::NotANumber)
}

/// The schema of the property at `pointer` (`/a/b`) under `schema` (following local `$ref`s).
fn property<'a>(schema: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = resolve(schema, schema);
    for token in pointer.split('/').skip(1) {
        node = resolve(
            schema,
            node.get("properties")?
                .get(unescape_token(token).as_str())?,
        );
    }
    Some(node)
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) if r.starts_with("#/") => root.pointer(&r[1..]).unwrap_or(node),
        _ => node,
    }
}

/// Whether the schema requires the property at `pointer` (every step of the way).
fn is_required(schema: &Value, pointer: &str) -> bool {
    let mut node = resolve(schema, schema);
    for token in pointer.split('/').skip(1) {
        let name = unescape_token(token);
        let required = node
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|x| x.as_str() == Some(name.as_str())));
        if !required {
            return false;
        }
        match node.get("properties").and_then(|p| p.get(name.as_str())) {
            Some(p) => node = resolve(schema, p),
            None => return false,
        }
    }
    true
}

pub(crate) fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn unescape_token(t: &str) -> String {
    t.replace("~1", "/").replace("~0", "~")
}

/// Writes `value` at the JSON pointer `pointer`, creating objects on the way.
fn set_pointer(root: &mut Map<String, Value>, pointer: &str, value: Value) {
    let tokens: Vec<String> = pointer.split('/').skip(1).map(unescape_token).collect();
    let Some((last, path)) = tokens.split_last() else {
        return;
    };
    let mut node = root;
    for t in path {
        let next = node
            .entry(t.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(m) = next else {
            return;
        };
        node = m;
    }
    node.insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::market::builtin;
    use serde_json::json;

    fn market(name: &str) -> &'static Market {
        builtin().by_schema(name).unwrap()
    }

    fn rule_at(v: &[FieldViolation], field: &str) -> Option<Rule> {
        v.iter().find(|x| x.field == field).map(|x| x.rule.clone())
    }

    #[test]
    fn form_carries_the_schema_constraints() {
        let goods = form_of(market("goods/1"));
        let paths: Vec<&str> = goods.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/item",
                "/condition",
                "/price",
                "/currency",
                "/location",
                "/notes",
                "/photos"
            ]
        );
        let item = &goods[0];
        assert!(item.required);
        assert_eq!(item.max_length, Some(200));
        let price = &goods[2];
        assert_eq!(price.input, InputKind::Number);
        assert_eq!(price.minimum, Some(0.0));
        assert_eq!(price.maximum, Some(1_000_000_000.0));
        let condition = &goods[1];
        assert_eq!(condition.options.len(), 5);
        let location = &goods[4];
        assert_eq!(location.max_length, Some(200), "the place name's limit");
        assert_eq!(goods[6].max_items, Some(8));
        assert!(!goods[5].required);
        // `$ref`'d places are followed.
        let ride = form_of(market("rideshare/1"));
        assert!(ride[0].required);
        assert_eq!(ride[0].max_length, Some(200));
        assert_eq!(ride[5].max_items, Some(20));
    }

    #[test]
    fn a_good_form_builds_the_payload_with_converted_values() {
        let p = build_payload(
            market("goods/1"),
            &[
                FormEntry::text("/item", "  Road bike "),
                FormEntry::text("/condition", "good"),
                FormEntry::text("/price", "120"),
                FormEntry::text("/currency", "sgd"),
                FormEntry::place("/location", "Bishan", " W21ZF "),
                FormEntry::text("/notes", ""),
                FormEntry::text(
                    "/photos",
                    "https://x/1.jpg\n\nhttps://x/2.jpg, https://x/3.jpg",
                ),
            ],
        )
        .unwrap();
        assert_eq!(
            Value::Object(p),
            json!({
                "item": "Road bike", "condition": "good", "price": 120, "currency": "SGD",
                "location": {"name": "Bishan", "geohash": "w21zf"},
                "photos": ["https://x/1.jpg", "https://x/2.jpg", "https://x/3.jpg"]
            })
        );
        let p = build_payload(
            market("goods/1"),
            &[
                FormEntry::text("/item", "x"),
                FormEntry::text("/condition", "new"),
                FormEntry::text("/price", "12.5"),
                FormEntry::text("/currency", "EUR"),
                FormEntry::place("/location", "A", "u0"),
            ],
        )
        .unwrap();
        assert_eq!(p["price"], json!(12.5));
    }

    #[test]
    fn each_violation_lands_on_its_field() {
        let v = build_payload(
            market("goods/1"),
            &[
                FormEntry::text("/item", "x".repeat(201)),
                FormEntry::text("/condition", "mint"),
                FormEntry::text("/price", "twelve"),
                FormEntry::text("/currency", "dollars"),
                FormEntry::place("/location", "Bishan", "w21z!"),
                FormEntry::text("/nope", "?"),
            ],
        )
        .unwrap_err();
        assert_eq!(rule_at(&v, "/item"), Some(Rule::TooLong { max: 200 }));
        assert_eq!(
            rule_at(&v, "/condition"),
            Some(Rule::NotAnOption {
                options: ["new", "like_new", "good", "fair", "for_parts"]
                    .map(String::from)
                    .to_vec()
            })
        );
        assert_eq!(rule_at(&v, "/price"), Some(Rule::NotANumber));
        assert_eq!(
            rule_at(&v, "/currency"),
            Some(Rule::BadFormat {
                format: Format::CurrencyCode
            })
        );
        assert_eq!(
            rule_at(&v, "/location/geohash"),
            Some(Rule::BadFormat {
                format: Format::Geohash
            })
        );
        assert_eq!(rule_at(&v, "/nope"), Some(Rule::Unknown));
        // A field refused before the schema is not reported twice.
        assert_eq!(v.iter().filter(|x| x.field == "/price").count(), 1);
    }

    #[test]
    fn missing_parts_are_required_on_their_own_pointer() {
        let v = build_payload(
            market("rideshare/1"),
            &[
                FormEntry::place("/from", "Hoan Kiem", ""),
                FormEntry::text("/payment", "x"),
            ],
        )
        .unwrap_err();
        assert_eq!(rule_at(&v, "/from/geohash"), Some(Rule::Required));
        assert_eq!(rule_at(&v, "/to"), Some(Rule::Required));
        assert_eq!(v.len(), 2, "{v:?}");
        // Wrong kinds of values.
        let v = build_payload(
            market("rideshare/1"),
            &[
                FormEntry::text("/from", "Hoan Kiem"),
                FormEntry::place("/payment", "x", "y"),
            ],
        )
        .unwrap_err();
        assert_eq!(
            rule_at(&v, "/from"),
            Some(Rule::WrongType {
                expected: ValueKind::Object
            })
        );
        assert_eq!(
            rule_at(&v, "/payment"),
            Some(Rule::WrongType {
                expected: ValueKind::Text
            })
        );
    }

    #[test]
    fn numbers_ranges_and_lists_are_judged() {
        let base = |price: &str| {
            vec![
                FormEntry::text("/item", "x"),
                FormEntry::text("/condition", "new"),
                FormEntry::text("/price", price),
                FormEntry::text("/currency", "SGD"),
                FormEntry::place("/location", "A", "w21"),
            ]
        };
        for bad in ["1,5", "NaN", "inf", "1e999", "0x10", "--1"] {
            let v = build_payload(market("goods/1"), &base(bad)).unwrap_err();
            assert_eq!(rule_at(&v, "/price"), Some(Rule::NotANumber), "{bad}");
        }
        let v = build_payload(market("goods/1"), &base("-1")).unwrap_err();
        assert_eq!(rule_at(&v, "/price"), Some(Rule::BelowMinimum { min: 0.0 }));
        let mut photos = base("1");
        photos.push(FormEntry {
            path: "/photos".into(),
            value: EntryValue::Items {
                items: vec!["https://x".into(); 9],
            },
        });
        let v = build_payload(market("goods/1"), &photos).unwrap_err();
        assert_eq!(rule_at(&v, "/photos"), Some(Rule::TooMany { max: 8 }));
    }

    #[test]
    fn schema_violations_of_a_raw_payload_are_typed() {
        let v = schema_violations(market("rideshare/1"), &json!([1]));
        assert_eq!(
            v,
            vec![FieldViolation::new(
                "/",
                Rule::WrongType {
                    expected: ValueKind::Object
                }
            )]
        );
        let v = schema_violations(
            market("rideshare/1"),
            &json!({"from": {"name": "A", "geohash": "AAAA"}, "to": {"name": "B"}}),
        );
        assert_eq!(
            rule_at(&v, "/from/geohash"),
            Some(Rule::BadFormat {
                format: Format::Geohash
            })
        );
        assert_eq!(rule_at(&v, "/to/geohash"), Some(Rule::Required));
    }

    #[test]
    fn counter_edits_convert_by_the_market_field_and_keep_places() {
        let base = json!({
            "item": "city bike", "price": 150, "currency": "SGD",
            "location": {"name": "Tanjong Pagar MRT", "geohash": "w21z74"},
            "notes": "bags", "extra": 3
        });
        let base = base.as_object().unwrap();
        let out = edit_terms(
            Some(market("goods/1")),
            base,
            &[
                FormEntry::text("/price", " 120 "),
                FormEntry::text("/location", "Outram Park"),
                FormEntry::text("/notes", ""),
                FormEntry::text("/extra", "4"),
                FormEntry::text("/window", "evenings"),
            ],
        )
        .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({
                "item": "city bike", "price": 120, "currency": "SGD",
                "location": {"name": "Outram Park", "geohash": "w21z74"},
                "extra": 4, "window": "evenings"
            })
        );
        let v = edit_terms(
            Some(market("goods/1")),
            base,
            &[
                FormEntry::text("/price", "cheap"),
                FormEntry::text("/condition", "mint"),
                FormEntry::text("/a/b", "x"),
            ],
        )
        .unwrap_err();
        assert_eq!(rule_at(&v, "/price"), Some(Rule::NotANumber));
        assert!(matches!(
            rule_at(&v, "/condition"),
            Some(Rule::NotAnOption { .. })
        ));
        assert_eq!(rule_at(&v, "/a/b"), Some(Rule::Unknown));
        // Without a market: numbers stay numbers.
        let v = edit_terms(None, base, &[FormEntry::text("/extra", "four")]).unwrap_err();
        assert_eq!(rule_at(&v, "/extra"), Some(Rule::NotANumber));
    }

    #[test]
    fn oversized_input_is_refused_before_anything_else() {
        let v =
            build_payload(market("goods/1"), &vec![FormEntry::text("/item", "x"); 65]).unwrap_err();
        assert_eq!(
            v,
            vec![FieldViolation::new("entries", Rule::TooMany { max: 64 })]
        );
        let v = build_payload(
            market("goods/1"),
            &[FormEntry::text("/notes", "x".repeat(MAX_ENTRY_BYTES + 1))],
        )
        .unwrap_err();
        assert_eq!(
            rule_at(&v, "/notes"),
            Some(Rule::TooLarge {
                max: MAX_ENTRY_BYTES as u32
            })
        );
    }
}
