//! Typed node settings: each node type reads its configuration into a
//! `#[derive(Deserialize)]` struct and describes its fields once, in a table
//! ([`NodeSettings::FIELDS`]) from which both the editor's definition
//! (`defaults`, form `fields`, `credentials`) and the values of missing
//! fields come, so the editor and the runtime cannot disagree about a
//! default or a choice.
//!
//! Node-RED exports are loose (numbers as strings, `"true"` for `true`,
//! `null` or missing fields): the deserializers in [`de`] accept what it
//! writes. Every field that cannot be read is reported as its own
//! [`Problem`] naming the node and the field.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::BuildCx;
use flowgate_runtime::Problem;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// One option of a select field: the value stored and the text shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    pub label: Option<&'static str>,
}

impl Choice {
    /// An option shown as its value.
    pub const fn plain(value: &'static str) -> Self {
        Choice { value, label: None }
    }
}

/// A settings enum whose variants are the options a select field offers
/// (declared with [`choices!`](crate::choices), so the two are one list).
pub trait Choices: Sized {
    /// What the value is, for errors (`invalid method "fetch"`).
    const NOUN: &'static str;
    const CHOICES: &'static [Choice];
    /// The variant for a value as written (any ASCII case, or an alias).
    fn from_text(text: &str) -> Option<Self>;
}

/// Declares a settings enum read from its Node-RED text value; its
/// `CHOICES` are the editor's options, in order. A variant may have other
/// spellings Node-RED accepts (`Query = "query" | "true"`) and a label
/// (`Verify = "false" ("Verify")`); `else Variant` reads unknown values as
/// that variant, for fields Node-RED reads that way.
#[macro_export]
macro_rules! choices {
    (@label) => { None };
    (@label $label:literal) => { Some($label) };
    (@else) => { None };
    (@else $fallback:ident) => { Some(Self::$fallback) };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($noun:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal $(| $alias:literal)* $(($label:literal))? ),* $(,)?
        } $(else $fallback:ident)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $value)] $variant ),*
        }
        impl $crate::support::settings::Choices for $name {
            const NOUN: &'static str = $noun;
            const CHOICES: &'static [$crate::support::settings::Choice] = &[
                $( $crate::support::settings::Choice { value: $value, label: $crate::choices!(@label $($label)?) } ),*
            ];
            fn from_text(text: &str) -> Option<Self> {
                $( if text.eq_ignore_ascii_case($value) $(|| text.eq_ignore_ascii_case($alias))* {
                    return Some(Self::$variant);
                } )*
                $crate::choices!(@else $($fallback)?)
            }
        }
        impl $name {
            /// The value as Node-RED writes it.
            #[allow(dead_code)]
            pub fn value(self) -> &'static str {
                match self {
                    $( Self::$variant => $value ),*
                }
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::support::settings::de::choice(d)
            }
        }
    };
}

/// A field's default, as Node-RED's editor writes it into a new node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initial {
    Str(&'static str),
    Bool(bool),
    Int(i64),
    Num(f64),
    Null,
    /// A JSON document (for lists and objects).
    Json(&'static str),
}

impl Initial {
    pub fn to_value(self) -> Value {
        match self {
            Initial::Str(s) => Value::String(s.to_owned()),
            Initial::Bool(b) => Value::Bool(b),
            Initial::Int(n) => Value::from(n),
            Initial::Num(n) => json!(n),
            Initial::Null => Value::Null,
            Initial::Json(text) => serde_json::from_str(text).expect("default is JSON"),
        }
    }
}

/// How a credential is kept: shown back to the editor (`text`) or only as
/// "set / not set" (`password`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    Password,
    Text,
}

