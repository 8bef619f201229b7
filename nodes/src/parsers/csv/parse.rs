//! Node-RED's RFC 4180 CSV reader and cell quoting (its `lib/csv`): any
//! one-character separator, `\r`, `\n` or `\r\n` line ends, a cell with no
//! characters read as `null` but a quoted empty cell as `""`, and a relaxed
//! mode that keeps stray quotes instead of failing. The `csv` crate does
//! not tell an empty cell from a missing one nor keep stray quotes the way
//! Node-RED does, and flows see those differences, so this is the reader.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::support::js;

/// A cell or column name: `None` is JavaScript's `null` (nothing between
/// two separators).
pub type Cell = Option<String>;

/// Why strict reading failed, as Node-RED reports its errors (class name,
/// then message).
#[derive(Debug, Error, PartialEq)]
pub enum ParseError {
    #[error("UnquotedQuoteError: Quote found in the middle of an unquoted field")]
    UnquotedQuote,
    #[error("DataAfterCloseError: Data found after closing quote")]
    DataAfterClose,
    #[error("ParseError: Missing quote, unclosed cell")]
    Unclosed,
}

/// How to read: `lib/csv`'s `CSVParseOptions`, less what the node never sets.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub cursor: usize,
    /// The separator; a separator of more than one character never matches.
    pub separator: Option<char>,
    pub headers_only: bool,
    /// Column names to use instead of reading them.
    pub headers: Vec<Cell>,
    pub data_has_header_row: bool,
    pub parse_numeric: bool,
    pub include_null_values: bool,
    pub include_empty_strings: bool,
    /// Rows as arrays (with the header row first) instead of objects.
    pub arrays: bool,
    pub strict: bool,
}

/// What was read.
#[derive(Debug, Default)]
pub struct Parsed {
    pub headers: Vec<Cell>,
    /// The named columns, quoted where needed, joined by commas.
    pub header: String,
    /// Row arrays (header row first) or row objects.
    pub rows: Vec<Vec<Cell>>,
    pub objects: Vec<Value>,
    /// Where reading stopped (after the header row with `headers_only`).
    pub cursor: usize,
}

const QUOTE: char = '"';

/// `csv.parse(text, options)` over the characters of `input`.
pub fn parse(input: &[char], o: &Options) -> Result<Parsed, ParseError> {
    let sep = o.separator;
    let at = |i: usize| input.get(i).copied();
    let mut cell = String::new();
    let mut row: Vec<Cell> = Vec::new();
    let mut output: Vec<Vec<Cell>> = Vec::new();
    let mut cursor = o.cursor;
    let (mut new_cell, mut in_quote, mut closed) = (true, false, false);
    let finalise_cell = |cell: &mut String, row: &mut Vec<Cell>, new_cell: bool| {
        let text = std::mem::take(cell);
        row.push(if !text.is_empty() {
            Some(text)
        } else if new_cell {
            None
        } else {
            Some(String::new())
        });
    };
    let finalise_row =
        |cell: &mut String, row: &mut Vec<Cell>, out: &mut Vec<Vec<Cell>>, nc: bool| {
            if !cell.is_empty() {
                finalise_cell(cell, row, nc);
            }
            if !row.is_empty() {
                out.push(std::mem::take(row));
            }
        };
    while cursor < input.len() {
        let c = input[cursor];
        if in_quote {
            if c == QUOTE && at(cursor + 1) == Some(QUOTE) {
                cell.push(QUOTE);
                cursor += 2;
                (new_cell, closed) = (false, false);
            } else if c == QUOTE {
                in_quote = false;
                cursor += 1;
                (new_cell, closed) = (false, true);
            } else {
                cell.push(c);
                cursor += 1;
                (new_cell, closed) = (false, false);
            }
        } else if Some(c) == sep {
            finalise_cell(&mut cell, &mut row, new_cell);
            cursor += 1;
            (new_cell, closed) = (true, false);
        } else if c == QUOTE {
            if new_cell {
                in_quote = true;
                cursor += 1;
                (new_cell, closed) = (false, false);
            } else if o.strict {
                return Err(ParseError::UnquotedQuote);
            } else {
                // Relaxed: keep the quote unless a cell or row ends here;
                // a doubled quote counts once.
                cursor += 1;
                if let Some(next) = at(cursor).filter(|&n| n != '\n' && n != '\r' && Some(n) != sep)
                {
                    cell.push(c);
                    if next == QUOTE {
                        cursor += 1;
                    }
                }
            }
        } else if c == '\n' || c == '\r' {
            finalise_row(&mut cell, &mut row, &mut output, new_cell);
            cursor += if at(cursor + 1) == Some('\n') { 2 } else { 1 };
            (new_cell, closed) = (true, false);
            if o.headers_only {
                break;
            }
        } else if closed {
            if o.strict {
                return Err(ParseError::DataAfterClose);
            }
            // Relaxed: read the closing quote again as a stray one.
            cursor -= 1;
            closed = false;
        } else {
            cell.push(c);
            new_cell = false;
            cursor += 1;
        }
    }
    if o.strict && in_quote {
        return Err(ParseError::Unclosed);
    }
    finalise_row(&mut cell, &mut row, &mut output, new_cell);
    Ok(finish(output, cursor, o))
}

