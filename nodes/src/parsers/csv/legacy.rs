//! The legacy implementation (no `spec`, as in every flow exported before
//! Node-RED 4): a character loop for text, with its rules for quotes, empty
//! cells, numbers and column names (`col1`… when the list is unusable), and
//! its own quoting for objects and arrays.

use flowgate_runtime::{Message, NodeError, Outputs};
use serde_json::{Map, Value};

use super::parse::js_object;
use super::{
    ensure_string, fail, keys_of, send_rows, Config, CsvError, HeaderOut, Multi, Rows, Sequence,
};
use crate::support::js;

const QUOTE: char = '"';

pub(crate) struct State {
    template: Vec<String>,
    no_template: bool,
    /// The separator the column-list splitter last used: Node-RED's
    /// `clean()` keeps its last pattern, so a header row read with the data
    /// separator changes how the Columns list splits afterwards.
    clean_sep: String,
    good_template: bool,
    hdr_sent: bool,
    store: Vec<Value>,
    warned: bool,
}

impl State {
    pub fn new(c: &Config) -> Self {
        let mut st = State {
            template: Vec::new(),
            no_template: false,
            clean_sep: ",".into(),
            good_template: true,
            hdr_sent: false,
            store: Vec::new(),
            warned: false,
        };
        st.template = st.clean(&c.template, Some(","));
        st.no_template = st.template.len() == 1 && st.template[0].is_empty();
        st
    }

    /// `clean(col, sep)`: splits a column list at separators outside quotes,
    /// drops the quotes and trims each name.
    fn clean(&mut self, col: &str, sep: Option<&str>) -> Vec<String> {
        if let Some(sep) = sep {
            self.clean_sep = sep.to_owned();
        }
        let names: Vec<String> = split_outside_quotes(col.trim(), &self.clean_sep)
            .into_iter()
            .map(|x| x.replace(QUOTE, "").trim().to_owned())
            .collect();
        self.good_template = !(names.len() == 1 && names[0].is_empty());
        names
    }

    fn blank_template(&self) -> bool {
        self.template.len() == 1 && self.template[0].is_empty()
    }

