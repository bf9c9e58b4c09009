//! Relation assembly: member ways joined end to end into rings (multipolygons) or directed
//! chains (coastlines).
//!
//! Unused ways are indexed by their end nodes, so a relation of 100,000 members joins in
//! O(n log n); the join order is the one a plain scan of the members would give (the
//! lowest-numbered way that fits comes next), so the rings are the same as before the index.

use std::collections::{BTreeSet, HashMap, VecDeque};

/// Unused ways by the node they start at and the node they end at, lowest member index first.
#[derive(Default)]
struct EndIndex {
    by_first: HashMap<i64, BTreeSet<usize>>,
    by_last: HashMap<i64, BTreeSet<usize>>,
}

impl EndIndex {
    fn new(ways: &[&[i64]]) -> Self {
        let mut index = Self::default();
        for (k, way) in ways.iter().enumerate() {
            if let (Some(&first), Some(&last)) = (way.first(), way.last()) {
                index.by_first.entry(first).or_default().insert(k);
                index.by_last.entry(last).or_default().insert(k);
            }
        }
        index
    }

    fn remove(&mut self, k: usize, way: &[i64]) {
        if let (Some(first), Some(last)) = (way.first(), way.last()) {
            if let Some(set) = self.by_first.get_mut(first) {
                set.remove(&k);
            }
            if let Some(set) = self.by_last.get_mut(last) {
                set.remove(&k);
            }
        }
    }

    fn first_starting_at(&self, node: i64) -> Option<usize> {
        self.by_first.get(&node).and_then(|s| s.first().copied())
    }

    fn first_ending_at(&self, node: i64) -> Option<usize> {
        self.by_last.get(&node).and_then(|s| s.first().copied())
    }
}

fn is_closed(chain: &VecDeque<i64>) -> bool {
    chain.len() > 3 && chain.front() == chain.back()
}

/// Joins ways end to end into chains of node ids. With `reverse`, a way may be turned round to
/// fit (multipolygon members); without it direction is kept (coastlines).
pub(super) fn join_chains(ways: &[&[i64]], reverse: bool) -> Vec<Vec<i64>> {
    let mut index = EndIndex::new(ways);
    let mut used = vec![false; ways.len()];
    let mut chains = Vec::new();
    for start in 0..ways.len() {
        if used[start] || ways[start].len() < 2 {
            continue;
        }
        used[start] = true;
        index.remove(start, ways[start]);
        let mut chain: VecDeque<i64> = ways[start].iter().copied().collect();
        while !is_closed(&chain) {
            let (Some(&head), Some(&end)) = (chain.front(), chain.back()) else { break };
            let fits = [
                index.first_starting_at(end),
                index.first_ending_at(head),
                if reverse { index.first_ending_at(end) } else { None },
            ];
            let Some(k) = fits.into_iter().flatten().min() else { break };
            let way = ways[k];
            used[k] = true;
            index.remove(k, way);
            if way.first() == Some(&end) {
                chain.extend(&way[1..]);
            } else if way.last() == Some(&head) {
                for &node in way[..way.len() - 1].iter().rev() {
                    chain.push_front(node);
                }
            } else {
                chain.extend(way.iter().rev().skip(1));
            }
        }
        chains.push(chain.into());
    }
    chains
}

