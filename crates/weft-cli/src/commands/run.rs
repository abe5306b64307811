//! `weft run FILE`: plays a file in the terminal — the live engine with OSC out, a
//! prompt on stdin speaking the command language, a status line, and a reload
//! whenever the file (or a file it uses) changes on disk.

use crate::commands::sound;
use crate::failure::Failure;
use crate::prompt::PromptLine;
use crate::session::{Drawing, Inputs};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;
use weft_live::osc_in::OscIn;
use weft_live::osc_out::DEFAULT_TARGET;
use weft_live::program::Builder;
use weft_live::script::{self, Line};
use weft_live::{BuildOutcome, Command, Engine, EngineHandle, EngineOptions};
use weft_sources::SourceOptions;
use weft_watch::ProgramWatcher;

/// Arguments of `weft run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The program to play.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Where `osc(…)` outputs are sent, as HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_TARGET)]
    osc: String,
    /// Take OSC commands (`/param/<id> <value>`, `/transport/play` …) on this
    /// UDP address (HOST:PORT).
    #[arg(long, value_name = "HOST:PORT")]
    osc_in: Option<String>,
    /// Start paused instead of playing.
    #[arg(long)]
    paused: bool,
    /// How long the file must be quiet before a reload, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30)]
    debounce_ms: u64,
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    drawing: Drawing,
}

enum Event {
    Line(String),
    Skipped(String),
    EndOfInput,
    Changed,
}

/// Plays until stdin ends or says `quit`.
pub fn run(args: Args) -> Result<(), Failure> {
    // A folder, a FIFO or a device is refused here, with its reason, before the
    // engine starts.
    weft_files::check(&args.file, weft_files::Limit::PROGRAM)
        .map_err(|e| Failure::Io(format!("cannot read {}: {e}", args.file.display())))?;
    if args.debounce_ms > 10_000 {
        return Err(Failure::Usage(
            "--debounce-ms: at most 10000 milliseconds".to_string(),
        ));
    }
    let painter = args.drawing.open()?;
    let drawn_by = painter.describe();
    let (engine, audio) = Engine::start(EngineOptions {
        osc: Some(args.osc.clone()),
        painter,
        ..EngineOptions::default()
    });
    say(&format!(
        "weft run {}: OSC to {}, pictures drawn by {drawn_by}; type `help`",
        args.file.display(),
        args.osc
    ));
    let osc_in = match &args.osc_in {
        Some(addr) => {
            let handle = engine.handle();
            let osc = OscIn::start(addr, move |c| {
                let _ = handle.post(c);
            })
            .map_err(|e| Failure::Usage(format!("--osc-in: {e}")))?;
            say(&format!("OSC commands on udp {}", osc.addr()));
            Some(osc)
        }
        None => None,
    };
    let mut builder = Builder::new(SourceOptions {
        mic: args.inputs.mic.clone(),
        camera: args.inputs.camera.clone(),
        ..SourceOptions::default()
    });
    let (tx, rx) = mpsc::channel();
    let changed = tx.clone();
    let mut watcher = ProgramWatcher::new(Duration::from_millis(args.debounce_ms), move |_| {
        let _ = changed.send(Event::Changed);
    });
    let stdin_tx = tx;
    std::thread::spawn(move || {
        crate::prompt::read_lines(std::io::stdin().lock(), |line| match line {
            PromptLine::Text(l) => stdin_tx.send(Event::Line(l)).is_ok(),
            PromptLine::Skipped(why) => stdin_tx.send(Event::Skipped(why)).is_ok(),
        });
        let _ = stdin_tx.send(Event::EndOfInput);
    });
    // The root's folder must be watchable; a used file's missing folder is said
    // and the rest watched.
    watcher
        .watch(std::slice::from_ref(&args.file))
        .map_err(|e| Failure::Io(e.to_string()))?;
    reload_and_follow(&engine, &mut builder, &mut watcher, &args.file);
    let rate = engine.snapshot().rate;
    let _card = match sound::open(audio, if rate == 0 { 48_000 } else { rate }) {
        Ok(card) => Some(card),
        Err(why) => {
            say(&format!("sound is not played: {why}"));
            None
        }
    };
    if !args.paused {
        let _ = engine.apply(Command::Play);
    }
    let status = std::io::stderr().is_terminal();
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(Event::Line(l)) => {
                if matches!(l.trim(), "quit" | "exit" | "q") {
                    break;
                }
                if !l.trim().is_empty() {
                    execute(&engine, &l);
                }
            }
            Ok(Event::Skipped(why)) => say(&format!("error: {why}")),
            Ok(Event::EndOfInput) => break,
            Ok(Event::Changed) => {
                reload_and_follow(&engine, &mut builder, &mut watcher, &args.file)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if status {
            crate::failure::err(&format!("\r\x1b[K{}", engine.snapshot().status_line()));
        }
    }
    if status {
        crate::failure::err("\n");
    }
    if let Some(osc) = &osc_in {
        let c = osc.counts();
        let n = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
        say(&format!(
            "OSC in: {} applied, {} ignored, {} malformed",
            n(&c.applied),
            n(&c.ignored),
            n(&c.malformed)
        ));
    }
    Ok(())
}

