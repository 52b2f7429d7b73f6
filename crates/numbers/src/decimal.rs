//! An exact decimal number (`mantissa × 10^exponent`), so magnitudes fold without rounding
//! error: `4.287亿` is `4287 × 10^5`, not `4.287 * 1e8`.

/// An exact decimal: `mantissa × 10^exponent`. Arithmetic is checked and returns `None` on
/// overflow instead of wrapping or panicking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// The digits as an integer.
    pub mantissa: i128,
    /// Power of ten the mantissa is scaled by.
    pub exponent: i32,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        exponent: 0,
    };

    /// An integer.
    pub fn from_int(n: i128) -> Decimal {
        Decimal {
            mantissa: n,
            exponent: 0,
        }
    }

    /// `10^exp`.
    pub fn pow10(exp: i32) -> Decimal {
        Decimal {
            mantissa: 1,
            exponent: exp,
        }
    }

    /// This value times `10^k`.
    pub fn shift(self, k: i32) -> Decimal {
        Decimal {
            mantissa: self.mantissa,
            exponent: self.exponent.saturating_add(k),
        }
    }

    /// Sum, or `None` on overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let e = self.exponent.min(other.exponent);
        let a = scale_mantissa(self.mantissa, self.exponent - e)?;
        let b = scale_mantissa(other.mantissa, other.exponent - e)?;
        Some(
            Decimal {
                mantissa: a.checked_add(b)?,
                exponent: e,
            }
            .normalized(),
        )
    }

    /// Product, or `None` on overflow.
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        Some(
            Decimal {
                mantissa: self.mantissa.checked_mul(other.mantissa)?,
                exponent: self.exponent.checked_add(other.exponent)?,
            }
            .normalized(),
        )
    }

    /// The negated value.
    pub fn negated(self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            exponent: self.exponent,
        }
    }

    /// True when the value is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Same value with trailing zeros of the mantissa moved into the exponent.
    pub fn normalized(self) -> Decimal {
        if self.mantissa == 0 {
            return Decimal::ZERO;
        }
        let mut m = self.mantissa;
        let mut e = self.exponent;
        while m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        Decimal {
            mantissa: m,
            exponent: e,
        }
    }

    /// The nearest `f64` (correctly rounded via the standard float parser).
    pub fn to_f64(self) -> f64 {
        // Fast path (Clinger's): a mantissa below 2^53 and a power of ten up to 1e22 are both
        // exact doubles, so one multiplication or division rounds correctly, as parsing does.
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        if self.mantissa.unsigned_abs() < 1u128 << 53 {
            let m = self.mantissa as f64;
            if let Some(&p) = POW10.get(self.exponent.unsigned_abs() as usize) {
                return if self.exponent >= 0 { m * p } else { m / p };
            }
        }
        self.to_f64_parsed()
    }

    /// The nearest `f64`, by formatting and parsing (always correct, slower).
    fn to_f64_parsed(self) -> f64 {
        format!("{}e{}", self.mantissa, self.exponent)
            .parse::<f64>()
            .unwrap_or(f64::NAN)
    }

    /// The value as an integer when it is one and fits.
    pub fn to_i128(self) -> Option<i128> {
        let d = self.normalized();
        if d.exponent < 0 {
            return None;
        }
        scale_mantissa(d.mantissa, d.exponent)
    }

    /// Parses ASCII digits with at most one `.` (`"10.25"`, `"007"`). Other characters,
    /// an empty string or a lone `.` give `None`.
    pub fn parse_ascii(s: &str) -> Option<Decimal> {
        let mut mantissa: i128 = 0;
        let mut exponent: i32 = 0;
        let mut seen_point = false;
        let mut digits = 0usize;
        for c in s.chars() {
            match c {
                '0'..='9' => {
                    mantissa = mantissa
                        .checked_mul(10)?
                        .checked_add(i128::from(c as u8 - b'0'))?;
                    digits += 1;
                    if seen_point {
                        exponent -= 1;
                    }
                }
                '.' if !seen_point => seen_point = true,
                _ => return None,
            }
        }
        if digits == 0 {
            return None;
        }
        Some(Decimal { mantissa, exponent }.normalized())
    }
}

impl Default for Decimal {
    fn default() -> Self {
        Decimal::ZERO
    }
}

fn scale_mantissa(m: i128, k: i32) -> Option<i128> {
    let mut m = m;
    for _ in 0..k.max(0) {
        m = m.checked_mul(10)?;
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_f64_conversion_equals_parsing() {
        let mantissas = [
            0i128,
            1,
            -1,
            3,
            7,
            15,
            123,
            4287,
            999_999,
            123_456_789,
            9_007_199_254_740_991,
            -9_007_199_254_740_991,
            333_333_333_333,
            1 << 52,
            31_415_926_535_897,
        ];
        for m in mantissas {
            for exponent in -30..=30 {
                let d = Decimal {
                    mantissa: m,
                    exponent,
                };
                assert_eq!(
                    d.to_f64().to_bits(),
                    d.to_f64_parsed().to_bits(),
                    "{m}e{exponent}"
                );
            }
        }
    }

    #[test]
    fn folding_magnitudes_is_exact() {
        let d = Decimal::parse_ascii("4.287").and_then(|d| d.checked_mul(Decimal::pow10(8)));
        assert_eq!(d.map(|d| d.to_f64()), Some(428_700_000.0));
        let s =
            Decimal::parse_ascii("0.1").and_then(|a| a.checked_add(Decimal::parse_ascii("0.2")?));
        assert_eq!(s.map(|d| d.to_f64()), Some(0.3));
        assert_eq!(Decimal::parse_ascii("."), None);
        assert_eq!(Decimal::parse_ascii("1.2.3"), None);
    }
}
