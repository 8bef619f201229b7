//! Date/time picture strings (XPath `fn:format-dateTime`) as jsonata-js
//! 2.x reads them: `$fromMillis`, `$now` and `$toMillis` with a picture.

use super::integer::{self, Case, IntegerFormat};
use crate::Error;

const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAY_MS: f64 = 86_400_000.0;
const ISO_8601: &str = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

#[derive(Debug, Clone)]
struct Marker {
    component: char,
    width: Option<(Option<usize>, Option<usize>)>,
    presentation1: String,
    presentation2: Option<char>,
    names: Option<Case>,
    integer: Option<IntegerFormat>,
    /// Digits kept of the year (`None`: all).
    year_digits: Option<usize>,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Marker(Marker),
}

fn default_presentation(c: char) -> Option<&'static str> {
    Some(match c {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

/// jsonata-js's `analyseDateTimePicture`.
fn analyse(picture: &str) -> Result<Vec<Part>, Error> {
    let chars: Vec<char> = picture.chars().collect();
    let mut parts: Vec<Part> = Vec::new();
    let literal = |parts: &mut Vec<Part>, from: usize, to: usize| {
        if to > from {
            let text: String = chars[from..to].iter().collect();
            parts.push(Part::Literal(text.replace("]]", "]")));
        }
    };
    let (mut start, mut pos) = (0, 0);
    while pos < chars.len() {
        if chars[pos] == '[' {
            if chars.get(pos + 1) == Some(&'[') {
                literal(&mut parts, start, pos);
                parts.push(Part::Literal("[".into()));
                pos += 2;
                start = pos;
                continue;
            }
            literal(&mut parts, start, pos);
            start = pos;
            pos = match chars[start..].iter().position(|c| *c == ']') {
                Some(i) => start + i,
                None => {
                    return Err(Error::D3135PictureStringNoClosingBracketError(
                        picture.into(),
                    ))
                }
            };
            let marker: String = chars[start + 1..pos]
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            let def = analyse_marker(&marker, &mut parts)?;
            parts.push(Part::Marker(def));
            start = pos + 1;
        }
        pos += 1;
    }
    literal(&mut parts, start, pos.min(chars.len()));
    Ok(parts)
}

fn analyse_marker(marker: &str, parts: &mut [Part]) -> Result<Marker, Error> {
    let component = marker.chars().next().unwrap_or('\0');
    let rest = &marker[component.len_utf8().min(marker.len())..];
    let width_of = |w: &str| {
        if w.is_empty() || w == "*" {
            None
        } else {
            Some(integer::parse_int(w))
        }
    };
    let (pres, width) = match rest.rfind(',') {
        Some(i) => {
            let w = &rest[i + 1..];
            let (min, max) = match w.find('-') {
                None => (width_of(w), None),
                Some(d) => (width_of(&w[..d]), width_of(&w[d + 1..])),
            };
            let usize_of =
                |n: Option<f64>| n.filter(|n| n.is_finite() && *n >= 0.0).map(|n| n as usize);
            (&rest[..i], Some((usize_of(min), usize_of(max))))
        }
        None => (rest, None),
    };
    let mut def = Marker {
        component,
        width,
        presentation1: String::new(),
        presentation2: None,
        names: None,
        integer: None,
        year_digits: None,
    };
    let n = pres.chars().count();
    if n == 1 {
        def.presentation1 = pres.to_string();
    } else if n > 1 {
        let last = pres.chars().last().unwrap_or(' ');
        if "atco".contains(last) {
            def.presentation2 = Some(last);
            def.presentation1 = pres[..pres.len() - 1].to_string();
        } else {
            def.presentation1 = pres.to_string();
        }
    } else {
        def.presentation1 = default_presentation(component)
            .ok_or_else(|| Error::D3132UnknownComponent(component.to_string()))?
            .to_string();
    }
    let mut p1 = def.presentation1.chars();
    match (p1.next(), p1.next()) {
        (Some('n'), _) => def.names = Some(Case::Lower),
        (Some('N'), Some('n')) => def.names = Some(Case::Title),
        (Some('N'), _) => def.names = Some(Case::Upper),
        _ if "YMDdFWwXxHhmsf".contains(component) => {
            let mut pattern = def.presentation1.clone();
            if let Some(p2) = def.presentation2 {
                pattern.push(';');
                pattern.push(p2);
            }
            let mut format = integer::analyse(&pattern)?;
            if let Some((Some(min), _)) = def.width {
                format.mandatory_digits = format.mandatory_digits.max(min);
            }
            if component == 'Y' {
                if let Some((_, Some(max))) = def.width {
                    def.year_digits = Some(max);
                    format.mandatory_digits = max;
                } else {
                    let w = format.mandatory_digits + format.optional_digits;
                    def.year_digits = (w >= 2).then_some(w);
                }
            }
            // An integer right after another must have a fixed width to be read.
            if let Some(Part::Marker(Marker {
                integer: Some(prev),
                ..
            })) = parts.last_mut()
            {
                prev.parse_width = Some(prev.mandatory_digits);
            }
            def.integer = Some(format);
        }
        _ => {}
    }
    if component == 'Z' || component == 'z' {
        def.integer = Some(integer::analyse(&def.presentation1)?);
    }
    Ok(def)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// JavaScript's `Date.UTC(y, m0, d, h, mi, s, ms)`: every field may
/// overflow into the next; years 0-99 are 1900-1999.
fn date_utc(y: f64, m0: f64, d: f64, h: f64, mi: f64, s: f64, ms: f64) -> f64 {
    let all = [y, m0, d, h, mi, s, ms];
    if all.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let [y, m0, d, h, mi, s, ms] = all.map(f64::trunc);
    // Far outside JavaScript's ±275,760 years the answer is NaN there too.
    if y.abs() > 1e6 || m0.abs() > 1e7 {
        return f64::NAN;
    }
    let y = if (0.0..=99.0).contains(&y) {
        1900.0 + y
    } else {
        y
    };
    let y = y as i64 + (m0 as i64).div_euclid(12);
    let m = (m0 as i64).rem_euclid(12) + 1;
    let days = days_from_civil(y, m, 1) as f64 + d - 1.0;
    let t = days * DAY_MS + h * 3_600_000.0 + mi * 60_000.0 + s * 1000.0 + ms;
    // JavaScript's TimeClip.
    if t.abs() > 8.64e15 {
        f64::NAN
    } else {
        t
    }
}

/// The UTC fields of a time value.
struct Fields {
    year: i64,
    month0: i64,
    day: i64,
    weekday: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

fn fields(t: f64) -> Fields {
    let t = t as i64;
    let days = t.div_euclid(DAY_MS as i64);
    let ms = t.rem_euclid(DAY_MS as i64);
    let (year, month, day) = civil_from_days(days);
    Fields {
        year,
        month0: month - 1,
        day,
        weekday: (days + 4).rem_euclid(7),
        hour: ms / 3_600_000,
        minute: ms / 60_000 % 60,
        second: ms / 1000 % 60,
        millis: ms % 1000,
    }
}

/// Start of week 1 of a year or month (the week with its first Thursday).
fn start_of_first_week(year: i64, month0: i64) -> f64 {
    let first = date_utc(year as f64, month0 as f64, 1.0, 0.0, 0.0, 0.0, 0.0);
    let mut dow = fields(first).weekday;
    if dow == 0 {
        dow = 7;
    }
    if dow > 4 {
        first + (8 - dow) as f64 * DAY_MS
    } else {
        first - (dow - 1) as f64 * DAY_MS
    }
}

fn next_month(y: i64, m0: i64) -> (i64, i64) {
    if m0 == 11 {
        (y + 1, 0)
    } else {
        (y, m0 + 1)
    }
}

fn previous_month(y: i64, m0: i64) -> (i64, i64) {
    if m0 == 0 {
        (y - 1, 11)
    } else {
        (y, m0 - 1)
    }
}

fn delta_weeks(start: f64, end: f64) -> f64 {
    (end - start) / (DAY_MS * 7.0) + 1.0
}

/// A numeric component's value (`P` is 0 for am, 1 for pm).
fn fragment(t: f64, component: char) -> f64 {
    let f = fields(t);
    let today = date_utc(
        f.year as f64,
        f.month0 as f64,
        f.day as f64,
        0.0,
        0.0,
        0.0,
        0.0,
    );
    (match component {
        'Y' => f.year,
        'M' => f.month0 + 1,
        'D' => f.day,
        'd' => {
            ((today - date_utc(f.year as f64, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)) / DAY_MS) as i64 + 1
        }
        'F' => {
            if f.weekday == 0 {
                7
            } else {
                f.weekday
            }
        }
        'W' => {
            let mut week = delta_weeks(start_of_first_week(f.year, 0), today);
            if week > 52.0 {
                if today >= start_of_first_week(f.year + 1, 0) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                week = delta_weeks(start_of_first_week(f.year - 1, 0), today);
            }
            week.floor() as i64
        }
        'w' => {
            let mut week = delta_weeks(start_of_first_week(f.year, f.month0), today);
            if week > 4.0 {
                let (ny, nm) = next_month(f.year, f.month0);
                if today >= start_of_first_week(ny, nm) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                let (py, pm) = previous_month(f.year, f.month0);
                week = delta_weeks(start_of_first_week(py, pm), today);
            }
            week.floor() as i64
        }
        'X' => {
            if t < start_of_first_week(f.year, 0) {
                f.year - 1
            } else if t >= start_of_first_week(f.year + 1, 0) {
                f.year + 1
            } else {
                f.year
            }
        }
        'x' => {
            let (ny, nm) = next_month(f.year, f.month0);
            if t < start_of_first_week(f.year, f.month0) {
                previous_month(f.year, f.month0).1 + 1
            } else if t >= start_of_first_week(ny, nm) {
                nm + 1
            } else {
                f.month0 + 1
            }
        }
        'H' => f.hour,
        'h' => {
            if f.hour % 12 == 0 {
                12
            } else {
                f.hour % 12
            }
        }
        'P' => (f.hour >= 12) as i64,
        'm' => f.minute,
        's' => f.second,
        'f' => f.millis,
        _ => 0,
    }) as f64
}

/// `$fromMillis(millis, picture, timezone)` (and `$now`): jsonata-js's
/// `formatDateTime`; the time zone is `±hhmm` read with `parseInt`.
pub fn format_datetime(
    millis: f64,
    picture: Option<&str>,
    timezone: Option<&str>,
) -> Result<String, Error> {
    let (mut hours, mut minutes) = (0.0, 0.0);
    if let Some(tz) = timezone {
        let offset = integer::parse_int(tz);
        let offset = if offset.is_nan() { 0.0 } else { offset };
        hours = (offset / 100.0).floor();
        minutes = offset % 100.0;
    }
    let parts = analyse(picture.unwrap_or(ISO_8601))?;
    let t = (millis + (60.0 * hours + minutes) * 60_000.0).trunc();
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(&text),
            Part::Marker(m) => out.push_str(&format_component(t, m, hours, minutes)?),
        }
    }
    Ok(out)
}

fn format_component(t: f64, mut m: Marker, hours: f64, minutes: f64) -> Result<String, Error> {
    let c = m.component;
    let mut value = fragment(t, c);
    if "YMDdFWwXxHhms".contains(c) {
        if let Some(n) = m.year_digits.filter(|_| c == 'Y') {
            value %= 10f64.powi(n as i32);
        }
        if let Some(case) = m.names {
            let name = match c {
                'M' | 'x' => MONTHS[value as usize - 1],
                'F' => DAYS[value as usize],
                _ => return Err(Error::D3133PictureStringNameModifierError(c.to_string())),
            };
            let mut name = match case {
                Case::Upper => name.to_uppercase(),
                Case::Lower => name.to_lowercase(),
                Case::Title => name.to_string(),
            };
            if let Some((_, Some(max))) = m.width {
                name = name.chars().take(max).collect();
            }
            return Ok(name);
        }
        return integer_of(value, &mut m);
    }
    match c {
        'f' => integer_of(value, &mut m),
        'Z' | 'z' => {
            let offset = hours * 100.0 + minutes;
            let format = m.integer.as_mut().expect("a time zone marker has a format");
            let mut text = if format.regular.is_some() {
                integer::format_with(offset, format)?
            } else {
                match format.mandatory_digits {
                    1 | 2 => {
                        let mut t = integer::format_with(hours, format)?;
                        if minutes != 0.0 {
                            t.push(':');
                            t.push_str(&integer::format_integer(minutes, "00")?);
                        }
                        t
                    }
                    3 | 4 => integer::format_with(offset, format)?,
                    n => return Err(Error::D3134TooManyTzDigits(n.to_string())),
                }
            };
            if offset >= 0.0 {
                text.insert(0, '+');
            }
            if c == 'z' {
                text.insert_str(0, "GMT");
            }
            if offset == 0.0 && m.presentation2 == Some('t') {
                text = "Z".into();
            }
            Ok(text)
        }
        'P' => {
            let ampm = if value == 1.0 { "pm" } else { "am" };
            Ok(if m.names == Some(Case::Upper) {
                ampm.to_uppercase()
            } else {
                ampm.to_string()
            })
        }
        'C' | 'E' => Ok("ISO".into()),
        _ => Ok(String::new()),
    }
}

fn integer_of(value: f64, m: &mut Marker) -> Result<String, Error> {
    match m.integer.as_mut() {
        Some(format) => integer::format_with(value, format),
        None => Ok(String::new()),
    }
}

/// How one part of a picture is read back.
enum Reader {
    Literal,
    Zone { gmt: bool, separator: Option<char> },
    Fraction,
    Integer(IntegerFormat),
    Names(Vec<(String, f64)>),
}

fn reader(part: &Part) -> Result<(String, Reader), Error> {
    let m = match part {
        Part::Literal(text) => return Ok((escape(text), Reader::Literal)),
        Part::Marker(m) => m,
    };
    let c = m.component;
    if c == 'Z' || c == 'z' {
        let separator = m.integer.as_ref().and_then(|f| f.regular).map(|(_, s)| s);
        let mut re = String::from(if c == 'z' { "GMT" } else { "" });
        re.push_str("[-+][0-9]+");
        if let Some(s) = separator {
            re.push_str(&escape(&s.to_string()));
            re.push_str("[0-9]+");
        }
        return Ok((
            re,
            Reader::Zone {
                gmt: c == 'z',
                separator,
            },
        ));
    }
    if c == 'f' {
        return Ok(("[0-9]+".into(), Reader::Fraction));
    }
    if let Some(format) = &m.integer {
        return Ok((integer::regex(format)?, Reader::Integer(format.clone())));
    }
    let max = m.width.and_then(|(_, max)| max).filter(|n| *n > 0);
    let cut = |name: &str| match max {
        Some(n) => name.chars().take(n).collect(),
        None => name.to_string(),
    };
    let names = match c {
        'M' | 'x' => MONTHS
            .iter()
            .enumerate()
            .map(|(i, n)| (cut(n), i as f64 + 1.0))
            .collect(),
        'F' => DAYS
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, n)| (cut(n), i as f64))
            .collect(),
        'P' => [("am", 0.0), ("AM", 0.0), ("pm", 1.0), ("PM", 1.0)]
            .iter()
            .map(|(n, v)| (n.to_string(), *v))
            .collect(),
        _ => return Err(Error::D3133PictureStringNameModifierError(c.to_string())),
    };
    Ok(("[a-zA-Z]+".into(), Reader::Names(names)))
}

