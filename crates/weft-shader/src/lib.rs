//! The shader path of the visual backend: the same linked kernels the CPU runs,
//! emitted as WGSL (`wgsl.rs`, sources packed by `sources.rs`), run through `wgpu`
//! (`gpu.rs`) by a visual backend behind the engine's trait (`visual.rs`). The CPU
//! kernels stay the reference: the differential tests draw every conformance
//! program with a display on both and compare them within the tolerance
//! `docs/language.md` states.

mod cache;
pub mod glsl;
pub mod gpu;
pub mod sources;
pub mod visual;
pub mod wgsl;

pub use gpu::{FrameInputs, Gpu, GpuError, INSTALL_HINT};
pub use visual::{BackendChoice, GpuDevice, GpuVisual};
pub use wgsl::{emit, emit_target, Display, EmitError, Shader, Target};
