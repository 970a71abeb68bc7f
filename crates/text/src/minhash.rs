//! MinHash signatures of texts for near-duplicate detection.
//!
//! A text is normalised (full-width forms to ASCII, lower case, punctuation and whitespace
//! dropped) and cut into overlapping character 3-grams ("shingles"); two texts are as similar as
//! the Jaccard index of their shingle sets. A signature keeps, for each of [`NUM_HASHES`] seeded
//! hash functions, the smallest hash of any shingle: the chance that two signatures agree in one
//! position is exactly the Jaccard index, so the share of agreeing positions estimates it.
//!
//! The index keeps only the lowest byte of each value ([`Compact`], 64 bytes a case, "b-bit
//! MinHash"): two unrelated values then agree by chance with probability 1/256, which
//! [`Compact::similarity`] corrects for. With 64 positions the estimate's standard error is
//! about √(J(1−J)/64), 0.06 at J = 0.5.

/// Positions in a signature.
pub const NUM_HASHES: usize = 64;

/// Shingle length in characters.
pub const SHINGLE: usize = 3;

/// Full-width ASCII forms become ASCII, letters lower case; punctuation, symbols and whitespace
/// are dropped, so that "电梯，坏了！" and "电梯坏了" are the same text.
pub fn normalize(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// SplitMix64's finaliser: a fast, well-mixed 64-bit hash of a 64-bit key.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The hashed character 3-grams of a normalised text, sorted and without repeats. A text
/// shorter than three characters is one shingle of itself; an empty text has none.
pub fn shingles_of(chars: &[char]) -> Vec<u64> {
    let key = |w: &[char]| w.iter().fold(0u64, |acc, c| (acc << 21) | *c as u64);
    let mut out: Vec<u64> = if chars.len() < SHINGLE {
        if chars.is_empty() {
            vec![]
        } else {
            vec![mix64(key(chars) ^ 0x5EED)]
        }
    } else {
        chars.windows(SHINGLE).map(|w| mix64(key(w))).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// [`shingles_of`] the normalised text.
pub fn shingles(text: &str) -> Vec<u64> {
    shingles_of(&normalize(text))
}

/// Exact Jaccard index of two sorted shingle sets (1 for two empty texts).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Multipliers and offsets of the hash family h_i(x) = (a_i·x + b_i) >> 32 over 64-bit shingle
/// hashes (multiply-shift, a_i odd): fixed, so signatures are comparable across processes and
/// versions.
fn family() -> &'static ([u64; NUM_HASHES], [u64; NUM_HASHES]) {
    static F: std::sync::OnceLock<([u64; NUM_HASHES], [u64; NUM_HASHES])> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let mut a = [0u64; NUM_HASHES];
        let mut b = [0u64; NUM_HASHES];
        let mut s = 0x7265_6472_6573_7331u64; // "redress1"
        for i in 0..NUM_HASHES {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            a[i] = mix64(s) | 1;
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            b[i] = mix64(s);
        }
        (a, b)
    })
}

/// A full MinHash signature: the smallest 32-bit hash per function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u32; NUM_HASHES]);

impl Signature {
    /// The signature of a shingle set; all positions `u32::MAX` for an empty set.
    pub fn of_shingles(shingles: &[u64]) -> Signature {
        let (a, b) = family();
        let mut min = [u32::MAX; NUM_HASHES];
        for &x in shingles {
            for i in 0..NUM_HASHES {
                let h = (a[i].wrapping_mul(x).wrapping_add(b[i]) >> 32) as u32;
                min[i] = min[i].min(h);
            }
        }
        Signature(min)
    }

    pub fn of_text(text: &str) -> Signature {
        Signature::of_shingles(&shingles(text))
    }

    /// Share of agreeing positions: an unbiased estimate of the Jaccard index.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let same = self.0.iter().zip(&other.0).filter(|(x, y)| x == y).count();
        same as f64 / NUM_HASHES as f64
    }

    /// The lowest byte of every position (the high bits of a minimum are mostly zero: the
    /// smallest of a few hundred uniform values is far below the middle of the range).
    pub fn compact(&self) -> Compact {
        let mut c = [0u8; NUM_HASHES];
        for (o, v) in c.iter_mut().zip(&self.0) {
            *o = *v as u8;
        }
        Compact(c)
    }
}

/// A signature cut to one byte per position (64 bytes): what the index keeps per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Compact(pub [u8; NUM_HASHES]);

/// Chance that two unrelated one-byte values agree.
const CHANCE: f64 = 1.0 / 256.0;

