//! `weft info [--backend auto|cpu|gpu]`: what this machine draws with and which
//! tools weft finds, before a performance depends on them.

use crate::failure::{out, Failure};
use crate::session::Drawing;

/// Arguments of `weft info`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    drawing: Drawing,
}

/// Prints the version, what draws pictures, and whether ffmpeg is there.
pub fn run(args: Args) -> Result<(), Failure> {
    let painter = args.drawing.open()?;
    let ffmpeg = match weft_render::encode::Ffmpeg::find() {
        Ok(_) => "found".to_string(),
        Err(e) => e.to_string(),
    };
    out(&format!(
        "weft {}\npictures drawn by {}\nsound on the CPU\nffmpeg: {ffmpeg}\n",
        env!("CARGO_PKG_VERSION"),
        painter.describe(),
    ));
    Ok(())
}
