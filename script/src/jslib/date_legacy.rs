//! `Date.parse` for the strings that are not ISO 8601, as V8 reads them:
//! `2024/03/10`, `03/10/2024 14:30`, `March 7, 2024`, `7 Mar 2024 2:30 PM`,
//! `Tue, 05 Mar 2024 10:00:00 GMT`, `Date.prototype.toString`'s own form,
//! `2024-3-5`. Flows get such dates from devices, spreadsheets and mail
//! headers, and V8 accepts them, so a body that passes one to `new Date`
//! must get the same time, not `Invalid Date`.
//!
//! This follows V8's legacy date parser (`dateparser-inl.h`): the text is
//! read as numbers, words and symbols; a number followed by `:` starts the
//! time; a month name (its first three letters) names the month; `AM`/`PM`,
//! `GMT`/`UTC`/`Z` and the US zone names (`EST`...) are keywords; a sign
//! after the time or `GMT` gives the offset; text in parentheses is skipped.
//! Up to three other numbers make the date: year first when the first is
//! not a day of the month (1 to 31), else month/day/year, with a named
//! month day/year. Two-digit years are 1950–2049. Without a zone, the time
//! is local.

/// A part of the text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Number { value: i64, len: usize },
    Word(&'a str),
    Symbol(u8),
    Space,
}

/// The text's parts, parenthesized text left out.
fn tokens(s: &str) -> Vec<Token<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let digits = &s[start..i];
            // Larger numbers are never valid parts; keep them invalid.
            let value = digits.parse().unwrap_or(i64::MAX);
            out.push(Token::Number {
                value,
                len: i - start,
            });
        } else if c.is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Token::Word(&s[start..i]));
        } else if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            out.push(Token::Space);
        } else if c == b'(' {
            let mut depth = 0;
            while i < b.len() {
                match b[i] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                i += 1;
                if depth == 0 {
                    break;
                }
            }
            out.push(Token::Space);
        } else if c.is_ascii() {
            out.push(Token::Symbol(c));
            i += 1;
        } else {
            // A non-ASCII character is never part of a date.
            return vec![Token::Word("\u{0}")];
        }
    }
    out
}

/// What a word means.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Keyword {
    /// 1-12.
    Month(i64),
    /// 0 (AM) or 12 (PM).
    AmPm(i64),
    /// Hours from UTC.
    Zone(i64),
    Other,
}

fn keyword(word: &str) -> Keyword {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = word.to_ascii_lowercase();
    let prefix = lower.get(..3).unwrap_or(&lower);
    if let Some(m) = MONTHS.iter().position(|m| *m == prefix) {
        return Keyword::Month(m as i64 + 1);
    }
    // Any other keyword must be the whole word.
    if lower.len() > 3 {
        return Keyword::Other;
    }
    match lower.as_str() {
        "am" => Keyword::AmPm(0),
        "pm" => Keyword::AmPm(12),
        "ut" | "utc" | "z" | "gmt" => Keyword::Zone(0),
        "cdt" => Keyword::Zone(-5),
        "cst" => Keyword::Zone(-6),
        "edt" => Keyword::Zone(-4),
        "est" => Keyword::Zone(-5),
        "mdt" => Keyword::Zone(-6),
        "mst" => Keyword::Zone(-7),
        "pdt" => Keyword::Zone(-7),
        "pst" => Keyword::Zone(-8),
        _ => Keyword::Other,
    }
}

/// Hour, minute, second and millisecond, in the order read.
#[derive(Default)]
struct Time {
    parts: Vec<i64>,
    /// 0 (AM) or 12 (PM).
    half: Option<i64>,
}

impl Time {
    fn add(&mut self, n: i64) -> bool {
        self.parts.len() < 4 && {
            self.parts.push(n);
            true
        }
    }

    /// Whether `n` can be the next part after an hour.
    fn expects(&self, n: i64) -> bool {
        match self.parts.len() {
            1 | 2 => (0..=59).contains(&n),
            3 => (0..=999).contains(&n),
            _ => false,
        }
    }

    /// Milliseconds into the day, if the parts make a valid time.
    fn write(&self) -> Option<i64> {
        let part = |i: usize| self.parts.get(i).copied().unwrap_or(0);
        let (mut h, mi, s, ms) = (part(0), part(1), part(2), part(3));
        if let Some(half) = self.half {
            if !(0..=12).contains(&h) {
                return None;
            }
            h = h % 12 + half;
        }
        let valid = (0..=23).contains(&h)
            && (0..=59).contains(&mi)
            && (0..=59).contains(&s)
            && (0..=999).contains(&ms);
        if !valid && (h != 24 || mi != 0 || s != 0 || ms != 0) {
            return None;
        }
        Some(((h * 60 + mi) * 60 + s) * 1000 + ms)
    }
}

