//! The output registry: what each batch exposes, and the data references consumers
//! take from it at compile time. A reference is either a direct buffer handle (the
//! producer materializes the output on the consumer's own grid) or a value getter
//! (the consumer evaluates the producer's compiled code at its own points).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use weft_graph::BackendKind;
pub use weft_kernel::data::{DataRef, Getter, Layout, OutputKey, SharedBuffer};

/// What a producer exposes for one output.
#[derive(Clone, Debug)]
pub struct Exposed {
    /// The producing backend.
    pub backend: BackendKind,
    /// The producing batch.
    pub batch: usize,
    /// Always available.
    pub getter: Arc<Getter>,
    /// Present when the producer materializes the output on its grid.
    pub buffer: Option<Arc<SharedBuffer>>,
}

/// A wiring decision, kept for `weft graph` and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wire {
    /// What is read.
    pub key: OutputKey,
    /// The producing backend and batch.
    pub from: (BackendKind, usize),
    /// The consuming backend and batch.
    pub to: (BackendKind, usize),
    /// `buffer` or `getter`.
    pub kind: &'static str,
}

/// The coordinator's table of exposed outputs.
#[derive(Debug, Default)]
pub struct Registry {
    exposed: HashMap<OutputKey, Exposed>,
    lookups: AtomicUsize,
    wires: Vec<Wire>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Publishes an output.
    pub fn expose(&mut self, key: OutputKey, exposed: Exposed) {
        self.exposed.insert(key, exposed);
    }

    /// True when `key` is exposed (not counted as a look-up: used while planning).
    pub fn is_exposed(&self, key: OutputKey) -> bool {
        self.exposed.contains_key(&key)
    }

    /// The getter of an exposed output (counted).
    pub fn getter(&self, key: OutputKey) -> Option<Arc<Getter>> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        self.exposed.get(&key).map(|e| e.getter.clone())
    }

    /// Wires a consumer to `key`: a direct buffer when the producer materializes it
    /// on `layout` and the consumer reads it at its own point (`same_point`), else a
    /// value getter. Counted: the number of look-ups must not change while frames
    /// execute.
    pub fn lookup(
        &mut self,
        key: OutputKey,
        consumer: (BackendKind, usize),
        layout: Layout,
        same_point: bool,
    ) -> Option<DataRef> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let e = self.exposed.get(&key)?;
        let r = match &e.buffer {
            Some(buf) if same_point && buf.layout() == layout => DataRef::Buffer(buf.clone()),
            _ => DataRef::Getter(e.getter.clone()),
        };
        self.wires.push(Wire {
            key,
            from: (e.backend, e.batch),
            to: consumer,
            kind: r.kind(),
        });
        Some(r)
    }

    /// How many look-ups have been made so far.
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Every wiring decision, in the order made.
    pub fn wires(&self) -> &[Wire] {
        &self.wires
    }
}
