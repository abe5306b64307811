//! Hash-consing of the expression arena: an expression equal to one already
//! built is that node, so inlining the same call twice, or writing the same
//! sub-expression twice, builds it once.

use crate::ir::{Expr, ExprId};
use rustc_hash::FxHashMap;
use std::hash::{Hash, Hasher};

/// An expression as a hash key: numbers compare by their bits, so `0` and `-0`
/// (and NaNs of different payloads) stay different nodes.
struct Key(Expr);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        match (&self.0, &other.0) {
            (Expr::Const(a), Expr::Const(b)) => a.to_bits() == b.to_bits(),
            (Expr::Const(_), _) | (_, Expr::Const(_)) => false,
            (a, b) => a == b,
        }
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        std::mem::discriminant(&self.0).hash(h);
        match &self.0 {
            Expr::Const(v) => v.to_bits().hash(h),
            Expr::Coord(c) => c.hash(h),
            Expr::Uniform(u) => u.hash(h),
            Expr::Param(p) => p.hash(h),
            Expr::Ref { inst, out } => (inst, out).hash(h),
            Expr::Unary(op, a) => (op, a).hash(h),
            Expr::Binary(op, a, b) => (op, a, b).hash(h),
            Expr::Call(f, args) => (f, args).hash(h),
            Expr::Source { source, out } => (source, out).hash(h),
            Expr::Remap { target, subs } => (target, subs).hash(h),
        }
    }
}

/// The table from expressions to their nodes (keys are small numbers, so a fast
/// non-cryptographic hash: lowering looks up every node it builds).
#[derive(Default)]
pub(super) struct Interner {
    nodes: FxHashMap<Key, ExprId>,
}

impl Interner {
    /// The node of `e` in `arena`, adding it when it is new (then `true`).
    pub fn intern(&mut self, arena: &mut Vec<Expr>, e: Expr) -> (ExprId, bool) {
        let key = Key(e);
        if let Some(&id) = self.nodes.get(&key) {
            return (id, false);
        }
        let id = ExprId(arena.len() as u32);
        arena.push(key.0.clone());
        self.nodes.insert(key, id);
        (id, true)
    }

    /// Forgets every node from `len` on (the arena is being cut back to `len`).
    pub fn truncate(&mut self, len: usize) {
        self.nodes.retain(|_, id| (id.0 as usize) < len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::BinOp;
    use crate::ir::coord;

    #[test]
    fn equal_expressions_are_one_node() {
        let mut arena = Vec::new();
        let mut i = Interner::default();
        let (x, new) = i.intern(&mut arena, Expr::Coord(coord::X));
        assert!(new);
        let (one, _) = i.intern(&mut arena, Expr::Const(1.0));
        let (sum, _) = i.intern(&mut arena, Expr::Binary(BinOp::Add, x, one));
        assert_eq!(
            i.intern(&mut arena, Expr::Binary(BinOp::Add, x, one)),
            (sum, false)
        );
        assert_eq!(i.intern(&mut arena, Expr::Const(1.0)), (one, false));
        let (zero, _) = i.intern(&mut arena, Expr::Const(0.0));
        let (neg_zero, new) = i.intern(&mut arena, Expr::Const(-0.0));
        assert!(new && zero != neg_zero);
        let (nan, _) = i.intern(&mut arena, Expr::Const(f64::NAN));
        assert_eq!(i.intern(&mut arena, Expr::Const(f64::NAN)), (nan, false));
        assert_eq!(arena.len(), 6);
        // Cut back (as after checking spindle bodies): later nodes are new again.
        arena.truncate(2);
        i.truncate(2);
        assert_eq!(i.intern(&mut arena, Expr::Const(1.0)), (one, false));
        assert_eq!(i.intern(&mut arena, Expr::Const(0.0)), (ExprId(2), true));
    }
}