impl Compact {
    /// Number of agreeing positions.
    #[inline]
    pub fn matches(&self, other: &Compact) -> u32 {
        // Byte-wise equality over 8 u64 words: a zero byte in the xor is an agreeing position.
        let mut n = 0;
        for (x, y) in self.0.chunks_exact(8).zip(other.0.chunks_exact(8)) {
            let v = u64::from_le_bytes(x.try_into().expect("8 bytes")) ^ u64::from_le_bytes(y.try_into().expect("8 bytes"));
            // Each byte of `nonzero` has its high bit set iff that byte of v is non-zero.
            let nonzero = ((v & 0x7F7F_7F7F_7F7F_7F7F).wrapping_add(0x7F7F_7F7F_7F7F_7F7F) | v) & 0x8080_8080_8080_8080;
            n += 8 - nonzero.count_ones();
        }
        n
    }

    /// Estimated Jaccard index, corrected for chance agreement of one-byte values, in [0, 1].
    #[inline]
    pub fn similarity(&self, other: &Compact) -> f64 {
        similarity_from_matches(self.matches(other))
    }
}

/// The Jaccard estimate for `m` agreeing one-byte positions out of [`NUM_HASHES`].
#[inline]
pub fn similarity_from_matches(m: u32) -> f64 {
    let p = m as f64 / NUM_HASHES as f64;
    ((p - CHANCE) / (1.0 - CHANCE)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFT: &str = "幸福社区3号楼电梯停运三个月，物业一直不修，老人上下楼十分困难，请求督促物业尽快维修。";

    #[test]
    fn normalisation_ignores_punctuation_width_and_case() {
        assert_eq!(normalize("电梯，坏了！ＡＢ c"), "电梯坏了abc".chars().collect::<Vec<_>>());
        assert_eq!(shingles("电梯坏了"), shingles("电梯，坏了！"));
        assert_eq!(shingles("").len(), 0);
        assert_eq!(shingles("路").len(), 1);
    }

    #[test]
    fn identical_texts_have_similarity_one() {
        let a = Signature::of_text(LIFT);
        let b = Signature::of_text(&format!("{LIFT}\n"));
        assert_eq!(a.similarity(&b), 1.0);
        assert_eq!(a.compact().similarity(&b.compact()), 1.0);
        assert_eq!(jaccard(&shingles(LIFT), &shingles(LIFT)), 1.0);
    }

    #[test]
    fn disjoint_texts_have_similarity_near_zero() {
        let a = Signature::of_text(LIFT);
        let b = Signature::of_text("孩子户籍在河口镇，按学区应就读附近小学，但学校称学位已满，请求教育部门协调入学。");
        assert_eq!(jaccard(&shingles(LIFT), &shingles("孩子户籍在河口镇，按学区应就读附近小学。")), 0.0);
        assert!(a.similarity(&b) < 0.05, "{}", a.similarity(&b));
        assert!(a.compact().similarity(&b.compact()) < 0.05);
    }

    #[test]
    fn near_duplicates_score_high_and_the_estimate_tracks_jaccard() {
        let near = "幸福社区3号楼电梯停运三个月了，物业一直不修，老人上下楼十分困难，请求督促物业尽快维修！";
        let exact = jaccard(&shingles(LIFT), &shingles(near));
        assert!(exact > 0.8, "{exact}");
        let est = Signature::of_text(LIFT).compact().similarity(&Signature::of_text(near).compact());
        assert!((est - exact).abs() < 0.15, "estimate {est} vs exact {exact}");
        // Half the text changed: about a third of the shingles shared.
        let half = "幸福社区3号楼电梯停运三个月，物业一直不修。另外小区路灯也坏了半年，晚上出行不安全。";
        let exact = jaccard(&shingles(LIFT), &shingles(half));
        let est = Signature::of_text(LIFT).similarity(&Signature::of_text(half));
        assert!(exact > 0.2 && exact < 0.6, "{exact}");
        assert!((est - exact).abs() < 0.2, "estimate {est} vs exact {exact}");
    }

    #[test]
    fn compact_bytes_of_unrelated_texts_are_spread_evenly() {
        // Bytes of long texts' signatures must not pile up on a few values (they key the LSH).
        let mut counts = [0u32; 256];
        for i in 0..200 {
            let text: String = (0..300).map(|k| char::from_u32(0x4E00 + ((i * 7919 + k * 104_729) % 20_000) as u32).unwrap()).collect();
            for b in Signature::of_text(&text).compact().0 {
                counts[b as usize] += 1;
            }
        }
        // 12 800 bytes over 256 values: 50 expected per value.
        assert!(counts.iter().all(|&c| c < 110), "max {}", counts.iter().max().unwrap());
    }

    #[test]
    fn compact_matching_counts_agreeing_bytes() {
        let a = Compact([7; NUM_HASHES]);
        let mut b = a;
        assert_eq!(a.matches(&b), NUM_HASHES as u32);
        b.0[0] = 8;
        b.0[63] = 0;
        b.0[31] = 0x87;
        assert_eq!(a.matches(&b), NUM_HASHES as u32 - 3);
        assert_eq!(Compact([0; NUM_HASHES]).matches(&Compact([0x80; NUM_HASHES])), 0);
        assert_eq!(similarity_from_matches(0), 0.0);
    }
}
