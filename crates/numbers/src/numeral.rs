//! Chinese numerals → numbers, with the three strictness modes of cn2an.
//!
//! - [`NumeralMode::Strict`]: only well-formed written numerals (`一千零一十`, `壹佰壹拾壹圆整`,
//!   `负十一`, `零点零一`, `廿二`). Gaps must be marked by exactly one 零, 十 may drop its 一
//!   only at the start or after 零, decimals end in a non-zero digit, 元/圆 needs 整/正/角/分.
//! - [`NumeralMode::Normal`]: also digit strings (`一七二零` → 1720), colloquial forms
//!   (`三万五` → 35000, `两千六` → 2600, `一百二十万三` → 1203000), missing or extra 零
//!   (`一千一十`, `十万零一千`), `〇`, traditional `兩 萬 億`, a bare `元`.
//! - [`NumeralMode::Smart`]: also Arabic digits mixed in (`100万三千`, `10.1万`, `1百01`,
//!   `-10.1`).

use crate::decimal::Decimal;

/// How strictly [`parse_numeral`] reads its input (the modes of cn2an).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumeralMode {
    /// Well-formed written numerals only.
    Strict,
    /// Also digit strings, colloquial forms, loose 零 and traditional characters.
    Normal,
    /// Also Arabic digits mixed with Chinese numerals and magnitudes.
    Smart,
}

