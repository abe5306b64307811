//! The `weft` binary: parses the command line and hands each subcommand to its
//! module; everything it does is in the library crates.

mod commands;
mod failure;
mod prompt;
mod session;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// weft: live-coded signal programs in WEFT, sampled into pictures and sound.
#[derive(Parser, Debug)]
#[command(name = "weft", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check files for errors: diagnostics on stderr, exit 1 when any.
    Check(commands::check::Args),
    /// Print the value of one instance output at one point.
    Eval(commands::eval::Args),
    /// Render the display output at one time to a PNG.
    Frame(commands::frame::Args),
    /// Render the play output to a 32-bit float WAV.
    Audio(commands::audio::Args),
    /// Show the render graph: nodes, owners, batches, hashes and wiring.
    Graph(commands::graph::Args),
    /// Say what draws pictures here (GPU adapter or CPU) and which tools weft finds.
    Info(commands::info::Args),
    /// Play a file in the terminal: OSC out, a command prompt, reload on save.
    Run(commands::run::Args),
    /// Serve a folder to browsers: live results, picture and sound on every save.
    Dev(commands::dev::Args),
    /// Render the timeline to a video (mp4), PNG frames or WAV, reusing cached chunks.
    Render(commands::render::Args),
    /// Show each segment's render state: cached, dirty, pending or error.
    Status(commands::status::Args),
    /// Inspect or empty the render cache: info, clear, invalidate NAME.
    Cache(commands::cache::Args),
    /// A terminal UI over the timeline: states, previews, renders.
    Tui(commands::tui::Args),
    /// Format files in the canonical layout, in place (`--check`: list, change nothing).
    Fmt(commands::fmt::Args),
    /// A language server over stdio for editors (diagnostics, hover, completion…).
    Lsp(commands::lsp::Args),
}

fn main() -> ExitCode {
    // Mesa's device-select Vulkan layer prints an error line when it cannot reach a
    // Wayland session (no XDG_RUNTIME_DIR: ssh, CI); it only orders adapters, which
    // weft ranks itself. Set before any thread exists, so no read of the
    // environment races this write.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none()
        && std::env::var_os("NODEVICE_SELECT").is_none()
    {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let result = match cli.command {
        Command::Check(a) => commands::check::run(a),
        Command::Eval(a) => commands::eval::run(a),
        Command::Frame(a) => commands::frame::run(a),
        Command::Audio(a) => commands::audio::run(a),
        Command::Graph(a) => commands::graph::run(a),
        Command::Info(a) => commands::info::run(a),
        Command::Run(a) => commands::run::run(a),
        Command::Dev(a) => commands::dev::run(a),
        Command::Render(a) => commands::render::run(a),
        Command::Status(a) => commands::status::run(a),
        Command::Cache(a) => commands::cache::run(a),
        Command::Tui(a) => commands::tui::run(a),
        Command::Fmt(a) => commands::fmt::run(a),
        Command::Lsp(a) => commands::lsp::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}
