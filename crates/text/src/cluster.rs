//! Clusters of cases that raise the same matter: a union-find over pairs judged the same matter
//! (near-duplicate text, or similar text at the same place within a short time, or a clerk's
//! link or merge), and the small summaries a cluster page shows.

/// Union-find over dense indices with union by size (trees stay O(log n) deep, so `find` needs
/// no mutation) and a circular "next member" list per set, so a set's members are listed in
/// time proportional to its size. 12 bytes an element.
#[derive(Debug, Clone, Default)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
    next: Vec<u32>,
}

impl UnionFind {
    pub fn new() -> UnionFind {
        UnionFind::default()
    }

    pub fn with_len(n: usize) -> UnionFind {
        let mut u = UnionFind::default();
        for _ in 0..n {
            u.push();
        }
        u
    }

    /// Adds a singleton; returns its index.
    pub fn push(&mut self) -> u32 {
        let i = self.parent.len() as u32;
        self.parent.push(i);
        self.size.push(1);
        self.next.push(i);
        i
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    pub fn find(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the sets of `a` and `b`; false if they were already one.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        // Splice the two circular lists.
        self.next.swap(ra as usize, rb as usize);
        true
    }

    /// Number of elements in `x`'s set.
    pub fn size_of(&self, x: u32) -> u32 {
        self.size[self.find(x) as usize]
    }

    pub fn is_root(&self, x: u32) -> bool {
        self.parent[x as usize] == x
    }

    /// The members of `x`'s set, `x` first, in no particular order after it.
    pub fn members(&self, x: u32) -> impl Iterator<Item = u32> + '_ {
        let mut cur = Some(x);
        std::iter::from_fn(move || {
            let c = cur?;
            let n = self.next[c as usize];
            cur = (n != x).then_some(n);
            Some(c)
        })
    }

    pub fn memory_bytes(&self) -> usize {
        (self.parent.capacity() + self.size.capacity() + self.next.capacity()) * 4
    }
}

/// When two cases are the same matter without a clerk saying so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterRule {
    /// Estimated Jaccard index of the texts at or above which they are near-duplicates.
    pub near_duplicate: f64,
    /// A lower similarity that suffices at the same place within `context_days`.
    pub with_context: f64,
    pub context_days: u32,
}

impl Default for ClusterRule {
    fn default() -> Self {
        ClusterRule { near_duplicate: 0.5, with_context: 0.25, context_days: 30 }
    }
}

impl ClusterRule {
    pub fn same_matter(&self, text: f64, same_place: bool, days_apart: u32) -> bool {
        text >= self.near_duplicate || (same_place && days_apart <= self.context_days && text >= self.with_context)
    }
}

/// Monday of the week of `day` (days since 1970-01-01, a Thursday).
pub fn week_start(day: i32) -> i32 {
    day - (day + 3).rem_euclid(7)
}

/// Number of cases per week (Monday, count), oldest first, weeks without cases left out.
pub fn weekly_timeline(days: impl IntoIterator<Item = i32>) -> Vec<(i32, u32)> {
    let mut m = std::collections::BTreeMap::new();
    for d in days {
        *m.entry(week_start(d)).or_insert(0u32) += 1;
    }
    m.into_iter().collect()
}

/// Values by how often they occur, most frequent first (ties: smaller value first).
pub fn by_frequency<T: Ord + Clone>(items: impl IntoIterator<Item = T>) -> Vec<(T, u32)> {
    let mut m = std::collections::BTreeMap::new();
    for i in items {
        *m.entry(i).or_insert(0u32) += 1;
    }
    let mut v: Vec<(T, u32)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_joins_sets_and_lists_their_members() {
        let mut u = UnionFind::with_len(7);
        assert!(u.union(0, 1));
        assert!(u.union(2, 3));
        assert!(u.union(1, 3));
        assert!(!u.union(0, 2), "already one set");
        u.union(5, 6);
        assert_eq!(u.find(0), u.find(3));
        assert_ne!(u.find(0), u.find(4));
        assert_eq!(u.size_of(2), 4);
        let mut m: Vec<u32> = u.members(3).collect();
        assert_eq!(m[0], 3);
        m.sort();
        assert_eq!(m, [0, 1, 2, 3]);
        assert_eq!(u.members(4).collect::<Vec<_>>(), [4]);
        let mut m: Vec<u32> = u.members(6).collect();
        m.sort();
        assert_eq!(m, [5, 6]);
        assert_eq!((0..7).filter(|&i| u.is_root(i)).count(), 3);
    }

    #[test]
    fn long_chains_stay_shallow() {
        let n = 1 << 12;
        let mut u = UnionFind::with_len(n);
        for i in 1..n as u32 {
            u.union(i - 1, i);
        }
        let depth = |mut x: u32| {
            let mut d = 0;
            while !u.is_root(x) {
                x = u.parent[x as usize];
                d += 1;
            }
            d
        };
        assert!((0..n as u32).map(depth).max().unwrap() <= 12);
        assert_eq!(u.members(17).count(), n);
    }

    #[test]
    fn the_rule_needs_more_text_similarity_without_context() {
        let r = ClusterRule::default();
        assert!(r.same_matter(0.6, false, 400));
        assert!(!r.same_matter(0.3, false, 1));
        assert!(r.same_matter(0.3, true, 10));
        assert!(!r.same_matter(0.3, true, 60));
        assert!(!r.same_matter(0.1, true, 1));
    }

    #[test]
    fn timeline_counts_cases_per_monday() {
        // 1970-01-01 was a Thursday; 1970-01-05 a Monday.
        assert_eq!(week_start(0), -3);
        assert_eq!(week_start(4), 4);
        assert_eq!(week_start(10), 4);
        assert_eq!(weekly_timeline([4, 10, 11, 0]), vec![(-3, 1), (4, 2), (11, 1)]);
        assert_eq!(by_frequency(["b", "a", "b"]), vec![("b", 2), ("a", 1)]);
    }
}
