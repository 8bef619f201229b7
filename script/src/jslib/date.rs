//! `Date` arithmetic without a time-zone database: flowgate's local time is
//! UTC, so `getHours()` equals `getUTCHours()` (Node-RED follows the host's
//! `TZ`; run flowgate with the zone you need in the data, not the clock).

use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: f64 = 86_400_000.0;
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Date.now()`.
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// Days since the epoch of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day 1-31) of a day number.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
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
    let (year, month, day) = civil_from_days(days);
    Fields {
        year,
        month: month - 1,
        day,
        hours: ms / 3_600_000,
        minutes: ms / 60_000 % 60,
        seconds: ms / 1000 % 60,
        millis: ms % 1000,
        weekday: (days + 4).rem_euclid(7),
    }
}

/// `Date.UTC(...)`/`new Date(y, m, ...)`: months may overflow, as in JavaScript.
pub fn make_time(year: f64, month: f64, day: f64, h: f64, min: f64, s: f64, ms: f64) -> f64 {
    let vals = [year, month, day, h, min, s, ms];
    if vals.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let ym = year.trunc() as i64 + (month.trunc() as i64).div_euclid(12);
    let mn = (month.trunc() as i64).rem_euclid(12);
    let days = days_from_civil(ym, mn + 1, 1) as f64 + day.trunc() - 1.0;
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

/// `Date.prototype.toString()` (in UTC).
pub fn to_js_string(t: f64) -> String {
    if t.is_nan() {
        return "Invalid Date".into();
    }
    let f = fields(t);
    format!(
        "{} {} {:02} {:04} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS[f.weekday as usize],
        MONTHS[f.month as usize],
        f.day,
        f.year,
        f.hours,
        f.minutes,
        f.seconds
    )
}

/// `toUTCString()`.
pub fn to_utc_string(t: f64) -> String {
    if t.is_nan() {
        return "Invalid Date".into();
    }
    let f = fields(t);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[f.weekday as usize],
        f.day,
        MONTHS[f.month as usize],
        f.year,
        f.hours,
        f.minutes,
        f.seconds
    )
}

/// `Date.parse(s)` for the ISO 8601 forms JavaScript guarantees
/// (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, with `THH:mm[:ss[.sss]]` and `Z`/`±HH:mm`),
/// plus the `toString`/`toUTCString` forms this module prints. NaN otherwise.
pub fn parse(s: &str) -> f64 {
    parse_iso(s.trim())
        .or_else(|| parse_utc_string(s.trim()))
        .unwrap_or(f64::NAN)
}

fn parse_iso(s: &str) -> Option<f64> {
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
    // Date-only forms are UTC; date-time forms without a zone are local time,
    // which is UTC here.
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
            None => {}
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
    Some(t - offset_min as f64 * 60_000.0)
}

fn parse_utc_string(s: &str) -> Option<f64> {
    // "Mon, 01 Jan 2024 10:00:00 GMT" or "Mon Jan 01 2024 10:00:00 GMT+0000 (...)"
    let cleaned = s.replace(',', " ");
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let month_of = |w: &str| MONTHS.iter().position(|m| m.eq_ignore_ascii_case(w));
    let (day, month, year, time) = match words.as_slice() {
        [_, d, m, y, t, ..] if month_of(m).is_some() => (d, month_of(m)?, y, t),
        [_, m, d, y, t, ..] if month_of(m).is_some() => (d, month_of(m)?, y, t),
        _ => return None,
    };
    let mut hms = time.split(':').map(|p| p.parse::<f64>().ok());
    let h = hms.next()??;
    let mi = hms.next()??;
    let sec = hms.next().flatten().unwrap_or(0.0);
    Some(make_time(
        year.parse().ok()?,
        month as f64,
        day.parse().ok()?,
        h,
        mi,
        sec,
        0.0,
    ))
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
        assert_eq!(
            parse(&to_utc_string(1_700_000_000_000.0)),
            1_700_000_000_000.0
        );
    }
}
