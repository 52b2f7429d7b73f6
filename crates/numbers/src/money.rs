//! Amounts of money as written in Chinese text: `1.2万元`, `港币两千九百六十元`,
//! `一百三十五块六角七分钱`, `约4.287亿美元`, `两到三万港元`, `3000多欧元`.

use crate::numeral::{digit_value, parse_chars, NumeralError, NumeralMode};

/// The amount: one value or a range (`两到三万`, `3000多`, `几十万`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MoneyAmount {
    /// One value.
    Exact(f64),
    /// Lower and upper bound.
    Range(f64, f64),
}

/// How precise the amount is (JioNLP's `definition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyDefinition {
    /// Stated exactly.
    Accurate,
    /// Approximate or a range (约, 左右, 多, 到).
    Blur,
    /// At most (近, 不到, 小于).
    BlurMinus,
    /// At least (至少, 以上, 超过).
    BlurPlus,
}

/// An amount of money with its currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Money {
    /// The amount in units of `currency` (万/亿 folded in).
    pub amount: MoneyAmount,
    /// Canonical currency: `元` (also for 人民币, 块), `美元`, `港元`, `日元`, `新台币`…
    pub currency: String,
    /// How precise the amount is.
    pub definition: MoneyDefinition,
}

/// Why a string is not an amount of money.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing but whitespace.
    #[error("empty money string")]
    Empty,
    /// No number could be read.
    #[error("no amount in {0:?}")]
    NoAmount(String),
    /// The number is malformed.
    #[error(transparent)]
    Numeral(#[from] NumeralError),
}

/// Currency words (longest first) and the currency they name; `""` marks 元-like words.
const CURRENCIES: &[(&str, &str)] = &[
    ("新台币", "新台币"),
    ("人民币", "元"),
    ("台币", "新台币"),
    ("美元", "美元"),
    ("美金", "美元"),
    ("港元", "港元"),
    ("港币", "港元"),
    ("日元", "日元"),
    ("日币", "日元"),
    ("欧元", "欧元"),
    ("英镑", "英镑"),
    ("韩元", "韩元"),
    ("澳元", "澳元"),
    ("加元", "加元"),
    ("卢布", "卢布"),
    ("泰铢", "泰铢"),
];

const BLUR_MINUS: &[&str] = &["将近", "接近", "不到", "不足", "小于", "低于", "少于", "近"];
const BLUR_PLUS: &[&str] = &["至少", "超过", "大于", "多于", "以上", "不少于"];
const BLUR: &[&str] = &["大约", "大概", "左右", "上下", "约"];

fn strip_words(s: &mut String, words: &[&str]) -> bool {
    let mut hit = false;
    for w in words {
        if s.contains(w) {
            *s = s.replace(w, "");
            hit = true;
        }
    }
    hit
}

/// Reads an amount of money with its currency (default 元).
///
/// ```
/// use gongwen_numbers::{parse_money, MoneyAmount};
/// let m = parse_money("港币两千九百六十元").unwrap();
/// assert_eq!(m.amount, MoneyAmount::Exact(2960.0));
/// assert_eq!(m.currency, "港元");
/// ```
pub fn parse_money(input: &str) -> Result<Money, MoneyError> {
    let mut s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Err(MoneyError::Empty);
    }
    for w in ["（含）", "(含)", "从"] {
        s = s.replace(w, "");
    }
    let mut definition = MoneyDefinition::Accurate;
    if strip_words(&mut s, BLUR_PLUS) {
        definition = MoneyDefinition::BlurPlus;
    }
    if strip_words(&mut s, BLUR_MINUS) {
        definition = MoneyDefinition::BlurMinus;
    }
    if strip_words(&mut s, BLUR) {
        definition = MoneyDefinition::Blur;
    }
    // Currency: the first named foreign currency, else 元.
    let mut currency: Option<(usize, &str)> = None;
    for (form, cur) in CURRENCIES {
        if let Some(pos) = s.find(form) {
            if *cur != "元" && currency.is_none_or(|(p, _)| pos < p) {
                currency = Some((pos, cur));
            }
        }
    }
    for (form, _) in CURRENCIES {
        s = s.replace(form, "");
    }
    let currency = currency.map_or("元", |(_, c)| c).to_string();
    s = s
        .replace("块钱", "元")
        .replace(['块', '圆'], "元")
        .replace('毛', "角")
        .replace('钱', "");
    // Drop a trailing 元 / 元整 and repeated 元 (三万元欧元 → 三万).
    while let Some(stripped) = s
        .strip_suffix("元整")
        .or_else(|| s.strip_suffix("元正"))
        .or_else(|| s.strip_suffix('元'))
    {
        s = stripped.to_string();
    }
    let chars: Vec<char> = s.chars().collect();

    // A range: 两到三万, 1万-5万, 10~15k.
    if let Some((lo, hi)) = split_range(&chars) {
        let (lo_s, hi_s) = (normalise(lo), normalise(hi));
        let high = amount(&hi_s)?;
        let low = range_low(&lo_s, &hi_s, high)?;
        return Ok(Money {
            amount: MoneyAmount::Range(low, high),
            currency,
            definition: MoneyDefinition::Blur,
        });
    }
    let norm = normalise(&chars);
    // 八九亿, 三五百, 四五千: two digits, the second larger, then the rest.
    if let [a, b, rest @ ..] = norm.as_slice() {
        if let (Some(x), Some(y)) = (digit_value(*a), digit_value(*b)) {
            if y > x && x > 0 && !rest.is_empty() && rest.iter().all(|&c| digit_value(c).is_none())
            {
                let lo: Vec<char> = std::iter::once(*a).chain(rest.iter().copied()).collect();
                let hi: Vec<char> = std::iter::once(*b).chain(rest.iter().copied()).collect();
                return Ok(Money {
                    amount: MoneyAmount::Range(amount(&lo)?, amount(&hi)?),
                    currency,
                    definition: MoneyDefinition::Blur,
                });
            }
        }
    }
    // 几十万, 数十亿: from one to ten times the unit.
    if let Some((&first, rest)) = norm.split_first() {
        if matches!(first, '几' | '数') && !rest.is_empty() {
            let lo: Vec<char> = std::iter::once('一').chain(rest.iter().copied()).collect();
            let low = amount(&lo)?;
            return Ok(Money {
                amount: MoneyAmount::Range(low, low * 10.0),
                currency,
                definition: MoneyDefinition::Blur,
            });
        }
    }
    // 3000多, 十几: up to the next step of the last stated place.
    if let Some(pos) = norm.iter().position(|&c| matches!(c, '多' | '几' | '余')) {
        let head: Vec<char> = norm.get(..pos).unwrap_or(&[]).to_vec();
        let tail: Vec<char> = norm.get(pos + 1..).unwrap_or(&[]).to_vec();
        let base = amount(&head)?;
        let scale = if tail.is_empty() {
            1.0
        } else {
            amount(&[&['一'][..], &tail[..]].concat())?
        };
        let step = last_place(base);
        return Ok(Money {
            amount: MoneyAmount::Range(base * scale, (base + step) * scale),
            currency,
            definition: MoneyDefinition::Blur,
        });
    }
    let value = amount(&norm)?;
    Ok(Money {
        amount: MoneyAmount::Exact(value),
        currency,
        definition,
    })
}