    /// The `msg.columns` text Node-RED attaches (`keep_empty`: after object
    /// to CSV, where empty names stay).
    fn columns(&self, keep_empty: bool) -> String {
        self.template
            .iter()
            .filter(|v| keep_empty || !v.is_empty())
            .map(|v| {
                if v.contains(',') {
                    format!("\"{v}\"")
                } else {
                    v.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
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
                let parsed = match self.read_csv(c, &msg, &text) {
                    Ok(p) => p,
                    Err(e) => return Err(fail(msg, e)),
                };
                let rows = Rows {
                    rows: parsed.rows,
                    store_rows: parsed.last.into_iter().collect(),
                    columns: self.columns(false),
                    line_breaks: parsed.line_breaks,
                    store: &mut self.store,
                };
                send_rows(c, msg, rows, out);
                Ok(())
            }
            Value::Bool(_) | Value::Number(_) => {
                tracing::warn!(node = %c.id, "csv: This node only handles CSV strings or js objects.");
                Ok(())
            }
            data => match self.write_csv(c, &msg, data) {
                Ok(text) => {
                    msg.body.insert("payload".into(), Value::String(text));
                    msg.body
                        .insert("columns".into(), Value::String(self.columns(true)));
                    out.send(0, msg);
                    Ok(())
                }
                Err(e) => Err(fail(msg, e)),
            },
        }
    }

    /// Object(s) or array(s) to CSV text.
    fn write_csv(&mut self, c: &Config, msg: &Message, data: Value) -> Result<String, CsvError> {
        let seq = Sequence::of(msg);
        if !(self.no_template && seq.has_parts && seq.index > 0.0) {
            self.template = self.clean(&c.template.clone(), None);
        }
        let mut rows = match data {
            Value::Array(items) => items,
            other => vec![other],
        };
        let columns_text = || {
            let v = msg.body.get("columns").filter(|v| js::truthy(Some(v)));
            v.map(|v| js::to_js_string(Some(v))).unwrap_or_default()
        };
        let mut lines = Vec::new();
        if c.hdrout != HeaderOut::None && !self.hdr_sent {
            if self.blank_template() {
                self.template = if msg.body.contains_key("columns") {
                    self.clean(&columns_text(), Some(","))
                } else {
                    if rows.first().is_none_or(Value::is_null) {
                        return Err(CsvError::NullObject);
                    }
                    keys_of(rows.first())
                };
            }
            let names: Vec<String> = self
                .template
                .iter()
                .map(|v| {
                    if v.contains(&c.sep) {
                        format!("\"{v}\"")
                    } else {
                        v.clone()
                    }
                })
                .collect();
            lines.push(names.join(&c.sep));
            if c.hdrout == HeaderOut::Once {
                self.hdr_sent = true;
            }
        }
        let mut s = 0;
        while s < rows.len() {
            if !rows[s].is_object() && !rows[s].is_null() {
                if !rows[s].is_array() {
                    rows = vec![Value::Array(rows)];
                }
                let Some(row) = rows.get(s) else {
                    return Err(CsvError::Property("undefined", "length".into()));
                };
                let cells = row.as_array().cloned().unwrap_or_default();
                let mut line = Vec::new();
                for cell in &cells {
                    let text = match cell {
                        Value::Null => return Err(CsvError::Property("null", "toString".into())),
                        other => js::to_js_string(Some(other)),
                    };
                    line.push(quote_legacy(&text, &c.sep, true));
                }
                lines.push(line.join(&c.sep));
            } else {
                if self.blank_template() && msg.body.contains_key("columns") {
                    self.template = self.clean(&columns_text(), Some(","));
                }
                let row = rows[s].as_object().cloned().unwrap_or_default();
                if rows[s].is_null() && !self.blank_template() {
                    let first = self.template.iter().find(|t| !t.is_empty()).cloned();
                    return Err(CsvError::Property("null", first.unwrap_or_default()));
                }
                if self.blank_template() {
                    if !self.warned {
                        tracing::warn!(node = %c.id, "csv: No columns template specified for object -> CSV.");
                        self.warned = true;
                    }
                    let mut line = Vec::new();
                    for key in keys_of(rows.first()) {
                        match row.get(&key) {
                            Some(Value::Object(_) | Value::Array(_) | Value::Null) | None => {}
                            Some(v) => {
                                let q = js::to_js_string(Some(v));
                                // Node-RED tests the key, not the value, for a newline here.
                                line.push(if q.contains(QUOTE) {
                                    format!("\"{}\"", q.replace(QUOTE, "\"\""))
                                } else if q.contains(&c.sep) || key.contains('\n') {
                                    format!("\"{q}\"")
                                } else {
                                    q
                                });
                            }
                        }
                    }
                    lines.push(line.join(&c.sep));
                } else {
                    let line: Vec<String> = self
                        .template
                        .iter()
                        .map(|name| {
                            if name.is_empty() {
                                return String::new();
                            }
                            let v = row
                                .get(name)
                                .cloned()
                                .unwrap_or(Value::String(String::new()));
                            quote_legacy(&ensure_string(Some(&v)), &c.sep, true)
                        })
                        .collect();
                    lines.push(line.join(&c.sep));
                }
            }
            s += 1;
        }
        Ok(lines.join(&c.ret) + c.ret.as_str())
    }

    /// CSV text to rows, Node-RED's legacy loop.
    fn read_csv(&mut self, c: &Config, msg: &Message, text: &str) -> Result<Parsed, CsvError> {
        let line: Vec<char> = text.chars().collect();
        let seq = Sequence::of(msg);
        let mut first = true;
        let mut line_count = 0i64;
        if seq.has_parts {
            line_count = seq.index as i64;
            if seq.index > c.skip as f64 {
                first = false;
            }
        }
        let line_breaks = line.iter().filter(|&&ch| ch == '\r' || ch == '\n').count();
        let mut tmp = String::new();
        if seq.has_parts && c.multi == Multi::Mult && line_breaks > 1 {
            first = true;
        }
        let sep = c.sep_char();
        let mut row = RowBuilder::new(c);
        let mut rows = Vec::new();
        let mut outside = true;
        for i in 0..line.len() {
            let ch = line[i];
            let prev = i.checked_sub(1).map(|p| line[p]);
            if first && line_count < c.skip {
                if ch == '\n' {
                    line_count += 1;
                }
                continue;
            }
            if c.hdrin && first {
                if ch == '\n' || ch == '\r' || line.len() - i == 1 {
                    if line.len() - i == 1 {
                        tmp.push(ch);
                    }
                    self.template = self.clean(&tmp.clone(), Some(&c.sep));
                    first = false;
                } else {
                    tmp.push(ch);
                }
                continue;
            }
            if ch == QUOTE {
                outside = !outside;
                if prev == Some(QUOTE) && !outside {
                    row.push_char(QUOTE);
                }
            } else if Some(ch) == sep && outside {
                let Some(prev) = prev else {
                    if row.named(self) {
                        return Err(CsvError::Property("undefined", "includes".into()));
                    }
                    row.next_cell(i + 1 == line.len());
                    continue;
                };
                row.end_cell(self, Some(prev) == sep || prev == '\n');
                row.next_cell(i + 1 == line.len());
            } else if (ch == '\n' || ch == '\r') && outside {
                row.end_cell(self, prev.is_some() && prev == sep);
                if let Some(o) = row.end_row() {
                    rows.push(o);
                }
                outside = true;
            } else {
                row.push_char(ch);
            }
        }
        if !outside {
            tracing::warn!(node = %c.id, "csv: Malformed CSV data - output probably corrupt.");
        }
        row.end_cell(self, false);
        let last = row.end_row();
        if let Some(o) = &last {
            rows.push(o.clone());
        }
        Ok(Parsed {
            rows,
            last,
            line_breaks,
        })
    }
}

/// What one text message parsed to.
struct Parsed {
    rows: Vec<Value>,
    /// The row still open at the end of the text (what a sequence of
    /// one-line messages gathers).
    last: Option<Value>,
    line_breaks: usize,
}

/// The cells of the row being read (`k`), the current cell (`j`) and the
/// object built so far (`o`).
struct RowBuilder<'c> {
    c: &'c Config,
    cells: Vec<Option<String>>,
    j: usize,
    object: Map<String, Value>,
}