/// How the editor's form shows a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    TextArea,
    Number,
    Checkbox,
    Select(&'static [Choice]),
    /// Several of the options (a list of values).
    MultiSelect(&'static [Choice]),
    /// Text typed without being shown (a flow property, not a credential).
    Password,
    /// A value with a type selector (`msg`, `flow`, `str`…).
    Typed,
    Json,
    Code,
    Headers,
    /// A list of node ids (`links`, `scope`).
    NodeList,
    /// The id of a config node of the given type.
    Config(&'static str),
    /// One of the node types' own list editors (`props`, `change-rules`,
    /// `switch-rules`).
    List(&'static str),
    /// A credential: kept in the credentials file, never in the flow.
    /// `multiline` shows a text area (keys) instead of a one-line input.
    Credential {
        secret: Secret,
        multiline: bool,
    },
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::TextArea => "textarea",
            Kind::Number => "number",
            Kind::Checkbox => "checkbox",
            Kind::Select(_) => "select",
            Kind::MultiSelect(_) => "multiselect",
            Kind::Password => "password",
            Kind::Typed => "typed",
            Kind::Json => "json",
            Kind::Code => "code",
            Kind::Headers => "headers",
            Kind::NodeList => "node-list",
            Kind::Config(_) => "config",
            Kind::List(name) => name,
            Kind::Credential {
                multiline: true, ..
            } => "textarea",
            Kind::Credential {
                secret: Secret::Password,
                ..
            } => "password",
            Kind::Credential { .. } => "text",
        }
    }
}

/// One field of a node type's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// What the editor writes into a new node (and what a missing field
    /// reads as, unless `absent` says otherwise).
    pub default: Initial,
    /// What a field missing from the flow file reads as, where Node-RED's
    /// runtime differs from its editor (`inject`'s `payloadType`: `date`
    /// for a new node, `str` when absent).
    pub absent: Option<Initial>,
    pub label: Option<&'static str>,
    pub required: bool,
    /// Shown in the form (else only a default the editor writes).
    pub form: bool,
}

impl Field {
    pub const fn new(name: &'static str, kind: Kind, default: Initial) -> Self {
        Field {
            name,
            kind,
            default,
            absent: None,
            label: None,
            required: false,
            form: true,
        }
    }
    pub const fn text(name: &'static str, default: &'static str) -> Self {
        Self::new(name, Kind::Text, Initial::Str(default))
    }
    pub const fn checkbox(name: &'static str, default: bool) -> Self {
        Self::new(name, Kind::Checkbox, Initial::Bool(default))
    }
    pub const fn select(
        name: &'static str,
        choices: &'static [Choice],
        default: &'static str,
    ) -> Self {
        Self::new(name, Kind::Select(choices), Initial::Str(default))
    }
    /// The `name` every node type has, labelled as Node-RED's forms label it.
    pub const fn name() -> Self {
        Self::text("name", "").label("Name")
    }
    pub const fn credential(name: &'static str, secret: Secret, multiline: bool) -> Self {
        Self::new(name, Kind::Credential { secret, multiline }, Initial::Null)
    }
    pub const fn label(mut self, label: &'static str) -> Self {
        self.label = Some(label);
        self
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Not in the form: only a default for new nodes.
    pub const fn hidden(mut self) -> Self {
        self.form = false;
        self
    }
    pub const fn absent(mut self, value: Initial) -> Self {
        self.absent = Some(value);
        self
    }

    fn is_credential(&self) -> bool {
        matches!(self.kind, Kind::Credential { .. })
    }

    /// The form field definition the editor's forms module reads.
    fn form_entry(&self) -> Value {
        let mut f = Map::new();
        f.insert("name".into(), json!(self.name));
        f.insert("type".into(), json!(self.kind.name()));
        match self.kind {
            Kind::Select(choices) | Kind::MultiSelect(choices) => {
                let options = choices
                    .iter()
                    .map(|c| match c.label {
                        Some(label) => json!({"value": c.value, "label": label}),
                        None => json!(c.value),
                    })
                    .collect();
                f.insert("options".into(), Value::Array(options));
            }
            Kind::Config(t) => {
                f.insert("configType".into(), json!(t));
            }
            Kind::Credential { .. } => {
                f.insert("credential".into(), json!(true));
            }
            _ => {}
        }
        if self.required {
            f.insert("required".into(), json!(true));
        }
        if let Some(label) = self.label {
            f.insert("label".into(), json!(label));
        }
        Value::Object(f)
    }
}

/// A node type's settings: the struct its `build` reads, and the table of
/// fields the editor shows.
pub trait NodeSettings: DeserializeOwned + Serialize + 'static {
    /// Every field, in form order; credentials included.
    const FIELDS: &'static [Field];
    /// The editor's label rule for nodes on the canvas (`"[{method}] {url}"`).
    const LABEL: Option<&'static str> = None;
    /// The name the palette shows when it is not the type's (`rbe` is
    /// "filter" in Node-RED's palette).
    const PALETTE_LABEL: Option<&'static str> = None;

