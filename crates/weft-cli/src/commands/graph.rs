//! `weft graph FILE`: nodes with owners, contexts and hashes; batches; the wiring
//! the coordinator chose for every cross-batch read.

use crate::failure::Failure;
use crate::session::{self, Inputs};
use std::fmt::Write;
use std::path::PathBuf;
use weft_engine::coordinator::{Coordinator, EngineConfig};
use weft_graph::{Graph, Scope};
use weft_lang::ir::{Program, SegmentId};

/// Arguments of `weft graph`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The program.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Show one segment's graph (default: every scope).
    #[arg(long, value_name = "NAME")]
    segment: Option<String>,
    /// Also print each batch's compiled kernel.
    #[arg(long)]
    kernels: bool,
    #[command(flatten)]
    inputs: Inputs,
}

/// Prints the graph of every scope.
pub fn run(args: Args) -> Result<(), Failure> {
    let s = session::open(&args.file, &args.inputs)?;
    let program = &s.program;
    let mut scopes: Vec<(String, Scope)> = Vec::new();
    if program.segments.is_empty() {
        scopes.push(("main".into(), Scope::Main));
    } else {
        for (i, seg) in program.segments.iter().enumerate() {
            if args.segment.as_deref().is_none_or(|n| n == seg.name) {
                scopes.push((
                    format!("segment {}", seg.name),
                    Scope::Segment(SegmentId(i as u32)),
                ));
            }
        }
        if scopes.is_empty() {
            let names: Vec<&str> = program.segments.iter().map(|s| s.name.as_str()).collect();
            return Err(Failure::Usage(format!(
                "no segment `{}`; segments: {}",
                args.segment.unwrap_or_default(),
                names.join(", ")
            )));
        }
    }
    let mut out = String::new();
    for (title, scope) in scopes {
        let graph = session::graph(program, scope)?;
        let c = Coordinator::new(
            program.clone(),
            s.sources.clone(),
            graph.clone(),
            EngineConfig::for_program(program),
        )
        .map_err(|e| session::engine_failure(e, &s.map))?;
        let _ = writeln!(out, "== {title}");
        print_graph(&mut out, program, &graph);
        let _ = writeln!(out, "wiring:");
        if c.registry().wires().is_empty() {
            let _ = writeln!(out, "  (none: every read is fused)");
        }
        // The registry records every look-up; a batch that reads one output at
        // several places is still one wire.
        let mut shown = std::collections::HashSet::new();
        for w in c.registry().wires() {
            if !shown.insert((w.key, w.from, w.to, w.kind)) {
                continue;
            }
            let inst = program.instance(w.key.inst);
            let _ = writeln!(
                out,
                "  {}@{}: {} batch {} -> {} batch {} via {}",
                inst.name,
                inst.outputs[w.key.out as usize],
                w.from.0.name(),
                w.from.1 + 1,
                w.to.0.name(),
                w.to.1 + 1,
                if w.kind == "buffer" {
                    "direct buffer"
                } else {
                    "value getter"
                }
            );
        }
        if args.kernels {
            for (b, batch) in c.visual().batches().iter().enumerate() {
                let _ = writeln!(
                    out,
                    "visual kernel {} ({} instructions):\n{}",
                    b + 1,
                    batch.kernel.instr_count(),
                    batch.kernel.listing()
                );
            }
            for (b, batch) in c.audio().batches().iter().enumerate() {
                let _ = writeln!(
                    out,
                    "audio kernel {} ({} instructions):\n{}",
                    b + 1,
                    batch.kernel.instr_count(),
                    batch.kernel.listing()
                );
            }
        }
    }
    crate::failure::out(&out);
    Ok(())
}

fn print_graph(out: &mut String, program: &Program, graph: &Graph) {
    let _ = writeln!(out, "nodes (in run order):");
    let width = graph
        .nodes
        .iter()
        .map(|n| n.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    for id in &graph.order {
        let n = graph.node(*id);
        let deps: Vec<&str> = n
            .deps
            .iter()
            .map(|d| graph.node(*d).name.as_str())
            .collect();
        let ctx: Vec<&str> = n.contexts.iter().map(|c| c.name()).collect();
        let _ = writeln!(
            out,
            "  {:width$}  owner {:6}  needed by {:13}  hash {}  reads {}",
            n.name,
            n.owner.name(),
            ctx.join("+"),
            n.hash,
            if deps.is_empty() {
                "-".to_string()
            } else {
                deps.join(", ")
            }
        );
    }
    let unused: Vec<&str> = graph
        .nodes
        .iter()
        .filter(|n| !n.is_used())
        .filter(|n| match n.kind {
            weft_graph::NodeKind::Instance(i) => !program.instance(i).imported,
            _ => true,
        })
        .map(|n| n.name.as_str())
        .collect();
    if !unused.is_empty() {
        let _ = writeln!(out, "unused: {}", unused.join(", "));
    }
    let _ = writeln!(out, "batches:");
    for (i, b) in graph.batches.iter().enumerate() {
        let names: Vec<&str> = b
            .nodes
            .iter()
            .map(|n| graph.node(*n).name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "  {} {:6} [{}]",
            i + 1,
            b.backend.name(),
            names.join(", ")
        );
    }
}