impl<'c> RowBuilder<'c> {
    fn new(c: &'c Config) -> Self {
        RowBuilder {
            c,
            cells: vec![Some(String::new())],
            j: 0,
            object: Map::new(),
        }
    }

    fn push_char(&mut self, ch: char) {
        let cell = self.cells[self.j].get_or_insert_with(|| "null".into());
        cell.push(ch);
    }

    /// Whether the current column has a name (naming it `colN` when the
    /// column list is unusable).
    fn named(&self, st: &mut State) -> bool {
        if !st.good_template {
            while st.template.len() <= self.j {
                st.template.push(String::new());
            }
            st.template[self.j] = format!("col{}", self.j + 1);
        }
        st.template.get(self.j).is_some_and(|t| !t.is_empty())
    }

    /// Stores the current cell under its column name; `empty_is_null` when
    /// nothing stood between it and the previous separator.
    fn end_cell(&mut self, st: &mut State, empty_is_null: bool) {
        if !self.named(st) {
            return;
        }
        let name = st.template[self.j].clone();
        if empty_is_null {
            self.cells[self.j] = None;
        }
        let value = match self.cells[self.j].clone() {
            None => Value::Null,
            Some(text) if self.c.parse_strings && looks_numeric(text.trim()) => js::number(
                js::parse_float(Some(&Value::String(text.trim().to_owned()))),
            ),
            Some(text) => Value::String(text),
        };
        let keep = match &value {
            Value::Null => self.c.include_null,
            Value::String(s) if s.is_empty() => self.c.include_empty,
            _ => true,
        };
        if keep {
            self.object.insert(name, value);
        }
    }

