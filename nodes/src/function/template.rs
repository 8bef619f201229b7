//! `template`: renders a mustache (or plain) template into a message or
//! context property, optionally parsing the result as JSON or YAML. Names
//! the message lacks resolve `flow.x`, `global.x` and `env.X` as Node-RED does.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::support::msgpath::PropPath;
use crate::support::mustache::{self, RenderContext, Template};
use crate::support::settings::{self, de, Choices, Initial, Kind, NodeSettings};
use crate::support::typed_value::{evaluate_env, ContextKind, ContextPath, Contexts};

pub fn node_type() -> NodeType {
    NodeType::runnable("template", build)
        .reports_empty_name()
        .category("function")
        .color("rgb(243, 181, 103)")
        .editor(settings::editor_json::<TemplateSettings>())
}

crate::choices! {
    /// What the rendered text becomes.
    pub enum Output ("output") {
        Str = "str" | "",
        Json = "json",
        Yaml = "yaml",
    }
}

crate::choices! {
    /// Whether the template is mustache or sent as written.
    pub enum Syntax ("syntax") {
        Mustache = "mustache",
        Plain = "plain",
    } else Plain
}

crate::choices! {
    /// Where the result goes.
    pub enum FieldType ("fieldType") {
        Msg = "msg",
        Flow = "flow",
        Global = "global",
    } else Msg
}

/// A `template` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct TemplateSettings {
    /// The property set; empty is `payload`.
    #[serde(deserialize_with = "de::text")]
    pub field: String,
    #[serde(rename = "fieldType")]
    pub field_type: FieldType,
    pub syntax: Syntax,
    pub output: Output,
    #[serde(deserialize_with = "de::text")]
    pub template: String,
}

impl NodeSettings for TemplateSettings {
    const FIELDS: &'static [settings::Field] = &[
        settings::Field::new("field", Kind::Typed, Initial::Str("payload")).label("Property"),
        settings::Field::select("syntax", Syntax::CHOICES, "mustache").label("Format"),
        settings::Field::select("output", Output::CHOICES, "str").label("Output as"),
        // Absent: empty, so `msg.template` is used (a new node gets text).
        settings::Field::new(
            "template",
            Kind::Code,
            Initial::Str("This is the payload: {{payload}} !"),
        )
        .label("Template")
        .absent(Initial::Str("")),
        settings::Field::name(),
        settings::Field::select("fieldType", FieldType::CHOICES, "msg").hidden(),
        settings::Field::text("format", "handlebars").hidden(),
    ];
}

enum Field {
    Msg(PropPath),
    Context(ContextKind, ContextPath),
}

struct TemplateNode {
    /// The node's template, parsed (a parse error is raised per message, as
    /// Node-RED does); `None` when empty, so `msg.template` is used.
    template: Option<Result<Template, String>>,
    raw: String,
    mustache: bool,
    output: Output,
    field: Field,
    contexts: Contexts,
    /// `env.X` values, resolved at load.
    env: Vec<(String, String)>,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: TemplateSettings = settings::load(config, cx)?;
    let raw = s.template;
    let mustache = s.syntax == Syntax::Mustache;
    let output = s.output;
    let field_name = if s.field.is_empty() {
        "payload"
    } else {
        &s.field
    };
    let context = |kind| {
        ContextPath::parse(field_name)
            .map(|p| Field::Context(kind, p))
            .map_err(|e| config.problem(Some("field"), e.to_string()))
    };
    let field = match s.field_type {
        FieldType::Flow => context(ContextKind::Flow)?,
        FieldType::Global => context(ContextKind::Global)?,
        FieldType::Msg => Field::Msg(
            PropPath::parse_msg(field_name)
                .map_err(|e| config.problem(Some("field"), e.to_string()))?,
        ),
    };
    let template = (!raw.is_empty()).then(|| mustache::parse(&raw).map_err(|e| e.to_string()));
    let mut env = Vec::new();
    if let Some(Ok(t)) = &template {
        for name in t.names() {
            if let Some(var) = name.strip_prefix("env.") {
                env.push((
                    name.clone(),
                    flowgate_runtime::flow_env::js_string(&evaluate_env(var, config, cx)),
                ));
            }
        }
    }
    Ok(Built::new(
        TemplateNode {
            template: if mustache { template } else { None },
            raw,
            mustache,
            output,
            field,
            contexts: Contexts::from_cx(cx),
            env,
        },
        1,
    ))
}

