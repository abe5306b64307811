//! A kernel runs only on the scratch made for it: the registers its unchecked
//! accesses rest on. Handing it any other scratch is refused with a panic, never
//! an out-of-bounds write (this held only under `debug_assert!` before).

use std::path::Path;
use weft_graph::NodeKind;
use weft_kernel::{BlockPos, Fresh, FuseAll, Kernel, KernelBuilder, Lowering, Scratch};
use weft_lang::ir::{InstId, Program};
use weft_sources::{SourceOptions, SourceSet};

/// The kernel of the last instance of `text`.
fn kernel(text: &str) -> Kernel {
    let built = weft_lang::build_source(Path::new("/tmp/scratch.weft"), text);
    let program: Program = built.program.expect("builds");
    let (sources, _) = SourceSet::load(&program, &SourceOptions::default());
    let inst = InstId(program.instances.len() as u32 - 1);
    let mut b = KernelBuilder::new(Lowering {
        program: &program,
        sources: &sources,
    });
    b.add_node(
        NodeKind::Instance(inst),
        &mut Fresh::new(&program),
        &mut FuseAll,
    )
    .expect("lowers");
    b.finish(&mut FuseAll).expect("links")
}

const SMALL: &str = "a<v> = me@x\n";
const LARGE: &str =
    "a<v> = sin(me@x * 3 + cos(me@y * 5)) * tan(me@x + 1) + sqrt(me@y * me@x + 2)\n";

#[test]
fn a_kernel_runs_on_its_own_scratch() {
    let k = kernel(LARGE);
    let mut s = Scratch::new(&k);
    k.run(&mut s, BlockPos { index: 0, len: 64 });
    let mut again = Scratch::new(&k);
    k.run(&mut again, BlockPos { index: 0, len: 64 });
    assert_eq!(s.reg(k.output_reg(0)), again.reg(k.output_reg(0)));
}

#[test]
#[should_panic(expected = "a kernel ran on a scratch made for another kernel")]
fn a_scratch_made_for_a_smaller_kernel_is_refused() {
    let small = kernel(SMALL);
    let large = kernel(LARGE);
    assert!(large.register_count() > small.register_count());
    let mut s = Scratch::new(&small);
    large.run(&mut s, BlockPos { index: 0, len: 64 });
}

#[test]
#[should_panic(expected = "a kernel ran on a scratch made for another kernel")]
fn a_scratch_of_an_equal_kernel_is_refused() {
    // Same code, same register count: memory-safe, but a scratch carries the
    // constants and uniforms of its own kernel, so it is still the wrong one.
    let a = kernel(LARGE);
    let b = kernel(LARGE);
    let mut s = Scratch::new(&a);
    b.run(&mut s, BlockPos { index: 0, len: 64 });
}

#[test]
#[should_panic(expected = "a kernel ran on a scratch made for another kernel")]
fn uniforms_are_refused_on_a_foreign_scratch() {
    let small = kernel(SMALL);
    let large = kernel(LARGE);
    let mut s = Scratch::new(&small);
    s.set_uniforms(&large, &[0.0; 8]);
}