/// Names the columns and builds the result from the rows read.
fn finish(mut output: Vec<Vec<Cell>>, cursor: usize, o: &Options) -> Parsed {
    let mut headers = o.headers.clone();
    let mut first_row_is_header = false;
    if let Some(first) = output.first() {
        if !o.headers.is_empty() {
        } else if o.data_has_header_row {
            headers.extend(first.iter().cloned());
            first_row_is_header = true;
        } else {
            headers.extend((1..=first.len()).map(|i| Some(format!("col{i}"))));
        }
    }
    let header = header_string(&headers);
    let mut parsed = Parsed {
        header,
        cursor,
        ..Parsed::default()
    };
    if o.arrays || o.headers_only {
        if !first_row_is_header && !o.headers_only && !headers.is_empty() {
            output.insert(0, headers.clone());
        }
        parsed.headers = headers;
        if !o.headers_only {
            parsed.rows = output;
        }
        return parsed;
    }
    let skip = usize::from(first_row_is_header);
    for row in output.iter().skip(skip) {
        let mut object = Map::new();
        for (j, name) in headers.iter().enumerate() {
            let Some(name) = name.as_deref().filter(|n| !n.is_empty()) else {
                continue;
            };
            let value = match row.get(j).cloned().flatten() {
                None if !o.include_null_values => continue,
                None => Value::Null,
                Some(v) if v.is_empty() && !o.include_empty_strings => continue,
                Some(v) if o.parse_numeric && !v.is_empty() && !skips_number_conversion(&v) => {
                    numeric(&v).unwrap_or(Value::String(v))
                }
                Some(v) => Value::String(v),
            };
            object.insert(name.to_owned(), value);
        }
        if !object.is_empty() {
            parsed.objects.push(js_object(object));
        }
    }
    parsed.headers = headers;
    parsed
}

/// `/^ *(\+|-0\d|0\d)/`: text kept as text even though `+v` is a number
/// (`+1`, `007`, `-01`).
fn skips_number_conversion(v: &str) -> bool {
    let t = v.trim_start_matches(' ');
    let b = t.as_bytes();
    b.first() == Some(&b'+')
        || (b.first() == Some(&b'0') && b.get(1).is_some_and(u8::is_ascii_digit))
        || (b.starts_with(b"-0") && b.get(2).is_some_and(u8::is_ascii_digit))
}

/// `+v` when it is a number (infinities become `null`, as in JSON).
fn numeric(v: &str) -> Option<Value> {
    let n = js::to_number(Some(&Value::String(v.to_owned())));
    (!n.is_nan()).then(|| js::number(n))
}

/// An object with its keys in JavaScript's order.
pub fn js_object(map: Map<String, Value>) -> Value {
    let keys: Vec<String> = crate::sequence::parts::key_order(&map)
        .into_iter()
        .cloned()
        .collect();
    let mut map = map;
    let mut out = Map::new();
    for k in keys {
        if let Some(v) = map.shift_remove(&k) {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}

/// The named columns quoted for a comma-separated list, joined by commas
/// (`parse(...).header`).
pub fn header_string(headers: &[Cell]) -> String {
    headers
        .iter()
        .filter_map(|h| h.as_deref().filter(|h| !h.is_empty()))
        .map(|h| quote_cell(h, STRICT_QUOTEABLES))
        .collect::<Vec<_>>()
        .join(",")
}

/// What makes a cell of a comma-separated column list need quotes.
pub const STRICT_QUOTEABLES: &[&str] = &["\"", ",", "\n", "\r"];

/// `quoteCell`: quotes doubled, and the cell enclosed in quotes when it
/// holds any of `quoteables`.
pub fn quote_cell(cell: &str, quoteables: &[&str]) -> String {
    let body = cell.replace(QUOTE, "\"\"");
    if quoteables.iter().any(|q| cell.contains(q)) {
        format!("\"{body}\"")
    } else {
        body
    }
}