impl TemplateNode {
    /// A value for a name the message does not have.
    fn fallback(&self, name: &str, msg: &serde_json::Map<String, Value>) -> Option<Value> {
        if let Some(var) = name.strip_prefix("env.") {
            return Some(Value::String(
                self.env
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| flowgate_runtime::env::var(var).unwrap_or_default()),
            ));
        }
        // flow.x, flow[store].x, global.x
        let (kind, rest) = if let Some(r) = name.strip_prefix("flow") {
            (ContextKind::Flow, r)
        } else if let Some(r) = name.strip_prefix("global") {
            (ContextKind::Global, r)
        } else {
            return None;
        };
        // `flow[store].key`: the key in a named store.
        let (store, rest) = match rest.strip_prefix('[') {
            Some(r) => {
                let (store, rest) = r.split_once("].")?;
                (Some(store), rest)
            }
            None => (None, rest.strip_prefix('.')?),
        };
        let path = ContextPath::parse(rest).ok()?.with_store(store);
        path.get(self.contexts.store(kind), msg).ok().flatten()
    }

    fn render(&self, msg: &Message) -> Result<String, String> {
        let from_msg;
        let template = match &self.template {
            Some(t) => t.as_ref().map_err(Clone::clone)?,
            None if !self.mustache => {
                return Ok(if self.raw.is_empty() {
                    msg.body
                        .get("template")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                } else {
                    self.raw.clone()
                })
            }
            None => {
                let text = msg
                    .body
                    .get("template")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                from_msg = mustache::parse(text).map_err(|e| e.to_string())?;
                &from_msg
            }
        };
        let view = Value::Object(msg.body.clone());
        let fallback = |name: &str| self.fallback(name, &msg.body);
        let mut cx =
            RenderContext::new(&view, &fallback).escape_json_strings(self.output == Output::Json);
        Ok(template.render(&mut cx))
    }
}

impl Node for TemplateNode {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let fail = |msg: Message, e: String| Outcome::Ready(Err(NodeError::new(e).with_msg(msg)));
        let text = match self.render(&msg) {
            Ok(t) => t,
            Err(e) => return fail(msg, e),
        };
        // `None`: js-yaml's `undefined` for a document with no content.
        let value = match self.output {
            Output::Str => Some(Value::String(text)),
            Output::Json => match crate::parsers::json::parse(&text) {
                Ok(v) => Some(v),
                Err(e) => return fail(msg, e),
            },
            Output::Yaml => match crate::parsers::yaml::load(&text) {
                Ok(v) => v,
                Err(e) => return fail(msg, e),
            },
        };
        match &self.field {
            Field::Msg(p) => {
                let _ = match value {
                    Some(v) => p.set(&mut msg.body, v),
                    None => p.delete(&mut msg.body),
                };
            }
            Field::Context(kind, p) => {
                let _ = p.set(self.contexts.store(*kind), &msg.body, value);
            }
        }
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{self, Sink};
    use serde_json::json;

    #[tokio::test]
    async fn renders_with_context_env_and_outputs() {
        std::env::set_var("FG_TEST_TEMPLATE_ENV", "E");
        let rt = testkit::start(json!([
            {"id": "tp1", "type": "template", "z": "t", "field": "payload", "fieldType": "msg", "syntax": "mustache",
             "template": "<b>{{payload}}</b> {{{payload}}} {{flow.who}} {{global.cfg.n}} {{env.FG_TEST_TEMPLATE_ENV}}",
             "output": "str", "wires": [["tp1-out"]]},
            {"id": "tp1-out", "type": "test sink", "z": "t", "wires": []},
            {"id": "tp2", "type": "template", "z": "t", "field": "out", "syntax": "mustache",
             "template": "{\"name\": \"{{payload}}\", \"n\": {{n}}}", "output": "json", "wires": [["tp2-out"]]},
            {"id": "tp2-out", "type": "test sink", "z": "t", "wires": []},
            {"id": "tp3", "type": "template", "z": "t", "field": "payload", "syntax": "plain",
             "template": "a: 1\nb: [x, y]", "output": "yaml", "wires": [["tp3-out"]]},
            {"id": "tp3-out", "type": "test sink", "z": "t", "wires": []}
        ]));
        rt.env.contexts.flow("t").set("who", Some(json!("W")));
        rt.env.contexts.global().set("cfg", Some(json!({"n": 3})));
        let mut out1 = Sink::new("tp1-out");
        let mut out2 = Sink::new("tp2-out");
        let mut out3 = Sink::new("tp3-out");
        testkit::inject(&rt, "tp1", json!({"payload": "<i>"})).await;
        assert_eq!(
            out1.next().await.body["payload"],
            json!("<b>&lt;i&gt;</b> <i> W 3 E")
        );
        testkit::inject(&rt, "tp2", json!({"payload": "a\"b\\", "n": 2})).await;
        // `{{ }}` HTML-escapes the quote; the backslash is escaped for JSON.
        assert_eq!(
            out2.next().await.body["out"],
            json!({"name": "a&quot;b\\", "n": 2})
        );
        testkit::inject(&rt, "tp2", json!({"payload": "line\nbreak", "n": 2})).await;
        assert_eq!(
            out2.next().await.body["out"],
            json!({"name": "line\nbreak", "n": 2})
        );
        testkit::inject(&rt, "tp3", json!({})).await;
        assert_eq!(
            out3.next().await.body["payload"],
            json!({"a": 1, "b": ["x", "y"]})
        );
    }
}
