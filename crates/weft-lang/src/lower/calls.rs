//! The spindle call graph, read from the syntax before anything is inlined: which
//! spindle's body calls which. Recursion (a cycle) and nesting deeper than
//! [`MAX_INLINE_DEPTH`] are found here, each reported once — one diagnostic per
//! cycle and one per spindle where the nesting first gets too deep — and every
//! spindle on or above such a spot is blocked: inlining it gives no value and no
//! further diagnostic. Nothing here recurses over the graph (Tarjan's algorithm
//! with an explicit stack), so 100,000 chained spindles are fine.

use super::{Binding, FileUnit};
use crate::ast::{self, ExprKind, ItemKind, SpindleStmt};
use crate::builtins::{Func, SourceKind};
use std::collections::HashMap;
use weft_diagnostics::{Code, Diagnostic, Span};

/// How deep spindle calls may nest: a spindle, the spindle it calls, and so on.
pub(super) const MAX_INLINE_DEPTH: usize = 64;

/// Who calls whom.
#[derive(Default)]
pub(super) struct CallGraph {
    /// Node index of each spindle, by (unit, item index).
    index: HashMap<(usize, usize), usize>,
    /// Per node: (unit, item index).
    spindles: Vec<(usize, usize)>,
    /// Per node: the spindles its body calls, each with the callee's name span,
    /// in source order.
    calls: Vec<Vec<(usize, Span)>>,
    /// Per node: never inlined (its problem is reported once elsewhere).
    blocked: Vec<bool>,
}

impl CallGraph {
    /// The call graph of every spindle of every unit, and its diagnostics.
    pub fn new(
        units: &[FileUnit],
        scopes: &[HashMap<String, Binding>],
    ) -> (CallGraph, Vec<Diagnostic>) {
        let mut g = CallGraph::default();
        for (u, unit) in units.iter().enumerate() {
            for (idx, item) in unit.ast.items.iter().enumerate() {
                // A duplicate's name is bound to the first definition only.
                if let ItemKind::Spindle(sp) = &item.kind {
                    if matches!(scopes[u].get(&sp.name.name), Some(Binding::Spindle(bu, bi)) if (*bu, *bi) == (u, idx))
                    {
                        g.index.insert((u, idx), g.spindles.len());
                        g.spindles.push((u, idx));
                    }
                }
            }
        }
        for &(u, idx) in &g.spindles {
            let mut found = Vec::new();
            if let ItemKind::Spindle(sp) = &units[u].ast.items[idx].kind {
                for stmt in &sp.body {
                    let e = match stmt {
                        SpindleStmt::Strand(def) => &def.value,
                        SpindleStmt::Assign(a) => &a.value,
                        SpindleStmt::Return(e) => e,
                    };
                    calls_in(e, &mut |callee: &ast::Ident| {
                        let name = callee.name.as_str();
                        let Some(Binding::Spindle(cu, ci)) = scopes[u].get(name).copied() else {
                            return;
                        };
                        // Inside its own body a spindle named like a builtin means
                        // the builtin.
                        let builtin = Func::from_name(name).is_some()
                            || SourceKind::from_name(name).is_some()
                            || name == "param";
                        if (cu, ci) == (u, idx) && builtin {
                            return;
                        }
                        if let Some(&n) = g.index.get(&(cu, ci)) {
                            found.push((n, callee.span));
                        }
                    });
                }
            }
            g.calls.push(found);
        }
        let diags = g.check(units);
        (g, diags)
    }

    /// True when the spindle must not be inlined.
    pub fn blocked(&self, spindle: (usize, usize)) -> bool {
        self.index.get(&spindle).is_some_and(|&n| self.blocked[n])
    }

    /// Finds cycles and too deep nesting; fills `blocked`.
    fn check(&mut self, units: &[FileUnit]) -> Vec<Diagnostic> {
        let n = self.spindles.len();
        let name = |node: usize| -> &str {
            let (u, idx) = self.spindles[node];
            match &units[u].ast.items[idx].kind {
                ItemKind::Spindle(sp) => &sp.name.name,
                _ => "",
            }
        };
        let mut diags = Vec::new();
        let mut blocked = vec![false; n];
        // Per node: how many spindles the longest chain of calls from it holds.
        let mut depth = vec![0usize; n];
        // Components come callees first, so every callee is settled before its callers.
        for component in components(&self.calls) {
            let cyclic = component.len() > 1
                || self.calls[component[0]]
                    .iter()
                    .any(|(c, _)| *c == component[0]);
            if cyclic {
                diags.push(self.cycle(&component, &name));
                for &m in &component {
                    blocked[m] = true;
                }
                continue;
            }
            let s = component[0];
            if self.calls[s].iter().any(|(c, _)| blocked[*c]) {
                blocked[s] = true;
                continue;
            }
            depth[s] = 1 + self.calls[s]
                .iter()
                .map(|(c, _)| depth[*c])
                .max()
                .unwrap_or(0);
            if depth[s] > MAX_INLINE_DEPTH {
                blocked[s] = true;
                // Its callees are within the limit: this is where nesting first
                // gets too deep, so it is reported here and nowhere above.
                let mut chain = vec![s];
                let mut at_node = s;
                while let Some(&(next, _)) = self.calls[at_node]
                    .iter()
                    .find(|(c, _)| depth[*c] + 1 == depth[at_node])
                {
                    chain.push(next);
                    at_node = next;
                }
                let at = self.calls[s]
                    .iter()
                    .find(|(c, _)| Some(c) == chain.get(1))
                    .map_or(Span::default(), |(_, span)| *span);
                let names: Vec<String> = chain.iter().map(|&m| format!("`{}`", name(m))).collect();
                let shown = if names.len() > 6 {
                    format!(
                        "{} → … → {}",
                        names[..3].join(" → "),
                        names[names.len() - 1]
                    )
                } else {
                    names.join(" → ")
                };
                diags.push(Diagnostic::error(
                    Code::TooDeep,
                    at,
                    format!(
                        "spindle calls nest deeper than {MAX_INLINE_DEPTH} levels: {shown} is a chain of {} spindles",
                        depth[s]
                    ),
                ));
            }
        }
        self.blocked = blocked;
        diags
    }

