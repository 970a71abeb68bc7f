//! Identifiers and validated values.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! int_id {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    };
}

int_id!(CaseId, "A case's internal id, assigned by the store.");
int_id!(OrgId, "An organisation unit (county, town, department, village, grid).");
int_id!(UserId, "A staff account.");

/// The public tracking code (查询码) a citizen uses to follow a case.
///
/// Twelve characters from an alphabet without look-alikes (no 0/O, 1/I/L, U/V), eleven
/// random and one check character, shown as `ABCD-EFGH-JKLM`. Eleven random
/// characters carry 54 bits, so codes cannot be guessed; the check character catches
/// every single mistyped character and every swap of neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingCode(String);

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTWXYZ"; // 29 characters, prime modulus

const RANDOM_LEN: usize = 11;

impl TrackingCode {
    /// Builds a code from caller-supplied random bytes (the domain has no randomness of its own).
    pub fn from_random(bytes: [u8; 16]) -> TrackingCode {
        let mut n = u128::from_le_bytes(bytes);
        let base = ALPHABET.len() as u128;
        let mut body = String::with_capacity(RANDOM_LEN + 1);
        for _ in 0..RANDOM_LEN {
            body.push(ALPHABET[(n % base) as usize] as char);
            n /= base;
        }
        let check = check_char(body.as_bytes());
        body.push(check);
        TrackingCode(body)
    }

    /// Parses user input: case-insensitive, dashes and spaces ignored, check character verified.
    pub fn parse(input: &str) -> Result<TrackingCode, CodeError> {
        let cleaned: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\u{3000}'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if cleaned.len() != RANDOM_LEN + 1 {
            return Err(CodeError::Length);
        }
        if let Some(bad) = cleaned.bytes().find(|b| !ALPHABET.contains(b)) {
            return Err(CodeError::Character(bad as char));
        }
        let (body, check) = cleaned.as_bytes().split_at(RANDOM_LEN);
        if check_char(body) != check[0] as char {
            return Err(CodeError::Check);
        }
        Ok(TrackingCode(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped for reading aloud and printing: `ABCD-EFGH-JKLM`.
    pub fn display(&self) -> String {
        format!("{}-{}-{}", &self.0[0..4], &self.0[4..8], &self.0[8..12])
    }
}

/// Position-weighted sum modulo 29 (the alphabet size, a prime): weights 1..=11 are all
/// non-zero mod 29, so every single substitution and every swap of neighbours changes it.
fn check_char(body: &[u8]) -> char {
    let n = ALPHABET.len();
    let sum: usize = body
        .iter()
        .enumerate()
        .map(|(i, b)| (i + 1) * ALPHABET.iter().position(|a| a == b).expect("alphabet char"))
        .sum();
    ALPHABET[sum % n] as char
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("查询码应为12位字母或数字")]
    Length,
    #[error("查询码含有无效字符“{0}”")]
    Character(char),
    #[error("查询码校验位不符，请核对是否输错")]
    Check,
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl FromStr for TrackingCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrackingCode::parse(s)
    }
}

impl TryFrom<String> for TrackingCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TrackingCode::parse(&s)
    }
}

impl From<TrackingCode> for String {
    fn from(c: TrackingCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seed: u8) -> TrackingCode {
        let mut b = [0u8; 16];
        for (i, x) in b.iter_mut().enumerate() {
            *x = seed.wrapping_mul(31).wrapping_add(i as u8 * 17);
        }
        TrackingCode::from_random(b)
    }

    #[test]
    fn generated_code_parses_back_in_any_spelling() {
        let c = sample(7);
        assert_eq!(TrackingCode::parse(&c.display()).unwrap(), c);
        assert_eq!(TrackingCode::parse(&c.as_str().to_lowercase()).unwrap(), c);
        assert_eq!(c.as_str().len(), 12);
    }

    #[test]
    fn every_single_character_typo_is_caught() {
        for seed in 0..20 {
            let c = sample(seed);
            for pos in 0..12 {
                for &a in ALPHABET {
                    let mut s = c.as_str().as_bytes().to_vec();
                    if s[pos] == a {
                        continue;
                    }
                    s[pos] = a;
                    let typo = String::from_utf8(s).unwrap();
                    assert!(TrackingCode::parse(&typo).is_err(), "{typo} accepted");
                }
            }
        }
    }

    #[test]
    fn ambiguous_characters_are_rejected_with_the_character_named() {
        assert_eq!(TrackingCode::parse("O23456789ABC"), Err(CodeError::Character('O')));
        assert_eq!(TrackingCode::parse("ABC"), Err(CodeError::Length));
    }

    #[test]
    fn adjacent_swaps_are_all_caught() {
        let mut caught = 0;
        let mut total = 0;
        for seed in 0..50 {
            let c = sample(seed);
            for pos in 0..11 {
                let mut s = c.as_str().as_bytes().to_vec();
                if s[pos] == s[pos + 1] {
                    continue;
                }
                s.swap(pos, pos + 1);
                total += 1;
                if TrackingCode::parse(std::str::from_utf8(&s).unwrap()).is_err() {
                    caught += 1;
                }
            }
        }
        assert_eq!(caught, total);
    }
}
