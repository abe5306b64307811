//! Node-level reuse on hot swap: inside a fused batch that must be compiled
//! again, only the nodes whose fragment key is new are lowered; the others are
//! linked from the per-node cache. Checked on a 50-statement program whose
//! picture is one fused batch, against cold builds of the same text.

use std::collections::BTreeSet;
use std::sync::Arc;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_graph::Scope;
use weft_lang::ir::Program;
use weft_sources::{SourceOptions, SourceSet};

fn build(text: &str) -> (Arc<Program>, Arc<SourceSet>, weft_graph::Graph) {
    let built = weft_lang::build_source(std::path::Path::new("/tmp/node_reuse.weft"), text);
    let program = built.program.expect("builds");
    let graph = weft_graph::build(&program, Scope::Main).expect("acyclic");
    let (sources, _) = SourceSet::load(&program, &SourceOptions::default());
    (Arc::new(program), Arc::new(sources), graph)
}

fn coordinator(text: &str) -> Coordinator {
    let (p, s, g) = build(text);
    Coordinator::new(
        p,
        s,
        g,
        EngineConfig {
            width: 16,
            height: 8,
            audio_block: 256,
        },
    )
    .expect("compiles")
}

/// One statement of the piece: chain `c` (0..5), link `k` (0..10).
fn statement(c: usize, k: usize, factor: &str) -> String {
    let body = if k == 0 {
        format!("sin(me@x * {} * {factor} + me@y) + 0 * tone@v", c + 2)
    } else {
        format!("c{c}s{}@v * {factor} + me@x * 0.0{k}", k - 1)
    };
    format!("c{c}s{k}<v> = {body}\n")
}

/// Fifty strands in five chains of ten, all read by one display (one fused
/// visual batch), plus a tone on its own audio batch that the picture reads.
fn piece(edit: Option<(usize, usize, &str)>) -> String {
    let mut s =
        String::from("// A picture of fifty strands.\ntone<v> = sin(me@time * tau * 220)\n");
    for c in 0..5 {
        for k in 0..10 {
            let factor = match edit {
                Some((ec, ek, f)) if (ec, ek) == (c, k) => f,
                _ => "0.9",
            };
            s.push_str(&statement(c, k, factor));
        }
    }
    s.push_str("play(tone@v)\n");
    s.push_str("display((c0s9@v + c1s9@v + c2s9@v + c3s9@v + c4s9@v) * 0.1, me@y, 0.5)\n");
    s
}

fn set(names: &[String]) -> BTreeSet<String> {
    names.iter().cloned().collect()
}

/// Chain `c` from link `k` on, and the display.
fn downstream(c: usize, k: usize) -> BTreeSet<String> {
    let mut want: BTreeSet<String> = (k..10).map(|j| format!("c{c}s{j}")).collect();
    want.insert("display".to_string());
    want
}

/// Frames and kernels of `c` equal a cold build of `text`, byte for byte.
fn assert_same_as_cold(c: &mut Coordinator, text: &str) {
    let mut cold = coordinator(text);
    let listing = |c: &Coordinator| -> Vec<String> {
        let visual = c.visual().batches().iter();
        let audio = c.audio().batches().iter();
        visual.chain(audio).map(|b| b.kernel.listing()).collect()
    };
    assert_eq!(
        listing(c),
        listing(&cold),
        "the kernels are the cold build's"
    );
    let u = Uniforms::new(c.program());
    for t in [0.0, 0.37, 1.5] {
        let warm = c.render_frame(t, t, &u).to_vec();
        assert_eq!(warm, cold.render_frame(t, t, &u), "frame at {t}");
        let warm = c.render_audio(0, 0, 256, &u).to_vec();
        assert_eq!(warm, cold.render_audio(0, 0, 256, &u));
    }
}

#[test]
fn the_piece_is_one_fused_picture_batch_and_an_audio_batch() {
    let c = coordinator(&piece(None));
    assert_eq!(c.visual().batches().len(), 1);
    assert_eq!(c.visual().batches()[0].nodes.len(), 51);
    assert_eq!(c.audio().batches().len(), 1);
    // Cold: everything lowered once, nothing in the cache but the used nodes.
    assert_eq!(c.node_cache().len(), c.graph().order.len());
}

#[test]
fn an_edit_lowers_exactly_the_edited_node_and_its_dependents() {
    // (chain, link) edited → lowered: that strand, the rest of its chain, the display.
    let cases = [(2, 4), (0, 0), (4, 9), (3, 1)];
    for (chain, link) in cases {
        let mut c = coordinator(&piece(None));
        let audio = c.audio().batches()[0].kernel.clone();
        let text = piece(Some((chain, link, "0.8")));
        let (p, s, g) = build(&text);
        let report = c.swap(p, s, g).expect("swaps");
        let want = downstream(chain, link);
        assert_eq!(set(&report.nodes_lowered), want, "edit c{chain}s{link}");
        assert_eq!(set(&report.nodes_changed), want, "edit c{chain}s{link}");
        assert_eq!(
            report.nodes_reused.len(),
            c.graph().order.len() - want.len(),
            "{report:?}"
        );
        assert!(want.iter().all(|n| !report.nodes_reused.contains(n)));
        // The fused picture batch is linked again as a whole; the audio batch is
        // not touched at all.
        assert_eq!((report.batches_compiled, report.batches_kept), (1, 1));
        assert_eq!(report.nodes_compiled.len(), 51);
        assert!(Arc::ptr_eq(&audio, &c.audio().batches()[0].kernel));
        // The old fragments of what changed are dropped.
        assert_eq!(report.fragments_dropped, want.len());
        assert_eq!(c.node_cache().len(), c.graph().order.len());
        assert_same_as_cold(&mut c, &text);
    }
}

