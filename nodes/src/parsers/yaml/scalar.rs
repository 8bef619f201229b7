//! Plain scalars the YAML reader leaves as text where js-yaml's schema reads
//! another type: timestamps (`2001-12-14T21:59:43.10-05:00` loads as a
//! JavaScript `Date`, which a message carries as its ISO text) and decimal
//! integers with leading zeros (`012` is 12).

use std::collections::HashMap;

use chrono::DateTime;
use serde_json::Value;

use super::dump::{is_timestamp, is_yaml_int};
use crate::support::js;

/// Finds where loaded strings were written, in document order, to tell
/// plain text from quoted text: the YAML reader does not report scalar
/// styles. Each string is looked up after the previous place the same text
/// was found; text not found again (an alias) keeps its last answer.
pub(super) struct Source<'a> {
    text: &'a str,
    next: HashMap<String, (usize, bool)>,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str) -> Self {
        Source {
            text,
            next: HashMap::new(),
        }
    }

    fn written_plain(&mut self, s: &str) -> bool {
        let (from, last) = self.next.get(s).copied().unwrap_or((0, false));
        let Some(found) = self.text[from..].find(s).map(|at| from + at) else {
            return last;
        };
        let before = self.text[..found].chars().next_back();
        let plain = !matches!(before, Some('\'' | '"'));
        self.next.insert(s.to_owned(), (found + s.len(), plain));
        plain
    }

    /// What js-yaml loads for text the reader returned as a string, when
    /// it was written plain.
    pub fn resolve(&mut self, s: &str) -> Option<Value> {
        let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
        let int = is_yaml_int(s) && digits.bytes().all(|b| b.is_ascii_digit());
        if !(is_timestamp(s) || int) || !self.written_plain(s) {
            return None;
        }
        if int {
            let n = js::parse_float(Some(&Value::String(digits.to_owned())));
            return Some(js::number(if s.starts_with('-') { -n } else { n }));
        }
        iso_timestamp(s).map(Value::String)
    }
}

fn iso_timestamp(s: &str) -> Option<String> {
    let millis = epoch_millis(s)?;
    let t = DateTime::from_timestamp_millis(millis)?;
    Some(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// Splits off a leading run of ASCII digits.
fn digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// `constructYamlTimestamp` as milliseconds since the epoch (`Date.UTC`
/// rolls out-of-range months and days over, as here).
fn epoch_millis(s: &str) -> Option<i64> {
    let num = |t: &str| t.parse::<i64>().ok();
    let (year, rest) = digits(s);
    let (month, rest) = digits(rest.strip_prefix('-')?);
    let (day, rest) = digits(rest.strip_prefix('-')?);
    let (year, month, day) = (num(year)?, num(month)?, num(day)?);
    let date = |y: i64, m: i64, d: i64| {
        let (y, m) = (y + (m - 1).div_euclid(12), (m - 1).rem_euclid(12) + 1);
        days_from_civil(y, m) + d - 1
    };
    if rest.is_empty() {
        return Some(date(year, month, day) * 86_400_000);
    }
    let rest = rest.trim_start_matches(['T', 't', ' ', '\t']);
    let (hour, rest) = digits(rest);
    let (minute, rest) = digits(rest.strip_prefix(':')?);
    let (second, rest) = digits(rest.strip_prefix(':')?);
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(r) => digits(r),
        None => ("", rest),
    };
    let ms = format!("{:0<3}", &fraction[..fraction.len().min(3)]);
    let mut total = date(year, month, day) * 86_400_000
        + ((num(hour)? * 60 + num(minute)?) * 60 + num(second)?) * 1000
        + num(&ms)?;
    let zone = rest.trim_start_matches([' ', '\t']);
    if let Some(sign @ ('+' | '-')) = zone.chars().next() {
        let (h, m) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
        let delta = (num(h)? * 60 + num(m)?) * 60_000;
        total -= if sign == '-' { -delta } else { delta };
    }
    Some(total)
}

/// Days from 1970-01-01 to the first of the month (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_zoned_times_become_iso_text() {
        let p = |s: &str| {
            Source::new(s)
                .resolve(s)
                .and_then(|v| v.as_str().map(str::to_owned))
        };
        assert_eq!(p("2001-12-14").as_deref(), Some("2001-12-14T00:00:00.000Z"));
        assert_eq!(
            p("2001-12-14t21:59:43.10-05:00").as_deref(),
            Some("2001-12-15T02:59:43.100Z")
        );
        assert_eq!(
            p("2001-1-2 3:04:05 +1").as_deref(),
            Some("2001-01-02T02:04:05.000Z")
        );
        let text = "a: 2001-12-14\nb: '2001-12-14'\nc: 012\n";
        let mut source = Source::new(text);
        assert!(source.resolve("2001-12-14").is_some());
        assert_eq!(source.resolve("2001-12-14"), None);
        assert_eq!(source.resolve("012"), Some(Value::from(12)));
        assert_eq!(p("2001-12"), None);
    }
}
