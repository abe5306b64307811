//! The engine: the coordinator that wires backends together and the backends that
//! sample a program (visual over pixels, audio over samples, OSC per frame) with
//! the kernels of `weft-kernel`. The live runtime around it is `weft-live`.
//!
//! Invariants:
//! - no backend evaluates a syntax tree per point: every batch is compiled once into
//!   a [`weft_kernel::Kernel`] that evaluates a block of points per dispatch;
//! - backends never call each other: every cross-backend read is wired by the
//!   coordinator at compile time (`expose` / `lookup`), so executing a frame does no
//!   look-ups;
//! - results never depend on which backend owns a node (except where a source is
//!   sampled on its own grid);
//! - a hot swap lowers only the nodes whose fragment key is new and links the
//!   others' cached fragments; the kernels it gives equal a cold build's.

pub mod audio;
pub mod backend;
pub mod coordinator;
pub mod node_cache;
pub mod osc;
pub mod registry;
pub mod sampler;
pub mod swap;
pub mod visual;
