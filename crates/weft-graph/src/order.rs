//! The scheduling core on an abstract graph: context tagging, ownership, a
//! topological order that keeps one backend running as long as it can, and batches.
//! Kept apart from the IR so tests can state graphs directly.

use crate::{BackendKind, Batch, Contexts, NodeId};
use std::collections::BTreeSet;

/// A node as the scheduler sees it.
#[derive(Clone, Debug)]
pub struct SpecNode {
    /// For messages and tests.
    pub name: String,
    /// Indices of the nodes it reads.
    pub deps: Vec<usize>,
    /// The backend of its builtin sources, if any.
    pub natural: Option<BackendKind>,
    /// `Some(b)` for an output statement of backend `b`.
    pub sink: Option<BackendKind>,
}

/// Nodes in source order (a node's index is its source position).
#[derive(Clone, Debug, Default)]
pub struct Spec {
    /// The nodes.
    pub nodes: Vec<SpecNode>,
}

/// What the scheduler decides.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Per node: the backends that need it.
    pub contexts: Vec<Contexts>,
    /// Per node: its owner.
    pub owner: Vec<BackendKind>,
    /// The used nodes, in run order.
    pub order: Vec<NodeId>,
    /// The batches.
    pub batches: Vec<Batch>,
}

/// Schedules an acyclic spec.
///
/// - contexts: walk back from every sink;
/// - owner: a sink's own backend; else the natural backend of its builtins; else the
///   backend of the first sink (in source order) that needs it; unused nodes get
///   their natural backend or the visual one;
/// - order: Kahn's algorithm over the used nodes, taking a ready node of the
///   backend that ran last when there is one (longer batches), else the earliest
///   in source order;
/// - batches: runs of consecutive nodes of one owner.
pub fn plan(spec: &Spec) -> Plan {
    let n = spec.nodes.len();
    let mut contexts = vec![Contexts::default(); n];
    let mut first: Vec<Option<BackendKind>> = vec![None; n];
    let mut stack = Vec::new();
    for (s, node) in spec.nodes.iter().enumerate() {
        let Some(backend) = node.sink else { continue };
        stack.push(s);
        while let Some(i) = stack.pop() {
            if contexts[i].contains(backend) {
                continue;
            }
            contexts[i].insert(backend);
            first[i].get_or_insert(backend);
            stack.extend(spec.nodes[i].deps.iter().copied());
        }
    }
    let owner: Vec<BackendKind> = spec
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            node.sink
                .or(node.natural)
                .or(first[i])
                .unwrap_or(BackendKind::Visual)
        })
        .collect();

    let used: Vec<bool> = contexts.iter().map(|c| !c.is_empty()).collect();
    let mut waiting = vec![0usize; n];
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in spec.nodes.iter().enumerate() {
        if !used[i] {
            continue;
        }
        let mut deps = node.deps.clone();
        deps.sort_unstable();
        deps.dedup();
        for d in deps {
            waiting[i] += 1;
            readers[d].push(i);
        }
    }
    let mut ready: [BTreeSet<usize>; 3] = Default::default();
    for i in (0..n).filter(|&i| used[i] && waiting[i] == 0) {
        ready[owner[i] as usize].insert(i);
    }
    let mut order = Vec::new();
    let mut last: Option<BackendKind> = None;
    loop {
        let pick = last
            .and_then(|b| ready[b as usize].first().copied())
            .or_else(|| ready.iter().filter_map(|r| r.first().copied()).min());
        let Some(i) = pick else { break };
        ready[owner[i] as usize].remove(&i);
        order.push(NodeId(i as u32));
        last = Some(owner[i]);
        for &r in &readers[i] {
            waiting[r] -= 1;
            if waiting[r] == 0 {
                ready[owner[r] as usize].insert(r);
            }
        }
    }
    let mut batches: Vec<Batch> = Vec::new();
    for &id in &order {
        let b = owner[id.0 as usize];
        match batches.last_mut() {
            Some(batch) if batch.backend == b => batch.nodes.push(id),
            _ => batches.push(Batch {
                backend: b,
                nodes: vec![id],
            }),
        }
    }
    Plan {
        contexts,
        owner,
        order,
        batches,
    }
}

