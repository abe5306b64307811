//! `weft dev [DIR]`: serves a folder to browsers, re-runs what changed on every
//! save, and reads the command language from the terminal.

use crate::failure::{err, out, Failure};
use crate::prompt::PromptLine;
use crate::session::Drawing;
use std::path::PathBuf;
use std::time::Duration;
use weft_live::osc_in::OscIn;
use weft_server::{Server, ServerConfig};

/// Arguments of `weft dev`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder to serve.
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 7878)]
    port: u16,
    /// Interface to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// How long the watcher waits for an editor's save to settle, in milliseconds.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    debounce_ms: u64,
    /// Open the page in the default browser.
    #[arg(long)]
    open: bool,
    /// Byte limit of the block result cache, in MB.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    cache_mb: u64,
    /// Take OSC commands (`/param/<id> <value>`, `/transport/play` …) on this
    /// UDP address (HOST:PORT); they go to every file that plays.
    #[arg(long, value_name = "HOST:PORT")]
    osc_in: Option<String>,
    /// Image or video that `camera()` shows (default: black; a page can show its
    /// own camera instead). The page draws the video frame by frame.
    #[arg(long, value_name = "FILE")]
    camera: Option<PathBuf>,
    #[command(flatten)]
    drawing: Drawing,
}

/// Serves until Ctrl-C.
pub fn run(args: Args) -> Result<(), Failure> {
    if !args.dir.is_dir() {
        return Err(Failure::Io(format!(
            "cannot serve {}: no such folder",
            args.dir.display()
        )));
    }
    // A missing file, a folder, a FIFO or a device is refused here, with its
    // reason, before anything is served (ffmpeg streams a video: no size limit).
    if let Some(camera) = &args.camera {
        weft_files::check(camera, weft_files::Limit::STREAMED).map_err(|e| {
            Failure::Io(format!("cannot read the camera {}: {e}", camera.display()))
        })?;
    }
    let painter = args.drawing.open()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        let mut config = ServerConfig::new(&args.dir);
        config.host = args.host.clone();
        config.port = args.port;
        config.debounce = Duration::from_millis(args.debounce_ms);
        config.cache_bytes = (args.cache_mb as usize).saturating_mul(1 << 20);
        // Absolute: builds resolve sources from each program's own folder.
        config.camera = args
            .camera
            .as_ref()
            .map(|c| std::path::absolute(c).unwrap_or_else(|_| c.clone()));
        let drawn_by = painter.describe();
        config.painter = painter;
        if !config.is_local() {
            err(&format!(
                "weft dev: warning: listening on {}, which other machines on the network may reach: \
                 anyone who can reach it can read the folder's .weft files and steer playback \
                 (the default, 127.0.0.1, keeps it to this machine)\n",
                args.host
            ));
        }
        let server = Server::start(config)
            .await
            .map_err(|e| Failure::Io(e.to_string()))?;
        // Watched before anything says the server is up, so a SIGTERM or Ctrl-C
        // sent as soon as it is (a script, a test) stops it cleanly.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| Failure::Io(format!("cannot watch for signals: {e}")))?;
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .map_err(|e| Failure::Io(format!("cannot watch for signals: {e}")))?;
        let url = format!("http://{}/", server.addr());
        out(&format!(
            "weft dev: serving {} at {url}\n",
            args.dir.display()
        ));
        out(&format!("weft dev: pictures drawn by {drawn_by}\n"));
        let _osc_in = match &args.osc_in {
            Some(addr) => {
                let remote = server.remote();
                let osc = OscIn::start(addr, move |c| remote.apply(c))
                    .map_err(|e| Failure::Usage(format!("--osc-in: {e}")))?;
                out(&format!("weft dev: OSC commands on udp {}\n", osc.addr()));
                Some(osc)
            }
            None => None,
        };
        out("type `help` for commands; Ctrl-C stops\n");
        if args.open {
            if let Err(e) = open::that_detached(&url) {
                err(&format!(
                    "weft dev: cannot open a browser ({e}); open {url}\n"
                ));
            }
        }
        // The terminal speaks the command language to the file watched last.
        let (lines_tx, mut lines_rx) = tokio::sync::mpsc::unbounded_channel::<PromptLine>();
        std::thread::spawn(move || {
            crate::prompt::read_lines(std::io::stdin().lock(), |line| lines_tx.send(line).is_ok());
        });
        loop {
            tokio::select! {
                _ = interrupt.recv() => break,
                _ = term.recv() => break,
                line = lines_rx.recv() => match line {
                    Some(PromptLine::Text(line)) if line.trim().is_empty() => {}
                    Some(PromptLine::Text(line)) => {
                        out(&format!("{}\n", server.command(line.trim()).await))
                    }
                    Some(PromptLine::Skipped(why)) => out(&format!("error: {why}\n")),
                    // stdin closed (run in the background): keep serving.
                    None => {
                        tokio::select! {
                            _ = interrupt.recv() => {}
                            _ = term.recv() => {}
                        }
                        break;
                    }
                },
            }
        }
        out("weft dev: stopping\n");
        server.shutdown().await;
        Ok(())
    })
}
