//! `JSON.parse`'s error messages, worded and positioned as V8 reports them
//! (`Unexpected token 'a', "abc" is not valid JSON`, `Expected ',' or '}'
//! after property value in JSON at position 7`). Parsing itself is
//! serde_json's; this scanner only runs once serde has rejected the text, to
//! say why the way Node-RED users see it.

/// The V8 message for invalid JSON `text`.
pub fn error_message(text: &str) -> String {
    // V8's `IsSpecialString`: what `String(x)` gives for values people pass
    // to `JSON.parse` by mistake gets a message of its own.
    if matches!(text, "undefined" | "NaN" | "Infinity" | "[object Object]") {
        return format!("\"{text}\" is not valid JSON");
    }
    let chars: Vec<char> = text.chars().collect();
    let mut s = Scanner {
        chars: &chars,
        pos: 0,
    };
    let result = s.value().and_then(|_| {
        s.ws();
        if s.pos < chars.len() {
            Err(s.located("Unexpected non-whitespace character after JSON", s.pos))
        } else {
            Ok(())
        }
    });
    match result {
        Err(m) => m,
        // serde and this scanner disagree (e.g. a number out of range): keep it generic.
        Ok(()) => format!("\"{text}\" is not valid JSON"),
    }
}

struct Scanner<'c> {
    chars: &'c [char],
    pos: usize,
}

