//! `weft lsp`: the language server of `weft-lsp` on stdin and stdout.

use crate::failure::Failure;

/// Arguments of `weft lsp` (editors start it with `--stdio`, which is the only
/// transport and accepted for their sake).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Talk over stdin and stdout (the default and only transport).
    #[arg(long)]
    stdio: bool,
    /// Live as you type: send the open buffers' unsaved text to the `weft dev`
    /// at HOST:PORT (or PORT on 127.0.0.1; 127.0.0.1:7878 without a value),
    /// whose pages then follow each keystroke; a save or close returns to the disk.
    #[arg(long, value_name = "HOST:PORT", num_args = 0..=1, default_missing_value = weft_lsp::dev::DEFAULT_ADDR)]
    dev: Option<String>,
}

/// Serves until the client says `exit`.
pub fn run(args: Args) -> Result<(), Failure> {
    let _ = args.stdio;
    weft_lsp::serve_stdio(weft_lsp::Options { dev: args.dev })
        .map_err(|e| Failure::Io(format!("language server: {e}")))
}
