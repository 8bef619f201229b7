//! Node-RED's `$moment` for the chains flows use: `$moment([time])`
//! followed by `add`/`subtract`/`utc`/`local` and ending in `format`,
//! `toISOString`, `valueOf` or `unix`, on chrono. The load check
//! (`check.rs`) refuses every other use, so what runs here is what moment.js
//! would answer.
//!
//! A moment is an object holding its time (`_ms`) and mode (`_utc`) with
//! its methods as native functions; a method reads the moment it was
//! called on from its call context (the path step's input).

use chrono::{DateTime, Duration, Local, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use jsonata_rs::{Error, FunctionContext, Value as JValue};

use super::bindings::Native;
use crate::support::typed_value::moment_format;

type Result<'a> = jsonata_rs::Result<&'a JValue<'a>>;

/// The methods a chain may call.
pub const METHODS: &[&str] = &[
    "add",
    "subtract",
    "utc",
    "local",
    "format",
    "toISOString",
    "valueOf",
    "unix",
];

/// The methods that end a chain with a plain value.
pub const FINAL: &[&str] = &["format", "toISOString", "valueOf", "unix"];

/// `$moment` itself, bound with Node-RED's extensions.
pub const FUNCTIONS: &[(&str, usize, Native)] = &[("moment", 1, moment)];

const NATIVES: &[(&str, usize, Native)] = &[
    ("add", 2, add),
    ("subtract", 2, subtract),
    ("utc", 0, utc),
    ("local", 0, local),
    ("format", 1, format),
    ("toISOString", 0, to_iso_string),
    ("valueOf", 0, value_of),
    ("unix", 0, unix),
];

fn fail(text: String) -> Error {
    Error::D3137Error(text)
}

/// A moment object at `ms` milliseconds, in UTC or local mode.
fn make<'a>(ctx: &FunctionContext<'a, '_>, ms: i64, utc: bool) -> &'a JValue<'a> {
    let obj = JValue::object_with_capacity(ctx.arena, 2 + NATIVES.len());
    obj.insert("_ms", JValue::number(ctx.arena, ms as f64));
    obj.insert("_utc", JValue::bool(utc));
    for (name, arity, f) in NATIVES {
        obj.insert(name, JValue::nativefn(ctx.arena, name, *arity, *f));
    }
    obj
}

/// The moment a method was called on.
fn this(ctx: &FunctionContext<'_, '_>) -> std::result::Result<(i64, bool), Error> {
    let input = ctx.input;
    if input.is_object() && input.get_entry("_ms").is_number() {
        return Ok((
            input.get_entry("_ms").as_f64() as i64,
            input.get_entry("_utc").as_bool(),
        ));
    }
    Err(fail(format!(
        "{}() must be called on a $moment()",
        ctx.name
    )))
}

/// `$moment()`, `$moment(millis)` or `$moment(ISO 8601 text)`.
pub fn moment<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    let ms = match args.first() {
        None => Utc::now().timestamp_millis(),
        Some(v) if v.is_undefined() => Utc::now().timestamp_millis(),
        Some(v) if v.is_number() => v.as_f64() as i64,
        Some(v) if v.is_string() => parse(&v.as_str()).ok_or_else(|| {
            fail(format!(
                "$moment cannot read {:?} as an ISO 8601 time",
                v.as_str()
            ))
        })?,
        Some(_) => return Err(fail("$moment takes a number or an ISO 8601 string".into())),
    };
    Ok(make(&ctx, ms, false))
}

/// moment.js's ISO 8601 forms: with an offset, or local time.
fn parse(text: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_millis())
}

fn shift<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>], sign: i64) -> Result<'a> {
    let (ms, is_utc) = this(&ctx)?;
    let amount = args.first().filter(|a| a.is_number()).map(|a| a.as_f64());
    let unit = args
        .get(1)
        .filter(|u| u.is_string())
        .map(|u| u.as_str().into_owned());
    let (Some(amount), Some(unit)) = (amount, unit) else {
        return Err(fail(format!("{}() takes a number and a unit", ctx.name)));
    };
    let n = amount.trunc() as i64 * sign;
    let span = |d: Duration| Some(ms + d.num_milliseconds());
    let months = |m: i64| shift_months(ms, is_utc, m);
    let out = match unit.as_str() {
        "y" | "year" | "years" => months(n * 12),
        "Q" | "quarter" | "quarters" => months(n * 3),
        "M" | "month" | "months" => months(n),
        "w" | "week" | "weeks" => shift_days(ms, is_utc, n * 7),
        "d" | "day" | "days" => shift_days(ms, is_utc, n),
        "h" | "hour" | "hours" => span(Duration::hours(n)),
        "m" | "minute" | "minutes" => span(Duration::minutes(n)),
        "s" | "second" | "seconds" => span(Duration::seconds(n)),
        "ms" | "millisecond" | "milliseconds" => span(Duration::milliseconds(n)),
        other => {
            return Err(fail(format!(
                "{}() does not know the unit {other:?}",
                ctx.name
            )))
        }
    }
    .ok_or_else(|| fail(format!("{}() left the supported time range", ctx.name)))?;
    Ok(make(&ctx, out, is_utc))
}