/// The offset from UTC the text gives.
#[derive(Default)]
struct Zone {
    sign: Option<i64>,
    hour: Option<i64>,
    minute: Option<i64>,
}

impl Zone {
    fn set_hours(&mut self, hours: i64) {
        self.sign = Some(if hours < 0 { -1 } else { 1 });
        self.hour = Some(hours.abs());
        self.minute = Some(0);
    }

    fn is_utc(&self) -> bool {
        self.hour == Some(0) && self.minute == Some(0)
    }

    fn expects(&self, n: i64) -> bool {
        self.hour.is_some() && self.minute.is_none() && (0..=59).contains(&n)
    }

    /// Minutes east of UTC, or `None` for local time.
    fn write(&self) -> Option<i64> {
        let sign = self.sign?;
        Some(sign * (self.hour.unwrap_or(0) * 60 + self.minute.unwrap_or(0)))
    }
}

/// Year, month (1-12) and day from the numbers read and a named month.
fn write_day(parts: &[i64], named_month: Option<i64>) -> Option<(i64, i64, i64)> {
    if parts.is_empty() {
        return None;
    }
    let part = |i: usize| parts.get(i).copied().unwrap_or(1);
    let is_day = |n: i64| (1..=31).contains(&n);
    // A missing part is 1 (so `5 March` is in 2001, as in V8).
    let (mut year, month, day) = match named_month {
        None if !is_day(part(0)) => (part(0), part(1), part(2)),
        None => (part(2), part(0), part(1)),
        Some(m) if !is_day(part(0)) => (part(0), m, part(1)),
        Some(m) => (part(1), m, part(0)),
    };
    if (0..=49).contains(&year) {
        year += 2000;
    } else if (50..=99).contains(&year) {
        year += 1900;
    }
    ((1..=12).contains(&month) && is_day(day)).then_some((year, month, day))
}

/// Milliseconds from `.123`-style digits: the first three, scaled.
fn milliseconds(value: i64, len: usize) -> i64 {
    match len {
        1 => value * 100,
        2 => value * 10,
        3 => value,
        n => value / 10i64.pow((n - 3).min(18) as u32),
    }
}