    /// Read a node's settings; every field that cannot be read is a problem.
    fn read(config: &NodeConfig) -> Result<Self, Vec<Problem>> {
        read(config)
    }
}

/// What the editor writes into a new node of this type.
pub fn defaults<S: NodeSettings>() -> Map<String, Value> {
    S::FIELDS
        .iter()
        .filter(|f| !f.is_credential())
        .map(|f| (f.name.to_owned(), f.default.to_value()))
        .collect()
}

/// The node type's editor definition (`GET /nodes`' `editor`).
pub fn editor<S: NodeSettings>() -> Value {
    let mut e = Map::new();
    e.insert("defaults".into(), Value::Object(defaults::<S>()));
    let credentials: Map<String, Value> = S::FIELDS
        .iter()
        .filter_map(|f| match f.kind {
            Kind::Credential { secret, .. } => {
                let t = if secret == Secret::Text {
                    "text"
                } else {
                    "password"
                };
                Some((f.name.to_owned(), json!({ "type": t })))
            }
            _ => None,
        })
        .collect();
    if !credentials.is_empty() {
        e.insert("credentials".into(), Value::Object(credentials));
    }
    let fields = S::FIELDS
        .iter()
        .filter(|f| f.form)
        .map(Field::form_entry)
        .collect();
    e.insert("fields".into(), Value::Array(fields));
    if let Some(label) = S::LABEL {
        e.insert("label".into(), json!(label));
    }
    if let Some(label) = S::PALETTE_LABEL {
        e.insert("paletteLabel".into(), json!(label));
    }
    Value::Object(e)
}

/// The default of numeric field `name` (for values that read as no number,
/// such as empty text, where Node-RED uses the default).
pub fn default_number<S: NodeSettings>(name: &str) -> f64 {
    let field = S::FIELDS
        .iter()
        .find(|f| f.name == name)
        .expect("a field of the table");
    crate::support::js::to_number(Some(&field.default.to_value()))
}

/// [`editor`] as the `&'static str` the registry keeps: made once per
/// settings type and process (a few hundred bytes per node type).
pub fn editor_json<S: NodeSettings>() -> &'static str {
    static MADE: LazyLock<Mutex<HashMap<TypeId, &'static str>>> = LazyLock::new(Default::default);
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    made.entry(TypeId::of::<S>())
        .or_insert_with(|| Box::leak(editor::<S>().to_string().into_boxed_str()))
}

/// The value a field reads as: the node's own, or the default when the node
/// leaves it out or writes `null`.
fn field_value(config: &NodeConfig, field: &Field) -> Value {
    match config.raw.get(field.name) {
        None | Some(Value::Null) => field.absent.unwrap_or(field.default).to_value(),
        Some(v) => v.clone(),
    }
}

/// Read `S` from a node: each field from the node, or its default. When
/// the whole does not read, each field is tried alone (the others at their
/// defaults) so that every bad field is named.
pub fn read<S: NodeSettings>(config: &NodeConfig) -> Result<S, Vec<Problem>> {
    match read_partial(config) {
        (Some(s), problems) if problems.is_empty() => Ok(s),
        (_, problems) => Err(problems),
    }
}

/// [`read`], but with the settings as far as they read: each bad field at
/// its default (`None` only if even that fails), for node types that go on
/// checking (keys, credentials) so all their problems are listed together.
pub fn read_partial<S: NodeSettings>(config: &NodeConfig) -> (Option<S>, Vec<Problem>) {
    let fields = S::FIELDS.iter().filter(|f| !f.is_credential());
    let all: Map<String, Value> = fields
        .clone()
        .map(|f| (f.name.to_owned(), field_value(config, f)))
        .collect();
    let error = match serde_json::from_value::<S>(Value::Object(all.clone())) {
        Ok(s) => return (Some(s), Vec::new()),
        Err(e) => e,
    };
    let base: Map<String, Value> = fields
        .clone()
        .map(|f| (f.name.to_owned(), f.absent.unwrap_or(f.default).to_value()))
        .collect();
    let mut problems = Vec::new();
    let mut good = all;
    for f in fields.filter(|f| config.raw.get(f.name).is_some_and(|v| !v.is_null())) {
        let mut one = base.clone();
        one.insert(f.name.to_owned(), field_value(config, f));
        if let Err(e) = serde_json::from_value::<S>(Value::Object(one)) {
            problems.push(config.problem(Some(f.name), e.to_string()));
            good.insert(f.name.to_owned(), base[f.name].clone());
        }
    }
    if problems.is_empty() {
        problems.push(config.problem(None, error.to_string()));
    }
    (serde_json::from_value(Value::Object(good)).ok(), problems)
}