/// Why a string is not a numeral (in the mode asked for).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumeralError {
    /// Nothing to parse.
    #[error("empty numeral")]
    Empty,
    /// A character that is not part of a numeral in this mode.
    #[error("character {0:?} is not part of a numeral")]
    InvalidChar(char),
    /// The characters are numeral characters but do not form a number.
    #[error("malformed numeral {0:?}: {1}")]
    Malformed(String, &'static str),
    /// A form accepted only by a looser mode.
    #[error("numeral {0:?} is not allowed in this mode: {1}")]
    NotAllowed(String, &'static str),
    /// The value does not fit.
    #[error("numeral {0:?} is too large")]
    Overflow(String),
}

/// Value of a Chinese numeral digit character (`零〇一二两三…九`, `壹贰…玖`, `兩`, `幺`).
pub fn digit_value(c: char) -> Option<u8> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' | '幺' => 1,
        '二' | '两' | '贰' | '兩' | '貳' => 2,
        '三' | '叁' | '參' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// Power of ten of a small unit character (`十拾` → 1, `百佰` → 2, `千仟` → 3).
pub fn small_unit_exp(c: char) -> Option<i32> {
    Some(match c {
        '十' | '拾' => 1,
        '百' | '佰' => 2,
        '千' | '仟' => 3,
        _ => return None,
    })
}

/// Power of ten of a big unit character (`万萬` → 4, `亿億` → 8).
pub fn big_unit_exp(c: char) -> Option<i32> {
    Some(match c {
        '万' | '萬' => 4,
        '亿' | '億' => 8,
        _ => return None,
    })
}

/// True for a character that can be part of a Chinese numeral (digit, unit, 廿, 卅).
pub fn is_numeral_char(c: char) -> bool {
    digit_value(c).is_some()
        || small_unit_exp(c).is_some()
        || big_unit_exp(c).is_some()
        || matches!(c, '廿' | '卅' | '卌')
}

/// Characters accepted by strict mode besides units (`两` is standard written Chinese).
fn is_strict_char(c: char) -> bool {
    matches!(
        c,
        '零' | '一'
            | '二'
            | '两'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '壹'
            | '贰'
            | '叁'
            | '肆'
            | '伍'
            | '陆'
            | '柒'
            | '捌'
            | '玖'
            | '十'
            | '拾'
            | '百'
            | '佰'
            | '千'
            | '仟'
            | '万'
            | '亿'
            | '廿'
    )
}

/// ASCII value of a digit, folding full-width digits.
pub fn ascii_digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => Some((c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
enum Tok {
    Digit(u8),
    Small(i32),
    Big(i32),
    Arabic { value: Decimal, leading_zero: bool },
}

#[derive(Debug, Default)]
struct Violations {
    colloquial: bool,
    missing_zero: bool,
    spurious_zero: bool,
    omitted_one: bool,
    digit_string: bool,
}

/// Parses a whole string as a Chinese numeral and returns its value as `f64`.
///
/// ```
/// use gongwen_numbers::{parse_numeral, NumeralMode};
/// assert_eq!(parse_numeral("一千零一十", NumeralMode::Strict), Ok(1010.0));
/// assert!(parse_numeral("三万五", NumeralMode::Strict).is_err());
/// assert_eq!(parse_numeral("三万五", NumeralMode::Normal), Ok(35000.0));
/// assert_eq!(parse_numeral("100万三千", NumeralMode::Smart), Ok(1003000.0));
/// ```
pub fn parse_numeral(s: &str, mode: NumeralMode) -> Result<f64, NumeralError> {
    parse_numeral_exact(s, mode).map(Decimal::to_f64)
}

/// Like [`parse_numeral`], returning the exact decimal value.
pub fn parse_numeral_exact(s: &str, mode: NumeralMode) -> Result<Decimal, NumeralError> {
    let chars: Vec<char> = s.chars().collect();
    parse_chars(&chars, mode)
}

fn malformed(chars: &[char], why: &'static str) -> NumeralError {
    NumeralError::Malformed(chars.iter().collect(), why)
}

fn not_allowed(chars: &[char], why: &'static str) -> NumeralError {
    NumeralError::NotAllowed(chars.iter().collect(), why)
}

/// Parses a slice of characters as one numeral (see [`parse_numeral`]).
pub fn parse_chars(all: &[char], mode: NumeralMode) -> Result<Decimal, NumeralError> {
    if all.is_empty() {
        return Err(NumeralError::Empty);
    }
    if mode == NumeralMode::Strict {
        if let Some(&c) = all.iter().find(|&&c| {
            !(is_strict_char(c)
                || matches!(c, '点' | '负' | '元' | '圆' | '整' | '正' | '角' | '分'))
        }) {
            return Err(NumeralError::InvalidChar(c));
        }
    }
    // Money suffix: 元/圆 followed by nothing, 整/正, or 角/分 digits.
    let mut body = all;
    let mut cents = Decimal::ZERO;
    if let Some(pos) = all.iter().position(|&c| matches!(c, '元' | '圆' | '圓')) {
        body = all.get(..pos).unwrap_or(&[]);
        let rest = all.get(pos + 1..).unwrap_or(&[]);
        if body.is_empty() {
            return Err(malformed(all, "nothing before 元"));
        }
        match rest {
            [] if mode == NumeralMode::Strict => return Err(not_allowed(all, "元 without 整")),
            [] | ['整'] | ['正'] => {}
            _ => cents = parse_jiao_fen(rest, mode).ok_or_else(|| malformed(all, "bad 角/分"))?,
        }
    }
    let (negative, body) = match body {
        ['负' | '負', rest @ ..] => (true, rest),
        ['-' | '－', rest @ ..] if mode == NumeralMode::Smart => (true, rest),
        _ => (false, body),
    };
    if body.is_empty() {
        return Err(malformed(all, "sign without number"));
    }
    let points: Vec<usize> = body
        .iter()
        .enumerate()
        .filter(|(_, &c)| matches!(c, '点' | '點'))
        .map(|(i, _)| i)
        .collect();
    let (int_part, dec_part) = match points.as_slice() {
        [] => (body, None),
        [p] => (
            body.get(..*p).unwrap_or(&[]),
            Some(body.get(p + 1..).unwrap_or(&[])),
        ),
        _ => return Err(malformed(all, "more than one 点")),
    };
    if int_part.is_empty() {
        return Err(malformed(all, "nothing before 点"));
    }
    let tokens = tokenize(int_part, mode)?;
    let (mut value, v) =
        eval_integer(&tokens).ok_or_else(|| malformed(all, "units out of order"))?;
    if mode == NumeralMode::Strict {
        if v.colloquial {
            return Err(not_allowed(all, "colloquial abbreviation"));
        }
        if v.missing_zero || v.spurious_zero {
            return Err(not_allowed(all, "零 missing or misplaced"));
        }
        if v.omitted_one {
            return Err(not_allowed(all, "unit without its digit"));
        }
        if v.digit_string {
            return Err(not_allowed(all, "digit string"));
        }
    }
    if let Some(dec) = dec_part {
        if dec.is_empty() {
            return Err(malformed(all, "nothing after 点"));
        }
        let mut mantissa: i128 = 0;
        let mut len: i32 = 0;
        for &c in dec {
            let digits: Vec<u8> = if let Some(d) = digit_value(c) {
                vec![d]
            } else if mode == NumeralMode::Smart && ascii_digit(c).is_some() {
                ascii_digit(c).into_iter().collect()
            } else {
                return Err(malformed(all, "decimal part must be digits"));
            };
            for d in digits {
                mantissa = mantissa
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(i128::from(d)))
                    .ok_or_else(|| NumeralError::Overflow(all.iter().collect()))?;
                len += 1;
            }
        }
        if mode == NumeralMode::Strict && dec.last().and_then(|&c| digit_value(c)) == Some(0) {
            return Err(not_allowed(all, "decimal ends in 零"));
        }
        value = value
            .checked_add(Decimal {
                mantissa,
                exponent: -len,
            })
            .ok_or_else(|| NumeralError::Overflow(all.iter().collect()))?;
    }
    value = value
        .checked_add(cents)
        .ok_or_else(|| NumeralError::Overflow(all.iter().collect()))?;
    Ok(if negative { value.negated() } else { value })
}

fn parse_jiao_fen(rest: &[char], mode: NumeralMode) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    let mut last_exp = 0;
    let mut i = 0;
    while i < rest.len() {
        let c = *rest.get(i)?;
        let d = digit_value(c).or(if mode == NumeralMode::Smart {
            ascii_digit(c)
        } else {
            None
        })?;
        let exp = match rest.get(i + 1)? {
            '角' => -1,
            '分' => -2,
            _ => return None,
        };
        if exp >= last_exp {
            return None;
        }
        last_exp = exp;
        total = total.checked_add(Decimal {
            mantissa: i128::from(d),
            exponent: exp,
        })?;
        i += 2;
    }
    Some(total)
}

fn tokenize(chars: &[char], mode: NumeralMode) -> Result<Vec<Tok>, NumeralError> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if let Some(d) = digit_value(c) {
            out.push(Tok::Digit(d));
        } else if let Some(e) = small_unit_exp(c) {
            out.push(Tok::Small(e));
        } else if let Some(e) = big_unit_exp(c) {
            out.push(Tok::Big(e));
        } else if let Some(t) = match c {
            '廿' => Some(2),
            '卅' => Some(3),
            '卌' => Some(4),
            _ => None,
        } {
            out.push(Tok::Digit(t));
            out.push(Tok::Small(1));
        } else if mode == NumeralMode::Smart && ascii_digit(c).is_some() {
            let start = i;
            let mut text = String::new();
            while let Some(&c) = chars.get(i) {
                if let Some(d) = ascii_digit(c) {
                    text.push(char::from(b'0' + d));
                } else if matches!(c, '.' | '．')
                    && chars.get(i + 1).and_then(|&n| ascii_digit(n)).is_some()
                {
                    text.push('.');
                } else {
                    break;
                }
                i += 1;
            }
            let value =
                Decimal::parse_ascii(&text).ok_or_else(|| malformed(chars, "bad digits"))?;
            let leading_zero = text.len() > 1 && text.starts_with('0') && !text.starts_with("0.");
            out.push(Tok::Arabic {
                value,
                leading_zero,
            });
            if i == start {
                i += 1;
            }
            continue;
        } else {
            return Err(NumeralError::InvalidChar(c));
        }
        if mode == NumeralMode::Strict && !is_strict_char(c) {
            return Err(NumeralError::InvalidChar(c));
        }
        i += 1;
    }
    Ok(out)
}