    /// The one diagnostic of a cycle: at the call that closes a shortest cycle
    /// through the first member in source order, naming every member.
    fn cycle<'n>(&self, component: &[usize], name: &impl Fn(usize) -> &'n str) -> Diagnostic {
        let first = *component.iter().min().unwrap_or(&component[0]);
        let members: std::collections::HashSet<usize> = component.iter().copied().collect();
        // Breadth-first from `first` inside the component, back to `first`.
        let mut parent: HashMap<usize, (usize, Span)> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([first]);
        let mut closing = None;
        'search: while let Some(v) = queue.pop_front() {
            for &(c, span) in &self.calls[v] {
                if c == first {
                    closing = Some((v, span));
                    break 'search;
                }
                if members.contains(&c) && !parent.contains_key(&c) {
                    parent.insert(c, (v, span));
                    queue.push_back(c);
                }
            }
        }
        let (last, span) = closing.unwrap_or((first, Span::default()));
        let mut path = vec![last];
        while let Some(&(p, _)) = parent.get(path.last().unwrap_or(&first)) {
            path.push(p);
        }
        if path.last() != Some(&first) {
            path.push(first);
        }
        path.reverse();
        let mut chain: Vec<&str> = path.iter().map(|&m| name(m)).collect();
        chain.push(name(first));
        let mut d = Diagnostic::error(
            Code::Recursion,
            span,
            format!(
                "spindle `{}` calls itself ({}); spindles are inlined, so recursion is not allowed",
                name(first),
                chain.join(" → ")
            ),
        );
        if component.len() > path.len() {
            let mut members: Vec<usize> = component.to_vec();
            members.sort_unstable();
            let members: Vec<String> = members.iter().map(|&m| format!("`{}`", name(m))).collect();
            d = d.with_note(format!(
                "these spindles call each other: {}",
                members.join(", ")
            ));
        }
        d
    }
}

/// Calls `f` on the callee of every call in `e` (arguments included). The tree's
/// depth is bounded by the parser, so recursion is safe here.
fn calls_in(e: &ast::Expr, f: &mut impl FnMut(&ast::Ident)) {
    match &e.kind {
        ExprKind::Call { callee, args } => {
            f(callee);
            args.iter().for_each(|a| calls_in(a, f));
        }
        ExprKind::Unary { expr, .. } => calls_in(expr, f),
        ExprKind::Binary { lhs, rest } => {
            calls_in(lhs, f);
            rest.iter().for_each(|(_, r)| calls_in(r, f));
        }
        ExprKind::Tuple(items) => items.iter().for_each(|i| calls_in(i, f)),
        ExprKind::Remap { target, args } => {
            calls_in(target, f);
            args.iter().for_each(|a| calls_in(&a.value, f));
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            calls_in(cond, f);
            calls_in(then, f);
            calls_in(otherwise, f);
        }
        ExprKind::Number(_)
        | ExprKind::String(_)
        | ExprKind::Name(_)
        | ExprKind::Access { .. }
        | ExprKind::Error => {}
    }
}

/// The strongly connected components of a graph given as edge lists, each as a
/// list of nodes, in an order where a component comes after every component it
/// has an edge to (Tarjan's algorithm, with an explicit stack).
fn components(edges: &[Vec<(usize, Span)>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, position of the next edge to follow)
        let mut walk: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = walk.last_mut() {
            if let Some(&(w, _)) = edges[v].get(*pos) {
                *pos += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    walk.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[&[usize]]) -> Vec<Vec<(usize, Span)>> {
        edges
            .iter()
            .map(|e| e.iter().map(|&c| (c, Span::default())).collect())
            .collect()
    }

    #[test]
    fn components_come_callees_first() {
        // 0 → 1 → 2 → 1, 3 → 0
        let found = components(&graph(&[&[1], &[2], &[1], &[0]]));
        let pos = |m: usize| found.iter().position(|c| c.contains(&m)).unwrap_or(99);
        assert_eq!(found.len(), 3);
        assert!(pos(1) == pos(2) && pos(2) < pos(0) && pos(0) < pos(3));
    }

    #[test]
    fn a_long_chain_does_not_recurse() {
        let edges: Vec<Vec<(usize, Span)>> = (0..200_000)
            .map(|i: usize| {
                if i == 0 {
                    vec![]
                } else {
                    vec![(i - 1, Span::default())]
                }
            })
            .collect();
        let found = components(&edges);
        assert_eq!(found.len(), 200_000);
        assert_eq!(found[0], vec![0]);
    }
}
