//! Emerging matters: a key (category, place, keyword, cluster) whose count in the recent window
//! is unusually high against its own history.
//!
//! The rule, meant to be read by the people who act on it:
//! - count the key's cases in the recent window (the last `window_days` days up to and including
//!   the day of the analysis) and in each of the `history_windows` windows before it;
//! - the baseline λ is the mean count per earlier window, but at least one case over the whole
//!   history (1 / `history_windows`), so a key never seen before is not infinitely surprising;
//! - the key is flagged when the recent count is at least `min_count`, at least `min_ratio`
//!   times the baseline, and a Poisson count with mean λ would reach it with probability below
//!   `max_p` (one-sided tail);
//! - flagged keys are ranked by the Poisson deviance 2·(k·ln(k/λ) − (k − λ)), which grows with
//!   both the excess and the count.

/// Parameters of the rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeRule {
    pub window_days: u32,
    pub history_windows: u32,
    pub min_count: u32,
    pub min_ratio: f64,
    pub max_p: f64,
}

impl Default for SpikeRule {
    fn default() -> Self {
        SpikeRule { window_days: 7, history_windows: 8, min_count: 3, min_ratio: 2.0, max_p: 0.01 }
    }
}

/// The outcome of the rule for one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Spike {
    pub recent: u32,
    /// Counts of the earlier windows, most recent first.
    pub history: Vec<u32>,
    /// Mean count per earlier window.
    pub mean: f64,
    /// λ used by the test (the mean, floored).
    pub baseline: f64,
    pub ratio: f64,
    /// P(X ≥ recent) for X ~ Poisson(baseline).
    pub p_value: f64,
    /// Poisson deviance (0 when the count is not above the baseline).
    pub score: f64,
    pub flagged: bool,
    /// The reason in Chinese, e.g. "近7天12件，此前8周平均每周2.1件，约为平时的5.7倍（泊松检验 p<0.001）".
    pub explanation: String,
}

/// P(X ≥ k) for X ~ Poisson(λ), by summing the lower terms in log space (exact enough for
/// the counts of a county: k up to a few thousand).
pub fn poisson_sf(k: u32, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    // P(X ≤ k−1) = Σ_{i<k} e^{−λ} λ^i / i!; sum from the largest term for stability.
    let mut log_terms = Vec::with_capacity(k as usize);
    let mut log_term = -lambda; // i = 0
    for i in 0..k {
        if i > 0 {
            log_term += lambda.ln() - (i as f64).ln();
        }
        log_terms.push(log_term);
    }
    let max = log_terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let cdf = max.exp() * log_terms.iter().map(|t| (t - max).exp()).sum::<f64>();
    if cdf < 0.999 {
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    // Upper tail directly when it is small (avoids cancellation): Σ_{i≥k} terms.
    let mut log_t = -lambda + k as f64 * lambda.ln() - ln_factorial(k);
    let mut sum = 0.0;
    let mut i = k;
    loop {
        let t = log_t.exp();
        sum += t;
        i += 1;
        log_t += lambda.ln() - (i as f64).ln();
        if t < sum * 1e-15 || i > k + 10_000 {
            break;
        }
    }
    sum.clamp(0.0, 1.0)
}

fn ln_factorial(n: u32) -> f64 {
    (2..=n).map(|i| (i as f64).ln()).sum()
}

/// "p<0.001", "p=0.004", "p=0.23".
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".into()
    } else if p < 0.01 {
        format!("p={p:.3}")
    } else {
        format!("p={p:.2}")
    }
}

