//! Personal data of a petitioner: kept apart from the event log so it can be purged at the
//! end of its retention period without breaking the hash chain; shown masked by default.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Petitioner {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// Random salt of the digest kept in the log, so the digest cannot be matched against
    /// guessed phone numbers. Never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

impl Petitioner {
    pub fn is_anonymous(&self) -> bool {
        self.name.as_deref().is_none_or(str::is_empty)
            && self.phone.as_deref().is_none_or(str::is_empty)
            && self.id_number.as_deref().is_none_or(str::is_empty)
    }

    pub fn masked(&self) -> Petitioner {
        Petitioner {
            name: self.name.as_deref().map(mask_name),
            phone: self.phone.as_deref().map(mask_phone),
            id_number: self.id_number.as_deref().map(mask_id_number),
            address: self.address.as_ref().map(|_| "***".to_string()),
            salt: None,
        }
    }

    /// Last four digits of the phone, which a citizen gives to see a case's details.
    pub fn phone_last4(&self) -> Option<String> {
        let digits: Vec<char> = self.phone.as_deref()?.chars().filter(char::is_ascii_digit).collect();
        (digits.len() >= 4).then(|| digits[digits.len() - 4..].iter().collect())
    }
}

/// 张三 → 张*, 欧阳娜娜 → 欧***.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// 13812345678 → 138****5678; short numbers keep only the last two.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() >= 11 {
        format!("{}****{}", chars[..3].iter().collect::<String>(), chars[chars.len() - 4..].iter().collect::<String>())
    } else if chars.len() > 2 {
        format!("{}{}", "*".repeat(chars.len() - 2), chars[chars.len() - 2..].iter().collect::<String>())
    } else {
        "**".to_string()
    }
}

/// 110101199001011234 → 110***********1234.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() >= 8 {
        format!("{}{}{}", chars[..3].iter().collect::<String>(), "*".repeat(chars.len() - 7), chars[chars.len() - 4..].iter().collect::<String>())
    } else {
        "*".repeat(chars.len())
    }
}

/// Validates a mainland phone number (mobile or landline with area code); returns it normalised.
pub fn normalize_phone(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let ok_mobile = digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit());
    let ok_landline = (7..=12).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
    (ok_mobile || ok_landline).then_some(digits)
}

/// Validates an 18-character resident ID number including its ISO 7064 check character.
pub fn valid_id_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let sum: u32 = b[..17].iter().zip(W).map(|(d, w)| (d - b'0') as u32 * w).sum();
    C[(sum % 11) as usize] == b[17].to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hide_all_but_edges() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_id_number("11010119900307803X"), "110***********803X");
    }

    #[test]
    fn id_number_check_character_is_verified() {
        assert!(valid_id_number("11010519491231002X"));
        assert!(!valid_id_number("110105194912310021"));
        assert!(!valid_id_number("12345"));
    }

    #[test]
    fn phone_is_normalised_or_rejected() {
        assert_eq!(normalize_phone("138 1234 5678").as_deref(), Some("13812345678"));
        assert_eq!(normalize_phone("0731-8888888").as_deref(), Some("07318888888"));
        assert_eq!(normalize_phone("abc"), None);
    }

    #[test]
    fn anonymous_when_no_identifying_field() {
        assert!(Petitioner::default().is_anonymous());
        let p = Petitioner { phone: Some("13812345678".into()), ..Default::default() };
        assert!(!p.is_anonymous());
        assert_eq!(p.phone_last4().as_deref(), Some("5678"));
    }
}