/// Evaluates integer tokens; `None` when the units are out of order.
fn eval_integer(tokens: &[Tok]) -> Option<(Decimal, Violations)> {
    let mut v = Violations::default();
    // A string of digits and nothing else: 一七二零 → 1720.
    if tokens.iter().all(|t| matches!(t, Tok::Digit(_))) {
        let mut m: i128 = 0;
        for t in tokens {
            if let Tok::Digit(d) = t {
                m = m.checked_mul(10)?.checked_add(i128::from(*d))?;
            }
        }
        v.digit_string = tokens.len() > 1;
        return Some((Decimal::from_int(m), v));
    }
    let mut st = State::default();
    let mut prev: Option<Tok> = None;
    for (idx, &tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Digit(0) => {
                if st.pending.is_some() {
                    return None;
                }
                st.zero = true;
            }
            Tok::Digit(d) => {
                if st.pending.is_some() {
                    return None;
                }
                st.pending = Some((Decimal::from_int(i128::from(d)), true));
            }
            Tok::Arabic {
                value,
                leading_zero,
            } => {
                if st.pending.is_some() {
                    return None;
                }
                if leading_zero {
                    st.zero = true;
                }
                st.pending = Some((value, false));
            }
            Tok::Small(e) => {
                let digit = match st.pending.take() {
                    Some((d, _)) => d,
                    None => {
                        if !((idx == 0 && e == 1) || st.zero) {
                            v.omitted_one = true;
                        }
                        Decimal::from_int(1)
                    }
                };
                st.add_term(digit, e, &mut v)?;
            }
            Tok::Big(b) => {
                if let Some((d, _)) = st.pending.take() {
                    st.add_term(d, 0, &mut v)?;
                }
                if st.sec_terms == 0 {
                    // 万亿, 千万亿: the magnitude multiplies what came before.
                    match prev {
                        Some(Tok::Big(b0)) if b0 < b => {
                            for entry in st.closed.iter_mut() {
                                if entry.1 < b {
                                    entry.0 = entry.0.shift(b);
                                    entry.1 += b;
                                }
                            }
                            st.last_big = st.closed.iter().map(|e| e.1).max();
                        }
                        _ => return None,
                    }
                } else {
                    st.close(b, &mut v)?;
                }
            }
        }
        prev = Some(tok);
    }
    // The token before the final pending digit decides colloquial readings (三万五).
    let before_last = if tokens.len() >= 2 {
        tokens.get(tokens.len() - 2).copied()
    } else {
        None
    };
    if let Some((d, is_cn_digit)) = st.pending.take() {
        match before_last {
            Some(Tok::Small(e)) if e >= 2 && is_cn_digit && !st.zero => {
                v.colloquial = true;
                st.add_term_unchecked(d, e - 1)?;
            }
            Some(Tok::Big(b)) if is_cn_digit && !st.zero && st.sec_terms == 0 => {
                v.colloquial = true;
                st.add_term_unchecked(d, b - 1)?;
                st.closed.push((st.sec_val, 0));
                st.sec_terms = 0;
                st.sec_val = Decimal::ZERO;
            }
            _ => st.add_term(d, 0, &mut v)?,
        }
    } else if st.zero {
        // A trailing 零 (一百零) is malformed.
        return None;
    }
    if st.sec_terms > 0 {
        st.close(0, &mut v)?;
    }
    let mut total = Decimal::ZERO;
    for (val, _) in &st.closed {
        total = total.checked_add(*val)?;
    }
    Some((total, v))
}

