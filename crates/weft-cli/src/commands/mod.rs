//! One module per subcommand.

pub mod audio;
pub mod check;
pub mod eval;
pub mod frame;
pub mod graph;
pub mod run;
pub mod sound;
pub mod cache;
pub mod render;
pub mod status;
pub mod tui;