impl Scanner<'_> {
    /// JavaScript position (UTF-16 units) of char index `i`.
    fn js_pos(&self, i: usize) -> usize {
        self.chars[..i.min(self.chars.len())]
            .iter()
            .map(|c| c.len_utf16())
            .sum()
    }

    /// `<what> in JSON at position P (line L column C)`: V8 12 (Node.js 22,
    /// which Node-RED 5 needs) adds the line and column; `\r\n`, `\r` and
    /// `\n` each end a line, and columns count UTF-16 units from 1.
    fn at(&self, what: &str, i: usize) -> String {
        self.located(&format!("{what} in JSON"), i)
    }

    /// `<what> at position P (line L column C)`.
    fn located(&self, what: &str, i: usize) -> String {
        let i = i.min(self.chars.len());
        let (mut line, mut line_start) = (1, 0);
        let mut k = 0;
        while k < i {
            match self.chars[k] {
                '\r' if self.chars.get(k + 1) == Some(&'\n') && k + 1 < i => {
                    k += 1;
                    line += 1;
                    line_start = k + 1;
                }
                '\r' | '\n' => {
                    line += 1;
                    line_start = k + 1;
                }
                _ => {}
            }
            k += 1;
        }
        let column = self.js_pos(i) - self.js_pos(line_start) + 1;
        format!(
            "{what} at position {} (line {line} column {column})",
            self.js_pos(i)
        )
    }

    fn ws(&mut self) {
        while self.pos < self.chars.len()
            && matches!(self.chars[self.pos], ' ' | '\t' | '\n' | '\r')
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn unexpected(&self) -> String {
        let Some(c) = self.peek() else {
            return "Unexpected end of JSON input".into();
        };
        const CTX: usize = 10;
        let len = self.chars.len();
        let src: String = if len <= 2 * CTX {
            format!("\"{}\"", self.chars.iter().collect::<String>())
        } else {
            let start = self.pos.saturating_sub(CTX);
            let end = (self.pos + CTX).min(len);
            format!(
                "{}\"{}\"{}",
                if start > 0 { "..." } else { "" },
                self.chars[start..end].iter().collect::<String>(),
                if end < len { "..." } else { "" }
            )
        };
        format!("Unexpected token '{c}', {src} is not valid JSON")
    }

    fn value(&mut self) -> Result<(), String> {
        self.ws();
        match self.peek() {
            None => Err("Unexpected end of JSON input".into()),
            Some('{') => self.object(),
            Some('[') => self.array(),
            Some('"') => self.string(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some('t') => self.literal("true"),
            Some('f') => self.literal("false"),
            Some('n') => self.literal("null"),
            Some(_) => Err(self.unexpected()),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        for w in word.chars() {
            if self.peek() != Some(w) {
                return Err(self.unexpected());
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn object(&mut self) -> Result<(), String> {
        self.pos += 1;
        self.ws();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(());
        }
        let mut first = true;
        loop {
            self.ws();
            if self.peek() != Some('"') {
                let what = if first {
                    "Expected property name or '}'"
                } else {
                    "Expected double-quoted property name"
                };
                return Err(self.at(what, self.pos));
            }
            self.string()?;
            self.ws();
            if self.peek() != Some(':') {
                return Err(self.at("Expected ':' after property name", self.pos));
            }
            self.pos += 1;
            self.value()?;
            self.ws();
            match self.peek() {
                Some(',') => {
                    self.pos += 1;
                    first = false;
                }
                Some('}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.at("Expected ',' or '}' after property value", self.pos)),
            }
        }
    }

    fn array(&mut self) -> Result<(), String> {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value()?;
            self.ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.at("Expected ',' or ']' after array element", self.pos)),
            }
        }
    }

    fn string(&mut self) -> Result<(), String> {
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(self.at("Unterminated string", self.pos)),
                Some('"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => self.pos += 1,
                        Some('u') => {
                            self.pos += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(c) if c.is_ascii_hexdigit() => self.pos += 1,
                                    _ => return Err(self.at("Bad Unicode escape", self.pos)),
                                }
                            }
                        }
                        None => return Err(self.at("Unterminated string", self.pos)),
                        Some(_) => return Err(self.at("Bad escaped character", self.pos)),
                    }
                }
                Some(c) if (c as u32) < 0x20 => {
                    return Err(self.at("Bad control character in string literal", self.pos))
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), String> {
        if self.peek() == Some('-') {
            self.pos += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.at("No number after minus sign", self.pos));
            }
        }
        if self.peek() == Some('0') {
            self.pos += 1;
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.at("Unexpected number", self.pos));
            }
        } else {
            self.digits();
        }
        if self.peek() == Some('.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.at("Unterminated fractional number", self.pos));
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.at("Exponent part is missing a number", self.pos));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::error_message;

    /// Recorded from Node.js 22's `JSON.parse` (the Node.js Node-RED 5 runs on).
    #[test]
    fn messages_match_node_22() {
        let cases = [
            ("", "Unexpected end of JSON input"),
            ("abc", "Unexpected token 'a', \"abc\" is not valid JSON"),
            (
                "{a:1}",
                "Expected property name or '}' in JSON at position 1 (line 1 column 2)",
            ),
            (
                "{bad json",
                "Expected property name or '}' in JSON at position 1 (line 1 column 2)",
            ),
            (
                "{\"a\":1,}",
                "Expected double-quoted property name in JSON at position 7 (line 1 column 8)",
            ),
            ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
            (
                "{\"a\" 1}",
                "Expected ':' after property name in JSON at position 5 (line 1 column 6)",
            ),
            (
                "{\"a\":1 \"b\":2}",
                "Expected ',' or '}' after property value in JSON at position 7 (line 1 column 8)",
            ),
            (
                "[1 2]",
                "Expected ',' or ']' after array element in JSON at position 3 (line 1 column 4)",
            ),
            (
                "\"abc",
                "Unterminated string in JSON at position 4 (line 1 column 5)",
            ),
            (
                "{\"a\":1}x",
                "Unexpected non-whitespace character after JSON at position 7 (line 1 column 8)",
            ),
            (
                "{\"a\":1} x",
                "Unexpected non-whitespace character after JSON at position 8 (line 1 column 9)",
            ),
            ("tru", "Unexpected end of JSON input"),
            (
                "1.",
                "Unterminated fractional number in JSON at position 2 (line 1 column 3)",
            ),
            (
                "-",
                "No number after minus sign in JSON at position 1 (line 1 column 2)",
            ),
            (
                "-x",
                "No number after minus sign in JSON at position 1 (line 1 column 2)",
            ),
            (
                "\"a\nb\"",
                "Bad control character in string literal in JSON at position 2 (line 1 column 3)",
            ),
            (
                "{\"aaaaaaaaaaaaaaaa\": x}",
                "Unexpected token 'x', ...\"aaaaaaa\": x}\" is not valid JSON",
            ),
            (
                "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", x, \"bbbbbbbbbbbbbbbbbbbbbbbbbb\"]",
                "Unexpected token 'x', ...\"aaaaaaa\", x, \"bbbbbb\"... is not valid JSON",
            ),
            (
                "{\"looooooooooooooooooooong\": nope}",
                "Unexpected token 'o', ...\"oooong\": nope}\" is not valid JSON",
            ),
            (
                "01",
                "Unexpected number in JSON at position 1 (line 1 column 2)",
            ),
            (
                "\"\\x\"",
                "Bad escaped character in JSON at position 2 (line 1 column 3)",
            ),
            (
                "[\"a\\x\"]",
                "Bad escaped character in JSON at position 4 (line 1 column 5)",
            ),
            (
                "1e+",
                "Exponent part is missing a number in JSON at position 3 (line 1 column 4)",
            ),
            (
                "\"\\u12\"",
                "Bad Unicode escape in JSON at position 5 (line 1 column 6)",
            ),
            ("undefined", "\"undefined\" is not valid JSON"),
            (
                "{\r\n\"a\"\r:1,\rx}",
                "Expected double-quoted property name in JSON at position 11 (line 4 column 1)",
            ),
            (
                "\n\n  [1 2]",
                "Expected ',' or ']' after array element in JSON at position 7 (line 3 column 6)",
            ),
            (
                "[\"😀\" 1]",
                "Expected ',' or ']' after array element in JSON at position 6 (line 1 column 7)",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(error_message(text), want, "for {text:?}");
        }
    }
}
