//! The RFC 4180 implementation (`spec: "rfc"`): Node-RED's `lib/csv` reader
//! for text, and its quoting rules for objects and arrays.

use flowgate_runtime::{Message, NodeError, Outputs};
use serde_json::Value;

use super::parse::{self, header_string, quote_cell, Cell, Options, ParseError};
use super::{ensure_string, fail, keys_of, send_rows, Config, CsvError, HeaderOut, Rows, Sequence};
use crate::support::js;

pub(crate) struct State {
    template: Vec<Cell>,
    no_template: bool,
    hdr_sent: bool,
    store: Vec<Value>,
    warned: bool,
}

/// `columnStringToTemplateArray`: a one-row comma (or `sep`) separated
/// list read strictly; `None` when it is not exactly one row.
fn template_of(text: &str, sep: char) -> Result<Option<Vec<Cell>>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let o = Options {
        separator: Some(sep),
        data_has_header_row: true,
        arrays: true,
        strict: true,
        ..Options::default()
    };
    let mut parsed = parse::parse(&chars, &o)?;
    Ok((parsed.rows.len() == 1).then(|| parsed.rows.remove(0)))
}

/// `hasTemplate`: some column named (not none, and not one empty name).
fn has_template(t: &[Cell]) -> bool {
    match t {
        [] => false,
        [only] => only.as_deref() != Some(""),
        _ => true,
    }
}

fn blank() -> Vec<Cell> {
    vec![Some(String::new())]
}

impl State {
    /// `None` when the Columns list is malformed.
    pub fn new(c: &Config) -> Option<Self> {
        let template = template_of(&c.template, ',').ok()?.unwrap_or_else(blank);
        Some(State {
            no_template: !has_template(&template),
            template,
            hdr_sent: false,
            store: Vec::new(),
            warned: false,
        })
    }

    pub fn on_input(
        &mut self,
        c: &Config,
        mut msg: Message,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        if msg.body.contains_key("reset") {
            self.hdr_sent = false;
        }
        let Some(payload) = msg.body.get("payload").cloned() else {
            if !msg.body.contains_key("reset") {
                out.send(0, msg);
            }
            return Ok(());
        };
        match payload {
            Value::String(text) => {
                let rows = match self.read_csv(c, &msg, &text) {
                    Ok(Some(r)) => r,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(fail(msg, e)),
                };
                let (rows, columns, line_breaks) = rows;
                let store_rows = rows.clone();
                let rows = Rows {
                    rows,
                    store_rows,
                    columns,
                    line_breaks,
                    store: &mut self.store,
                };
                send_rows(c, msg, rows, out);
                Ok(())
            }
            Value::Bool(_) | Value::Number(_) => Err(fail(msg, CsvError::NotCsv)),
            data => match self.write_csv(c, &msg, data) {
                Ok(text) => {
                    msg.body.insert("payload".into(), Value::String(text));
                    msg.body.insert(
                        "columns".into(),
                        Value::String(header_string(&self.template)),
                    );
                    out.send(0, msg);
                    Ok(())
                }
                Err(e) => Err(fail(msg, e)),
            },
        }
    }

