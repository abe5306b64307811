//! The shader path of the visual backend: the same linked kernels the CPU runs,
//! emitted as WGSL (`wgsl.rs`) and run through `wgpu` (`gpu.rs`). The CPU kernels
//! stay the reference: the differential test draws every conformance program with
//! a display on both and compares them within the tolerance `docs/language.md`
//! states.

pub mod gpu;
pub mod wgsl;

pub use gpu::{FrameInputs, Gpu, GpuError, INSTALL_HINT};
pub use wgsl::{emit, Display, EmitError, Shader};
