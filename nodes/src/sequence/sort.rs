//! `sort`: sorts an array in a message property, or a whole message
//! sequence (held until every part of its `msg.parts` group has arrived,
//! then sent in order with `parts.index` renumbered), ascending or
//! descending, optionally comparing as numbers, by the value itself, a
//! message property or a JSONata expression.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::parts::{self, Limit};
use crate::support::js;
use crate::support::jsonata::{EvalError, Expression};
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, NodeSettings};
use crate::support::typed_value::{Contexts, TypedValue};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Sorts an array in a message property, or a whole msg.parts sequence, by the value, a message property or a JSONata expression, ascending or descending, optionally as numbers.\n\
     A sequence is held until all its messages arrived, then sent in order with msg.parts.index renumbered.";

pub fn node_type() -> NodeType {
    NodeType::runnable("sort", build)
        .help(HELP)
        .category("sequence")
        .color("#E2D96E")
        .editor(settings::editor_json::<SortSettings>())
}

crate::choices! {
    /// Sort order.
    pub enum Order ("order") {
        Ascending = "ascending" ("ascending"),
        Descending = "descending" ("descending"),
    } else Descending
}

crate::choices! {
    /// What is sorted: an array property, or the message sequence.
    pub enum TargetType ("target type") {
        Msg = "msg" ("msg."),
        Seq = "seq" ("message sequence"),
    } else Seq
}

crate::choices! {
    /// The key an array's elements sort by.
    pub enum MsgKeyType ("key type") {
        Elem = "elem" ("element value"),
        Jsonata = "jsonata" ("expression"),
    } else Elem
}

crate::choices! {
    /// The key messages of a sequence sort by.
    pub enum SeqKeyType ("key type") {
        Msg = "msg" ("msg."),
        Jsonata = "jsonata" ("expression"),
    } else Msg
}

/// A `sort` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortSettings {
    pub order: Order,
    #[serde(rename = "as_num", deserialize_with = "de::flag")]
    pub as_num: bool,
    #[serde(deserialize_with = "de::text")]
    pub target: String,
    pub target_type: TargetType,
    #[serde(deserialize_with = "de::text")]
    pub msg_key: String,
    pub msg_key_type: MsgKeyType,
    #[serde(deserialize_with = "de::text")]
    pub seq_key: String,
    pub seq_key_type: SeqKeyType,
}

impl NodeSettings for SortSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("target", "payload").label("Sort"),
        Field::select("targetType", TargetType::CHOICES, "msg").label("Sort (what)"),
        Field::text("msgKey", "payload").label("Key"),
        Field::select("msgKeyType", MsgKeyType::CHOICES, "elem").label("Key (type)"),
        Field::text("seqKey", "payload").label("Key"),
        Field::select("seqKeyType", SeqKeyType::CHOICES, "msg").label("Key (type)"),
        Field::select("order", Order::CHOICES, "ascending").label("Order"),
        Field::checkbox("as_num", false).label("as number"),
        Field::name(),
    ];
}

/// A sequence being collected.
struct Pending {
    count: Option<Value>,
    msgs: Vec<Message>,
    /// Arrival order of groups, to find the oldest.
    seq_no: u64,
}

#[derive(Default)]
struct State {
    groups: HashMap<String, Pending>,
    held: usize,
    next_seq: u64,
}

struct Sort {
    descending: bool,
    as_num: bool,
    /// `Some(path)`: sort the array there; `None`: sort sequences.
    target: Option<PropPath>,
    seq_key: PropPath,
    limit: Limit,
    state: Mutex<State>,
    /// The key as a JSONata expression (`msgKeyType`/`seqKeyType`
    /// `jsonata`): evaluated on each array element, or each message.
    key_expr: Option<Arc<Expression>>,
    contexts: Contexts,
}

/// A message with its sort key (`None`: undefined).
type Keyed = (Option<Value>, Message);

/// Node-RED's error for a key expression that fails.
fn key_error(e: EvalError) -> String {
    format!("Invalid JSONata expression in sort node: {}", e.0)
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: SortSettings = settings::load(config, cx)?;
    let is_prop = s.target_type == TargetType::Msg;
    let jsonata = if is_prop {
        s.msg_key_type == MsgKeyType::Jsonata
    } else {
        s.seq_key_type == SeqKeyType::Jsonata
    };
    let key_expr = if jsonata {
        let (text_field, text) = if is_prop {
            ("msgKey", &s.msg_key)
        } else {
            ("seqKey", &s.seq_key)
        };
        match TypedValue::build(
            config,
            cx,
            text_field,
            Some(&Value::String(text.clone())),
            "jsonata",
        )? {
            TypedValue::Jsonata(e) => Some(e),
            _ => unreachable!("a jsonata value compiles to an expression"),
        }
    } else {
        None
    };
    let path = |field: &'static str, text: &str| {
        let text = if text.is_empty() { "payload" } else { text };
        PropPath::parse_msg(text).map_err(|e| config.problem(Some(field), e.to_string()))
    };
    Ok(Built::new(
        Sort {
            descending: s.order == Order::Descending,
            as_num: s.as_num,
            target: if is_prop {
                Some(path("target", &s.target)?)
            } else {
                None
            },
            seq_key: if key_expr.is_some() {
                path("seqKey", "")?
            } else {
                path("seqKey", &s.seq_key)?
            },
            limit: Limit {
                max: cx.settings.max_pending_messages,
                node: "sort",
            },
            state: Mutex::new(State::default()),
            key_expr,
            contexts: Contexts::from_cx(cx),
        },
        1,
    ))
}

