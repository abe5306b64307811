//! One module per subcommand.

pub mod audio;
pub mod check;
pub mod dev;
pub mod eval;
pub mod frame;
pub mod graph;
pub mod run;
pub mod sound;
