//! What a kernel reads from outside itself: outputs of other batches, either as a
//! direct buffer handle (the producer materializes the output on the consumer's own
//! grid) or as a value getter (the consumer evaluates the producer's compiled code at
//! its own points). The coordinator's registry decides which; the kernel only reads.

use crate::Kernel;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use weft_lang::ir::InstId;

/// One output of one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputKey {
    /// The instance.
    pub inst: InstId,
    /// Its output index.
    pub out: u32,
}

/// The grid a backend evaluates on; two backends share buffers only on equal grids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Pixels of a `width × height` frame, row-major.
    Frame {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A run of up to `len` consecutive audio samples.
    Samples {
        /// Block length in samples.
        len: u32,
    },
    /// One point per frame.
    Point,
}

impl Layout {
    /// Number of points in one execution.
    pub fn points(self) -> usize {
        match self {
            Layout::Frame { width, height } => width as usize * height as usize,
            Layout::Samples { len } => len as usize,
            Layout::Point => 1,
        }
    }
}

/// A materialized output: one value per point of a layout. Written by the producer
/// while it executes, read by consumers after it; the values are stored as bits
/// in atomics so that sharing needs no lock (relaxed loads and stores compile to
/// plain moves).
#[derive(Debug)]
pub struct SharedBuffer {
    layout: Layout,
    data: Vec<AtomicU64>,
}

impl SharedBuffer {
    /// A zeroed buffer for `layout`.
    pub fn new(layout: Layout) -> SharedBuffer {
        SharedBuffer {
            layout,
            data: (0..layout.points()).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Its layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The value at point `i` (0 outside).
    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        self.data
            .get(i)
            .map(|v| f64::from_bits(v.load(Ordering::Relaxed)))
            .unwrap_or(0.0)
    }

    /// Stores `values` from point `start` on (what does not fit is dropped).
    #[inline]
    pub fn put(&self, start: usize, values: &[f64]) {
        if let Some(slots) = self.data.get(start..) {
            for (slot, v) in slots.iter().zip(values) {
                slot.store(v.to_bits(), Ordering::Relaxed);
            }
        }
    }
}

/// A value getter: compiled code that computes one output at any point.
#[derive(Debug)]
pub struct Getter {
    /// The code (its coordinates are the getter's inputs).
    pub kernel: Arc<Kernel>,
    /// Which output of the kernel.
    pub output: usize,
}

/// A strand a batch materializes for later batches of its backend: the buffer
/// and the code that fills it. An emitter that has no buffers between passes
/// (the browser's one fragment shader) computes the strand again where it is
/// read, at the same point, from this code.
#[derive(Clone, Debug)]
pub struct Materialized {
    /// The buffer consumers read.
    pub buffer: Arc<SharedBuffer>,
    /// The producing batch's code.
    pub kernel: Arc<Kernel>,
    /// Which of its outputs fills the buffer.
    pub output: usize,
}

/// What a consumer holds after wiring.
#[derive(Clone, Debug)]
pub enum DataRef {
    /// Read the producer's materialized buffer at the same point.
    Buffer(Arc<SharedBuffer>),
    /// Evaluate the producer's code at the consumer's point.
    Getter(Arc<Getter>),
}

impl DataRef {
    /// `buffer` or `getter`.
    pub fn kind(&self) -> &'static str {
        match self {
            DataRef::Buffer(_) => "buffer",
            DataRef::Getter(_) => "getter",
        }
    }
}
