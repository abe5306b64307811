//! One module per subcommand.

pub mod audio;
pub mod cache;
pub mod check;
pub mod dev;
pub mod eval;
pub mod fmt;
pub mod frame;
pub mod graph;
pub mod info;
pub mod lsp;
pub mod render;
pub mod render_watch;
pub mod run;
pub mod sound;
pub mod status;
pub mod tui;
