//! Remap substitution over a DAG of kernel code — a fragment's pieces while a
//! node is lowered, a kernel's nodes while fragments are linked: the code of a
//! target with its coordinate leaves replaced. Rebuilt operations never fold.
//!
//! Each (node, coordinate map) is rebuilt once and remembered, and a node that
//! reads none of the mapped coordinates is itself, so a chain of remaps of remaps
//! costs time linear in the code it makes, not in the square of it. Nothing here
//! recurses (an explicit post-order stack).

use std::collections::HashMap;
use weft_lang::ir::CoordId;

/// The bit of coordinate `c` in a mask of the coordinates a value reads (all
/// coordinates past the 63rd share the last bit, which only costs a wasted look).
pub(crate) fn coord_bit(c: CoordId) -> u64 {
    1 << c.0.min(63)
}

/// The code substitution walks: nodes numbered so operands come first.
pub(crate) trait Dag {
    /// The coordinates node `n` reads (a mask of [`coord_bit`]s).
    fn reads(&self, n: u32) -> u64;
    /// The operands of node `n`.
    fn operands(&self, n: u32) -> Vec<u32>;
    /// The coordinate node `n` is, if it is a coordinate leaf.
    fn coord(&self, n: u32) -> Option<CoordId>;
    /// Node `n` (not a coordinate) over the operands `new` gives for its own.
    fn rebuild(&mut self, n: u32, new: &dyn Fn(u32) -> u32) -> u32;
    /// The code outgrew its budget: substitution stops, the result is garbage.
    fn too_large(&self) -> bool;
}

/// The substitutions made in one DAG so far.
#[derive(Debug, Default)]
pub(crate) struct Substitutions {
    /// Coordinate maps, numbered by content.
    maps: HashMap<Box<[(CoordId, u32)]>, u32>,
    /// (node, map number) → the rebuilt node.
    done: HashMap<(u32, u32), u32>,
}

impl Substitutions {
    /// `root` with each coordinate leaf `c` replaced by the node `subs` gives
    /// for it (the last substitution of a coordinate wins).
    pub fn apply(&mut self, dag: &mut impl Dag, root: u32, subs: &[(CoordId, u32)]) -> u32 {
        let mut map: Vec<(CoordId, u32)> = Vec::with_capacity(subs.len());
        for &(c, v) in subs.iter().rev() {
            if !map.iter().any(|(m, _)| *m == c) {
                map.push((c, v));
            }
        }
        map.sort_unstable();
        let mask = map.iter().fold(0, |m, (c, _)| m | coord_bit(*c));
        let next = self.maps.len() as u32;
        let key = *self.maps.entry(map.clone().into()).or_insert(next);
        // The rebuilt node, if known: `n` itself when it reads none of the map.
        let done = |memo: &HashMap<(u32, u32), u32>, n: u32, reads: u64| {
            if reads & mask == 0 {
                Some(n)
            } else {
                memo.get(&(n, key)).copied()
            }
        };
        // (node, its operands are done)
        let mut stack = vec![(root, false)];
        while let Some((n, ready)) = stack.pop() {
            if dag.too_large() {
                return root;
            }
            if done(&self.done, n, dag.reads(n)).is_some() {
                continue;
            }
            if !ready {
                stack.push((n, true));
                for a in dag.operands(n) {
                    if done(&self.done, a, dag.reads(a)).is_none() {
                        stack.push((a, false));
                    }
                }
                continue;
            }
            let rebuilt = match dag.coord(n) {
                Some(c) => map.iter().find(|(m, _)| *m == c).map_or(n, |(_, v)| *v),
                None => {
                    let mapped: Vec<(u32, u32)> = dag
                        .operands(n)
                        .into_iter()
                        .map(|a| (a, done(&self.done, a, dag.reads(a)).unwrap_or(a)))
                        .collect();
                    let new = |a: u32| mapped.iter().find(|(o, _)| *o == a).map_or(a, |(_, v)| *v);
                    dag.rebuild(n, &new)
                }
            };
            self.done.insert((n, key), rebuilt);
        }
        done(&self.done, root, dag.reads(root)).unwrap_or(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy DAG: coordinate leaves, constants, and `+` nodes, hash-consed.
    #[derive(Default)]
    struct Toy {
        nodes: Vec<Toy1>,
        reads: Vec<u64>,
        rebuilt: usize,
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Toy1 {
        Coord(CoordId),
        Const(u32),
        Add(u32, u32),
    }

    impl Toy {
        fn add(&mut self, n: Toy1) -> u32 {
            if let Some(i) = self.nodes.iter().position(|m| *m == n) {
                return i as u32;
            }
            let reads = match n {
                Toy1::Coord(c) => coord_bit(c),
                Toy1::Const(_) => 0,
                Toy1::Add(a, b) => self.reads[a as usize] | self.reads[b as usize],
            };
            self.nodes.push(n);
            self.reads.push(reads);
            self.nodes.len() as u32 - 1
        }
    }

    impl Dag for Toy {
        fn reads(&self, n: u32) -> u64 {
            self.reads[n as usize]
        }
        fn operands(&self, n: u32) -> Vec<u32> {
            match self.nodes[n as usize] {
                Toy1::Add(a, b) => vec![a, b],
                _ => Vec::new(),
            }
        }
        fn coord(&self, n: u32) -> Option<CoordId> {
            match self.nodes[n as usize] {
                Toy1::Coord(c) => Some(c),
                _ => None,
            }
        }
        fn rebuild(&mut self, n: u32, new: &dyn Fn(u32) -> u32) -> u32 {
            self.rebuilt += 1;
            match self.nodes[n as usize] {
                Toy1::Add(a, b) => self.add(Toy1::Add(new(a), new(b))),
                _ => n,
            }
        }
        fn too_large(&self) -> bool {
            false
        }
    }

    #[test]
    fn remaps_of_remaps_rebuild_each_node_once() {
        let x = CoordId(0);
        let mut dag = Toy::default();
        let mut s = Substitutions::default();
        let xs = dag.add(Toy1::Coord(x));
        let one = dag.add(Toy1::Const(1));
        let shifted = dag.add(Toy1::Add(xs, one));
        // a(k) = a(k-1)[x ~ x + 1], 1,000 times: x + 1 + 1 + … as one chain.
        let mut code = xs;
        for _ in 0..1000 {
            code = s.apply(&mut dag, code, &[(x, shifted)]);
        }
        assert_eq!(dag.nodes.len(), 3 + 999);
        assert!(dag.rebuilt <= 2 * 1000, "{} rebuilds", dag.rebuilt);
        // A target that reads another coordinate is itself.
        let ys = dag.add(Toy1::Coord(CoordId(1)));
        assert_eq!(s.apply(&mut dag, ys, &[(x, shifted)]), ys);
        // The last substitution of a coordinate wins.
        assert_eq!(s.apply(&mut dag, xs, &[(x, one), (x, ys)]), ys);
    }
}
