//! Why a JavaScript body cannot run: a syntax error or a construct outside
//! the supported subset, with the line and column it starts at (in the
//! message) and where it ends (for the editor, which underlines the span).

use std::fmt;

/// A load-time problem in a JavaScript body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslateError {
    /// 1-based line in the body.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Where the offending code ends (1-based line and column, exclusive):
    /// the editor underlines from `line:column` to here.
    pub end_line: usize,
    pub end_column: usize,
    pub kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The parser rejected the body.
    Syntax(String),
    /// Valid JavaScript outside the subset flowgate translates.
    Unsupported(String),
    /// Code built from text at run time (`eval`, `new Function`): refused
    /// on purpose, since a function node runs only what was checked when
    /// it was deployed.
    Refused(String),
    /// The body declares and refers to so many names at once that
    /// compiling it would cost more than
    /// [`super::budget::MAX_LOOKUP_WORK`] comparisons (the count it would).
    TooManyNames(u64),
}

impl TranslateError {
    /// An error at byte `offset` of `source` (an empty span).
    pub fn at(source: &str, offset: u32, kind: ErrorKind) -> Self {
        Self::spanning(source, offset, offset, kind)
    }

    /// An error about bytes `start..end` of `source`.
    pub fn spanning(source: &str, start: u32, end: u32, kind: ErrorKind) -> Self {
        let (line, column) = locate(source, start);
        let (end_line, end_column) = locate(source, end.max(start));
        TranslateError {
            line,
            column,
            end_line,
            end_column,
            kind,
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `source`.
fn locate(source: &str, offset: u32) -> (usize, usize) {
    // The parser's offset can fall inside a multi-byte character (an
    // error reported at a stray byte of a replacement character): step
    // back to the character's start rather than slicing through it.
    let mut offset = (offset as usize).min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Syntax(m) => write!(
                f,
                "JavaScript syntax error at line {}:{}: {m}",
                self.line, self.column
            ),
            ErrorKind::Refused(c) => write!(
                f,
                "refused JavaScript at line {}:{}: {c} runs code made from text at run time, which flowgate's sandbox refuses on purpose (a function node runs only code checked when it is deployed); write the logic in the body itself, or use a JSONata expression in a change or switch node",
                self.line, self.column
            ),
            ErrorKind::TooManyNames(work) => write!(
                f,
                "the body is too large to compile: its variables and functions would need {work} name comparisons, more than the limit of {}; split it over several function nodes, or keep large data in context or a message instead of in separate variables",
                super::budget::MAX_LOOKUP_WORK
            ),
            ErrorKind::Unsupported(c) => write!(
                f,
                "unsupported JavaScript at line {}:{}: {c} is not supported by flowgate; instead: {} (docs/function-node.md lists what is supported)",
                self.line,
                self.column,
                super::advice::alternative(c)
            ),
        }
    }
}

impl std::error::Error for TranslateError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_inside_a_multibyte_character_locates_its_start() {
        let source = "a\nb\u{fffd}c";
        // Byte 4 is inside U+FFFD (bytes 3..6).
        let e = TranslateError::at(source, 4, ErrorKind::Syntax("x".into()));
        assert_eq!((e.line, e.column), (2, 2));
    }

    #[test]
    fn a_span_ends_where_its_code_ends_across_lines() {
        let source = "x\n  foo(\n  1)";
        let e = TranslateError::spanning(source, 4, 14, ErrorKind::Syntax("x".into()));
        assert_eq!((e.line, e.column, e.end_line, e.end_column), (2, 3, 3, 5));
    }
}