#[derive(Default)]
struct State {
    /// Finished sections: (value already scaled, power of ten of their big unit).
    closed: Vec<(Decimal, i32)>,
    sec_val: Decimal,
    sec_terms: usize,
    sec_first: i32,
    sec_zero_first: bool,
    last_local: Option<i32>,
    pending: Option<(Decimal, bool)>,
    zero: bool,
    last_big: Option<i32>,
}

impl State {
    fn add_term(&mut self, digit: Decimal, e: i32, v: &mut Violations) -> Option<()> {
        match self.last_local {
            Some(l) => {
                if e >= l {
                    return None;
                }
                if e < l - 1 && !self.zero {
                    v.missing_zero = true;
                }
                if e == l - 1 && self.zero {
                    v.spurious_zero = true;
                }
            }
            None => {
                self.sec_first = e;
                self.sec_zero_first = self.zero;
            }
        }
        self.add_term_unchecked(digit, e)
    }

    fn add_term_unchecked(&mut self, digit: Decimal, e: i32) -> Option<()> {
        if self.last_local.is_none() {
            self.sec_first = e;
            self.sec_zero_first = self.zero;
        }
        self.sec_val = self.sec_val.checked_add(digit.shift(e))?;
        self.sec_terms += 1;
        self.last_local = Some(e);
        self.zero = false;
        Some(())
    }