/// A literal for a regular expression, as jsonata-js escapes it.
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if ".*+?^${}()|[]\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn read(reader: &Reader, text: &str) -> Result<Option<f64>, Error> {
    Ok(match reader {
        Reader::Literal => None,
        Reader::Zone { gmt, separator } => {
            let text = if *gmt {
                text.get(3..).unwrap_or("")
            } else {
                text
            };
            let (hours, minutes) = match separator.and_then(|s| text.find(s).map(|i| (i, s))) {
                Some((i, s)) => (
                    integer::parse_int(&text[..i]),
                    integer::parse_int(&text[i + s.len_utf8()..]),
                ),
                None if separator.is_some() => (integer::parse_int(text), f64::NAN),
                None if text.len() <= 3 => (integer::parse_int(text), 0.0),
                None => (
                    integer::parse_int(&text[..3]),
                    integer::parse_int(&text[3..]),
                ),
            };
            Some(hours * 60.0 + minutes)
        }
        Reader::Fraction => {
            let digits: String = text.chars().take(3).collect();
            Some(format!("0.{digits}").parse::<f64>().unwrap_or(f64::NAN) * 1000.0)
        }
        Reader::Integer(format) => Some(integer::parse_with(text, format)?),
        // jsonata-js looks the name up as matched (case counts here).
        Reader::Names(names) => Some(
            names
                .iter()
                .find(|(n, _)| n == text)
                .map_or(f64::NAN, |(_, v)| *v),
        ),
    })
}

