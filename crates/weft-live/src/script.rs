//! The command language every front end speaks (`play`, `seek 12.5`, `set freq
//! 880`, `get freq`, `ls`, `info`, `help` …), parsed once at the edge into typed
//! commands and queries; text never reaches the engine thread.

use super::command::Command;

/// One line of the command language.
#[derive(Debug)]
pub enum Line {
    /// A mutation for the engine's queue.
    Command(Command),
    /// A question answered from the latest snapshot.
    Query(Query),
    /// A render of the file (`weft dev` only: the engine never renders).
    Render(RenderCommand),
}

/// The render commands (`docs/protocol.md`): they work on the file's render cache,
/// not on the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderCommand {
    /// `render` or `render all`: every chunk not cached, then the joined video.
    All,
    /// `render SEGMENT`: one segment's chunks.
    Segment(String),
    /// `preview SEGMENT`: the segment's last frame, as its thumbnail.
    Preview(String),
    /// `status`: each segment's state.
    Status,
    /// `cancel`: stop the running render (finished chunks stay cached).
    Cancel,
}

/// A question about the engine's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// The value and range of one parameter.
    Get(String),
    /// Every parameter.
    List,
    /// Transport, time, tempo, program version and last error.
    Info,
    /// The commands.
    Help,
}

/// Why a line is not a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// Nothing but blanks.
    #[error("empty command; try `help`")]
    Empty,
    /// The first word is no command.
    #[error("unknown command `{0}`; try `help`")]
    Unknown(String),
    /// Wrong arguments for a known command.
    #[error("{0}")]
    Usage(String),
}

/// What `help` prints.
pub const HELP: &str = "\
play              start or resume the transport
pause             hold the transport where it is
stop              pause and rewind to 0
reset             stop; parameters and tempo back to their defaults
seek SECONDS      move the transport (seek 12.5)
bpm TEMPO         set the tempo in beats per minute (bpm 120)
set NAME VALUE    set a parameter (set freq 880)
get NAME          show a parameter's value and range
ls                list the parameters
info              transport, time, tempo, program version, last error
render [all]      render every chunk not cached and join the video (weft dev)
render SEGMENT    render one segment's chunks (weft dev)
preview SEGMENT   draw a segment's last frame as its thumbnail (weft dev)
status            each segment's render state (weft dev)
cancel            stop the running render (weft dev)
help              this list";

/// Parses one line of the command language.
pub fn parse(text: &str) -> Result<Line, ScriptError> {
    let mut words = text.split_whitespace();
    let Some(head) = words.next() else {
        return Err(ScriptError::Empty);
    };
    let args: Vec<&str> = words.collect();
    let usage = |form: &str| ScriptError::Usage(format!("usage: {form}"));
    let none = |line: Line, form: &str| {
        if args.is_empty() {
            Ok(line)
        } else {
            Err(usage(form))
        }
    };
    match head.to_ascii_lowercase().as_str() {
        "play" => none(Line::Command(Command::Play), "play"),
        "pause" => none(Line::Command(Command::Pause), "pause"),
        "stop" => none(Line::Command(Command::Stop), "stop"),
        "reset" => none(Line::Command(Command::Reset), "reset"),
        "ls" => none(Line::Query(Query::List), "ls"),
        "info" => none(Line::Query(Query::Info), "info"),
        "help" | "?" => none(Line::Query(Query::Help), "help"),
        "seek" => match args.as_slice() {
            [t] => {
                let t = number(t, "seek")?;
                if t < 0.0 {
                    return Err(ScriptError::Usage(format!(
                        "seek: {t} is before the start; times are 0 or more"
                    )));
                }
                Ok(Line::Command(Command::Seek(t)))
            }
            _ => Err(usage("seek SECONDS (seek 12.5)")),
        },
        "bpm" => match args.as_slice() {
            [b] => Ok(Line::Command(Command::SetTempo(number(b, "bpm")?))),
            _ => Err(usage("bpm TEMPO (bpm 120)")),
        },
        "set" => match args.as_slice() {
            [name, value] => Ok(Line::Command(Command::SetParam {
                id: param_name(name)?,
                value: number(value, "set")?,
            })),
            _ => Err(usage("set NAME VALUE (set freq 880)")),
        },
        "render" => match args.as_slice() {
            [] | ["all"] => Ok(Line::Render(RenderCommand::All)),
            [segment] => Ok(Line::Render(RenderCommand::Segment(segment.to_string()))),
            _ => Err(usage("render [all|SEGMENT] (render intro)")),
        },
        "preview" => match args.as_slice() {
            [segment] => Ok(Line::Render(RenderCommand::Preview(segment.to_string()))),
            _ => Err(usage("preview SEGMENT (preview intro)")),
        },
        "status" => none(Line::Render(RenderCommand::Status), "status"),
        "cancel" => none(Line::Render(RenderCommand::Cancel), "cancel"),
        "get" => match args.as_slice() {
            [name] => Ok(Line::Query(Query::Get(param_name(name)?))),
            _ => Err(usage("get NAME (get freq)")),
        },
        _ => Err(ScriptError::Unknown(head.to_string())),
    }
}