/// One decimal, without a trailing ".0".
fn num(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

impl SpikeRule {
    /// "近7天" / "此前8周" / "平均每周" for weekly windows, "近10天" / "此前8个10天" / "平均每10天" otherwise.
    fn words(&self) -> (String, String, String) {
        let w = self.window_days;
        let n = self.history_windows;
        if w == 7 {
            (format!("近{w}天"), format!("此前{n}周"), "平均每周".into())
        } else {
            (format!("近{w}天"), format!("此前{n}个{w}天"), format!("平均每{w}天"))
        }
    }

    /// Applies the rule to a recent count and the counts of the earlier windows.
    pub fn test(&self, recent: u32, history: &[u32]) -> Spike {
        let n = history.len().max(1) as f64;
        let total: u32 = history.iter().sum();
        let mean = total as f64 / n;
        let baseline = mean.max(1.0 / n);
        let ratio = recent as f64 / baseline;
        let p_value = poisson_sf(recent, baseline);
        let k = recent as f64;
        let score = if k > baseline { 2.0 * (k * (k / baseline).ln() - (k - baseline)) } else { 0.0 };
        let flagged = recent >= self.min_count && ratio >= self.min_ratio && p_value < self.max_p;
        let (recent_w, history_w, per) = self.words();
        let past = if total == 0 {
            format!("{history_w}没有（新出现）")
        } else {
            format!("{history_w}{per}{}件", num(mean))
        };
        let explanation = if recent < self.min_count {
            // Too few to test: say what happened.
            if total > 0 && ratio < 1.05 {
                format!("{recent_w}{recent}件，{past}，未高于平时")
            } else {
                format!("{recent_w}{recent}件，{past}")
            }
        } else if total == 0 {
            format!("{recent_w}{recent}件，{past}（泊松检验 {}）", format_p(p_value))
        } else if ratio >= 1.05 {
            format!("{recent_w}{recent}件，{past}，约为平时的{}倍（泊松检验 {}）", num(ratio), format_p(p_value))
        } else {
            format!("{recent_w}{recent}件，{past}，未高于平时")
        };
        Spike { recent, history: history.to_vec(), mean, baseline, ratio, p_value, score, flagged, explanation }
    }

    /// Counts of the recent window and the earlier windows (most recent first) from the days
    /// (any integer day numbering) on which a key's cases came in; `as_of` is the last day of
    /// the recent window. Days after `as_of` are ignored.
    pub fn windows(&self, days: impl IntoIterator<Item = i32>, as_of: i32) -> (u32, Vec<u32>) {
        let w = self.window_days.max(1) as i32;
        let mut recent = 0;
        let mut history = vec![0u32; self.history_windows as usize];
        for d in days {
            if d > as_of {
                continue;
            }
            let back = (as_of - d) / w; // 0 = recent window
            if back == 0 {
                recent += 1;
            } else if let Some(h) = history.get_mut(back as usize - 1) {
                *h += 1;
            }
        }
        (recent, history)
    }

    /// [`SpikeRule::windows`] then [`SpikeRule::test`].
    pub fn test_days(&self, days: impl IntoIterator<Item = i32>, as_of: i32) -> Spike {
        let (recent, history) = self.windows(days, as_of);
        self.test(recent, &history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_known_values() {
        // P(X ≥ 1 | 1) = 1 − e^{−1}
        assert!((poisson_sf(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        // P(X ≥ 12 | 2.1) = 2.2372e-6 (scipy.stats.poisson.sf(11, 2.1))
        let p = poisson_sf(12, 2.1);
        assert!((p / 2.237_187e-6 - 1.0).abs() < 1e-5, "{p}");
        // P(X ≥ 3 | 3) ≈ 0.5768
        assert!((poisson_sf(3, 3.0) - 0.576_809_9).abs() < 1e-6);
        assert_eq!(poisson_sf(0, 5.0), 1.0);
        assert!(poisson_sf(400, 100.0) < 1e-50);
        assert!(poisson_sf(90, 100.0) > 0.8);
    }

    #[test]
    fn a_spike_is_flagged_with_a_chinese_explanation() {
        let rule = SpikeRule::default();
        let s = rule.test(12, &[2, 3, 1, 2, 2, 3, 2, 2]);
        assert!(s.flagged, "{s:?}");
        assert!((s.mean - 2.125).abs() < 1e-9);
        assert_eq!(s.explanation, "近7天12件，此前8周平均每周2.1件，约为平时的5.6倍（泊松检验 p<0.001）");
        assert!(s.score > 10.0);
    }

    #[test]
    fn a_steady_series_is_not_flagged() {
        let rule = SpikeRule::default();
        let s = rule.test(5, &[4, 6, 5, 5, 4, 6, 5, 5]);
        assert!(!s.flagged, "{s:?}");
        assert_eq!(s.explanation, "近7天5件，此前8周平均每周5件，未高于平时");
        // A busy key a little above its usual level: significant by Poisson alone, but not
        // twice the usual level.
        let s = rule.test(130, &[100; 8]);
        assert!(s.p_value < 0.01 && !s.flagged, "{s:?}");
    }

    #[test]
    fn the_minimum_count_is_respected() {
        let rule = SpikeRule::default();
        let s = rule.test(2, &[0; 8]);
        assert!(s.p_value < 0.01 && !s.flagged, "{s:?}");
        let s = rule.test(3, &[0; 8]);
        assert!(s.flagged, "{s:?}");
        assert_eq!(s.explanation, "近7天3件，此前8周没有（新出现）（泊松检验 p<0.001）");
    }

    #[test]
    fn days_fall_into_windows_counted_back_from_the_analysis_day() {
        let rule = SpikeRule { window_days: 7, history_windows: 2, ..Default::default() };
        let (recent, history) = rule.windows([100, 94, 93, 87, 86, 79, 101], 100);
        assert_eq!(recent, 2); // 100, 94 (101 is after the analysis day)
        assert_eq!(history, vec![2, 1]); // 93, 87 | 86 (79 is too old)
        let ten = SpikeRule { window_days: 10, history_windows: 3, ..Default::default() };
        assert_eq!(ten.test(0, &[1, 1, 1]).explanation, "近10天0件，此前3个10天平均每10天1件，未高于平时");
    }
}