/// Joins member ways into closed rings of node ids; returns the rings and how many chains did
/// not close.
pub(super) fn assemble_rings(ways: &[&[i64]]) -> (Vec<Vec<i64>>, usize) {
    let (rings, open): (Vec<_>, Vec<_>) =
        join_chains(ways, true).into_iter().partition(|c| c.len() > 3 && c.first() == c.last());
    (rings, open.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan that `join_chains` replaced (quadratic), kept as the reference for its results.
    fn join_chains_by_scan(ways: &[&[i64]], reverse: bool) -> Vec<Vec<i64>> {
        let mut used = vec![false; ways.len()];
        let mut chains = Vec::new();
        for start in 0..ways.len() {
            if used[start] || ways[start].len() < 2 {
                continue;
            }
            used[start] = true;
            let mut chain: Vec<i64> = ways[start].to_vec();
            loop {
                if chain.len() > 3 && chain.first() == chain.last() {
                    break;
                }
                let (head, end) = (chain[0], chain[chain.len() - 1]);
                let next = (0..ways.len()).find(|&k| {
                    !used[k]
                        && (ways[k].first() == Some(&end)
                            || ways[k].last() == Some(&head)
                            || (reverse && ways[k].last() == Some(&end)))
                });
                let Some(k) = next else { break };
                used[k] = true;
                if ways[k].first() == Some(&end) {
                    chain.extend_from_slice(&ways[k][1..]);
                } else if ways[k].last() == Some(&head) {
                    let mut joined = ways[k].to_vec();
                    joined.extend_from_slice(&chain[1..]);
                    chain = joined;
                } else {
                    chain.extend(ways[k].iter().rev().skip(1));
                }
            }
            chains.push(chain);
        }
        chains
    }

    /// A small deterministic generator (xorshift), so that the test needs no crate and repeats.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
        fn shuffle<T>(&mut self, items: &mut [T]) {
            for i in (1..items.len()).rev() {
                items.swap(i, self.below(i + 1));
            }
        }
    }

    /// Rings of `ring_lens` nodes (ids from `first_id`), each cut into pieces of 1..=4 edges.
    fn ring_pieces(rng: &mut Rng, ring_lens: &[usize], first_id: i64) -> Vec<Vec<i64>> {
        let mut pieces = Vec::new();
        let mut next_id = first_id;
        for &n in ring_lens {
            let ids: Vec<i64> = (0..n as i64).map(|k| next_id + k).collect();
            next_id += n as i64;
            let mut at = 0;
            while at < n {
                let len = (1 + rng.below(4)).min(n - at);
                pieces.push((at..=at + len).map(|k| ids[k % n]).collect());
                at += len;
            }
        }
        pieces
    }

    #[test]
    fn multipolygon_rings_join_reversed_pieces() {
        let a: &[i64] = &[1, 2, 3];
        let b: &[i64] = &[1, 4, 3];
        let c: &[i64] = &[7, 8];
        let (rings, open) = assemble_rings(&[a, b, c]);
        assert_eq!(rings, vec![vec![1, 2, 3, 4, 1]]);
        assert_eq!(open, 1);
        // Without reversal only head-to-tail pieces join, in either order.
        let d: &[i64] = &[3, 5];
        assert_eq!(join_chains(&[d, a], false), vec![vec![1, 2, 3, 5]]);
    }

    #[test]
    fn shuffled_and_reversed_pieces_give_the_rings_the_scan_gave() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for round in 0..300 {
            let rings: Vec<usize> = (0..1 + rng.below(6)).map(|_| 3 + rng.below(40)).collect();
            let mut pieces = ring_pieces(&mut rng, &rings, 1);
            for piece in &mut pieces {
                if rng.below(2) == 0 {
                    piece.reverse();
                }
            }
            rng.shuffle(&mut pieces);
            let ways: Vec<&[i64]> = pieces.iter().map(Vec::as_slice).collect();
            let (closed, open) = assemble_rings(&ways);
            assert_eq!((closed.len(), open), (rings.len(), 0), "round {round}");
            let mut lens: Vec<usize> = closed.iter().map(|r| r.len() - 1).collect();
            lens.sort_unstable();
            let mut wanted = rings.clone();
            wanted.sort_unstable();
            assert_eq!(lens, wanted, "round {round}");
            assert_eq!(join_chains(&ways, true), join_chains_by_scan(&ways, true), "round {round}");

            // Strays, which make the join order matter: a dangling piece, a one-node way, an
            // empty way, a duplicate member, and (every third round) a figure-eight whose
            // pieces share a node.
            pieces.push(vec![1, 9_000, 9_001]);
            pieces.push(vec![9_002]);
            pieces.push(Vec::new());
            let duplicate = pieces[rng.below(pieces.len())].clone();
            pieces.push(duplicate);
            if round % 3 == 0 {
                pieces.extend([vec![5_000, 5_001, 5_002], vec![5_002, 5_003, 5_000], vec![5_000, 5_004, 5_005, 5_000]]);
            }
            rng.shuffle(&mut pieces);
            let ways: Vec<&[i64]> = pieces.iter().map(Vec::as_slice).collect();
            for reverse in [true, false] {
                assert_eq!(join_chains(&ways, reverse), join_chains_by_scan(&ways, reverse), "round {round}");
            }
        }
    }

    #[test]
    fn a_ring_of_100_000_pieces_joins() {
        let mut rng = Rng(7);
        let n = 200_000;
        let mut pieces: Vec<Vec<i64>> = (0..n / 2).map(|k| vec![2 * k, 2 * k + 1, (2 * k + 2) % n]).collect();
        for piece in &mut pieces {
            if rng.below(2) == 0 {
                piece.reverse();
            }
        }
        rng.shuffle(&mut pieces);
        let ways: Vec<&[i64]> = pieces.iter().map(Vec::as_slice).collect();
        let (rings, open) = assemble_rings(&ways);
        assert_eq!(open, 0);
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0].len(), n as usize + 1);
        let mut nodes = rings[0][1..].to_vec();
        nodes.sort_unstable();
        assert!(nodes.iter().copied().eq(0..n), "each node once");
    }
}
