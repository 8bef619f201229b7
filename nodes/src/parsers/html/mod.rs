//! `html`: picks elements out of an HTML document with a CSS selector and
//! returns their inner HTML, text, attributes or both, as one array or one
//! message per element, the way Node-RED's cheerio-based node answers.

mod extract;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::as_buffer;
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::support::js;
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, NodeSettings};

pub use extract::{extract, HtmlError, MAX_DEPTH};

/// What the editor's help panel says about the node.
pub const HELP: &str =
    "Extracts elements from an HTML document held in a message property using a CSS selector.
The selector is set in the node, or passed in msg.select when the node's selector is left empty.
Output can be each element's inner HTML, its text content only, an object of its attributes,
or an object of its attributes plus its inner HTML under the property named in the node (default _).
Results are sent as a single message whose property holds an array (empty when nothing matches),
or as one message per element, each with msg.parts so a join node can put them back together.
The result is written to the output property, which defaults to the input property.";

pub fn node_type() -> NodeType {
    NodeType::runnable("html", build)
        .help(HELP)
        .category("parser")
        .color("#DEBD5C")
        .editor(settings::editor_json::<HtmlSettings>())
}

crate::choices! {
    /// What is returned for each matched element.
    pub enum Ret ("output") {
        Html = "html" ("the html content of the elements"),
        Text = "text" ("only the text content of the elements"),
        Attr = "attr" ("an object of any attributes of the elements"),
        Compl = "compl" ("an object of any attributes of the elements and html contents"),
    } else Html
}

crate::choices! {
    /// One message with an array, or one message per element.
    pub enum As ("format") {
        Single = "single" ("as a single message containing an array"),
        Multi = "multi" ("as multiple messages, one for each element"),
    } else Single
}

/// An `html` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct HtmlSettings {
    #[serde(deserialize_with = "de::text")]
    pub property: String,
    /// Where results go; empty is the input property.
    #[serde(deserialize_with = "de::text")]
    pub outproperty: String,
    /// The CSS selector; empty takes `msg.select`.
    #[serde(deserialize_with = "de::text")]
    pub tag: String,
    pub ret: Ret,
    #[serde(rename = "as")]
    pub as_: As,
    /// Key for the inner HTML in `compl` results; empty is `_`.
    #[serde(deserialize_with = "de::text")]
    pub chr: String,
}

impl NodeSettings for HtmlSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("property", "payload").label("Property"),
        Field::text("tag", "").label("Selector"),
        Field::select("ret", Ret::CHOICES, "html").label("Output"),
        Field::select("as", As::CHOICES, "single").label("Output as"),
        Field::text("outproperty", "payload").label("Output to property"),
        Field::text("chr", "_").label("Property name for HTML content"),
        Field::name(),
    ];
}

struct HtmlNode {
    property: PropPath,
    outproperty: PropPath,
    tag: String,
    ret: Ret,
    as_: As,
    chr: String,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: HtmlSettings = settings::load(config, cx)?;
    let or_payload = |p: &str| {
        if p.is_empty() {
            "payload".to_owned()
        } else {
            p.to_owned()
        }
    };
    let property = or_payload(&s.property);
    let outproperty = if s.outproperty.is_empty() {
        property.clone()
    } else {
        s.outproperty
    };
    let path = |field: &str, p: &str| {
        PropPath::parse_msg(p).map_err(|e| config.problem(Some(field), e.to_string()))
    };
    Ok(Built::new(
        HtmlNode {
            property: path("property", &property)?,
            outproperty: path("outproperty", &outproperty)?,
            tag: s.tag,
            ret: s.ret,
            as_: s.as_,
            chr: if s.chr.is_empty() { "_".into() } else { s.chr },
        },
        1,
    ))
}

impl Node for HtmlNode {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let value = match self.property.get(&msg.body) {
            Ok(Some(v)) => v.into_owned(),
            // No property: pass the message on untouched.
            Ok(None) | Err(_) => {
                out.send(0, msg);
                return Outcome::Ready(Ok(()));
            }
        };
        let document = match &value {
            Value::String(s) => s.clone(),
            v => match as_buffer(v) {
                Some(b) => String::from_utf8_lossy(&b).into_owned(),
                None => js::to_js_string(Some(v)),
            },
        };
        // msg.select is only read when the node has no selector of its own.
        let selector = match (self.tag.as_str(), msg.body.get("select")) {
            ("", Some(v)) => js::to_js_string(Some(v)),
            (tag, _) => tag.to_owned(),
        };
        let results = match extract(&document, &selector, self.ret, &self.chr) {
            Ok(r) => r,
            Err(e) => return Outcome::Ready(Err(NodeError::new(e.to_string()).with_msg(msg))),
        };
        if self.as_ == As::Single {
            let _ = self.outproperty.set(&mut msg.body, Value::Array(results));
            out.send(0, msg);
            return Outcome::Ready(Ok(()));
        }
        let count = results.len();
        let id = msg.msgid().to_owned();
        for (index, item) in results.into_iter().enumerate() {
            // Node-RED sends nothing for an element whose result is empty
            // text (falsy), though it still counts it.
            if item.as_str() == Some("") {
                continue;
            }
            let mut part = msg.clone();
            let _ = self.outproperty.set(&mut part.body, item);
            let parts =
                json!({"id": id, "index": index, "count": count, "type": "string", "ch": ""});
            part.body.insert("parts".into(), parts);
            out.send(0, part);
        }
        Outcome::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests;
