//! `a.localeCompare(b, locales, options)`: Unicode collation, as V8 with
//! full ICU compares (`"a" < "B" < "c"`, `"é"` right after `"e"`), not
//! code-unit order. ICU4X's collator does the work; the plain call (no
//! locale, no options: Node.js's en-US) reuses one collator built once.

use std::cmp::Ordering;
use std::sync::OnceLock;

use icu_collator::options::{AlternateHandling, CaseLevel, CollatorOptions, Strength};
use icu_collator::preferences::{CollationCaseFirst, CollationNumericOrdering};
use icu_collator::{Collator, CollatorBorrowed, CollatorPreferences};
use rhai::Dynamic;

use super::intl::{bool_option, locale_of, option};
use super::number::num;
use super::ops::{throw, truthy, JsResult};

/// -1, 0 or 1 as `s.localeCompare(other, locales, options)` answers.
pub fn locale_compare(
    s: &str,
    other: &str,
    locales: &Dynamic,
    options: &Dynamic,
) -> JsResult<Dynamic> {
    let order = if locales.is_unit() && options.is_unit() {
        default_collator().compare(s, other)
    } else {
        collator(locales, options)?.compare(s, other)
    };
    Ok(num(match order {
        Ordering::Less => -1.0,
        Ordering::Equal => 0.0,
        Ordering::Greater => 1.0,
    }))
}

fn default_collator() -> &'static CollatorBorrowed<'static> {
    static DEFAULT: OnceLock<CollatorBorrowed<'static>> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        let prefs = CollatorPreferences::from(&icu_locale_core::locale!("en-US"));
        Collator::try_new(prefs, CollatorOptions::default()).expect("compiled collation data")
    })
}

/// The collator for a locale and the ECMA-402 options `sensitivity`,
/// `numeric`, `caseFirst` and `ignorePunctuation`.
fn collator(locales: &Dynamic, options: &Dynamic) -> JsResult<CollatorBorrowed<'static>> {
    let locale = locale_of(locales)?;
    let mut prefs = CollatorPreferences::from(&locale);
    let mut opts = CollatorOptions::default();
    match option(options, "sensitivity").as_deref() {
        None | Some("variant") => {}
        Some("base") => opts.strength = Some(Strength::Primary),
        Some("accent") => opts.strength = Some(Strength::Secondary),
        Some("case") => {
            opts.strength = Some(Strength::Primary);
            opts.case_level = Some(CaseLevel::On);
        }
        Some(other) => return Err(out_of_range("sensitivity", other)),
    }
    if let Some(n) = bool_option(options, "numeric") {
        prefs.numeric_ordering = Some(if truthy(&n) {
            CollationNumericOrdering::True
        } else {
            CollationNumericOrdering::False
        });
    }
    match option(options, "caseFirst").as_deref() {
        None => {}
        Some("upper") => prefs.case_first = Some(CollationCaseFirst::Upper),
        Some("lower") => prefs.case_first = Some(CollationCaseFirst::Lower),
        Some("false") => prefs.case_first = Some(CollationCaseFirst::False),
        Some(other) => return Err(out_of_range("caseFirst", other)),
    }
    if bool_option(options, "ignorePunctuation").is_some_and(|v| truthy(&v)) {
        opts.alternate_handling = Some(AlternateHandling::Shifted);
    }
    Collator::try_new(prefs, opts)
        .map_err(|_| throw("RangeError", "Incorrect locale information provided"))
}

/// V8's message for an option value outside its list.
fn out_of_range(name: &str, value: &str) -> Box<rhai::EvalAltResult> {
    throw(
        "RangeError",
        format!("Value {value} out of range for Intl.Collator options property {name}"),
    )
}
