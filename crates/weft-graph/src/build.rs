//! Building the graph of one scope of a resolved program.

use crate::hash::node_hash;
use crate::order::{cycles, plan, Spec, SpecNode};
use crate::{BackendKind, Graph, Node, NodeHash, NodeId, NodeKind};
use weft_diagnostics::{Code, Diagnostic, Span};
use weft_lang::ast::OutputKind;
use weft_lang::ir::{Program, SegmentId};

/// Which outputs a graph is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The top-level outputs (a file without segments).
    Main,
    /// The outputs of one segment.
    Segment(SegmentId),
}

impl Scope {
    /// The scopes of a program in timeline order: the top level, or each segment.
    pub fn all(program: &Program) -> Vec<Scope> {
        if program.segments.is_empty() {
            vec![Scope::Main]
        } else {
            (0..program.segments.len())
                .map(|i| Scope::Segment(SegmentId(i as u32)))
                .collect()
        }
    }
}

/// Why a program has no graph.
#[derive(Clone, Debug, thiserror::Error)]
pub enum GraphError {
    /// Instances that read each other in a cycle.
    #[error("cycle: {}", names.join(" → "))]
    Cycle {
        /// Every instance on the cycle, in source order.
        names: Vec<String>,
        /// The first instance's name.
        span: Span,
    },
}

impl GraphError {
    /// As a diagnostic.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            GraphError::Cycle { names, span } => Diagnostic::error(
                Code::Cycle,
                *span,
                if names.len() == 1 {
                    format!("`{}` reads itself", names[0])
                } else {
                    format!(
                        "cycle between {}",
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            )
            .with_note(format!("{} → {}", names.join(" → "), names[0])),
        }
    }
}

fn sink_backend(kind: OutputKind) -> BackendKind {
    match kind {
        OutputKind::Display => BackendKind::Visual,
        OutputKind::Play => BackendKind::Audio,
        OutputKind::Osc => BackendKind::Osc,
    }
}

/// The name a sink node carries: `display`, `play`, `osc` (with `#k` from the
/// second of a kind on).
pub fn sink_name(program: &Program, sink: usize) -> String {
    let kind = program.sinks[sink].kind;
    let segment = program.sinks[sink].segment;
    let nth = program.sinks[..sink]
        .iter()
        .filter(|s| s.kind == kind && s.segment == segment)
        .count();
    let base = match kind {
        OutputKind::Display => "display",
        OutputKind::Play => "play",
        OutputKind::Osc => "osc",
    };
    let base = match segment {
        Some(s) => format!("{}/{base}", program.segments[s.0 as usize].name),
        None => base.to_string(),
    };
    if nth == 0 {
        base
    } else {
        format!("{base}#{}", nth + 1)
    }
}

/// Builds the graph of `scope`: every instance, plus the scope's outputs.
pub fn build(program: &Program, scope: Scope) -> Result<Graph, Vec<GraphError>> {
    let segment = match scope {
        Scope::Main => None,
        Scope::Segment(s) => Some(s),
    };
    let sinks: Vec<usize> = (0..program.sinks.len())
        .filter(|&i| program.sinks[i].segment == segment)
        .collect();
    let mut spec = Spec::default();
    for inst in &program.instances {
        let natural = inst.sources.first().map(|s| {
            if program.sources[s.0 as usize].kind.is_audio() {
                BackendKind::Audio
            } else {
                BackendKind::Visual
            }
        });
        spec.nodes.push(SpecNode {
            name: inst.name.clone(),
            deps: inst.deps.iter().map(|d| d.0 as usize).collect(),
            natural,
            sink: None,
        });
    }
    for &s in &sinks {
        let sink = &program.sinks[s];
        spec.nodes.push(SpecNode {
            name: sink_name(program, s),
            deps: sink.deps.iter().map(|d| d.0 as usize).collect(),
            natural: None,
            sink: Some(sink_backend(sink.kind)),
        });
    }
    let found = cycles(&spec);
    if !found.is_empty() {
        return Err(found
            .into_iter()
            .map(|c| GraphError::Cycle {
                names: c.iter().map(|&i| spec.nodes[i].name.clone()).collect(),
                span: program.instances[c[0]].name_span,
            })
            .collect());
    }
    let plan = plan(&spec);
    let hashes = hashes(program, &spec, &sinks);
    let n_inst = program.instances.len();
    let nodes: Vec<Node> = spec
        .nodes
        .iter()
        .enumerate()
        .map(|(i, s)| Node {
            kind: if i < n_inst {
                NodeKind::Instance(weft_lang::ir::InstId(i as u32))
            } else {
                NodeKind::Sink(sinks[i - n_inst])
            },
            name: s.name.clone(),
            deps: s.deps.iter().map(|&d| NodeId(d as u32)).collect(),
            natural: s.natural,
            contexts: plan.contexts[i],
            owner: plan.owner[i],
            hash: hashes[i],
        })
        .collect();
    let mut batch_of = vec![None; nodes.len()];
    for (b, batch) in plan.batches.iter().enumerate() {
        for n in &batch.nodes {
            batch_of[n.0 as usize] = Some(b);
        }
    }
    Ok(Graph {
        nodes,
        order: plan.order,
        batches: plan.batches,
        batch_of,
    })
}

/// Hashes every node; dependencies first (Kahn over all nodes, no recursion).
fn hashes(program: &Program, spec: &Spec, sinks: &[usize]) -> Vec<NodeHash> {
    let n = spec.nodes.len();
    let n_inst = program.instances.len();
    let mut waiting: Vec<usize> = spec.nodes.iter().map(|s| s.deps.len()).collect();
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, s) in spec.nodes.iter().enumerate() {
        for &d in &s.deps {
            readers[d].push(i);
        }
    }
    let mut out = vec![NodeHash::default(); n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    while let Some(i) = ready.pop() {
        let deps = spec.nodes[i].deps.iter().map(|&d| out[d]);
        out[i] = if i < n_inst {
            let inst = &program.instances[i];
            let mut def = inst.name.clone().into_bytes();
            def.push(0);
            for o in &inst.outputs {
                def.extend_from_slice(o.as_bytes());
                def.push(0);
            }
            def.extend(program.canonical(&inst.values));
            node_hash("instance", &def, deps)
        } else {
            let sink = &program.sinks[sinks[i - n_inst]];
            let mut def = format!(
                "{:?}\0{}\0",
                sink.kind,
                sink.address.as_deref().unwrap_or("")
            )
            .into_bytes();
            def.extend(program.canonical(&sink.values));
            node_hash("sink", &def, deps)
        };
        for &r in &readers[i] {
            waiting[r] -= 1;
            if waiting[r] == 0 {
                ready.push(r);
            }
        }
    }
    out
}
