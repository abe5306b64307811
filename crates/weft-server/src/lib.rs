//! The dev server behind `weft dev DIR`: it watches a folder, runs only what
//! changed in the files browsers watch, and keeps every browser in sync over one
//! WebSocket (`docs/protocol.md`).
//!
//! Invariants:
//! - only this crate knows JSON, and only `protocol` writes it: every message the
//!   server sends is a `ServerMessage`;
//! - no path a client sends reaches the file system unless it resolves inside the
//!   served folder (`paths`);
//! - one build at a time, at most one pending (`guard`);
//! - a block id is a content key: the same id means the same result (`blocks`);
//! - only the page's own origin and local tools are answered (`origin`);
//! - the hub never waits for a build: the build thread owns the executor and
//!   publishes its counters (`hub::jobs`);
//! - a client has at most `hub::TEXT_BUDGET` bytes of text waiting; over it, it is
//!   disconnected (it reconnects and asks again);
//! - an editor's unsaved text (`buffers`) is read only by builds, lives only as
//!   long as the connection that sent it, and is never written to disk.

pub mod blocks;
pub mod buffers;
pub mod camera;
pub mod desk;
pub mod executor;
pub mod guard;
pub mod hub;
pub mod microphones;
pub mod origin;
pub mod paths;
pub mod player;
pub mod preview;
pub mod protocol;
pub mod server;
pub mod web_shader;

pub use server::{Remote, Server, ServerConfig, ServerError};
