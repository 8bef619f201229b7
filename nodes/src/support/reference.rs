//! The node reference in `docs/nodes.md`: every registered node type with
//! its ports and its fields, written from the same editor definitions the
//! runtime serves (`GET /nodes`), so the page cannot fall behind a node's
//! settings table. The prose around it is written by hand; the part between
//! [`BEGIN`] and [`END`] is this module's output, checked by a test.

use std::fmt::Write;

use flowgate_runtime::registry::{NodeKind, NodeType};
use serde_json::Value;

/// The line before the generated part of `docs/nodes.md`.
pub const BEGIN: &str = "<!-- node reference: generated from the node definitions; \
`FLOWGATE_BLESS=1 cargo test -p flowgate-nodes --lib reference` rewrites it -->";
/// The line after it.
pub const END: &str = "<!-- end of node reference -->";

/// The reference for every type in `registry`, palette order.
pub fn markdown(types: &[&NodeType]) -> String {
    let mut out = String::new();
    let mut category = "";
    for t in types {
        if t.category != category {
            category = t.category;
            let _ = writeln!(out, "### {}\n", title(category));
        }
        node_section(&mut out, t);
    }
    out
}

fn title(category: &str) -> String {
    let mut c = category.chars();
    match c.next() {
        Some(first) => format!("{}{} nodes", first.to_uppercase(), c.as_str()),
        None => "Other nodes".into(),
    }
}

fn node_section(out: &mut String, t: &NodeType) {
    let editor: Value = serde_json::from_str(t.editor).unwrap_or(Value::Null);
    let ports = match t.kind {
        NodeKind::Config(_) => "config node".to_owned(),
        _ => format!(
            "{} input{}, {} output{}",
            t.inputs,
            plural(t.inputs),
            t.outputs,
            plural(t.outputs)
        ),
    };
    let shown = match editor["paletteLabel"].as_str() {
        Some(label) => format!(" (\"{label}\" in the palette)"),
        None => String::new(),
    };
    let _ = writeln!(out, "#### `{}`{shown}\n\n{ports}.\n", t.name);
    if !t.help.is_empty() {
        let _ = writeln!(out, "{}\n", t.help.replace('\n', " "));
    }
    let fields = editor["fields"].as_array().cloned().unwrap_or_default();
    let in_form = |name: &str| fields.iter().any(|f| f["name"] == name);
    // Fields the form does not show are still read: the editor writes their
    // defaults into new nodes (and credentials live in the credentials file).
    let mut rows: Vec<Value> = fields.clone();
    for source in ["defaults", "credentials"] {
        if let Some(map) = editor[source].as_object() {
            for name in map.keys().filter(|n| !in_form(n)) {
                rows.push(serde_json::json!({
                    "name": name,
                    "type": "not in the form",
                    "credential": source == "credentials",
                }));
            }
        }
    }
    if rows.is_empty() {
        out.push_str("No settings.\n\n");
        return;
    }
    out.push_str("| Field | Input | Default | Values |\n| --- | --- | --- | --- |\n");
    for f in &rows {
        field_row(out, &editor, f);
    }
    out.push('\n');
}

fn field_row(out: &mut String, editor: &Value, f: &Value) {
    let name = f["name"].as_str().unwrap_or_default();
    let default = match editor["defaults"].get(name) {
        Some(v) => format!("`{}`", cell(&v.to_string())),
        None if f["credential"] == true => "credential".to_owned(),
        None => String::new(),
    };
    let values = match f["options"].as_array() {
        Some(options) => options
            .iter()
            .map(|o| {
                let v = o.get("value").unwrap_or(o);
                format!("`{}`", cell(v.as_str().unwrap_or_default()))
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => f["configType"]
            .as_str()
            .map(|c| format!("a `{c}` node"))
            .unwrap_or_default(),
    };
    let required = if f["required"] == true {
        " (required)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "| `{name}`{required} | {} | {default} | {values} |",
        f["type"].as_str().unwrap_or_default()
    );
}

fn plural(n: u8) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/nodes.md")
    }

    /// `docs/nodes.md` holds the reference of exactly the registered node
    /// types; `FLOWGATE_BLESS=1` rewrites it after a node type changes.
    #[test]
    fn docs_node_reference_is_generated_from_the_node_definitions() {
        let registry = crate::registry();
        let generated = markdown(&registry.types());
        let page = std::fs::read_to_string(docs_path()).expect("docs/nodes.md");
        let (Some(start), Some(end)) = (page.find(BEGIN), page.find(END)) else {
            panic!("docs/nodes.md lacks the node reference markers");
        };
        let current = &page[start + BEGIN.len()..end];
        let wanted = format!("\n\n{generated}");
        if current == wanted {
            return;
        }
        if std::env::var_os("FLOWGATE_BLESS").is_some() {
            let page = format!("{}{BEGIN}{wanted}{}", &page[..start], &page[end..]);
            std::fs::write(docs_path(), page).expect("write docs/nodes.md");
            return;
        }
        panic!(
            "docs/nodes.md's node reference is out of date: run \
             `FLOWGATE_BLESS=1 cargo test -p flowgate-nodes --lib reference`"
        );
    }

    /// The editor shows these types' help with their form (`GET /nodes`
    /// serves it as `help`), and the reference prints it.
    #[test]
    fn node_types_carry_their_help_into_the_reference_and_get_nodes() {
        let registry = crate::registry();
        for name in [
            "catch", "status", "complete", "range", "rbe", "trigger", "exec", "split", "join",
            "sort", "batch", "csv", "yaml", "xml", "html", "file", "file in", "watch",
        ] {
            let t = registry.get(name).expect("registered");
            assert!(!t.help.is_empty(), "{name} has no help");
            let first_words: String = t.help.chars().take(30).collect();
            assert!(markdown(&[t]).contains(&first_words), "{name}");
            let entry = flowgate_runtime::admin::describe_node_type(t);
            assert_eq!(entry["help"], t.help, "{name}");
        }
    }

    #[test]
    fn every_field_of_a_type_is_in_its_section() {
        let registry = crate::registry();
        let t = registry.get("http request").expect("registered");
        let text = markdown(&[t]);
        assert!(text.contains("#### `http request`"), "{text}");
        for field in ["`method`", "`url`", "`ret`", "`user`"] {
            assert!(
                text.contains(&format!("| {field}")),
                "{field} missing: {text}"
            );
        }
        assert!(text.contains("`GET`") || text.contains("`get`"), "{text}");
    }
}