/// Place value of the last non-zero digit of an integer (3000 → 1000, 10 → 10).
fn last_place(v: f64) -> f64 {
    let mut step = 1.0;
    let mut n = v.round();
    while n >= 10.0 && (n % 10.0).abs() < 0.5 {
        n /= 10.0;
        step *= 10.0;
    }
    step
}

fn split_range(chars: &[char]) -> Option<(&[char], &[char])> {
    let pos = chars
        .iter()
        .position(|&c| matches!(c, '到' | '至' | '~' | '～' | '-' | '－' | '—' | '–'))?;
    if pos == 0 {
        return None;
    }
    let mut end = pos;
    while chars
        .get(end)
        .is_some_and(|&c| matches!(c, '到' | '至' | '~' | '～' | '-' | '－' | '—' | '–'))
    {
        end += 1;
    }
    Some((chars.get(..pos)?, chars.get(end..)?))
}

/// Separators out, k → 千, w → 万, 个亿 → 亿, trailing 元 out.
fn normalise(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            ',' | '，' if i > 0 && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()) => {}
            'k' | 'K' => out.push('千'),
            'w' | 'W' => out.push('万'),
            '个' if chars.get(i + 1).is_some_and(|&n| matches!(n, '亿' | '万')) => {}
            _ => out.push(c),
        }
    }
    while out.last() == Some(&'元') {
        out.pop();
    }
    out
}

/// The value of one amount (with 元角分 if written).
fn amount(chars: &[char]) -> Result<f64, MoneyError> {
    if chars.is_empty() {
        return Err(MoneyError::NoAmount(String::new()));
    }
    parse_chars(chars, NumeralMode::Smart)
        .map(crate::Decimal::to_f64)
        .map_err(MoneyError::from)
}

/// The lower end of a range, borrowing the magnitude the upper end states (两到三万 → 2万,
/// 八到九百亿 → 8百亿, 一百二十到一百五十万 → 120万) when the lower end has none of its own.
fn range_low(lo: &[char], hi: &[char], high: f64) -> Result<f64, MoneyError> {
    let low = amount(lo)?;
    let is_mag = |c: char| {
        matches!(
            c,
            '万' | '亿' | '千' | '百' | '十' | '仟' | '佰' | '拾' | '萬' | '億'
        )
    };
    let is_big = |c: char| matches!(c, '万' | '亿' | '萬' | '億' | '千' | '仟');
    if lo.iter().any(|&c| matches!(c, '万' | '亿' | '萬' | '億')) {
        return Ok(low);
    }
    // Magnitude characters after the last digit of the upper end.
    let last_digit = hi.iter().rposition(|&c| !is_mag(c)).map_or(0, |p| p + 1);
    let tail: Vec<char> = hi.get(last_digit..).unwrap_or(&[]).to_vec();
    let arabic_high = last_digit > 0 && hi.get(last_digit - 1).is_some_and(|c| c.is_ascii_digit());
    let tail: Vec<char> = if !arabic_high && (low >= 10.0 || lo.iter().any(|&c| is_mag(c))) {
        // Only the big magnitudes (万, 亿, and 千 when written as k).
        let keep = tail
            .iter()
            .position(|&c| matches!(c, '万' | '亿' | '萬' | '億'))
            .unwrap_or(tail.len());
        tail.get(keep..).unwrap_or(&[]).to_vec()
    } else {
        tail
    };
    if tail.is_empty() || !tail.iter().all(|&c| is_mag(c) || is_big(c)) {
        return Ok(low);
    }
    let factor = amount(&[&['一'][..], &tail[..]].concat())?;
    let borrowed = low * factor;
    Ok(if borrowed <= high { borrowed } else { low })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_and_magnitudes() {
        let m = parse_money("约2.5亿欧元").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.amount, MoneyAmount::Exact(250_000_000.0));
        assert_eq!(m.currency, "欧元");
        assert_eq!(m.definition, MoneyDefinition::Blur);
        let m = parse_money("六块五毛").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.amount, MoneyAmount::Exact(6.5));
        let m = parse_money("五到六千万元").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.amount, MoneyAmount::Range(5e7, 6e7));
    }
}