    /// Object(s) or array(s) to CSV text.
    fn write_csv(&mut self, c: &Config, msg: &Message, data: Value) -> Result<String, CsvError> {
        let cell_quoteables: Vec<&str> = vec![c.sep.as_str(), "\"", "\n", "\r"];
        let quote = |cell: &str| quote_cell(cell, &cell_quoteables);
        let columns_of = |msg: &Message| -> Result<Option<Vec<Cell>>, CsvError> {
            let text = msg
                .body
                .get("columns")
                .filter(|v| js::truthy(Some(v)))
                .map(|v| js::to_js_string(Some(v)));
            Ok(template_of(&text.unwrap_or_default(), ',')?)
        };
        let (rows, arrays) = match data {
            Value::Null => return Err(CsvError::NullObject),
            Value::Array(items)
                if !items.is_empty()
                    && !items[0].is_object()
                    && !items[0].is_array()
                    && !items[0].is_null() =>
            {
                (vec![Value::Array(items)], true)
            }
            Value::Array(items) => {
                let arrays = items.first().is_some_and(Value::is_array);
                (items, arrays)
            }
            other => (vec![other], false),
        };
        let seq = Sequence::of(msg);
        if !(self.no_template && seq.has_parts && seq.index > 0.0) {
            self.template = template_of(&c.template, ',')
                .ok()
                .flatten()
                .unwrap_or_else(blank);
        }
        let mut lines = Vec::new();
        if c.hdrout != HeaderOut::None && !self.hdr_sent {
            if !has_template(&self.template) {
                self.template = if msg.body.contains_key("columns") {
                    columns_of(msg)?.unwrap_or_else(blank)
                } else {
                    let first = rows.first().ok_or(CsvError::NullObject)?;
                    if first.is_null() {
                        return Err(CsvError::NullObject);
                    }
                    keys_of(Some(first)).into_iter().map(Some).collect()
                };
            }
            let names: Vec<String> = self
                .template
                .iter()
                .map(|h| quote(h.as_deref().unwrap_or("")))
                .collect();
            lines.push(names.join(&c.sep));
            if c.hdrout == HeaderOut::Once {
                self.hdr_sent = true;
            }
        }
        let first_keys = keys_of(rows.first());
        for row in &rows {
            if arrays {
                let named = has_template(&self.template);
                let len = if named {
                    self.template.len()
                } else {
                    js_length(row)
                };
                let cells: Vec<String> = (0..len)
                    .map(|t| {
                        let cell = element(row, t).unwrap_or(Value::String(String::new()));
                        if named && self.template[t].as_deref().is_none_or(str::is_empty) {
                            return String::new();
                        }
                        quote(&ensure_string(Some(&cell)))
                    })
                    .collect();
                lines.push(cells.join(&c.sep));
                continue;
            }
            if !has_template(&self.template) && msg.body.contains_key("columns") {
                self.template = columns_of(msg)?.unwrap_or_default();
            }
            if !has_template(&self.template) {
                if !self.warned {
                    tracing::warn!(node = %c.id, "csv: No columns template specified for object -> CSV.");
                    self.warned = true;
                }
                if row.is_null() {
                    return Err(CsvError::NullObject);
                }
                self.template = keys_of(Some(row)).into_iter().map(Some).collect();
                let cells: Vec<String> = first_keys
                    .iter()
                    .filter_map(|k| own(row, k))
                    .filter(|v| !matches!(v, Value::Object(_) | Value::Array(_) | Value::Null))
                    .map(|v| quote(&js::to_js_string(Some(&v))))
                    .collect();
                lines.push(cells.join(&c.sep));
            } else {
                let cells: Vec<String> = self
                    .template
                    .iter()
                    .map(|h| match h.as_deref().filter(|h| !h.is_empty()) {
                        None => String::new(),
                        Some(name) => {
                            let v = own(row, name).unwrap_or(Value::String(String::new()));
                            quote(&ensure_string(Some(&v)))
                        }
                    })
                    .collect();
                lines.push(cells.join(&c.sep));
            }
        }
        Ok(lines.join(&c.ret) + c.ret.as_str())
    }

    /// CSV text to rows: `None` when every line was skipped; else the rows,
    /// the `msg.columns` text and the number of line breaks read.
    #[allow(clippy::type_complexity)]
    fn read_csv(
        &mut self,
        c: &Config,
        msg: &Message,
        text: &str,
    ) -> Result<Option<(Vec<Value>, String, usize)>, CsvError> {
        let input: Vec<char> = text.chars().collect();
        let seq = Sequence::of(msg);
        let mut first_line = true;
        let mut line_count = 0i64;
        if seq.has_parts {
            line_count = seq.index as i64;
            if seq.index > c.skip as f64 {
                first_line = false;
            }
        }
        let mut cursor = 0;
        if c.skip > 0 && line_count < c.skip {
            while cursor < input.len() {
                if first_line && line_count < c.skip {
                    if input[cursor] == '\r' || input[cursor] == '\n' {
                        line_count += 1;
                    }
                    cursor += 1;
                    continue;
                }
                break;
            }
            if cursor >= input.len() {
                return Ok(None);
            }
        }
        let line_breaks = input[cursor..]
            .iter()
            .filter(|&&ch| ch == '\r' || ch == '\n')
            .count();
        if seq.has_parts && c.multi != super::Multi::One && line_breaks > 1 {
            first_line = true;
        }
        if first_line && c.hdrin {
            let o = Options {
                cursor,
                separator: c.sep_char(),
                data_has_header_row: true,
                headers_only: true,
                arrays: true,
                strict: true,
                ..Options::default()
            };
            let header = parse::parse(&input, &o)?;
            self.template = header.headers;
            cursor = header.cursor;
        }
        let o = Options {
            cursor,
            separator: c.sep_char(),
            data_has_header_row: false,
            headers: if has_template(&self.template) {
                self.template.clone()
            } else {
                Vec::new()
            },
            include_null_values: c.include_null,
            include_empty_strings: c.include_empty,
            parse_numeric: c.parse_strings,
            ..Options::default()
        };
        let parsed = parse::parse(&input, &o)?;
        Ok(Some((parsed.objects, parsed.header, line_breaks)))
    }
}

/// `row.length` as the array branch reads it.
fn js_length(row: &Value) -> usize {
    match row {
        Value::Array(a) => a.len(),
        Value::String(s) => s.encode_utf16().count(),
        _ => 0,
    }
}

/// `row[t]`.
fn element(row: &Value, t: usize) -> Option<Value> {
    match row {
        Value::Array(a) => a.get(t).cloned(),
        Value::Object(m) => m.get(&t.to_string()).cloned(),
        Value::String(s) => s.chars().nth(t).map(|ch| Value::String(ch.to_string())),
        _ => None,
    }
}

/// `row[key]` for an own property.
fn own(row: &Value, key: &str) -> Option<Value> {
    match row {
        Value::Object(m) => m.get(key).cloned(),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i).cloned()),
        _ => None,
    }
}
