//! Numbers in English words, as jsonata-js's `numberToWords` and
//! `wordsToNumber` write and read them.

const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
const DECADES: [&str; 9] = [
    "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred",
];
const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];

pub fn number_to_words(value: f64, ordinal: bool) -> String {
    lookup(value, false, ordinal)
}

fn lookup(num: f64, prev: bool, ord: bool) -> String {
    let and = if prev { " and " } else { "" };
    let comma = if prev { ", " } else { "" };
    if num <= 19.0 {
        let i = num as usize;
        format!("{and}{}", if ord { ORDINALS[i] } else { FEW[i] })
    } else if num < 100.0 {
        let (tens, rest) = ((num / 10.0).floor(), num % 10.0);
        let mut words = format!("{and}{}", DECADES[tens as usize - 2]);
        if rest > 0.0 {
            words.push('-');
            words.push_str(&lookup(rest, false, ord));
        } else if ord {
            words.pop();
            words.push_str("ieth");
        }
        words
    } else if num < 1000.0 {
        let (hundreds, rest) = ((num / 100.0).floor(), num % 100.0);
        let mut words = format!("{comma}{} Hundred", FEW[hundreds as usize]);
        if rest > 0.0 {
            words.push_str(&lookup(rest, true, ord));
        } else if ord {
            words.push_str("th");
        }
        words
    } else {
        let mag = ((num.log10() / 3.0).floor() as usize).min(MAGNITUDES.len());
        let factor = 10f64.powi(mag as i32 * 3);
        let mant = (num / factor).floor();
        let rest = num - mant * factor;
        let mut words = format!(
            "{comma}{} {}",
            lookup(mant, false, false),
            MAGNITUDES[mag - 1]
        );
        if rest > 0.0 {
            words.push_str(&lookup(rest, true, ord));
        } else if ord {
            words.push_str("th");
        }
        words
    }
}

/// Every word with its value, lower case.
fn word_values() -> Vec<(String, f64)> {
    let mut v = Vec::new();
    for (i, w) in FEW.iter().enumerate() {
        v.push((w.to_lowercase(), i as f64));
    }
    for (i, w) in ORDINALS.iter().enumerate() {
        v.push((w.to_lowercase(), i as f64));
    }
    for (i, w) in DECADES.iter().enumerate() {
        let lw = w.to_lowercase();
        let n = ((i + 2) * 10) as f64;
        v.push((format!("{}ieth", &lw[..lw.len() - 1]), n));
        v.push((lw, n));
    }
    v.push(("hundredth".into(), 100.0));
    for (i, w) in MAGNITUDES.iter().enumerate() {
        let n = 10f64.powi((i as i32 + 1) * 3);
        v.push((w.to_lowercase(), n));
        v.push((format!("{}th", w.to_lowercase()), n));
    }
    v
}

/// jsonata-js's words pattern: any run of the words, `and`, `-`, `,`, ` `.
pub fn regex() -> String {
    let mut keys: Vec<String> = Vec::new();
    for (w, _) in word_values() {
        if !keys.contains(&w) {
            keys.push(w);
        }
    }
    keys.push("and".into());
    keys.push("[\\-, ]".into());
    format!("(?:{})+", keys.join("|"))
}

pub fn words_to_number(text: &str) -> f64 {
    let values = word_values();
    let mut segs: Vec<f64> = vec![0.0];
    for part in split_words(text) {
        let value = values.iter().find(|(w, _)| *w == part).map(|(_, n)| *n);
        let Some(value) = value else {
            // jsonata-js multiplies by undefined: NaN.
            return f64::NAN;
        };
        if value < 100.0 {
            let mut top = segs.pop().unwrap_or(0.0);
            if top >= 1000.0 {
                segs.push(top);
                top = 0.0;
            }
            segs.push(top + value);
        } else {
            let top = segs.pop().unwrap_or(0.0);
            segs.push(top * value);
        }
    }
    segs.iter().sum()
}

/// `text.split(/,\s|\sand\s|[\s\\-]/)`.
fn split_words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut parts = vec![String::new()];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ',' && chars.get(i + 1).is_some_and(|n| n.is_whitespace()) {
            parts.push(String::new());
            i += 2;
        } else if c.is_whitespace()
            && chars.get(i + 1..i + 4) == Some(&['a', 'n', 'd'])
            && chars.get(i + 4).is_some_and(|n| n.is_whitespace())
        {
            parts.push(String::new());
            i += 5;
        } else if c.is_whitespace() || c == '\\' || c == '-' {
            parts.push(String::new());
            i += 1;
        } else {
            parts.last_mut().expect("one part").push(c);
            i += 1;
        }
    }
    parts
}