impl Sort {
    /// Node-RED's comparison: equal when `===`, else by `>`, in the
    /// node's direction; as numbers with `Number(x)` when asked.
    fn compare(&self, x: Option<&Value>, y: Option<&Value>) -> Ordering {
        let (nx, ny);
        let (x, y) = if self.as_num {
            nx = js::number(js::to_number(x));
            ny = js::number(js::to_number(y));
            // NaN has no JSON form: `number` makes it null, which is
            // neither equal to nor greater than anything here.
            (Some(&nx), Some(&ny))
        } else {
            (x, y)
        };
        let nan = |v: Option<&Value>| self.as_num && v == Some(&Value::Null);
        if !nan(x) && !nan(y) && js::strict_eq(x, y) {
            return Ordering::Equal;
        }
        let greater = !nan(x) && !nan(y) && js::gt(x, y);
        match (greater, self.descending) {
            (true, false) | (false, true) => Ordering::Greater,
            _ => Ordering::Less,
        }
    }

    fn sort_property(
        &self,
        target: &PropPath,
        mut msg: Message,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        let Ok(Some(Value::Array(items))) =
            target.get(&msg.body).map(|v| v.map(|v| v.into_owned()))
        else {
            return Ok(());
        };
        let sorted = match &self.key_expr {
            None => parts::stable_sort(items, &mut |a, b| self.compare(Some(a), Some(b))),
            Some(e) => {
                let keyed = items
                    .into_iter()
                    .map(|item| Ok((e.evaluate_on(&item, &self.contexts)?, item)))
                    .collect::<Result<Vec<_>, EvalError>>();
                let keyed = match keyed {
                    Ok(k) => k,
                    Err(e) => return Err(NodeError::new(key_error(e)).with_msg(msg)),
                };
                parts::stable_sort(keyed, &mut |a, b| self.compare(a.0.as_ref(), b.0.as_ref()))
                    .into_iter()
                    .map(|(_, item)| item)
                    .collect()
            }
        };
        let _ = target.set(&mut msg.body, Value::Array(sorted));
        out.send(0, msg);
        Ok(())
    }

    /// Each message's sort key: a property, or the key expression's value.
    fn keys(&self, msgs: Vec<Message>) -> Result<Vec<Keyed>, NodeError> {
        let mut keyed = Vec::with_capacity(msgs.len());
        let mut msgs = msgs.into_iter();
        while let Some(m) = msgs.next() {
            let key = match &self.key_expr {
                Some(e) => match e.evaluate(&m.body, &self.contexts, &[]) {
                    Ok(k) => k,
                    // Node-RED fails the group on its last message.
                    Err(err) => {
                        let last = msgs.last().unwrap_or(m);
                        return Err(NodeError::new(key_error(err)).with_msg(last));
                    }
                },
                None => self
                    .seq_key
                    .get(&m.body)
                    .ok()
                    .flatten()
                    .map(|v| v.into_owned()),
            };
            keyed.push((key, m));
        }
        Ok(keyed)
    }

    fn sort_sequence(&self, msg: Message, out: &mut Outputs) -> Result<(), NodeError> {
        let Some(Value::Object(p)) = msg.body.get("parts") else {
            return Ok(());
        };
        let (Some(id), true) = (p.get("id"), p.contains_key("index")) else {
            return Ok(());
        };
        let id = js::to_js_string(Some(id));
        let count = p.get("count").cloned();
        let mut st = self.state.lock();
        let seq_no = st.next_seq;
        let group = st.groups.entry(id.clone()).or_insert_with(|| Pending {
            count: None,
            msgs: Vec::new(),
            seq_no,
        });
        if group.seq_no == seq_no {
            st.next_seq += 1;
        }
        let group = st.groups.get_mut(&id).expect("group just ensured");
        group.msgs.push(msg);
        if count.is_some() {
            group.count = count;
        }
        st.held += 1;
        let group = &st.groups[&id];
        let complete = group
            .count
            .as_ref()
            .is_some_and(|c| js::to_number(Some(c)) == group.msgs.len() as f64);
        if complete {
            let group = st.groups.remove(&id).expect("group present");
            st.held -= group.msgs.len();
            drop(st);
            let keyed = self.keys(group.msgs)?;
            let sorted =
                parts::stable_sort(keyed, &mut |a, b| self.compare(a.0.as_ref(), b.0.as_ref()));
            for (i, (_, mut m)) in sorted.into_iter().enumerate() {
                if let Some(Value::Object(p)) = m.body.get_mut("parts") {
                    p.insert("index".into(), json!(i));
                }
                out.send(0, m);
            }
        } else if self.limit.exceeded(st.held) {
            // Node-RED drops the oldest group and reports on its last message.
            let oldest = st
                .groups
                .iter()
                .min_by_key(|(_, g)| g.seq_no)
                .map(|(k, _)| k.clone());
            if let Some(mut g) = oldest.and_then(|k| st.groups.remove(&k)) {
                st.held -= g.msgs.len();
                if let Some(last) = g.msgs.pop() {
                    return Err(self.limit.error(last));
                }
            }
        }
        Ok(())
    }
}

impl Node for Sort {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let result = match &self.target {
            Some(target) => self.sort_property(target, msg, out),
            None => self.sort_sequence(msg, out),
        };
        Outcome::Ready(result)
    }

    fn stop(&self) {
        let mut st = self.state.lock();
        st.groups.clear();
        st.held = 0;
    }
}