/// Reloads, then watches every file the build read (the root, its `use`s, its
/// data files), so an edit of any of them reloads. A file watched for the first
/// time may have been saved between the build's read and the watch: one more
/// build (nothing, when its content is unchanged) closes that gap.
fn reload_and_follow(
    engine: &EngineHandle,
    builder: &mut Builder,
    watcher: &mut ProgramWatcher,
    file: &Path,
) {
    let mut followed: Vec<PathBuf> = Vec::new();
    for _ in 0..3 {
        reload(engine, builder, file);
        if builder.files() == followed.as_slice() {
            return;
        }
        followed = builder.files().to_vec();
        if let Err(e) = watcher.watch(&followed) {
            say(&format!("not watched: {e}"));
        }
    }
}

fn reload(engine: &EngineHandle, builder: &mut Builder, file: &Path) {
    match builder.build(file) {
        BuildOutcome::Loaded(p) => {
            let warnings = p.warnings.clone();
            match engine.apply(Command::Swap(p)) {
                Ok(()) => {
                    let s = engine.snapshot();
                    let r = &s.last_swap;
                    if !warnings.is_empty() {
                        say(warnings.trim_end());
                    }
                    say(&format!(
                        "loaded {} (version {}): {}",
                        file.display(),
                        s.program_version,
                        r.summary()
                    ));
                }
                Err(e) => say(&format!("error: {e}")),
            }
        }
        BuildOutcome::Failed { key, error, .. } => {
            say(error.trim_end());
            say("the last good program keeps playing");
            let _ = engine.apply(Command::BuildFailed { key, error });
        }
        BuildOutcome::SkippedKnownFailure | BuildOutcome::Unchanged => {}
    }
}

fn execute(engine: &EngineHandle, text: &str) {
    match script::parse(text) {
        Ok(Line::Command(c)) => match engine.apply(c) {
            Ok(()) => say("ok"),
            Err(e) => say(&format!("error: {e}")),
        },
        Ok(Line::Query(q)) => match engine.snapshot().answer(&q) {
            Ok(text) => say(&text),
            Err(e) => say(&format!("error: {e}")),
        },
        Ok(Line::Render(_)) => say(
            "error: `weft run` plays; render with `weft render FILE` (or `--watch`), or from `weft dev`'s page",
        ),
        Err(e) => say(&format!("error: {e}")),
    }
}

/// One message on stdout, clear of the status line.
fn say(text: &str) {
    if std::io::stderr().is_terminal() {
        crate::failure::err("\r\x1b[K");
    }
    crate::failure::out(&format!("{text}\n"));
}