    fn next_cell(&mut self, at_end: bool) {
        self.j += 1;
        let cell = if at_end { None } else { Some(String::new()) };
        if self.cells.len() <= self.j {
            self.cells.resize(self.j + 1, Some(String::new()));
        }
        self.cells[self.j] = cell;
    }

    /// The finished row object (none when empty), ready for the next row.
    fn end_row(&mut self) -> Option<Value> {
        let object = std::mem::take(&mut self.object);
        self.cells = vec![Some(String::new())];
        self.j = 0;
        (!object.is_empty()).then(|| js_object(object))
    }
}

/// `/^[-]?(?!E)(?!0\d)\d*\.?\d*(E-?\+?)?\d+$/i`: what the legacy parser
/// turns into a number.
fn looks_numeric(t: &str) -> bool {
    let body = t.strip_prefix('-').unwrap_or(t);
    let b = body.as_bytes();
    if b.first().is_some_and(|c| c.eq_ignore_ascii_case(&b'e'))
        || (b.first() == Some(&b'0') && b.get(1).is_some_and(u8::is_ascii_digit))
    {
        return false;
    }
    let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    let one_dot = |s: &str| {
        s.bytes().filter(|&c| c == b'.').count() <= 1
            && s.bytes().all(|c| c.is_ascii_digit() || c == b'.')
    };
    match body.find(['e', 'E']) {
        Some(at) => {
            let (mantissa, exp) = (&body[..at], &body[at + 1..]);
            let exp = exp.strip_prefix('-').unwrap_or(exp);
            let exp = exp.strip_prefix('+').unwrap_or(exp);
            one_dot(mantissa) && !exp.is_empty() && digits(exp)
        }
        None => match body.split_once('.') {
            Some((int, frac)) => digits(int) && !frac.is_empty() && digits(frac),
            None => !body.is_empty() && digits(body),
        },
    }
}

/// Legacy quoting: quotes doubled and the cell quoted when it holds a
/// quote; else quoted when it holds the separator or (`newline`) a newline.
fn quote_legacy(text: &str, sep: &str, newline: bool) -> String {
    if text.contains(QUOTE) {
        format!("\"{}\"", text.replace(QUOTE, "\"\""))
    } else if text.contains(sep) || (newline && text.contains('\n')) {
        format!("\"{text}\"")
    } else {
        text.to_owned()
    }
}

/// Splits at each separator followed by an even number of quotes up to the
/// end (a separator outside quotes), as Node-RED's look-ahead pattern does.
fn split_outside_quotes(text: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return vec![text.to_owned()];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while let Some(found) = text[at..].find(sep) {
        let pos = at + found;
        let after = pos + sep.len();
        if text[after..].matches(QUOTE).count().is_multiple_of(2) {
            parts.push(text[start..pos].to_owned());
            start = after;
            at = after;
        } else {
            at = pos + text[pos..].chars().next().map_or(1, char::len_utf8);
        }
    }
    parts.push(text[start..].to_owned());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_the_legacy_pattern_reads_them() {
        for yes in ["1", "-1", "1.5", ".5", "-.5", "1e5", "1.5E-3", ".e5", "10"] {
            assert!(looks_numeric(yes), "{yes}");
        }
        for no in ["01", "-01", "e5", "1.", "1e", "+1", "1.2.3", "0x1", ""] {
            assert!(!looks_numeric(no), "{no}");
        }
    }

    #[test]
    fn column_lists_split_outside_quotes() {
        assert_eq!(
            split_outside_quotes("a,\"b,c\",d", ","),
            vec!["a", "\"b,c\"", "d"]
        );
        assert_eq!(split_outside_quotes("", ","), vec![""]);
    }
}
