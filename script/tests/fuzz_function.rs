//! Property-based fuzzing of the function node's JavaScript path: the
//! JavaScript-to-Rhai translation and the compiled script's run. No body may
//! panic the translator, the Rhai compiler or the runtime helpers, and no run
//! may outlive its time limit.
//!
//! Three targets: arbitrary text, mutations of a seed corpus (every function
//! body of the example flows and the Node-RED fixtures), and generated
//! JavaScript-shaped programs, which are also run. The suite runs a short
//! pass; the long pass is run by hand:
//! `FLOWGATE_FUZZ_CASES=1000000 cargo test -p flowgate-script --release --test fuzz_function`.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use flowgate_runtime::events::Events;
use flowgate_runtime::{Message, Outcome, Outputs};
use flowgate_script::memory::CountingAlloc;
use flowgate_script::sandbox;
use flowgate_script::translate::translate;
use flowgate_script::{Function, StandaloneConfig};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

/// The binary's allocator setup, so runs have their memory budget here too.
#[global_allocator]
static GLOBAL: CountingAlloc<std::alloc::System> = CountingAlloc(std::alloc::System);

fn cases(default: u32) -> u32 {
    std::env::var("FLOWGATE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const API: [&str; 6] = ["msg", "node", "context", "flow", "global", "env"];

/// A run's time limit; the assertion allows for a loaded machine.
const RUN_TIMEOUT: Duration = Duration::from_millis(30);
const RUN_BOUND: Duration = Duration::from_secs(3);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every function body in the example flows and the Node-RED fixtures.
fn seeds() -> &'static [String] {
    static SEEDS: OnceLock<Vec<String>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        fn collect(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        match (k.as_str(), v) {
                            ("func" | "initialize" | "finalize", Value::String(s))
                                if !s.trim().is_empty() =>
                            {
                                out.push(s.clone())
                            }
                            _ => collect(v, out),
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|v| collect(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for dir in ["flows", "tests/fixtures/function", "tests/fixtures/nodered"] {
            let Ok(entries) = std::fs::read_dir(repo().join(dir)) else {
                continue;
            };
            for e in entries.flatten() {
                if e.path().extension().is_some_and(|x| x == "json") {
                    let text = std::fs::read_to_string(e.path()).unwrap();
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        collect(&v, &mut out);
                    }
                }
            }
        }
        assert!(out.len() > 50, "seed corpus too small: {}", out.len());
        out
    })
}

/// Translate and compile; a body that translates must compile (the
/// translator's output is never invalid Rhai).
fn translate_and_compile(body: &str) -> Result<(), TestCaseError> {
    if let Ok(rhai) = translate(body, &API) {
        if let Err(e) = sandbox::compile(&rhai) {
            return Err(TestCaseError::fail(format!(
                "translation of {body:?} does not compile: {e}\n{rhai}"
            )));
        }
    }
    Ok(())
}

fn tokio() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        // As the binary configures its workers (`src/cli.rs`).
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_stack_size(8 * 1024 * 1024)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// Build a node for `body` and run one message through it, bounded in time.
fn run(body: &str) -> Result<(), TestCaseError> {
    let Ok(node) = Function::standalone(StandaloneConfig {
        id: "fuzz",
        name: "fuzz",
        rhai: false,
        func: body,
        outputs: 2,
        timeout: RUN_TIMEOUT,
        events: Events::default(),
    }) else {
        return Ok(());
    };
    let body_map = json!({"_msgid": "m1", "topic": "t", "payload": {"a": [1, "two", null], "n": 3},
                          "req": {"headers": {"x": "y"}, "query": {}}})
    .as_object()
    .unwrap()
    .clone();
    let started = Instant::now();
    // On a worker thread, as in the binary (not the test's own thread).
    let task = tokio().spawn(async move {
        let mut out = Outputs::default();
        match node.on_input(Message::from_body(body_map), &mut out) {
            Outcome::Ready(_) => {}
            Outcome::Pending(f) => {
                let _ = f.await;
            }
        };
    });
    tokio()
        .block_on(task)
        .map_err(|e| TestCaseError::fail(format!("{body:?}: {e}")))?;
    prop_assert!(
        started.elapsed() < RUN_BOUND,
        "{body:?} ran {:?}",
        started.elapsed()
    );
    Ok(())
}

// ------------------------------------------------------------ generators

fn leaf() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "0",
        "1",
        "-1",
        "0.5",
        "1e308",
        "-0",
        "NaN",
        "Infinity",
        "2147483648",
        "9007199254740993",
        "''",
        "'a'",
        "'12'",
        "' x '",
        "'é💥'",
        "true",
        "false",
        "null",
        "undefined",
        "x",
        "y",
        "arr",
        "obj",
        "s",
        "msg",
        "msg.payload",
        "msg.payload.a",
        "msg.topic",
        "msg.req",
        "[]",
        "{}",
        "[1, [2, [3]]]",
        "{a: {b: 1}}",
        "new Date(0)",
        "Date.now()",
    ])
    .prop_map(str::to_owned)
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 48, 3, |inner| {
        let binop = prop::sample::select(vec![
            "+", "-", "*", "/", "%", "**", "==", "===", "!=", "!==", "<", ">", "<=", ">=", "&&",
            "||", "??", "&", "|", "^", "<<", ">>", ">>>", "in",
        ]);
        let method = prop::sample::select(vec![
            "toString()",
            "length",
            "slice(1)",
            "split(',')",
            "indexOf(1)",
            "concat([1])",
            "join('-')",
            "map(function (v) { return v; })",
            "filter((v) => v)",
            "push(1)",
            "pop()",
            "keys",
            "toUpperCase()",
            "trim()",
            "repeat(2)",
            "substring(1, 2)",
            "charAt(0)",
            "includes(1)",
            "reverse()",
            "sort()",
            "toFixed(2)",
            "replace('a', 'b')",
            "reduce((a, b) => a + b, 0)",
            "hasOwnProperty('a')",
            "getTime()",
            "toISOString()",
            "padStart(4, '0')",
            "startsWith('a')",
            "find((v) => v)",
            "some((v) => v)",
            "flat()",
        ]);
        let global = prop::sample::select(vec![
            "String",
            "Number",
            "Boolean",
            "JSON.stringify",
            "JSON.parse",
            "Object.keys",
            "Object.values",
            "Object.entries",
            "Array.isArray",
            "parseInt",
            "parseFloat",
            "Math.floor",
            "Math.max",
            "Math.abs",
            "Math.round",
            "isNaN",
            "encodeURIComponent",
            "decodeURIComponent",
            "Array.from",
            "Object.assign.bind(null, {})",
        ]);
        prop_oneof![
            (inner.clone(), binop, inner.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (
                prop::sample::select(vec!["!", "-", "+", "typeof ", "~"]),
                inner.clone()
            )
                .prop_map(|(op, a)| format!("({op}{a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
            (inner.clone(), method).prop_map(|(a, m)| format!("{a}.{m}")),
            (inner.clone(), "[a-z]{1,3}").prop_map(|(a, p)| format!("{a}?.{p}")),
            (inner.clone(), inner.clone()).prop_map(|(a, i)| format!("{a}[{i}]")),
            (global, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{{k: {a}, [{b}]: 1}}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("`${{{a}}}-${{{b}}}`")),
            inner.clone().prop_map(|a| format!("((v) => v + {a})(1)")),
        ]
    })
}

fn statement() -> impl Strategy<Value = String> {
    let simple = prop_oneof![
        expr().prop_map(|e| format!("x = {e};")),
        expr().prop_map(|e| format!("msg.payload = {e};")),
        (expr(), expr()).prop_map(|(k, v)| format!("obj[{k}] = {v};")),
        expr().prop_map(|e| format!("arr.push({e});")),
        expr().prop_map(|e| format!("node.warn({e});")),
        expr().prop_map(|e| format!("flow.set('k', {e});")),
        Just("y = context.get('k') || 0; context.set('k', y + 1);".to_owned()),
        expr().prop_map(|e| format!("throw new Error({e});")),
        expr().prop_map(|e| format!("node.send([msg, {{payload: {e}}}]);")),
        Just("return msg;".to_owned()),
        Just("return [msg, null];".to_owned()),
        expr().prop_map(|e| format!("return {e};")),
        Just("while (true) { x++; }".to_owned()),
        Just("function deep(n) { return deep(n + 1) + 1; } deep(0);".to_owned()),
        Just("s = 'x'; while (s.length < 1e7) { s = s + s; }".to_owned()),
    ];
    simple.prop_recursive(3, 24, 3, |inner| {
        let block = prop::collection::vec(inner, 1..3).prop_map(|v| v.join(" "));
        prop_oneof![
            (expr(), block.clone(), block.clone())
                .prop_map(|(c, a, b)| format!("if ({c}) {{ {a} }} else {{ {b} }}")),
            (0u8..5, block.clone())
                .prop_map(|(n, b)| format!("for (var i = 0; i < {n}; i++) {{ {b} }}")),
            (expr(), block.clone()).prop_map(|(e, b)| format!("for (const k in {e}) {{ {b} }}")),
            (expr(), block.clone())
                .prop_map(|(e, b)| format!("for (const v of [].concat({e})) {{ {b} }}")),
            (block.clone(), block.clone())
                .prop_map(|(a, b)| format!("try {{ {a} }} catch (err) {{ x = err.message; {b} }}")),
            (expr(), block.clone(), block.clone()).prop_map(|(e, a, b)| format!(
                "switch ({e}) {{ case 1: {a} break; case 'a': case null: {b} default: x = 0; }}"
            )),
            (expr(), block.clone())
                .prop_map(|(e, b)| format!("function f(p, q) {{ {b} return {e}; }} x = f(x, y);")),
            block.prop_map(|b| format!("{{ let z = 1; {b} }}")),
        ]
    })
}

fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(statement(), 1..6).prop_map(|stmts| {
        format!(
            "var x = 1, y = 'a', arr = [1, 2], obj = {{a: 1}}, s = '';\n{}\nreturn msg;",
            stmts.join("\n")
        )
    })
}