/// Calendar months in the moment's own time zone, clamping the day.
fn shift_months(ms: i64, is_utc: bool, months: i64) -> Option<i64> {
    let step = |t: NaiveDateTime| {
        if months >= 0 {
            t.checked_add_months(Months::new(months as u32))
        } else {
            t.checked_sub_months(Months::new(months.unsigned_abs() as u32))
        }
    };
    in_zone(ms, is_utc, step)
}

/// Calendar days in the moment's own time zone (the wall-clock time stays).
fn shift_days(ms: i64, is_utc: bool, days: i64) -> Option<i64> {
    in_zone(ms, is_utc, |t| t.checked_add_signed(Duration::days(days)))
}

fn in_zone(
    ms: i64,
    is_utc: bool,
    f: impl Fn(NaiveDateTime) -> Option<NaiveDateTime>,
) -> Option<i64> {
    let t = Utc.timestamp_millis_opt(ms).single()?;
    if is_utc {
        return Some(f(t.naive_utc())?.and_utc().timestamp_millis());
    }
    let local = f(t.with_timezone(&Local).naive_local())?;
    Local
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp_millis())
}

fn add<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    shift(ctx, args, 1)
}

fn subtract<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    shift(ctx, args, -1)
}

fn utc<'a>(ctx: FunctionContext<'a, '_>, _: &[&'a JValue<'a>]) -> Result<'a> {
    let (ms, _) = this(&ctx)?;
    Ok(make(&ctx, ms, true))
}

fn local<'a>(ctx: FunctionContext<'a, '_>, _: &[&'a JValue<'a>]) -> Result<'a> {
    let (ms, _) = this(&ctx)?;
    Ok(make(&ctx, ms, false))
}

/// `format([pattern])`: moment.js's default is ISO 8601 with the offset
/// (`Z` in UTC mode).
fn format<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    let (ms, is_utc) = this(&ctx)?;
    let t = Utc
        .timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| fail("Invalid date".into()))?;
    let pattern = match args.first() {
        Some(p) if p.is_string() => p.as_str().into_owned(),
        _ if is_utc => "YYYY-MM-DDTHH:mm:ss[Z]".to_owned(),
        _ => "YYYY-MM-DDTHH:mm:ssZ".to_owned(),
    };
    let text = if is_utc {
        moment_format(&pattern, &t)
    } else {
        moment_format(&pattern, &t.with_timezone(&Local))
    };
    Ok(JValue::string(ctx.arena, &text))
}

fn to_iso_string<'a>(ctx: FunctionContext<'a, '_>, _: &[&'a JValue<'a>]) -> Result<'a> {
    let (ms, _) = this(&ctx)?;
    let t = Utc
        .timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| fail("Invalid date".into()))?;
    let text = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok(JValue::string(ctx.arena, &text))
}

fn value_of<'a>(ctx: FunctionContext<'a, '_>, _: &[&'a JValue<'a>]) -> Result<'a> {
    let (ms, _) = this(&ctx)?;
    Ok(JValue::number(ctx.arena, ms as f64))
}

fn unix<'a>(ctx: FunctionContext<'a, '_>, _: &[&'a JValue<'a>]) -> Result<'a> {
    let (ms, _) = this(&ctx)?;
    Ok(JValue::number(ctx.arena, ms.div_euclid(1000) as f64))
}

/// Whether `pattern` uses only the format tokens flowgate writes as
/// moment.js does: a letter moment.js reads as a token that flowgate does
/// not write (`Q`, `w`, the locale formats `LLL`, time zone names `z`…)
/// refuses the pattern rather than coming out as a literal letter.
pub fn supported_pattern(pattern: &str) -> bool {
    const TOKENS: [&str; 35] = [
        "YYYY", "YY", "MMMM", "MMM", "MM", "Mo", "M", "DDDD", "DDD", "DD", "Do", "D", "dddd",
        "ddd", "dd", "d", "HH", "H", "hh", "h", "kk", "k", "mm", "m", "ss", "s", "SSS", "SS", "S",
        "A", "a", "ZZ", "Z", "X", "x",
    ];
    const TOKEN_LETTERS: &str = "HhkmsSMDdwWQNYygGeEaAxXzZLlo";
    if pattern.contains("SSSS") || pattern.contains('\\') || pattern.contains("DDDo") {
        return false;
    }
    let mut rest = pattern;
    'outer: while let Some(c) = rest.chars().next() {
        if c == '[' {
            match rest.find(']') {
                Some(end) => {
                    rest = &rest[end + 1..];
                    continue;
                }
                None => return false,
            }
        }
        for tok in TOKENS {
            if let Some(r) = rest.strip_prefix(tok) {
                rest = r;
                continue 'outer;
            }
        }
        if TOKEN_LETTERS.contains(c) {
            return false;
        }
        rest = &rest[c.len_utf8()..];
    }
    true
}
