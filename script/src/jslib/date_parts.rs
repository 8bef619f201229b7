//! Two places where V8's date output differs from ICU's patterns, done
//! the way V8 does them:
//!
//! - A numeric month or day (`month: "numeric"`, the default of
//!   `toLocaleDateString()`) follows the locale's skeleton pattern, which is
//!   unpadded in many locales (`15.7.2024` in German) where ICU4X's
//!   patterns pad (`15.07.2024`): see [`UNPADDED`].
//! - V8 prints a narrow no-break space (U+202F, before `AM`/`PM` in recent
//!   CLDR) in dates and times as a plain space, for compatibility.

use std::fmt;
use std::ops::Range;

use icu_datetime::parts;
use icu_locale_core::Locale;
use writeable::{Part, PartsWrite, Writeable};

/// Formatted text with the byte ranges of its month and day fields.
#[derive(Default)]
struct Parts {
    text: String,
    months: Vec<Range<usize>>,
    days: Vec<Range<usize>>,
}

impl fmt::Write for Parts {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text.push_str(s);
        Ok(())
    }
}

impl PartsWrite for Parts {
    type SubPartsWrite = Self;

    fn with_part(
        &mut self,
        part: Part,
        mut f: impl FnMut(&mut Self::SubPartsWrite) -> fmt::Result,
    ) -> fmt::Result {
        let start = self.text.len();
        f(self)?;
        let range = start..self.text.len();
        if part == parts::MONTH {
            self.months.push(range);
        } else if part == parts::DAY {
            self.days.push(range);
        }
        Ok(())
    }
}

/// Locales whose numeric dates (CLDR's `yMd` skeleton) leave the month
/// (`M`) and/or the day (`D`) unpadded, by language with the regions that
/// differ from it. ICU4X's compiled patterns lose this (they pad in every
/// locale but English), so it is kept here as V8 answers it (Node.js 22,
/// ICU 78, CLDR 48: `formatToParts` of 5 January 2024 with numeric year,
/// month and day, for each language and the listed regions). A locale not
/// listed keeps ICU4X's output.
const UNPADDED: &[(&str, &str)] = &[
    ("am", "MD"),
    ("ar", "MD"),
    ("be", "MD"),
    ("bg", "D"),
    ("bn", "MD"),
    ("bs", "MD"),
    ("ca", "MD"),
    ("cs", "MD"),
    ("cy", "MD"),
    ("da", "MD"),
    ("de", "MD"),
    ("el", "MD"),
    ("en", "MD"),
    ("es", "MD"),
    ("et", "MD"),
    ("eu", "MD"),
    ("fi", "MD"),
    ("fil", "MD"),
    ("gl", "MD"),
    ("gu", "MD"),
    ("he", "MD"),
    ("hi", "MD"),
    ("id", "MD"),
    ("is", "MD"),
    ("ja", "MD"),
    ("ka", "MD"),
    ("km", "MD"),
    ("kn", "MD"),
    ("ko", "MD"),
    ("lo", "MD"),
    ("lv", "D"),
    ("mk", "MD"),
    ("ml", "MD"),
    ("mr", "MD"),
    ("ms", "MD"),
    ("my", "MD"),
    ("nb", "MD"),
    ("nl", "MD"),
    ("no", "MD"),
    ("or", "MD"),
    ("pa", "MD"),
    ("pl", "D"),
    ("si", "MD"),
    ("sk", "MD"),
    ("sl", "MD"),
    ("sq", "MD"),
    ("sr", "MD"),
    ("sw", "MD"),
    ("ta", "MD"),
    ("te", "MD"),
    ("th", "MD"),
    ("ur", "MD"),
    ("vi", "MD"),
    ("zh", "MD"),
    ("en-GB", ""),
    ("en-AU", ""),
    ("en-CA", ""),
    ("en-NZ", "D"),
    ("en-ZA", ""),
    ("en-SG", ""),
    ("sv-FI", "MD"),
];

/// Which of a numeric month and day `locale` leaves unpadded.
pub fn locale_unpads(locale: &Locale) -> (bool, bool) {
    let language = locale.id.language.as_str();
    let full = locale
        .id
        .region
        .map(|r| format!("{language}-{}", r.as_str()))
        .unwrap_or_default();
    let flags = UNPADDED
        .iter()
        .find(|(tag, _)| *tag == full)
        .or_else(|| UNPADDED.iter().find(|(tag, _)| *tag == language))
        .map(|(_, f)| *f)
        .unwrap_or("");
    (flags.contains('M'), flags.contains('D'))
}

/// `output` as V8 prints it: with the month and/or day padding removed
/// (`unpad_month`, `unpad_day`) and U+202F as a plain space.
pub fn finish(output: &impl Writeable, unpad_month: bool, unpad_day: bool) -> String {
    let mut p = Parts::default();
    if output.write_to_parts(&mut p).is_err() {
        return output.write_to_string().replace('\u{202f}', " ");
    }
    let mut drop: Vec<usize> = Vec::new();
    let mut mark = |ranges: &[Range<usize>]| {
        for r in ranges {
            let field = &p.text[r.clone()];
            if field.len() == 2 && field.starts_with('0') && field.as_bytes()[1].is_ascii_digit() {
                drop.push(r.start);
            }
        }
    };
    if unpad_month {
        mark(&p.months);
    }
    if unpad_day {
        mark(&p.days);
    }
    let mut out = String::with_capacity(p.text.len());
    for (i, c) in p.text.char_indices() {
        if drop.contains(&i) {
            continue;
        }
        out.push(if c == '\u{202f}' { ' ' } else { c });
    }
    out
}