/// A seed with a few byte edits (insert, delete, replace), as a mutational
/// fuzzer would make.
fn mutated_seed() -> impl Strategy<Value = String> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..6);
    (any::<prop::sample::Index>(), edits).prop_map(|(i, edits)| {
        let seeds = seeds();
        let mut bytes = seeds[i.index(seeds.len())].clone().into_bytes();
        let tokens = b"(){}[];,.'\"`=+!?:/\\\n ${";
        for (at, op, b) in edits {
            let pos = at.index(bytes.len() + 1);
            let byte = if b % 2 == 0 {
                tokens[b as usize % tokens.len()]
            } else {
                b
            };
            match op {
                0 => bytes.insert(pos, byte),
                1 if pos < bytes.len() => {
                    bytes.remove(pos);
                }
                _ if pos < bytes.len() => bytes[pos] = byte,
                _ => bytes.push(byte),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_the_translator(text in "\\PC{0,300}") {
        translate_and_compile(&text)?;
    }

    #[test]
    fn js_looking_text_never_panics_the_translator(
        text in "[a-z(){}\\[\\];,.=+\\-*/!?:<>&|'\"`$ \n0-9]{0,200}"
    ) {
        translate_and_compile(&text)?;
    }

    #[test]
    fn mutated_seed_bodies_translate_or_report(body in mutated_seed()) {
        translate_and_compile(&body)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(150), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_translate_compile_and_run_bounded(body in program()) {
        translate_and_compile(&body)?;
        run(&body)?;
    }

    #[test]
    fn mutated_seed_bodies_run_bounded(body in mutated_seed()) {
        run(&body)?;
    }
}

#[test]
fn every_seed_body_translates_compiles_and_runs() {
    for body in seeds() {
        translate_and_compile(body).unwrap();
        run(body).unwrap();
    }
}

/// The nesting the translator accepts.
const MAX_NESTING: usize = flowgate_script::translate::nesting::MAX_NESTING;

fn nested_bodies(depth: usize) -> Vec<String> {
    let mut bodies: Vec<String> = [("(", ")"), ("[", "]"), ("{a:", "}"), ("!", ""), ("- ", "")]
        .iter()
        .map(|(open, close)| {
            format!(
                "msg.payload = {}1{};\nreturn msg;",
                open.repeat(depth),
                close.repeat(depth)
            )
        })
        .collect();
    bodies.push(format!(
        "var x = 0;\n{}x = 1;{}\nreturn msg;",
        "{".repeat(depth),
        "}".repeat(depth)
    ));
    bodies.push(format!(
        "var x = 0;\n{}x = 1;\nreturn msg;",
        "if (x === 0)\n".repeat(depth)
    ));
    bodies.push(format!(
        "var x = 0;\nx = 1{};\nreturn msg;",
        " + 1".repeat(depth)
    ));
    bodies
}

#[test]
fn nesting_within_the_limit_translates_compiles_and_runs() {
    // Deep but accepted bodies compile and evaluate without overflowing a
    // tokio worker's stack (8 MiB, as the binary configures them).
    let depth = MAX_NESTING * 9 / 10;
    for body in nested_bodies(depth) {
        let b = body.clone();
        std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn(move || {
                translate(&b, &API).unwrap_or_else(|e| panic!("{b}: {e}"));
                translate_and_compile(&b).unwrap();
            })
            .unwrap()
            .join()
            .unwrap();
        run(&body).unwrap();
    }
}

#[test]
fn deeply_nested_source_is_a_load_error_not_a_crash() {
    // Parsers and translators recurse; nesting far past anything a person
    // writes is refused with a load error naming the limit, never a crash.
    for depth in [MAX_NESTING + 50, 10_000, 200_000] {
        for body in nested_bodies(depth) {
            let node = Function::standalone(StandaloneConfig {
                id: "deep",
                name: "deep",
                rhai: false,
                func: &body,
                outputs: 1,
                timeout: RUN_TIMEOUT,
                events: Events::default(),
            });
            let err = node
                .err()
                .unwrap_or_else(|| panic!("depth {depth} accepted: {}", &body[..200]));
            assert!(
                err.contains(&format!("nesting deeper than {MAX_NESTING} levels")),
                "{err}"
            );
        }
    }
}
