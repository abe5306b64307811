//! `weft run FILE`: plays a file in the terminal — the live engine with OSC out, a
//! prompt on stdin speaking the command language, a status line, and a reload
//! whenever the file (or a file it uses) changes on disk.

use crate::commands::sound;
use crate::failure::Failure;
use crate::session::Inputs;
use notify::{RecursiveMode, Watcher};
use crate::prompt::PromptLine;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use weft_engine::live::osc_out::DEFAULT_TARGET;
use weft_engine::live::program::Builder;
use weft_engine::live::script::{self, Line};
use weft_engine::live::{BuildOutcome, Command, Engine, EngineHandle, EngineOptions};
use weft_engine::sources::SourceOptions;

/// Arguments of `weft run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The program to play.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Where `osc(…)` outputs are sent, as HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_TARGET)]
    osc: String,
    /// Start paused instead of playing.
    #[arg(long)]
    paused: bool,
    /// How long the file must be quiet before a reload, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30)]
    debounce_ms: u64,
    #[command(flatten)]
    inputs: Inputs,
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
    let (engine, audio) = Engine::start(EngineOptions {
        osc: Some(args.osc.clone()),
        ..EngineOptions::default()
    });
    say(&format!(
        "weft run {}: OSC to {}; type `help`",
        args.file.display(),
        args.osc
    ));
    let mut builder = Builder::new(SourceOptions {
        mic: args.inputs.mic.clone(),
        camera: args.inputs.camera.clone(),
    });
    let (tx, rx) = mpsc::channel();
    let _watcher = watch(&args.file, tx.clone())?;
    let stdin_tx = tx;
    std::thread::spawn(move || {
        crate::prompt::read_lines(std::io::stdin().lock(), |line| match line {
            PromptLine::Text(l) => stdin_tx.send(Event::Line(l)).is_ok(),
            PromptLine::Skipped(why) => stdin_tx.send(Event::Skipped(why)).is_ok(),
        });
        let _ = stdin_tx.send(Event::EndOfInput);
    });
    reload(&engine, &mut builder, &args.file);
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
    let debounce = Duration::from_millis(args.debounce_ms);
    let mut pending: Option<Instant> = None;
    loop {
        let timeout = match pending {
            Some(t) => debounce.saturating_sub(t.elapsed()),
            None => Duration::from_millis(250),
        };
        match rx.recv_timeout(timeout) {
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
            Ok(Event::Changed) => pending = Some(Instant::now()),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if pending.is_some_and(|t| t.elapsed() >= debounce) {
            pending = None;
            reload(&engine, &mut builder, &args.file);
        }
        if status {
            crate::failure::err(&format!("\r\x1b[K{}", engine.snapshot().status_line()));
        }
    }
    if status {
        crate::failure::err("\n");
    }
    Ok(())
}

/// Watches the file's folder (editors replace files on save) and the folders of
/// the files it uses.
fn watch(file: &Path, tx: mpsc::Sender<Event>) -> Result<notify::RecommendedWatcher, Failure> {
    let mut watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        if let Ok(e) = e {
            let interesting = e.paths.iter().any(|p| {
                p.extension().is_some_and(|x| x != "swp" && x != "tmp")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            });
            if interesting && !e.kind.is_access() {
                let _ = tx.send(Event::Changed);
            }
        }
    })
    .map_err(|e| Failure::Io(format!("cannot watch files: {e}")))?;
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    watcher
        .watch(dir, RecursiveMode::Recursive)
        .map_err(|e| Failure::Io(format!("cannot watch {}: {e}", dir.display())))?;
    Ok(watcher)
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
