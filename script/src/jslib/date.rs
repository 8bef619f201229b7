//! `Date` arithmetic on time values in UTC: broken-down fields, `Date.UTC`,
//! ISO and UTC strings, `Date.parse`. Local time (the runtime's zone) is
//! [`super::localtime`]'s.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Datelike, NaiveDate};

const MS_PER_DAY: f64 = 86_400_000.0;
pub(crate) const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Date.now()`.
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// 400 Gregorian years hold a whole number of days (and of weeks), so the
/// calendar repeats after them. JavaScript dates reach ±275,760 years, past
/// chrono's ±262,143, so chrono is asked about the year within its 400-year
/// cycle and the whole cycles are added back.
const DAYS_PER_400_YEARS: i64 = 146_097;

/// The largest year and month magnitudes V8 accepts in `Date.UTC` and
/// `new Date(y, m, ...)`.
const MAX_YEAR: f64 = 1_000_000.0;
const MAX_MONTH: f64 = 10_000_000.0;

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// Days since the epoch of the first day of a month (0-11) of a year.
fn days_to_month(year: i64, month: u32) -> i64 {
    let cycles = year.div_euclid(400);
    let first = NaiveDate::from_ymd_opt(year.rem_euclid(400) as i32, month + 1, 1)
        .expect("years 0-399 and months 0-11 are dates");
    cycles * DAYS_PER_400_YEARS + i64::from(first.num_days_from_ce()) - EPOCH_DAYS_FROM_CE
}

/// The date of a day number since the epoch, with its year.
fn date_of_day(days: i64) -> (i64, NaiveDate) {
    let shifted = days + EPOCH_DAYS_FROM_CE;
    let cycles = shifted.div_euclid(DAYS_PER_400_YEARS);
    let date = NaiveDate::from_num_days_from_ce_opt(shifted.rem_euclid(DAYS_PER_400_YEARS) as i32)
        .expect("a day within 400 years is a date");
    (i64::from(date.year()) + cycles * 400, date)
}

/// The broken-down fields of a time value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    pub year: i64,
    /// 0-11, as JavaScript's `getMonth()`.
    pub month: i64,
    pub day: i64,
    pub hours: i64,
    pub minutes: i64,
    pub seconds: i64,
    pub millis: i64,
    /// 0 = Sunday.
    pub weekday: i64,
}

pub fn fields(t: f64) -> Fields {
    let t = t as i64;
    let days = t.div_euclid(MS_PER_DAY as i64);
    let ms = t.rem_euclid(MS_PER_DAY as i64);
    let (year, date) = date_of_day(days);
    Fields {
        year,
        month: i64::from(date.month0()),
        day: i64::from(date.day()),
        hours: ms / 3_600_000,
        minutes: ms / 60_000 % 60,
        seconds: ms / 1000 % 60,
        millis: ms % 1000,
        weekday: i64::from(date.weekday().num_days_from_sunday()),
    }
}

/// `Date.UTC(...)`/`new Date(y, m, ...)`: months may overflow, as in JavaScript.
pub fn make_time(year: f64, month: f64, day: f64, h: f64, min: f64, s: f64, ms: f64) -> f64 {
    let vals = [year, month, day, h, min, s, ms];
    if vals.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    // V8's bounds on the year and the (unfolded) month: beyond them the
    // date is invalid whatever the day brings it back to.
    if year.abs() > MAX_YEAR || month.abs() > MAX_MONTH {
        return f64::NAN;
    }
    let ym = year.trunc() as i64 + (month.trunc() as i64).div_euclid(12);
    let mn = (month.trunc() as i64).rem_euclid(12);
    let days = days_to_month(ym, mn as u32) as f64 + day.trunc() - 1.0;
    let t = days * MS_PER_DAY
        + h.trunc() * 3_600_000.0
        + min.trunc() * 60_000.0
        + s.trunc() * 1000.0
        + ms.trunc();
    time_clip(t)
}

/// Dates beyond ±8.64e15 ms are invalid.
pub fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > 8.64e15 {
        f64::NAN
    } else {
        t.trunc()
    }
}

/// `toISOString()`; `None` for an invalid date (JavaScript throws).
pub fn to_iso(t: f64) -> Option<String> {
    if t.is_nan() {
        return None;
    }
    let f = fields(t);
    let year = if (0..=9999).contains(&f.year) {
        format!("{:04}", f.year)
    } else if f.year < 0 {
        format!("-{:06}", -f.year)
    } else {
        format!("+{:06}", f.year)
    };
    Some(format!(
        "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        f.month + 1,
        f.day,
        f.hours,
        f.minutes,
        f.seconds,
        f.millis
    ))
}

/// `Date.prototype.toString()`, in local time.
pub fn to_js_string(t: f64) -> String {
    super::localtime::to_string(t)
}

/// A year as `toString()`/`toUTCString()` print it: four digits at least,
/// the sign before them (`-0001`).
pub(crate) fn year_text(year: i64) -> String {
    format!("{}{:04}", if year < 0 { "-" } else { "" }, year.abs())
}

/// `toUTCString()`.
pub fn to_utc_string(t: f64) -> String {
    if t.is_nan() {
        return "Invalid Date".into();
    }
    let f = fields(t);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[f.weekday as usize],
        f.day,
        MONTHS[f.month as usize],
        year_text(f.year),
        f.hours,
        f.minutes,
        f.seconds
    )
}

/// `Date.parse(s)`: the ISO 8601 forms JavaScript guarantees (`YYYY`,
/// `YYYY-MM`, `YYYY-MM-DD`, with `THH:mm[:ss[.sss]]` and `Z`/`±HH:mm`),
/// else the other forms V8 reads ([`super::date_legacy`]). NaN otherwise.
/// Date-time forms without a zone are local time, as in JavaScript.
pub fn parse(s: &str) -> f64 {
    let (t, local) = match parse_iso(s.trim()) {
        Some(parsed) => parsed,
        None => match super::date_legacy::parse(s) {
            Some((t, Some(offset_min))) => (t - offset_min as f64 * 60_000.0, false),
            Some((t, None)) => (t, true),
            None => (f64::NAN, false),
        },
    };
    if local {
        super::localtime::utc_of_local(t)
    } else {
        t
    }
}

/// The time value, and whether it is a local time still to convert.
fn parse_iso(s: &str) -> Option<(f64, bool)> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, mut i) = match b.first()? {
        b'+' | b'-' => {
            let y = num(1, 6)?;
            (if b[0] == b'-' { -y } else { y }, 7)
        }
        _ => (num(0, 4)?, 4),
    };
    let mut month = 1;
    let mut day = 1;
    if b.get(i) == Some(&b'-') {
        month = num(i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'-') {
            day = num(i + 1, 2)?;
            i += 3;
        }
    }
    let (mut h, mut mi, mut sec, mut ms) = (0, 0, 0, 0.0);
    let mut offset_min = 0i64;
    // Date-only forms are UTC; date-time forms without a zone are local time.
    let mut local = false;
    if matches!(b.get(i), Some(b'T') | Some(b't') | Some(b' ')) {
        h = num(i + 1, 2)?;
        if b.get(i + 3) != Some(&b':') {
            return None;
        }
        mi = num(i + 4, 2)?;
        i += 6;
        if b.get(i) == Some(&b':') {
            sec = num(i + 1, 2)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                if end == start {
                    return None;
                }
                let frac = &s[start..end.min(start + 3)];
                ms = frac.parse::<f64>().ok()? * 10f64.powi(3 - frac.len() as i32);
                i = end;
            }
        }
        match b.get(i) {
            None => local = true,
            Some(b'Z') | Some(b'z') => i += 1,
            Some(&c @ (b'+' | b'-')) => {
                let oh = num(i + 1, 2)?;
                let om = if b.get(i + 3) == Some(&b':') {
                    num(i + 4, 2)?
                } else {
                    num(i + 3, 2)?
                };
                offset_min = (oh * 60 + om) * if c == b'-' { -1 } else { 1 };
                i = s.len();
            }
            _ => return None,
        }
    }
    if i != s.len()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || h > 24
        || mi > 59
        || sec > 59
    {
        return None;
    }
    let t = make_time(
        year as f64,
        (month - 1) as f64,
        day as f64,
        h as f64,
        mi as f64,
        sec as f64,
        ms,
    );
    Some((t - offset_min as f64 * 60_000.0, local))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trip() {
        let t = parse("2024-02-29T12:34:56.789Z");
        assert_eq!(to_iso(t).unwrap(), "2024-02-29T12:34:56.789Z");
        assert_eq!(parse("1970-01-01"), 0.0);
        assert_eq!(
            parse("2020-01-01T00:00:00+01:00"),
            parse("2019-12-31T23:00:00Z")
        );
        assert!(parse("not a date").is_nan());
        assert_eq!(to_iso(-1.0).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(fields(0.0).weekday, 4);
        assert_eq!(fields(-1.0).weekday, 3);
        assert_eq!(
            parse(&to_utc_string(1_700_000_000_000.0)),
            1_700_000_000_000.0
        );
    }

    #[test]
    fn the_whole_javascript_range() {
        // V8's answers at both ends of the time range, beyond chrono's years.
        assert_eq!(to_iso(8.64e15).unwrap(), "+275760-09-13T00:00:00.000Z");
        assert_eq!(to_iso(-8.64e15).unwrap(), "-271821-04-20T00:00:00.000Z");
        assert_eq!(
            super::super::localtime::to_string_in(&jiff::tz::TimeZone::UTC, -8.64e15),
            "Tue Apr 20 -271821 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(make_time(275760.0, 8.0, 13.0, 0.0, 0.0, 0.0, 0.0), 8.64e15);
        assert_eq!(
            make_time(-271821.0, 3.0, 20.0, 0.0, 0.0, 0.0, 0.0),
            -8.64e15
        );
        // Months overflow into years, both ways.
        assert_eq!(
            make_time(2023.0, 13.0, 1.0, 0.0, 0.0, 0.0, 0.0),
            parse("2024-02-01")
        );
        assert_eq!(
            make_time(2024.0, -1.0, 31.0, 0.0, 0.0, 0.0, 0.0),
            parse("2023-12-31")
        );
    }

    #[test]
    fn years_and_months_past_v8_bounds_are_invalid() {
        // Once an overflow panic (debug) or a wrapped day count (release).
        assert_eq!(
            make_time(500_000.0, 0.0, -1e8, 0.0, 0.0, 0.0, 0.0),
            7_076_308_694_400_000.0
        );
        assert!(make_time(1e18, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0).is_nan());
        assert!(make_time(1_000_001.0, 0.0, -365_242_000.0, 0.0, 0.0, 0.0, 0.0).is_nan());
        assert!(make_time(2020.0, 10_000_001.0, -304e6, 0.0, 0.0, 0.0, 0.0).is_nan());
    }
}
