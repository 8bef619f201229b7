//! `function`: runs a script per message, with Node-RED's function API.
//!
//! This module is the node type: its editor definition and settings, read
//! into a [`FunctionSpec`]. Translating, compiling and running the bodies is
//! the script crate's ([`flowgate_script`]); [`FunctionNode`] hands the
//! runtime's calls to its [`Function`].

use std::time::Duration;

use axum::routing::post;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use flowgate_script::compile::{compile_with_libs, Body, API_NAMES};
use flowgate_script::libs::{self, Lib};
use flowgate_script::{BodyError, Function, FunctionSpec, Mode, Script};
use serde::{Deserialize, Serialize};

use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};

pub fn node_type() -> NodeType {
    NodeType::runnable("function", build)
        .reports_empty_name()
        .category("function")
        .ports(1, 1)
        .color("#fdd0a2")
        .admin_route("/function/check", |_| post(super::function_check::endpoint))
        .editor(settings::editor_json::<FunctionSettings>())
}

crate::choices! {
    /// The language of the bodies: Node-RED's JavaScript, or flowgate's
    /// native Rhai (a field Node-RED does not have; absent is JavaScript).
    pub enum Lang ("language") {
        JavaScript = "javascript" | "" | "js",
        Rhai = "rhai",
    } else JavaScript
}

/// A `function` node's settings, as Node-RED's editor writes them.
#[derive(Debug, Serialize, Deserialize)]
pub struct FunctionSettings {
    pub lang: Lang,
    #[serde(deserialize_with = "de::text")]
    pub func: String,
    /// Output ports, 0 to [`MAX_OUTPUTS`]; no number is one.
    #[serde(deserialize_with = "de::number")]
    pub outputs: Option<f64>,
    /// Seconds a body may run before it is stopped; 0 or none is the
    /// runtime's `--function-timeout`.
    #[serde(deserialize_with = "de::number")]
    pub timeout: Option<f64>,
    #[serde(deserialize_with = "de::text")]
    pub initialize: String,
    #[serde(deserialize_with = "de::text")]
    pub finalize: String,
    /// Modules the bodies get as variables (Node-RED's "Setup → Modules").
    #[serde(default)]
    pub libs: Vec<LibSetting>,
}

/// One `libs` entry as Node-RED's editor writes it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LibSetting {
    pub var: Option<String>,
    pub module: Option<String>,
}

/// More output ports than anyone wires; a guard against a typo'd count.
const MAX_OUTPUTS: f64 = 64.0;

impl NodeSettings for FunctionSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::select("lang", Lang::CHOICES, "javascript").label("Language"),
        // A node without a body (hand-written flows) runs an empty one, as
        // Node-RED's does: it sends nothing.
        Field::new("func", Kind::Code, Initial::Str("\nreturn msg;"))
            .label("On Message")
            .required()
            .absent(Initial::Str("")),
        Field::new("outputs", Kind::Number, Initial::Int(1)).label("Outputs"),
        Field::new("timeout", Kind::Number, Initial::Int(0)).label("Timeout (seconds)"),
        // Node-RED's editor stores whether its linter saw errors; flowgate
        // checks bodies itself at load.
        Field::new("noerr", Kind::Number, Initial::Int(0)).hidden(),
        Field::new("initialize", Kind::Code, Initial::Str("")).label("On Start"),
        Field::new("finalize", Kind::Code, Initial::Str("")).label("On Stop"),
        // Modules (`libs`): Node.js's `crypto` only (see flowgate_script::libs);
        // the field is written so exports from flowgate's editor match Node-RED's.
        Field::new("libs", Kind::Json, Initial::Json("[]")).hidden(),
    ];
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: FunctionSettings = settings::load(config, cx)?;
    let checked = check(&s).map_err(|errors| {
        let problems = errors
            .into_iter()
            .map(|e| config.problem(Some(e.field), e.error.message))
            .collect();
        settings::report(cx, problems)
    })?;
    let [func, init, fin] = checked.scripts;
    let timeout = match s.timeout {
        Some(t) if t > 0.0 && t.is_finite() => Duration::from_secs_f64(t),
        _ => cx.settings.function_timeout,
    };
    let function = Function::new(FunctionSpec {
        id: config.id.clone(),
        name: config.name.clone(),
        z: cx.tab().unwrap_or("").to_owned(),
        outputs: checked.outputs,
        env: cx.node_env(),
        events: cx.events.clone(),
        mode: checked.mode,
        func,
        init,
        fin,
        timeout,
        max_operations: cx.settings.function_max_operations,
        max_memory: cx.settings.function_max_memory,
        node_store: cx.node_context(),
        flow_store: cx.flow_context(),
        global_store: cx.global_context(),
    });
    Ok(Built::new(FunctionNode { function }, checked.outputs))
}

/// A function node's settings as deploy accepts them: its language, its
/// output count and its three bodies compiled.
pub(crate) struct Checked {
    pub mode: Mode,
    pub outputs: usize,
    /// `func`, `initialize`, `finalize`; `None` for an empty body.
    pub scripts: [Option<Script>; 3],
}

/// Why deploy refuses a function node: the field and the error (with where
/// in the body, for the editor's live check).
#[derive(Debug)]
pub(crate) struct SettingError {
    pub field: &'static str,
    pub error: BodyError,
}

impl SettingError {
    fn new(field: &'static str, message: String) -> Self {
        SettingError {
            field,
            error: BodyError {
                message,
                span: None,
            },
        }
    }
}

/// Every check deploy makes on a function node's settings. The node's
/// factory and the editor's `POST /function/check` both call it, so the
/// editor reports exactly what deploy would refuse.
pub(crate) fn check(s: &FunctionSettings) -> Result<Checked, Vec<SettingError>> {
    let mode = match s.lang {
        Lang::Rhai => Mode::Rhai,
        Lang::JavaScript => Mode::Js,
    };
    let outputs = match s.outputs {
        None => 1,
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_OUTPUTS => n as usize,
        Some(n) => {
            let message = format!("invalid number of outputs {n}");
            return Err(vec![SettingError::new("outputs", message)]);
        }
    };
    // As in Node-RED, an entry without a variable name is skipped.
    let libs: Vec<Lib> = s
        .libs
        .iter()
        .filter_map(|l| {
            let var = l.var.clone().filter(|v| !v.is_empty())?;
            Some(Lib {
                var,
                module: l.module.clone().unwrap_or_default(),
            })
        })
        .collect();
    if let Err(e) = libs::check(&libs, mode, &API_NAMES) {
        return Err(vec![SettingError::new("libs", e)]);
    }
    let mut errors = Vec::new();
    let mut scripts = [None, None, None];
    let bodies = [
        (Body::Func, &s.func),
        (Body::Initialize, &s.initialize),
        (Body::Finalize, &s.finalize),
    ];
    for (slot, (body, source)) in scripts.iter_mut().zip(bodies) {
        match compile_with_libs(source, mode, body, &libs) {
            Ok(script) => *slot = script,
            Err(error) => errors.push(SettingError {
                field: body.field(),
                error,
            }),
        }
    }
    if errors.is_empty() {
        Ok(Checked {
            mode,
            outputs,
            scripts,
        })
    } else {
        Err(errors)
    }
}

/// A running function node.
pub struct FunctionNode {
    function: Function,
}

impl Node for FunctionNode {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        self.function.on_input(msg, out)
    }

    fn reads_request(&self) -> bool {
        self.function.reads_request()
    }

    fn start(&self, handle: NodeHandle) {
        self.function.start(handle);
    }

    fn stop(&self) {
        self.function.stop();
    }
}
