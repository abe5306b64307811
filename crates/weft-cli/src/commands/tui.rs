//! `weft tui FILE`: a terminal UI over the timeline (ratatui + crossterm) — the
//! segments with their state (✓ cached, ● dirty, ○ pending, ✗ error, ▶ rendering)
//! and duration; `p` previews the selected segment's last frame in the terminal,
//! `r` renders the selected segment into the cache, `R` renders everything and
//! writes the output, `q` quits. Saving the file refreshes the list.

use super::render::{failure, Target};
use crate::failure::Failure;
use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::layout::{Constraint, Direction, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::{Frame, Terminal};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;
use weft_render::render::Options;
use weft_render::schedule::{ChunkId, Event};
use weft_render::status::{self, SegmentStatus, State};
use weft_watch::ProgramWatcher;

/// Arguments of `weft tui`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// Where `R` writes the whole render (default: FILE's name with .mp4).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Workers (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    jobs: Option<u32>,
}

/// What reaches the UI loop from other threads.
enum Note {
    Changed,
    Chunk(Event),
    Done(Result<String, String>),
}

/// The UI's state.
struct App {
    target: Target,
    output: PathBuf,
    jobs: usize,
    segments: Vec<SegmentStatus>,
    list: ListState,
    message: String,
    problem: Option<String>,
    preview: Option<(usize, u32, u32, Vec<u8>)>,
    busy: bool,
    running: HashSet<ChunkId>,
    /// The build's warnings, one headline each: shown in the status area, as
    /// text printed on stderr would land in the middle of the screen.
    warnings: Vec<String>,
}

/// The `path:line:col: warning[CODE]: message` lines of rendered diagnostics.
fn headlines(rendered: &str) -> Vec<String> {
    rendered
        .lines()
        .filter(|l| l.contains(": warning["))
        .map(str::to_string)
        .collect()
}

impl App {
    fn refresh(&mut self) {
        match super::status::statuses(&self.target) {
            Ok((p, list)) => {
                self.warnings = headlines(&p.warnings);
                self.segments = list;
                self.problem = None;
                let n = self.segments.len();
                let sel = self.list.selected().unwrap_or(0).min(n.saturating_sub(1));
                self.list.select(Some(sel));
            }
            Err(f) => self.problem = Some(describe(f)),
        }
    }

    fn selected(&self) -> Option<usize> {
        self.list.selected().filter(|i| *i < self.segments.len())
    }

    fn state(&self, i: usize) -> State {
        if self.running.iter().any(|c| c.segment == i) {
            State::Rendering
        } else {
            self.segments[i].state.clone()
        }
    }

    fn preview(&mut self, cols: u16, rows: u16) {
        let Some(i) = self.selected() else { return };
        let (w, h) = (u32::from(cols.max(2)), u32::from(rows.max(1)) * 2);
        let mut request = self.target.request();
        request.size = Some((w, h));
        request.format = Some(weft_render::Format::Png);
        let result = self.target.prepare(&request).and_then(|p| {
            self.warnings = headlines(&p.warnings);
            weft_render::render::last_frame(&p.piece, &p.timeline, i).map_err(failure)
        });
        match result {
            Ok(Some(rgba)) => {
                self.preview = Some((i, w, h, rgba));
                self.message = format!("preview: last frame of {}", self.segments[i].name);
            }
            Ok(None) => self.message = "that segment holds no frame".into(),
            Err(f) => self.message = describe(f),
        }
    }