/// Every cycle (strongly connected component with more than one node, or a node
/// that reads itself), each as node indices in source order. Iterative Tarjan.
pub fn cycles(spec: &Spec) -> Vec<Vec<usize>> {
    let n = spec.nodes.len();
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
        // (node, next dep position)
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = call.last_mut() {
            if let Some(&w) = spec.nodes[v].deps.get(*pos) {
                *pos += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
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
                if component.len() > 1 || spec.nodes[v].deps.contains(&v) {
                    component.sort_unstable();
                    out.push(component);
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use BackendKind::*;

    fn node(
        name: &str,
        deps: &[usize],
        natural: Option<BackendKind>,
        sink: Option<BackendKind>,
    ) -> SpecNode {
        SpecNode {
            name: name.into(),
            deps: deps.to_vec(),
            natural,
            sink,
        }
    }

    fn batch_names(spec: &Spec, plan: &Plan) -> Vec<(BackendKind, Vec<String>)> {
        plan.batches
            .iter()
            .map(|b| {
                let names = b
                    .nodes
                    .iter()
                    .map(|n| spec.nodes[n.0 as usize].name.clone())
                    .filter(|n| spec.nodes.iter().any(|s| s.name == *n && s.sink.is_none()))
                    .collect();
                (b.backend, names)
            })
            .filter(|(_, names): &(BackendKind, Vec<String>)| !names.is_empty())
            .collect()
    }

    /// The seed's six-line example: `fx` is an audio-natural builtin.
    /// ```text
    /// audio<samples> = mic()
    /// img1<r> = audio@samples[me@time ~ me@x]
    /// img2<r> = img1@r * 0.5
    /// samp<v> = img2@r[me@x ~ 0.5, me@y ~ 0.5]
    /// processed<s> = fx(samp@v)
    /// display(img1@r, img2@r, samp@v)  play(processed@s)
    /// ```
    #[test]
    fn fx_example_batches_audio_visual_audio() {
        let spec = Spec {
            nodes: vec![
                node("audio", &[], Some(Audio), None),
                node("img1", &[0], None, None),
                node("img2", &[1], None, None),
                node("samp", &[2], None, None),
                node("processed", &[3], Some(Audio), None),
                node("display", &[1, 2, 3], None, Some(Visual)),
                node("play", &[4], None, Some(Audio)),
            ],
        };
        let plan = plan(&spec);
        let names = batch_names(&spec, &plan);
        assert_eq!(
            names,
            vec![
                (Audio, vec!["audio".to_string()]),
                (Visual, vec!["img1".into(), "img2".into(), "samp".into()]),
                (Audio, vec!["processed".into()]),
            ]
        );
    }

    /// With `play(...)` before `display(...)`, the audio backend owns `img`.
    #[test]
    fn first_output_in_source_order_owns_shared_nodes() {
        let spec = Spec {
            nodes: vec![
                node("img", &[], None, None),
                node("play", &[0], None, Some(Audio)),
                node("display", &[0], None, Some(Visual)),
            ],
        };
        let plan = plan(&spec);
        assert_eq!(plan.owner[0], Audio);
        assert!(plan.contexts[0].contains(Visual) && plan.contexts[0].contains(Audio));
        let swapped = Spec {
            nodes: vec![
                node("img", &[], None, None),
                node("display", &[0], None, Some(Visual)),
                node("play", &[0], None, Some(Audio)),
            ],
        };
        assert_eq!(super::plan(&swapped).owner[0], Visual);
    }

    #[test]
    fn unused_nodes_are_not_scheduled() {
        let spec = Spec {
            nodes: vec![
                node("a", &[], None, None),
                node("b", &[], None, None),
                node("display", &[1], None, Some(Visual)),
            ],
        };
        let plan = plan(&spec);
        assert_eq!(plan.order, vec![NodeId(1), NodeId(2)]);
        assert!(plan.contexts[0].is_empty());
    }

    #[test]
    fn cycles_name_every_member() {
        let spec = Spec {
            nodes: vec![
                node("a", &[2], None, None),
                node("b", &[0], None, None),
                node("c", &[1], None, None),
                node("d", &[3], None, None),
                node("e", &[0], None, None),
            ],
        };
        assert_eq!(cycles(&spec), vec![vec![0, 1, 2], vec![3]]);
    }

    #[test]
    fn long_chains_do_not_recurse() {
        let nodes = (0..200_000)
            .map(|i: usize| node("n", &(0..i).rev().take(1).collect::<Vec<_>>(), None, None))
            .collect::<Vec<_>>();
        let mut spec = Spec { nodes };
        spec.nodes
            .push(node("display", &[199_999], None, Some(Visual)));
        assert!(cycles(&spec).is_empty());
        assert_eq!(plan(&spec).order.len(), 200_001);
    }
}