/// `$toMillis(timestamp, picture)`: jsonata-js's `parseDateTime`; parts of
/// the date left of those given come from `now`, parts right of them are
/// their minimum. `None` when the text does not match the picture.
pub fn parse_datetime(timestamp: &str, picture: &str, now: f64) -> Result<Option<f64>, Error> {
    let parts = analyse(picture)?;
    let mut readers = Vec::new();
    let mut pattern = String::from("^");
    for part in &parts {
        let (re, r) = reader(part)?;
        pattern.push_str(&format!("({re})"));
        readers.push((part, r));
    }
    pattern.push('$');
    let regex =
        regress::Regex::with_flags(&pattern, "i").map_err(|e| Error::D3137Error(e.to_string()))?;
    let Some(found) = regex.find(timestamp) else {
        return Ok(None);
    };
    let mut comps: Vec<(char, f64)> = Vec::new();
    for (i, (part, r)) in readers.iter().enumerate() {
        let Part::Marker(m) = part else { continue };
        let text = found.group(i + 1).map(|g| &timestamp[g]).unwrap_or("");
        if let Some(v) = read(r, text)? {
            comps.retain(|(c, _)| *c != m.component);
            comps.push((m.component, v));
        }
    }
    if comps.is_empty() {
        return Ok(None);
    }
    build(comps, now).map(Some)
}