    fn render(&mut self, only: Option<usize>, tx: &mpsc::Sender<Note>) {
        if self.busy {
            self.message = "a render is running".into();
            return;
        }
        let target = self.target.clone();
        let request = status::with_record(
            &target.request(),
            target
                .cache_at()
                .ok()
                .and_then(|c| c.record(&target.file))
                .as_ref(),
        );
        let options = Options {
            jobs: self.jobs,
            output: only.is_none().then(|| self.output.clone()),
            only: only.map(|i| vec![i]),
            reads: Default::default(),
            live: None,
            shard: None,
        };
        self.busy = true;
        self.message = match only {
            Some(i) => format!("rendering {}…", self.segments[i].name),
            None => "rendering everything…".into(),
        };
        let tx = tx.clone();
        std::thread::spawn(move || {
            let result = (|| {
                let p = target.prepare(&request).map_err(describe)?;
                let options = Options {
                    reads: p.reads.clone(),
                    ..options
                };
                let cache = p.open_cache().map_err(|e| e.to_string())?;
                let report =
                    weft_render::render::render(&p.piece, &p.timeline, &cache, &options, &|e| {
                        let _ = tx.send(Note::Chunk(e.clone()));
                    })
                    .map_err(|e| e.to_string())?;
                Ok(format!(
                    "{} rendered, {} cached, {} failed in {:.1}s{}",
                    report.rendered,
                    report.cache_hits,
                    report.failed,
                    report.seconds,
                    report
                        .output
                        .map(|o| format!("; wrote {o}"))
                        .unwrap_or_default()
                ))
            })();
            let _ = tx.send(Note::Done(result));
        });
    }
}

fn describe(f: Failure) -> String {
    match f {
        Failure::Program(t) | Failure::Usage(t) | Failure::Io(t) => t.trim_end().to_string(),
    }
}

