//! Linear support vector machines: L2-regularised L2-loss (squared hinge) SVC solved in the dual by
//! coordinate descent with shrinking (Hsieh, Chang, Lin, Keerthi, Sundararajan 2008, "A dual
//! coordinate descent method for large-scale linear SVM"; the algorithm of LIBLINEAR's `-s 1`),
//! one-vs-rest for several classes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::features::SparseVec;

/// Rows of sparse feature vectors.
pub(crate) struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    pub(crate) n_cols: usize,
}

impl Csr {
    pub(crate) fn from_rows(rows: &[SparseVec], n_cols: usize) -> Csr {
        let nnz = rows.iter().map(Vec::len).sum();
        let mut csr = Csr { indptr: Vec::with_capacity(rows.len() + 1), indices: Vec::with_capacity(nnz), values: Vec::with_capacity(nnz), n_cols };
        csr.indptr.push(0);
        for row in rows {
            for &(i, v) in row {
                csr.indices.push(i);
                csr.values.push(v);
            }
            csr.indptr.push(csr.indices.len());
        }
        csr
    }

    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }
}

/// Solver settings for one binary problem.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SvmParams {
    /// Cost of a margin violation by a positive and by a negative example.
    pub c_pos: f64,
    pub c_neg: f64,
    /// Stop when the projected gradients' spread is at most this.
    pub tolerance: f64,
    pub max_epochs: usize,
    pub seed: u64,
}

/// Value of the constant feature that carries the bias (regularised like any weight).
const BIAS_FEATURE: f64 = 1.0;

/// A small deterministic generator (SplitMix64) for the order of coordinates.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant here.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Weights and bias of one binary problem.
type Binary = (Vec<f64>, f64);

/// Trains `w·x + b` separating `positive` rows from the others, over the rows `rows` of `x`.
/// Returns the weights (length `x.n_cols`) and the bias.
pub(crate) fn train_binary(x: &Csr, rows: &[usize], positive: &[bool], p: &SvmParams) -> Binary {
    let l = rows.len();
    let mut w = vec![0.0f64; x.n_cols];
    let mut b = 0.0f64;
    if l == 0 {
        return (w, b);
    }
    let y: Vec<f64> = positive.iter().map(|&pos| if pos { 1.0 } else { -1.0 }).collect();
    // L2 loss: no upper bound on alpha (so no shrinking at one), a diagonal term 1/(2C) instead.
    let diag: Vec<f64> = positive.iter().map(|&pos| 0.5 / if pos { p.c_pos } else { p.c_neg }).collect();
    let qd: Vec<f64> = (0..l)
        .map(|k| {
            let (_, vals) = x.row(rows[k]);
            diag[k] + vals.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() + BIAS_FEATURE * BIAS_FEATURE
        })
        .collect();
    let mut alpha = vec![0.0f64; l];
    let mut index: Vec<usize> = (0..l).collect();
    let mut active = l;
    let mut rng = Rng::new(p.seed);
    let mut pg_max_old = f64::INFINITY;
    let mut epoch = 0;
    while epoch < p.max_epochs {
        let mut pg_max_new = f64::NEG_INFINITY;
        let mut pg_min_new = f64::INFINITY;
        rng.shuffle(&mut index[..active]);
        let mut s = 0;
        while s < active {
            let k = index[s];
            let (idx, vals) = x.row(rows[k]);
            let margin: f64 = idx.iter().zip(vals).map(|(&j, &v)| w[j as usize] * f64::from(v)).sum::<f64>() + b * BIAS_FEATURE;
            let g = y[k] * margin - 1.0 + alpha[k] * diag[k];
            let mut pg = g;
            if alpha[k] == 0.0 {
                if g > pg_max_old {
                    // Shrink: this example is very likely to stay outside the margin.
                    active -= 1;
                    index.swap(s, active);
                    continue;
                }
                pg = g.min(0.0);
            }
            pg_max_new = pg_max_new.max(pg);
            pg_min_new = pg_min_new.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[k];
                alpha[k] = (old - g / qd[k]).max(0.0);
                let d = (alpha[k] - old) * y[k];
                for (&j, &v) in idx.iter().zip(vals) {
                    w[j as usize] += d * f64::from(v);
                }
                b += d * BIAS_FEATURE;
            }
            s += 1;
        }
        epoch += 1;
        if pg_max_new - pg_min_new <= p.tolerance {
            if active == l {
                break;
            }
            // Converged on the active set: check every example once more.
            active = l;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max_new <= 0.0 { f64::INFINITY } else { pg_max_new };
    }
    (w, b * BIAS_FEATURE)
}

/// One-vs-rest weights for `k` classes, stored feature-major: `w[j * k + c]`.
pub(crate) struct Linear {
    pub(crate) k: usize,
    pub(crate) w: Vec<f32>,
    pub(crate) b: Vec<f32>,
}

impl Linear {
    /// `w·x + b` for every class.
    pub(crate) fn margins(&self, x: &[(u32, f32)]) -> Vec<f32> {
        let mut m = self.b.clone();
        for &(j, v) in x {
            let row = &self.w[j as usize * self.k..(j as usize + 1) * self.k];
            for (mc, &wc) in m.iter_mut().zip(row) {
                *mc += v * wc;
            }
        }
        m
    }
}

/// Trains one binary SVM per class (class `c` against the rest) over `rows` of `x`, whose class
/// indices are `class[r]`, on up to `threads` threads. `class_cost[c]` is the cost of a violation
/// by a member of class `c` in its own problem; the rest cost `c_neg`.
pub(crate) fn train_ovr(x: &Csr, rows: &[usize], class: &[usize], k: usize, class_cost: &[f64], base: &SvmParams, threads: usize) -> Linear {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Binary>>> = Mutex::new((0..k).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, k.max(1)) {
            scope.spawn(|| loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= k {
                    break;
                }
                let positive: Vec<bool> = rows.iter().map(|&r| class[r] == c).collect();
                let params = SvmParams { c_pos: class_cost[c], seed: base.seed.wrapping_add(c as u64), ..*base };
                let result = train_binary(x, rows, &positive, &params);
                results.lock().unwrap_or_else(|e| e.into_inner())[c] = Some(result);
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut w = vec![0.0f32; x.n_cols * k];
    let mut b = vec![0.0f32; k];
    for (c, result) in results.into_iter().enumerate() {
        let (wc, bc) = result.expect("every class was trained");
        for (j, v) in wc.into_iter().enumerate() {
            w[j * k + c] = v as f32;
        }
        b[c] = bc as f32;
    }
    Linear { k, w, b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_points_are_separated() {
        // Class +1 has feature 0, class -1 has feature 1; feature 2 is shared noise.
        let rows: Vec<SparseVec> = (0..40)
            .map(|i| if i % 2 == 0 { vec![(0, 0.9), (2, 0.3)] } else { vec![(1, 0.9), (2, 0.3)] })
            .collect();
        let x = Csr::from_rows(&rows, 3);
        let idx: Vec<usize> = (0..40).collect();
        let positive: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
        let p = SvmParams { c_pos: 1.0, c_neg: 1.0, tolerance: 1e-3, max_epochs: 1000, seed: 1 };
        let (w, b) = train_binary(&x, &idx, &positive, &p);
        assert!(0.9 * w[0] + 0.3 * w[2] + b > 0.5);
        assert!(0.9 * w[1] + 0.3 * w[2] + b < -0.5);
    }
}
