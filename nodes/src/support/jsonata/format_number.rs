//! `$formatNumber(number, picture)` as jsonata-js writes it (XPath F&O 4.7
//! pictures), for the pictures flows use: digits `0`, optional digits `#`,
//! grouping `,`, one decimal point, `%` or `‰`, and literal text before and
//! after, and a negative sub-picture after `;`. Pictures with an exponent,
//! grouping in the fraction or an options argument are refused at load
//! (`check.rs`).

use jsonata_rs::{Error, FunctionContext, Value as JValue};

/// A checked picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    prefix: String,
    suffix: String,
    has_decimal: bool,
    scale: f64,
    min_int: usize,
    min_frac: usize,
    max_frac: usize,
    regular: usize,
    positions: Vec<usize>,
    /// The sub-picture after `;`, which writes negative numbers (their
    /// absolute value, no minus sign).
    negative: Option<Box<Picture>>,
}

const ACTIVE: &str = "0123456789.e,#;";

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// Reads `picture`; `None` when flowgate does not format it as jsonata-js
/// does (or jsonata-js would refuse it).
pub fn parse(picture: &str) -> Option<Picture> {
    let mut subs = picture.split(';');
    let mut pic = parse_sub(subs.next()?)?;
    if let Some(negative) = subs.next() {
        pic.negative = Some(Box::new(parse_sub(negative)?));
    }
    subs.next().is_none().then_some(pic)
}

/// One sub-picture (no `;`).
fn parse_sub(picture: &str) -> Option<Picture> {
    let chars: Vec<char> = picture.chars().collect();
    let active = |c: &char| ACTIVE.contains(*c) && *c != 'e';
    let start = chars.iter().position(active).unwrap_or(chars.len());
    let end = chars
        .iter()
        .rposition(active)
        .map(|i| i + 1)
        .unwrap_or(start);
    let prefix: String = chars[..start].iter().collect();
    let suffix: String = chars[end.max(start)..].iter().collect();
    let part: String = chars[start..end.max(start)].iter().collect();
    if part.contains('e') || part.chars().any(|c| !ACTIVE.contains(c)) {
        return None;
    }
    let count = |s: &str, c: char| s.matches(c).count();
    let (percent, permille) = (count(picture, '%'), count(picture, '\u{2030}'));
    if count(picture, '.') > 1 || percent > 1 || permille > 1 || percent + permille > 1 {
        return None;
    }
    if !part.chars().any(|c| is_digit(c) || c == '#') || part.contains(",,") {
        return None;
    }
    let (int_part, frac_part) = match part.split_once('.') {
        Some((i, f)) => {
            if i.ends_with(',') || f.starts_with(',') {
                return None;
            }
            (i.to_owned(), f.to_owned())
        }
        None if part.ends_with(',') => return None,
        None => (part.clone(), String::new()),
    };
    // jsonata-js refuses `0#` in the integer part and `#0` in the fraction.
    if let Some(p) = int_part.find('#') {
        if int_part[..p].chars().any(is_digit) {
            return None;
        }
    }
    if let Some(p) = frac_part.rfind('#') {
        if frac_part[p..].chars().any(is_digit) {
            return None;
        }
    }
    if frac_part.contains(',') {
        return None;
    }
    let positions: Vec<usize> = int_part
        .match_indices(',')
        .map(|(p, _)| {
            int_part[p..]
                .chars()
                .filter(|c| is_digit(*c) || *c == '#')
                .count()
        })
        .collect();
    let mut min_int = int_part.chars().filter(|c| is_digit(*c)).count();
    let mut min_frac = frac_part.chars().filter(|c| is_digit(*c)).count();
    let max_frac = frac_part
        .chars()
        .filter(|c| is_digit(*c) || *c == '#')
        .count();
    if min_int == 0 && max_frac == 0 {
        min_int = 1;
    }
    if min_int == 0 && min_frac == 0 {
        min_frac = 1;
    }
    Some(Picture {
        prefix,
        suffix,
        has_decimal: picture.contains('.'),
        scale: if percent > 0 {
            100.0
        } else if permille > 0 {
            1000.0
        } else {
            1.0
        },
        min_int,
        min_frac,
        max_frac,
        regular: regular(&positions),
        positions,
        negative: None,
    })
}

/// The interval of evenly spaced grouping separators, or 0.
fn regular(positions: &[usize]) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let Some(factor) = positions.iter().copied().reduce(gcd) else {
        return 0;
    };
    let all = (1..=positions.len()).all(|i| positions.contains(&(i * factor)));
    if all {
        factor
    } else {
        0
    }
}

/// jsonata-js's `round(n, digits)`: shift by decimal exponent, halves to even.
fn round(n: f64, digits: usize) -> f64 {
    let shifted: f64 = format!("{n}e{digits}").parse().unwrap_or(n);
    let r = shifted.round_ties_even();
    format!("{r}e-{digits}").parse().unwrap_or(r)
}

/// `value` written with `pic`.
pub fn format(value: f64, pic: &Picture) -> String {
    if let (true, Some(negative)) = (value < 0.0, &pic.negative) {
        return format(-value, negative);
    }
    let rounded = round(value * pic.scale, pic.max_frac);
    let mut s = format!("{:.*}", pic.max_frac, rounded.abs());
    if !s.contains('.') {
        s.push('.');
    }
    let s = s.trim_start_matches('0').trim_end_matches('0');
    let point = s.find('.').unwrap_or(s.len());
    let pad_left = pic.min_int.saturating_sub(point);
    let pad_right = pic.min_frac.saturating_sub(s.len() - point - 1);
    let mut s = format!("{}{s}{}", "0".repeat(pad_left), "0".repeat(pad_right));
    let mut point = s.find('.').unwrap_or(s.len());
    if let Some(groups) = point.saturating_sub(1).checked_div(pic.regular) {
        for g in 1..=groups {
            s.insert(point - g * pic.regular, ',');
        }
    } else {
        for pos in &pic.positions {
            if *pos <= point {
                s.insert(point - pos, ',');
                point += 1;
            }
        }
    }
    if !pic.has_decimal || s.ends_with('.') {
        s.pop();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{}{s}{}", pic.prefix, pic.suffix)
}

/// The native `$formatNumber`.
pub fn format_number<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    let value = args.first().copied().unwrap_or_else(JValue::undefined);
    if value.is_undefined() {
        return Ok(JValue::undefined());
    }
    let picture = args.get(1).filter(|p| p.is_string()).map(|p| p.as_str());
    let (true, Some(picture)) = (value.is_number(), picture) else {
        return Err(Error::T0410ArgumentNotValid(
            ctx.char_index,
            1,
            ctx.name.to_string(),
        ));
    };
    let pic = parse(&picture)
        .ok_or_else(|| Error::D3137Error(format!("unsupported picture {picture:?}")))?;
    Ok(JValue::string(ctx.arena, &format(value.as_f64(), &pic)))
}
