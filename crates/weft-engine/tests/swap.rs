//! Hot program swap on one coordinator: what a swap keeps (compiled kernels,
//! buffers, the backends themselves) and what it compiles, by content hash.

use std::sync::Arc;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_graph::Scope;
use weft_lang::ir::Program;
use weft_sources::{SourceOptions, SourceSet};

fn build(text: &str) -> (Arc<Program>, Arc<SourceSet>, weft_graph::Graph) {
    let built = weft_lang::build_source(std::path::Path::new("/tmp/swap.weft"), text);
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

const PIECE: &str = "// Picture and sound.\nwave<v> = sin(me@time * tau * 220)\nbright<v> = 0.5 + 0.5 * sin(me@x * 10)\nplay(wave@v)\ndisplay(bright@v)\n";

#[test]
fn formatting_and_comments_keep_every_batch() {
    let mut c = coordinator(PIECE);
    let kernels: Vec<_> = c
        .visual()
        .batches()
        .iter()
        .map(|b| b.kernel.clone())
        .collect();
    let (p, s, g) = build("/* reformatted */\nwave<v>=sin( me@time*tau*220 )\n\n// a new comment\nbright<v> = 0.5+0.5*sin(me@x*10)\nplay( wave@v )\ndisplay(bright@v)\n");
    let report = c.swap(p, s, g).expect("swaps");
    assert_eq!(report.batches_compiled, 0, "{report:?}");
    assert!(report.nodes_changed.is_empty(), "{report:?}");
    for (old, new) in kernels.iter().zip(c.visual().batches()) {
        assert!(Arc::ptr_eq(old, &new.kernel), "the compiled code is kept");
    }
}

#[test]
fn an_edit_compiles_only_the_batches_it_reaches_and_keeps_the_backends() {
    let mut c = coordinator(PIECE);
    let frame_memory = c.visual().frame().as_ptr();
    let audio_kernel = c.audio().batches()[0].kernel.clone();
    let (p, s, g) = build(&PIECE.replace("me@x * 10", "me@x * 12"));
    let report = c.swap(p, s, g).expect("swaps");
    assert_eq!(report.nodes_changed, ["bright", "display"]);
    assert_eq!(report.nodes_unchanged, ["wave", "play"]);
    assert_eq!(
        (report.batches_compiled, report.batches_kept),
        (1, 1),
        "{report:?}"
    );
    assert!(Arc::ptr_eq(&audio_kernel, &c.audio().batches()[0].kernel));
    assert_eq!(
        c.visual().frame().as_ptr(),
        frame_memory,
        "the visual backend is not recreated"
    );
    // And the new program is what runs.
    let u = Uniforms::new(c.program());
    let px = c.render_frame(0.0, 0.0, &u)[0];
    let want = weft_engine::visual::to_u8(0.5 + 0.5 * (0.5f64 / 16.0 * 12.0).sin());
    assert_eq!(px, want);
}

#[test]
fn editing_one_of_fifty_statements_changes_only_it_and_its_dependents() {
    // Fifty strands in five independent chains of ten; each chain ends in an osc
    // output. Editing the head of chain 2 changes that chain's ten strands and its
    // output, nothing else.
    let mut text = String::new();
    for chain in 0..5 {
        for k in 0..10 {
            let body = if k == 0 {
                format!("me@time * {}", chain + 1)
            } else {
                format!("c{chain}s{}@v + {k}", k - 1)
            };
            text.push_str(&format!("c{chain}s{k}<v> = {body}\n"));
        }
        text.push_str(&format!("osc(\"/c{chain}\", c{chain}s9@v)\n"));
    }
    let mut c = coordinator(&text);
    let (p, s, g) = build(&text.replace("c2s0<v> = me@time * 3", "c2s0<v> = me@time * 30"));
    let report = c.swap(p, s, g).expect("swaps");
    let mut changed = report.nodes_changed.clone();
    changed.sort();
    let mut want: Vec<String> = (0..10).map(|k| format!("c2s{k}")).collect();
    want.push("osc#3".to_string());
    want.sort();
    assert_eq!(changed, want, "{report:?}");
    assert_eq!(report.nodes_unchanged.len(), 40 + 4);
}

#[test]
fn a_failing_swap_leaves_the_coordinator_as_it_was() {
    // The picture reads the sound's strand: the visual batch comes after the audio one.
    let shared = "wave<v> = sin(me@time * tau * 220)\nbright<v> = 0.5 + 0.5 * sin(me@x * 10) + 0 * wave@v\nplay(wave@v)\ndisplay(bright@v)\n";
    let mut c = coordinator(shared);
    let before: Vec<_> = c.visual().batches().iter().map(|b| b.key).collect();
    let (p, s, mut g) = build(&shared.replace("me@x * 10", "me@x * 11"));
    // Break the graph the way a wiring bug would: a batch reads a node no batch
    // exposes.
    g.batches.reverse();
    assert!(c.swap(p, s, g).is_err());
    let after: Vec<_> = c.visual().batches().iter().map(|b| b.key).collect();
    assert_eq!(before, after);
    let u = Uniforms::new(c.program());
    let px = c.render_frame(0.0, 0.0, &u)[0];
    assert_eq!(
        px,
        weft_engine::visual::to_u8(0.5 + 0.5 * (0.5f64 / 16.0 * 10.0).sin())
    );
}