fn draw(f: &mut Frame<'_>, app: &mut App) {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Min(3),
            Constraint::Length(3 + app.warnings.len().min(3) as u16),
        ])
        .split(f.area());
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
        .split(rows[0]);
    let items: Vec<ListItem<'_>> = (0..app.segments.len())
        .map(|i| {
            let s = &app.segments[i];
            let state = app.state(i);
            let color = match state {
                State::Cached => Color::Green,
                State::Dirty => Color::Yellow,
                State::Pending => Color::Gray,
                State::Rendering => Color::Cyan,
                State::Error(_) => Color::Red,
            };
            ListItem::new(Line::from(vec![
                Span::styled(format!("{} ", state.mark()), Style::default().fg(color)),
                Span::raw(format!(
                    "{:<16} {:>7.2}s  {}/{}  {}",
                    s.name,
                    s.duration,
                    s.cached,
                    s.chunks,
                    state.name()
                )),
            ]))
        })
        .collect();
    let title = format!(" {} ", app.target.file.display());
    let list = List::new(items)
        .block(Block::default().borders(Borders::ALL).title(title))
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .highlight_symbol("> ");
    f.render_stateful_widget(list, cols[0], &mut app.list);
    let block = Block::default().borders(Borders::ALL).title(" preview ");
    let inner = block.inner(cols[1]);
    f.render_widget(block, cols[1]);
    if let Some((_, w, h, rgba)) = &app.preview {
        let px = |x: u32, y: u32| {
            let o = ((y.min(h - 1) * w + x.min(w - 1)) * 4) as usize;
            Color::Rgb(rgba[o], rgba[o + 1], rgba[o + 2])
        };
        let lines: Vec<Line<'_>> = (0..(h / 2).min(u32::from(inner.height)))
            .map(|r| {
                Line::from(
                    (0..(*w).min(u32::from(inner.width)))
                        .map(|c| {
                            Span::styled(
                                "▀",
                                Style::default().fg(px(c, 2 * r)).bg(px(c, 2 * r + 1)),
                            )
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
    let selected_error = app.selected().and_then(|i| match &app.segments[i].state {
        State::Error(m) => Some(format!("{}: {m}", app.segments[i].name)),
        _ => None,
    });
    let status = app
        .problem
        .clone()
        .or(selected_error)
        .unwrap_or_else(|| app.message.clone());
    let mut lines = vec![
        Line::from("↑/↓ select   p preview   r render selected   R render all   q quit"),
        Line::from(status),
    ];
    lines.extend(
        app.warnings
            .iter()
            .take(3)
            .map(|w| Line::styled(w.clone(), Style::default().fg(Color::Yellow))),
    );
    let help = Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(Block::default().borders(Borders::TOP));
    f.render_widget(help, rows[1]);
}

/// Follows every file the program reads (its `use`s and data files included), so
/// an edit of any of them refreshes the states.
fn follow(watcher: &mut ProgramWatcher, app: &mut App) {
    if let Err(e) = watcher.watch(&crate::session::files_read(&app.target.file)) {
        app.message = format!("not watched: {e}");
    }
}

fn weft_dir(file: &std::path::Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    watcher: &mut ProgramWatcher,
    tx: &mpsc::Sender<Note>,
    rx: &mpsc::Receiver<Note>,
) -> std::io::Result<()> {
    loop {
        terminal.draw(|f| draw(f, app))?;
        let mut changed = false;
        while let Ok(note) = rx.try_recv() {
            match note {
                Note::Changed => changed = true,
                Note::Chunk(Event::Started { chunk, .. }) => {
                    app.running.insert(chunk);
                }
                Note::Chunk(Event::Finished { outcome, .. }) => {
                    app.running.remove(&outcome.chunk);
                    changed = true;
                }
                Note::Chunk(_) => {}
                Note::Done(r) => {
                    app.busy = false;
                    app.running.clear();
                    app.message = r.unwrap_or_else(|e| format!("render failed: {e}"));
                    changed = true;
                }
            }
        }
        if changed {
            app.refresh();
            follow(watcher, app);
            if let Some((i, ..)) = app.preview {
                if app.selected() == Some(i) && app.message.starts_with("preview") {
                    app.preview = None;
                }
            }
            continue;
        }
        if !event::poll(Duration::from_millis(100))? {
            continue;
        }
        let TermEvent::Key(k) = event::read()? else {
            continue;
        };
        if k.kind != KeyEventKind::Press {
            continue;
        }
        let n = app.segments.len();
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
            KeyCode::Down | KeyCode::Char('j') if n > 0 => {
                app.list
                    .select(Some((app.list.selected().unwrap_or(0) + 1).min(n - 1)));
            }
            KeyCode::Up | KeyCode::Char('k') if n > 0 => {
                app.list
                    .select(Some(app.list.selected().unwrap_or(0).saturating_sub(1)));
            }
            KeyCode::Char('p') => {
                let size = terminal.size()?;
                let cols = (size.width * 55 / 100).saturating_sub(2);
                let rows = size.height.saturating_sub(5);
                app.preview(cols, rows);
            }
            KeyCode::Char('r') => {
                if let Some(i) = app.selected() {
                    app.render(Some(i), tx);
                }
            }
            KeyCode::Char('R') => app.render(None, tx),
            _ => {}
        }
    }
}

/// Runs `weft tui`.
pub fn run(mut args: Args) -> Result<(), Failure> {
    args.target.quiet = true;
    let (prepared, segments) = super::status::statuses(&args.target)?;
    let stem = args
        .target
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| weft_dir(&args.target.file).join(format!("{stem}.mp4")));
    let mut app = App {
        target: args.target.clone(),
        output,
        jobs: args.jobs.map_or(0, |j| j as usize),
        segments,
        list: ListState::default().with_selected(Some(0)),
        message: "ready".into(),
        problem: None,
        preview: None,
        busy: false,
        running: HashSet::new(),
        warnings: headlines(&prepared.warnings),
    };
    let (tx, rx) = mpsc::channel();
    let changed = tx.clone();
    let mut watcher = ProgramWatcher::new(Duration::from_millis(50), move |_| {
        let _ = changed.send(Note::Changed);
    });
    follow(&mut watcher, &mut app);
    let io = |e: std::io::Error| Failure::Io(format!("terminal: {e}"));
    terminal::enable_raw_mode().map_err(io)?;
    let mut stdout = std::io::stdout();
    crossterm::execute!(stdout, EnterAlternateScreen).map_err(io)?;
    let result = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .and_then(|mut t| event_loop(&mut t, &mut app, &mut watcher, &tx, &rx));
    let _ = terminal::disable_raw_mode();
    let _ = crossterm::execute!(std::io::stdout(), LeaveAlternateScreen);
    result.map_err(io)
}