/// The time value of the components read (jsonata-js's rules for which
/// sets of components make a date and a time).
fn build(mut comps: Vec<(char, f64)>, now: f64) -> Result<f64, Error> {
    let get = |comps: &[(char, f64)], c: char| comps.iter().find(|(k, _)| *k == c).map(|(_, v)| *v);
    // A component counts in the masks when it is truthy (0 and NaN do not).
    let mask = |comps: &[(char, f64)], order: &str| {
        order.chars().fold(0u32, |m, c| {
            (m << 1) | get(comps, c).is_some_and(|v| v != 0.0 && !v.is_nan()) as u32
        })
    };
    let is_type = |t: u32, mask: u32| (!t & mask) == 0 && (t & mask) != 0;
    let dm = mask(&comps, "YXMxWwdD");
    let date_a = is_type(161, dm);
    let date_b = !date_a && is_type(130, dm);
    let date_c = is_type(84, dm);
    let date_d = !date_c && is_type(72, dm);
    let tm = mask(&comps, "PHhmsf");
    let time_a = is_type(23, tm);
    let time_b = !time_a && is_type(47, tm);
    let date_comps = if date_b {
        "YD"
    } else if date_c {
        "XxwF"
    } else if date_d {
        "XWF"
    } else {
        "YMD"
    };
    let time_comps = if time_b { "Phmsf" } else { "Hmsf" };
    let (mut start, mut end) = (false, false);
    for c in date_comps.chars().chain(time_comps.chars()) {
        if get(&comps, c).is_none() {
            let v = if start {
                end = true;
                if "MDd".contains(c) {
                    1.0
                } else {
                    0.0
                }
            } else if c == 'P' {
                // jsonata-js takes "am"/"pm" from now, which is never pm's 1.
                0.0
            } else {
                fragment(now, c)
            };
            comps.push((c, v));
        } else {
            start = true;
            if end {
                return Err(Error::D3136MissingComponents);
            }
        }
    }
    let v = |c: char| get(&comps, c).unwrap_or(f64::NAN);
    let mut month0 = if v('M') > 0.0 { v('M') - 1.0 } else { 0.0 };
    let mut day = v('D');
    if date_b {
        let derived =
            fields(date_utc(v('Y'), 0.0, 1.0, 0.0, 0.0, 0.0, 0.0) + (v('d') - 1.0) * DAY_MS);
        month0 = derived.month0 as f64;
        day = derived.day as f64;
    }
    if date_c || date_d {
        return Err(Error::D3136MissingComponents);
    }
    let mut hour = v('H');
    if time_b {
        hour = if v('h') == 12.0 { 0.0 } else { v('h') };
        if v('P') == 1.0 {
            hour += 12.0;
        }
    }
    let mut millis = date_utc(v('Y'), month0, day, hour, v('m'), v('s'), v('f'));
    let zone = get(&comps, 'Z')
        .filter(|z| *z != 0.0 && !z.is_nan())
        .or_else(|| get(&comps, 'z').filter(|z| *z != 0.0 && !z.is_nan()));
    if let Some(z) = zone {
        millis -= z * 60_000.0;
    }
    Ok(millis)
}