    /// Closes the current section with big unit `b` (0 at the end).
    fn close(&mut self, b: i32, v: &mut Violations) -> Option<()> {
        if let Some(lb) = self.last_big {
            if b == lb {
                return None;
            }
            let actual = self.sec_first + if b < lb { b } else { 0 };
            let expected = lb - 1;
            if actual > expected && b < lb {
                return None;
            }
            if actual < expected && !self.sec_zero_first {
                v.missing_zero = true;
            }
            if actual == expected && self.sec_zero_first {
                v.spurious_zero = true;
            }
        }
        let mut sum = self.sec_val;
        let mut kept = Vec::with_capacity(self.closed.len());
        for &(val, big) in &self.closed {
            if big < b {
                sum = sum.checked_add(val)?;
            } else {
                kept.push((val, big));
            }
        }
        kept.push((sum.shift(b), b));
        self.closed = kept;
        if b > 0 {
            self.last_big = Some(b);
        }
        self.sec_val = Decimal::ZERO;
        self.sec_terms = 0;
        self.last_local = None;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, m: NumeralMode) -> Option<f64> {
        parse_numeral(s, m).ok()
    }

    #[test]
    fn written_numerals_of_all_sizes() {
        assert_eq!(p("一千零一十", NumeralMode::Strict), Some(1010.0));
        assert_eq!(p("三十七万五千零八", NumeralMode::Strict), Some(375008.0));
        assert_eq!(p("两千零二十四", NumeralMode::Strict), Some(2024.0));
        assert_eq!(p("负零点五", NumeralMode::Strict), Some(-0.5));
        assert_eq!(p("廿九", NumeralMode::Strict), Some(29.0));
        assert_eq!(p("伍佰陆拾圆整", NumeralMode::Strict), Some(560.0));
    }

    #[test]
    fn loose_forms_need_normal_mode() {
        assert_eq!(p("两万八", NumeralMode::Strict), None);
        assert_eq!(p("两万八", NumeralMode::Normal), Some(28000.0));
        assert_eq!(p("二〇二四", NumeralMode::Normal), Some(2024.0));
        assert_eq!(p("九百零", NumeralMode::Normal), None);
        assert_eq!(p("五十六十", NumeralMode::Normal), None);
    }

    #[test]
    fn smart_mode_mixes_arabic_digits() {
        assert_eq!(p("7.5亿", NumeralMode::Smart), Some(750_000_000.0));
        assert_eq!(p("3万亿", NumeralMode::Smart), Some(3e12));
        assert_eq!(p("2千万", NumeralMode::Smart), Some(2e7));
        assert_eq!(p("7.5亿", NumeralMode::Normal), None);
    }
}