/// The parsed date: a time value as if the fields were UTC, and the zone's
/// offset in minutes (`None`: the fields are local time).
pub fn parse(s: &str) -> Option<(f64, Option<i64>)> {
    let tokens = tokens(s);
    let mut day: Vec<i64> = Vec::new();
    let mut named_month = None;
    let mut time = Time::default();
    let mut zone = Zone::default();
    let mut read_number = false;
    let mut i = 0;
    let peek = |i: usize| tokens.get(i).copied();
    while let Some(token) = peek(i) {
        i += 1;
        match token {
            Token::Number { value: n, .. } => {
                read_number = true;
                if peek(i) == Some(Token::Symbol(b':')) {
                    i += 1;
                    if peek(i) == Some(Token::Symbol(b':')) {
                        // `n::`
                        i += 1;
                        if !time.parts.is_empty() {
                            return None;
                        }
                        time.add(n);
                        time.add(0);
                    } else {
                        if !time.add(n) {
                            return None;
                        }
                        if peek(i) == Some(Token::Symbol(b'.')) {
                            i += 1;
                        }
                    }
                } else if peek(i) == Some(Token::Symbol(b'.')) && {
                    i += 1;
                    time.expects(n)
                } {
                    time.add(n);
                    let Some(Token::Number { value, len }) = peek(i) else {
                        return None;
                    };
                    i += 1;
                    time.add(milliseconds(value, len));
                } else if zone.expects(n) {
                    zone.minute = Some(n);
                } else if time.expects(n) {
                    time.add(n);
                    while time.parts.len() < 4 {
                        time.parts.push(0);
                    }
                    // The time must end here.
                    match peek(i) {
                        None | Some(Token::Space) => {}
                        Some(Token::Symbol(b'+' | b'-')) => {}
                        Some(Token::Word(w)) if w.eq_ignore_ascii_case("z") => {}
                        _ => return None,
                    }
                } else {
                    if day.len() >= 3 {
                        return None;
                    }
                    day.push(n);
                    if peek(i) == Some(Token::Symbol(b'-')) {
                        i += 1;
                    }
                }
            }
            Token::Word(w) => match keyword(w) {
                Keyword::AmPm(half) if !time.parts.is_empty() => time.half = Some(half),
                Keyword::Month(m) => {
                    named_month = Some(m);
                    if peek(i) == Some(Token::Symbol(b'-')) {
                        i += 1;
                    }
                }
                Keyword::Zone(hours) if read_number => zone.set_hours(hours),
                _ => {
                    // Other words may only come before the date, apart
                    // from it.
                    if read_number || matches!(peek(i), Some(Token::Number { .. })) {
                        return None;
                    }
                }
            },
            Token::Symbol(c @ (b'+' | b'-')) if zone.is_utc() || !time.parts.is_empty() => {
                zone.sign = Some(if c == b'-' { -1 } else { 1 });
                let (n, len) = match peek(i) {
                    Some(Token::Number { value, len }) => {
                        i += 1;
                        (value, len)
                    }
                    _ => (0, 0),
                };
                read_number = true;
                if peek(i) == Some(Token::Symbol(b':')) {
                    zone.hour = Some(n);
                    zone.minute = None;
                } else if len <= 2 {
                    zone.hour = Some(n);
                    zone.minute = Some(0);
                } else if len <= 4 {
                    zone.hour = Some(n / 100);
                    zone.minute = Some(n % 100);
                } else {
                    return None;
                }
            }
            Token::Symbol(b'+' | b'-' | b')') if read_number => return None,
            _ => {}
        }
    }
    let (year, month, date) = write_day(&day, named_month)?;
    let ms = time.write()?;
    let t = super::date::make_time(
        year as f64,
        (month - 1) as f64,
        date as f64,
        0.0,
        0.0,
        0.0,
        ms as f64,
    );
    let zone = zone.write();
    let utc = t - zone.unwrap_or(0) as f64 * 60_000.0;
    // Beyond ±8.64e15 ms a date is invalid.
    (utc.abs() <= 8.64e15).then_some((t, zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> f64 {
        let (t, zone) = parse(s).unwrap_or((f64::NAN, None));
        t - zone.unwrap_or(0) as f64 * 60_000.0
    }

    /// Answers are V8's (Node.js 22, in UTC).
    #[test]
    fn the_forms_flows_meet() {
        for (text, want) in [
            ("2024/03/10", 1_710_028_800_000.0),
            ("03/10/2024", 1_710_028_800_000.0),
            ("3/10/2024 14:30", 1_710_081_000_000.0),
            ("March 7, 2024", 1_709_769_600_000.0),
            ("7 Mar 2024 2:30 PM", 1_709_821_800_000.0),
            ("Tue, 05 Mar 2024 10:00:00 GMT", 1_709_632_800_000.0),
            (
                "Tue Mar 05 2024 11:00:00 GMT+0100 (Central European Standard Time)",
                1_709_632_800_000.0,
            ),
            ("2024-3-5", 1_709_596_800_000.0),
            ("10.03.2024", 1_727_913_600_000.0),
            ("Mar 5 2024 10:00:00.5 EST", 1_709_650_800_500.0),
            ("2024/03/10 12:00:00 +05:30", 1_710_052_200_000.0),
            ("Mar 1 2024 12:15 AM", 1_709_252_100_000.0),
            ("5 March", 983_750_400_000.0),
            ("hello 2024", 1_704_067_200_000.0),
            ("Tuesday, March 5, 2024 10:00", 1_709_632_800_000.0),
            ("2024-03-05 10:00:00 UTC", 1_709_632_800_000.0),
            ("5-Mar-2024", 1_709_596_800_000.0),
            ("Mar-05-2024", 1_709_596_800_000.0),
            ("1/2/24", 1_704_153_600_000.0),
            ("2024/3/5 10:00:00.123456", 1_709_632_800_123.0),
            ("Sat, 01 Jan 2000 00:00:00 +0000", 946_684_800_000.0),
            ("2024-03-05 10:00 PM", 1_709_676_000_000.0),
            ("Dec 25, 1995 23:15:30 GMT-0700", 819_958_530_000.0),
        ] {
            let got = utc(text);
            assert!(
                got == want || (got.is_nan() && want.is_nan()),
                "{text}: {got} (want {want})"
            );
        }
    }

    #[test]
    fn what_v8_refuses_is_refused() {
        for text in [
            "12:00",
            "2024 hello",
            "32/01/2024",
            "1/1/2024 25:00",
            "é 1 2024",
            "12 AM Mar 1 2024",
            "2024-03-05T10:00:00 GMT",
            "20240305",
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
    }
}
