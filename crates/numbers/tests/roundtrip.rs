//! Property: formatting a number as Chinese numerals, or as Arabic digits with a magnitude
//! (万/亿), and parsing it back gives the number.

use gongwen_numbers::{parse_numeral_exact, Decimal, NumberExtractor, NumeralMode};
use proptest::prelude::*;

const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// One group of up to four digits (< 10000), 零 marking gaps inside it.
fn group(g: u64, very_first: bool) -> String {
    let digits = [g / 1000, g / 100 % 10, g / 10 % 10, g % 10];
    let units = ["千", "百", "十", ""];
    let mut out = String::new();
    let mut started = false;
    let mut zero = false;
    for (k, &d) in digits.iter().enumerate() {
        if d == 0 {
            zero = started;
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        if !(very_first && !started && k == 2 && d == 1) {
            out.push(DIGITS[d as usize]);
        }
        out.push_str(units[k]);
        started = true;
    }
    out
}

/// A number below 10^8 with 万.
fn below_yi(m: u64, first: bool) -> String {
    let (hi, lo) = (m / 10_000, m % 10_000);
    let mut s = String::new();
    if hi > 0 {
        s += &group(hi, first);
        s.push('万');
    }
    if lo > 0 {
        if hi > 0 && lo < 1000 {
            s.push('零');
        }
        s += &group(lo, first && hi == 0);
    }
    s
}

/// Standard written Chinese numeral of `n` (< 10^16).
fn chinese(n: u64) -> String {
    if n == 0 {
        return "零".into();
    }
    let (a, b) = (n / 100_000_000, n % 100_000_000);
    let mut s = String::new();
    if a > 0 {
        s += &below_yi(a, true);
        s.push('亿');
    }
    if b > 0 {
        if a > 0 && b < 10_000_000 {
            s.push('零');
        }
        s += &below_yi(b, a == 0);
    }
    s
}

proptest! {
    #[test]
    fn chinese_integers_round_trip(n in prop_oneof![0u64..100, 0u64..100_000, 0u64..10_000_000_000, 0u64..10_000_000_000_000_000]) {
        let text = chinese(n);
        let back = parse_numeral_exact(&text, NumeralMode::Strict);
        prop_assert_eq!(back, Ok(Decimal::from_int(i128::from(n)).normalized()), "{}", text);
    }

    #[test]
    fn chinese_decimals_round_trip(int in 0u64..100_000_000, frac in 1u32..10_000) {
        let frac_digits: String = format!("{frac:04}").trim_end_matches('0').chars()
            .map(|c| DIGITS[c.to_digit(10).unwrap_or(0) as usize]).collect();
        let text = format!("{}点{}", chinese(int), frac_digits);
        let scale = format!("{frac:04}").trim_end_matches('0').len() as i32;
        let frac_value = i128::from(frac) / 10i128.pow((4 - scale) as u32);
        let expected = Decimal::from_int(i128::from(int)).checked_add(Decimal { mantissa: frac_value, exponent: -scale });
        prop_assert_eq!(parse_numeral_exact(&text, NumeralMode::Strict).ok(), expected, "{}", text);
    }

    #[test]
    fn arabic_with_magnitudes_round_trip(cents in 1u64..1_000_000_000_000, mag in prop::sample::select(vec![("", 0), ("万", 4), ("亿", 8), ("万亿", 12)])) {
        let text = format!("{}.{:02}{}", cents / 100, cents % 100, mag.0);
        let expected = Decimal { mantissa: i128::from(cents), exponent: mag.1 - 2 }.normalized();
        prop_assert_eq!(parse_numeral_exact(&text, NumeralMode::Smart).map(Decimal::normalized), Ok(expected), "{}", text);
        // The extractor folds the same magnitudes into money values.
        let sentence = format!("完成投资{text}元。");
        let found = NumberExtractor::builtin().map(|e| e.extract(&sentence)).unwrap_or_default();
        let value = found.first().and_then(|m| m.value);
        prop_assert_eq!(value, Some(expected.to_f64()), "{}", sentence);
    }

    #[test]
    fn extraction_never_panics(s in "\\PC{0,40}") {
        if let Ok(e) = NumberExtractor::builtin() {
            for m in e.extract(&s) {
                let sliced: String = s.chars().skip(m.span.start).take(m.span.len()).collect();
                prop_assert_eq!(sliced, m.text);
            }
        }
    }
}
