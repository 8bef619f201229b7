//! `function`: runs a script per message, with Node-RED's function API.
//!
//! This module is the node type: its editor definition and settings, read
//! into a [`FunctionSpec`]. Translating, compiling and running the bodies is
//! the script crate's ([`flowgate_script`]); [`FunctionNode`] hands the
//! runtime's calls to its [`Function`].

use std::time::Duration;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use flowgate_script::compile::{compile, Body};
use flowgate_script::{Function, FunctionSpec, Mode};

pub fn node_type() -> NodeType {
    NodeType::runnable("function", build)
        .category("function")
        .ports(1, 1)
        .color("#fdd0a2")
        .editor(
            r#"{"defaults":{"name":"","func":"\nreturn msg;","outputs":1,"timeout":0,"noerr":0,"initialize":"","finalize":"","libs":[]},
                "fields":[{"name":"name","type":"text"},
                          {"name":"lang","type":"select","options":["javascript","rhai"]},
                          {"name":"func","type":"code","required":true},
                          {"name":"outputs","type":"number"},
                          {"name":"timeout","type":"number"},
                          {"name":"initialize","type":"code"},
                          {"name":"finalize","type":"code"}]}"#,
        )
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let mode = if config
        .str("lang")
        .is_some_and(|l| l.eq_ignore_ascii_case("rhai"))
    {
        Mode::Rhai
    } else {
        Mode::Js
    };
    let outputs = match config.number("outputs") {
        None => 1,
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 64.0 => n as usize,
        Some(n) => {
            return Err(config.problem(Some("outputs"), format!("invalid number of outputs {n}")))
        }
    };
    let timeout = match config.number("timeout") {
        Some(t) if t > 0.0 && t.is_finite() => Duration::from_secs_f64(t),
        _ => cx.settings.function_timeout,
    };
    let mut problems = Vec::new();
    let mut scripts = Vec::new();
    for body in [Body::Func, Body::Initialize, Body::Finalize] {
        let source = config.str(body.field()).unwrap_or("");
        match compile(source, mode, body) {
            Ok(s) => scripts.push(s),
            Err(e) => {
                problems.push(config.problem(Some(body.field()), e));
                scripts.push(None);
            }
        }
    }
    if let Some(last) = problems.pop() {
        for p in problems {
            cx.report(p);
        }
        return Err(last);
    }
    let fin = scripts.pop().flatten();
    let init = scripts.pop().flatten();
    let func = scripts.pop().flatten();
    let function = Function::new(FunctionSpec {
        id: config.id.clone(),
        name: config.name.clone(),
        z: cx.tab().unwrap_or("").to_owned(),
        outputs,
        env: cx.node_env(),
        events: cx.events.clone(),
        mode,
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
    Ok(Built::new(FunctionNode { function }, outputs))
}

/// A running function node.
pub struct FunctionNode {
    function: Function,
}

impl Node for FunctionNode {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        self.function.on_input(msg, out)
    }

    fn start(&self, handle: NodeHandle) {
        self.function.start(handle);
    }

    fn stop(&self) {
        self.function.stop();
    }
}
