//! Local time for `Date`: the runtime's time zone (the `TZ` variable, else
//! the system zone), as Node-RED's `getHours()`, `toString()` and
//! `new Date(y, m, d)` use the host's zone. The zone rules come from the
//! IANA database (the system's, or the copy bundled into flowgate when the
//! host has none) through `jiff`; the zone's name in `toString()` comes
//! from CLDR through ICU4X, as V8 takes it from ICU.

use std::sync::OnceLock;

use icu_datetime::fieldsets::zone::SpecificLong;
use icu_datetime::input::{TimeZone as IcuZone, UtcOffset};
use icu_datetime::NoCalendarFormatter;
use icu_locale_core::locale;
use icu_time::zone::ZoneNameTimestamp;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::date::{self, Fields};

/// The zone local time is in, read once: Node.js also reads `TZ` at start.
pub fn zone() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(TimeZone::system)
}

/// The instant jiff can represent nearest to `t` (JavaScript's range,
/// ±275,760 years, is wider than jiff's ±9,999): outside it the zone's
/// offset at the nearest end applies.
fn timestamp(t: f64) -> Timestamp {
    let min = Timestamp::MIN.as_millisecond();
    let max = Timestamp::MAX.as_millisecond();
    Timestamp::from_millisecond((t as i64).clamp(min, max)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The zone's offset from UTC at time value `t`, in milliseconds.
pub fn offset_ms_in(tz: &TimeZone, t: f64) -> f64 {
    f64::from(tz.to_offset(timestamp(t)).seconds()) * 1000.0
}

/// The broken-down local fields of time value `t` (not NaN).
pub fn fields_in(tz: &TimeZone, t: f64) -> Fields {
    date::fields(t + offset_ms_in(tz, t))
}

/// The time value of a local time given as if it were UTC (what
/// `date::make_time` computes from local fields). A local time the clocks
/// skip (spring forward) moves forward by the gap, and one they repeat
/// (fall back) is the earlier instant, as ECMAScript's `UTC(t)` requires.
pub fn utc_of_local_in(tz: &TimeZone, local: f64) -> f64 {
    if !local.is_finite() {
        return f64::NAN;
    }
    // A day inside jiff's range on both sides, so the civil time and the
    // instant it names both exist.
    const DAY: i64 = 86_400_000;
    let in_range = (Timestamp::MIN.as_millisecond() + DAY..Timestamp::MAX.as_millisecond() - DAY)
        .contains(&(local as i64));
    let civil = timestamp(local).to_zoned(TimeZone::UTC).datetime();
    let exact = in_range
        .then(|| tz.to_ambiguous_timestamp(civil).compatible().ok())
        .flatten();
    let t = match exact {
        Some(ts) => ts.as_millisecond() as f64 + (local - local.floor()),
        None => local - offset_ms_in(tz, local),
    };
    date::time_clip(t)
}

/// `+0100`: the offset as `toString()` prints it.
fn offset_text(offset_ms: f64) -> String {
    let minutes = (offset_ms / 60_000.0) as i64;
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

/// The zone's long name in English at `t` (`Central European Summer
/// Time`), as V8 prints it in `toString()`; ICU's `GMT+01:00` form for a
/// zone CLDR has no name for.
fn zone_name_in(tz: &TimeZone, t: f64) -> String {
    static FORMATTER: OnceLock<Option<NoCalendarFormatter<SpecificLong>>> = OnceLock::new();
    let offset = tz.to_offset(timestamp(t)).seconds();
    let id = match tz.iana_name() {
        Some(name) => IcuZone::from_iana_id(name),
        None => IcuZone::UNKNOWN,
    };
    let info = id
        .with_offset(UtcOffset::try_from_seconds(offset).ok())
        .with_zone_name_timestamp(ZoneNameTimestamp::from_epoch_seconds(
            timestamp(t).as_second(),
        ));
    let formatter = FORMATTER
        .get_or_init(|| NoCalendarFormatter::try_new(locale!("en-US").into(), SpecificLong).ok());
    match formatter {
        Some(f) => f.format(&info).to_string(),
        None => format!("GMT{}", offset_text(f64::from(offset) * 1000.0)),
    }
}

/// `toString()`: `Sat Dec 05 2026 17:52:02 GMT+0100 (Central European Standard Time)`.
pub fn to_string_in(tz: &TimeZone, t: f64) -> String {
    if t.is_nan() {
        return "Invalid Date".into();
    }
    format!("{} {}", to_date_string_in(tz, t), to_time_string_in(tz, t))
}

/// `toDateString()`: `Sat Dec 05 2026`.
pub fn to_date_string_in(tz: &TimeZone, t: f64) -> String {
    if t.is_nan() {
        return "Invalid Date".into();
    }
    let f = fields_in(tz, t);
    format!(
        "{} {} {:02} {}",
        date::DAYS[f.weekday as usize],
        date::MONTHS[f.month as usize],
        f.day,
        date::year_text(f.year)
    )
}

/// `toTimeString()`: `17:52:02 GMT+0100 (Central European Standard Time)`.
pub fn to_time_string_in(tz: &TimeZone, t: f64) -> String {
    if t.is_nan() {
        return "Invalid Date".into();
    }
    let f = fields_in(tz, t);
    format!(
        "{:02}:{:02}:{:02} GMT{} ({})",
        f.hours,
        f.minutes,
        f.seconds,
        offset_text(offset_ms_in(tz, t)),
        zone_name_in(tz, t)
    )
}

/// [`fields_in`] the runtime's zone.
pub fn fields(t: f64) -> Fields {
    fields_in(zone(), t)
}

/// [`offset_ms_in`] the runtime's zone.
pub fn offset_ms(t: f64) -> f64 {
    offset_ms_in(zone(), t)
}

/// [`utc_of_local_in`] the runtime's zone.
pub fn utc_of_local(local: f64) -> f64 {
    utc_of_local_in(zone(), local)
}

/// [`to_string_in`] the runtime's zone.
pub fn to_string(t: f64) -> String {
    to_string_in(zone(), t)
}

/// [`to_date_string_in`] the runtime's zone.
pub fn to_date_string(t: f64) -> String {
    to_date_string_in(zone(), t)
}

/// [`to_time_string_in`] the runtime's zone.
pub fn to_time_string(t: f64) -> String {
    to_time_string_in(zone(), t)
}