/// [`read`] for a `build` function: reports all problems but one to `cx`
/// and returns that one, so the loader lists them all.
pub fn load<S: NodeSettings>(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<S, Problem> {
    S::read(config).map_err(|problems| report(cx, problems))
}

/// A message property field (`property`, `topic`…): `default` when left
/// empty, as Node-RED's `n.property || "payload"` reads it, and a problem
/// naming the field when it does not parse.
pub fn msg_property(
    config: &NodeConfig,
    field: &str,
    text: &str,
    default: &str,
) -> Result<crate::support::msgpath::PropPath, Problem> {
    let text = if text.is_empty() { default } else { text };
    crate::support::msgpath::PropPath::parse_msg(text)
        .map_err(|e| config.problem(Some(field), e.to_string()))
}

/// Report all of `problems` but the last to `cx`; the last is returned for
/// the `build` function to fail with.
pub fn report(cx: &mut BuildCx<'_>, mut problems: Vec<Problem>) -> Problem {
    let last = problems.pop().expect("at least one problem");
    for p in problems {
        cx.report(p);
    }
    last
}

/// Lenient deserializers for what Node-RED writes into flow files.
pub mod de {
    use serde::de::{Deserializer, Error};
    use serde::Deserialize;
    use serde_json::Value;

    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "text",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    /// A checkbox: `true`/`false`, `"true"`/`"false"`, `1`/`0`, `"1"`.
    /// Other text is false, as in Node-RED's `n.x === "true"` checks.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(b) => Ok(b),
            Value::String(s) => Ok(s == "true" || s == "1"),
            Value::Number(n) => Ok(n.as_f64().is_some_and(|v| v != 0.0)),
            Value::Null => Ok(false),
            other => Err(D::Error::custom(format!(
                "must be true or false, not {}",
                kind(&other)
            ))),
        }
    }

    /// A number given as a number or as numeric text (`"86400"`); empty
    /// text is no number.
    pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => Ok(n.as_f64()),
            Value::Null => Ok(None),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("must be a number, not \"{s}\""))),
            other => Err(D::Error::custom(format!(
                "must be a number, not {}",
                kind(&other)
            ))),
        }
    }

    /// Text, with numbers and booleans as JavaScript writes them.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(s),
            Value::Null => Ok(String::new()),
            v @ (Value::Number(_) | Value::Bool(_)) => {
                Ok(crate::support::js::to_js_string(Some(&v)))
            }
            other => Err(D::Error::custom(format!(
                "must be text, not {}",
                kind(&other)
            ))),
        }
    }

    /// One of a [`Choices`](super::Choices) enum's values; numbers and
    /// booleans are read as their text (`true` is `"true"`).
    pub fn choice<'de, D: Deserializer<'de>, T: super::Choices>(d: D) -> Result<T, D::Error> {
        let v = Value::deserialize(d)?;
        let text = match &v {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => crate::support::js::to_js_string(Some(&v)),
            other => {
                return Err(D::Error::custom(format!(
                    "invalid {} (must be text, not {})",
                    T::NOUN,
                    kind(other)
                )))
            }
        };
        T::from_text(&text).ok_or_else(|| {
            let expected: Vec<String> = T::CHOICES
                .iter()
                .map(|c| format!("\"{}\"", c.value))
                .collect();
            D::Error::custom(format!(
                "invalid {} \"{text}\" (expected one of {})",
                T::NOUN,
                expected.join(", ")
            ))
        })
    }

    /// A value that is present, `null` included (with `#[serde(default)]`,
    /// absent is `None`): for fields Node-RED checks with `hasOwnProperty`.
    pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Value::deserialize(d).map(Some)
    }

    /// A list; a single text value is a list of one, empty text none.
    pub fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => Ok(items),
            Value::Null => Ok(Vec::new()),
            Value::String(s) if s.is_empty() => Ok(Vec::new()),
            s @ Value::String(_) => Ok(vec![s]),
            other => Err(D::Error::custom(format!(
                "must be a list, not {}",
                kind(&other)
            ))),
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