#[test]
fn comments_and_formatting_lower_nothing() {
    let mut c = coordinator(&piece(None));
    let kernel = c.visual().batches()[0].kernel.clone();
    let text = piece(None)
        .replace(
            "// A picture of fifty strands.",
            "/* reworded */ // and more",
        )
        .replace(
            "c2s4<v> = c2s3@v * 0.9 + me@x * 0.04",
            "c2s4<v>=c2s3@v*0.9+me@x*0.04   // a note",
        )
        .replace("play(tone@v)", "\n\nplay( tone@v )");
    let (p, s, g) = build(&text);
    let report = c.swap(p, s, g).expect("swaps");
    assert!(report.nodes_lowered.is_empty(), "{report:?}");
    assert_eq!(report.nodes_reused.len(), c.graph().order.len());
    assert_eq!(report.batches_compiled, 0);
    assert_eq!(report.fragments_dropped, 0);
    assert!(Arc::ptr_eq(&kernel, &c.visual().batches()[0].kernel));
}

#[test]
fn a_removed_statement_loses_its_cache_entry() {
    let mut c = coordinator(&piece(None));
    assert!(c.node_cache().names().contains(&"c4s9".to_string()));
    let text = piece(None)
        .replace(&statement(4, 9, "0.9"), "")
        .replace("c4s9@v) * 0.1", "c4s8@v) * 0.1");
    let (p, s, g) = build(&text);
    let report = c.swap(p, s, g).expect("swaps");
    assert_eq!(report.nodes_removed, ["c4s9"]);
    assert_eq!(report.nodes_lowered, ["display"]);
    // c4s9's fragment and the display's old one.
    assert_eq!(report.fragments_dropped, 2);
    assert!(!c.node_cache().names().contains(&"c4s9".to_string()));
    assert_eq!(c.node_cache().len(), c.graph().order.len());
    assert_same_as_cold(&mut c, &text);
}

#[test]
fn a_failing_swap_changes_nothing_not_even_the_cache() {
    let mut c = coordinator(&piece(None));
    let names = c.node_cache().names();
    let keys: Vec<_> = c.visual().batches().iter().map(|b| b.key).collect();
    let text = piece(Some((2, 4, "0.7")));
    let (p, s, mut g) = build(&text);
    // The picture reads the tone from the audio batch; putting the picture first
    // makes that read unwired partway through linking the picture (chains are
    // linked last to first, so chain 2's edited strands are lowered before
    // chain 0 fails).
    g.batches.reverse();
    assert!(c.swap(p, s, g).is_err());
    assert_eq!(c.node_cache().names(), names);
    let after: Vec<_> = c.visual().batches().iter().map(|b| b.key).collect();
    assert_eq!(keys, after);
    assert_same_as_cold(&mut c, &piece(None));
    // Nothing lowered by the failed attempt was kept: the same edit lowers the
    // same nodes again.
    let (p, s, g) = build(&text);
    let report = c.swap(p, s, g).expect("swaps");
    assert_eq!(set(&report.nodes_lowered), downstream(2, 4));
}

#[test]
fn the_cache_holds_only_the_running_program_over_many_swaps() {
    let mut c = coordinator(&piece(None));
    let used = c.graph().order.len();
    for i in 0..60 {
        let factor = format!("0.{}", 10 + i);
        let text = piece(Some((i % 5, (i * 3) % 10, &factor)));
        let (p, s, g) = build(&text);
        let report = c.swap(p, s, g).expect("swaps");
        assert_eq!(c.node_cache().len(), used, "after swap {i}");
        assert_eq!(report.nodes_lowered.len() + report.nodes_reused.len(), used);
    }
}

#[test]
fn each_node_gets_a_share_of_its_batch_time_by_its_instructions() {
    let mut c = coordinator(&piece(None));
    let u = Uniforms::new(c.program());
    c.render_frame(0.5, 0.5, &u);
    let batch_micros: Vec<(usize, f64)> = c.batch_timings().collect();
    let shares: Vec<(usize, usize, usize, f64)> = c.node_timings().collect();
    assert_eq!(shares.len(), c.graph().order.len());
    let picture = c.visual().batches()[0].kernel.instr_count();
    let (vb, vmicros) = batch_micros
        .iter()
        .copied()
        .find(|(i, _)| c.graph().batches[*i].backend == weft_graph::BackendKind::Visual)
        .expect("a picture batch");
    assert!(vmicros > 0.0);
    let mine: Vec<_> = shares.iter().filter(|s| s.0 == vb).collect();
    assert_eq!(mine.iter().map(|s| s.2).sum::<usize>(), picture);
    let total: f64 = mine.iter().map(|s| s.3).sum();
    assert!(
        (total - vmicros).abs() <= 1e-9 * vmicros.max(1.0),
        "{total} vs {vmicros}"
    );
    // Every strand of the chains computes something of its own.
    assert!(mine.iter().filter(|s| s.2 > 0).count() >= 50);
}