fn number(s: &str, command: &str) -> Result<f64, ScriptError> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| ScriptError::Usage(format!("{command}: `{s}` is not a finite number")))
}

fn param_name(s: &str) -> Result<String, ScriptError> {
    let ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '#' | '@'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(ScriptError::Usage(format!("`{s}` is not a parameter name")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> Command {
        match parse(s) {
            Ok(Line::Command(c)) => c,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn every_command_parses_to_its_type() {
        assert!(matches!(cmd("play"), Command::Play));
        assert!(matches!(cmd("  PAUSE "), Command::Pause));
        assert!(matches!(cmd("stop"), Command::Stop));
        assert!(matches!(cmd("reset"), Command::Reset));
        assert!(matches!(cmd("seek 12.5"), Command::Seek(t) if t == 12.5));
        assert!(matches!(cmd("bpm 120"), Command::SetTempo(b) if b == 120.0));
        assert!(
            matches!(cmd("set freq 880"), Command::SetParam { id, value } if id == "freq" && value == 880.0)
        );
        assert!(
            matches!(cmd("set voice#2 -1e-3"), Command::SetParam { id, .. } if id == "voice#2")
        );
        assert_eq!(
            parse("get freq")
                .ok()
                .map(|l| matches!(l, Line::Query(Query::Get(n)) if n == "freq")),
            Some(true)
        );
        assert!(matches!(parse("ls"), Ok(Line::Query(Query::List))));
        assert!(matches!(parse("info"), Ok(Line::Query(Query::Info))));
        assert!(matches!(parse("help"), Ok(Line::Query(Query::Help))));
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let err = |s: &str| parse(s).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(err(""), "empty command; try `help`");
        assert_eq!(err("jump"), "unknown command `jump`; try `help`");
        assert_eq!(err("seek"), "usage: seek SECONDS (seek 12.5)");
        assert_eq!(err("seek soon"), "seek: `soon` is not a finite number");
        assert_eq!(
            err("seek -1"),
            "seek: -1 is before the start; times are 0 or more"
        );
        assert_eq!(err("seek inf"), "seek: `inf` is not a finite number");
        assert_eq!(err("bpm NaN"), "bpm: `NaN` is not a finite number");
        assert_eq!(err("set freq"), "usage: set NAME VALUE (set freq 880)");
        assert_eq!(err("set 9x 1"), "`9x` is not a parameter name");
        assert_eq!(err("play now"), "usage: play");
        assert_eq!(err("get"), "usage: get NAME (get freq)");
    }

    #[test]
    fn garbage_never_panics() {
        for s in [
            "\0",
            "set \u{1F600} 1",
            "seek 1e999",
            "bpm --",
            "\t\n",
            "set a b c d",
        ] {
            assert!(parse(s).is_err(), "{s:?}");
        }
    }
}
