//! `weft lsp`: the language server of `weft-lsp` on stdin and stdout.

use crate::failure::Failure;

/// Arguments of `weft lsp` (editors start it with `--stdio`, which is the only
/// transport and accepted for their sake).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Talk over stdin and stdout (the default and only transport).
    #[arg(long)]
    stdio: bool,
}

/// Serves until the client says `exit`.
pub fn run(args: Args) -> Result<(), Failure> {
    let _ = args.stdio;
    weft_lsp::serve_stdio().map_err(|e| Failure::Io(format!("language server: {e}")))
}
