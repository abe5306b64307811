//! The stable diagnostic codes. A code never changes meaning once released; the table
//! in `docs/language.md` lists them all (a test keeps the two in step).

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The program does not run.
    Error,
    /// The program runs, with a fallback.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($($name:ident = $code:literal, $summary:literal;)*) => {
        /// Every class of diagnostic weft reports.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $(
                #[doc = $summary]
                $name,
            )*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$name),*];

            /// The stable text, such as `E0301`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => $code,)* }
            }

            /// One line saying what the class means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$name => $summary,)* }
            }
        }
    };
}

codes! {
    InvalidUtf8 = "E0101", "the source is not valid UTF-8";
    UnexpectedChar = "E0102", "a character that starts no token";
    UnterminatedString = "E0103", "a string without its closing quote";
    UnterminatedComment = "E0104", "a block comment without its closing `*/`";
    InvalidNumber = "E0105", "a malformed number literal";
    InvalidEscape = "E0106", "an escape other than `\\\"` or `\\\\` in a string";
    UnexpectedToken = "E0201", "the parser expected something else here";
    UnclosedDelimiter = "E0202", "an opening `(`, `[`, `{` or `<` that is never closed";
    TooDeep = "E0203", "nesting deeper than the parser allows (256 levels)";
    BadRemap = "E0204", "a remap whose left side is not a coordinate (`me@x ~ …`)";
    MisplacedString = "E0205", "a string outside `use`, `load`, `osc` or `sample`";
    UnknownName = "E0301", "a name that is not defined";
    DuplicateDefinition = "E0302", "a name defined twice";
    UnknownOutput = "E0303", "an instance has no output of that name";
    UnknownFunction = "E0304", "a call to something that is neither a builtin nor a spindle";
    ImportCollision = "E0305", "an imported name collides with another definition";
    ImportCycle = "E0306", "files that `use` each other in a cycle";
    ImportNotFound = "E0307", "a `use` whose file cannot be read";
    Recursion = "E0308", "a spindle that calls itself, directly or not";
    UnknownSetting = "E0309", "a `me<…>` setting weft does not know";
    AmbiguousInstance = "E0310", "an instance with several outputs used without naming one";
    OutputCount = "E0401", "a definition whose value count differs from its output count";
    BuiltinArity = "E0402", "a builtin called with the wrong number of arguments";
    SpindleArity = "E0403", "a spindle called with the wrong number of arguments";
    TupleInScalar = "E0404", "several values where one is expected";
    OutputArgs = "E0405", "an output statement with the wrong arguments";
    NotConstant = "E0406", "a value that must be a constant number is not";
    Cycle = "E0501", "instances that depend on each other in a cycle";
    MixedSegments = "E0502", "a file with both segments and top-level outputs";
    DuplicateOutput = "E0503", "two `display` (or two `play`) outputs in one scope";
    BadDuration = "E0504", "a segment duration that is not a positive number";
    MissingReturn = "E0505", "a spindle without `return` or outputs";
    NoOutput = "E0506", "a command asks for an output (display, play) the program does not have";
    SourceLoad = "E0601", "a `load` or `sample` file that cannot be read or decoded";
    SourceArgs = "E0602", "a source called with arguments it does not take";
    ParamRange = "E0603", "a `param` whose range is empty or not constant";
    Unsupported = "E0701", "a playground form weft does not support yet";
    MicFallback = "W0601", "`mic()` without `--mic FILE` plays silence";
    CameraFallback = "W0602", "`camera()` without `--camera FILE` shows black";
    TooLarge = "E0801", "a program larger than weft compiles (the size budget in docs/language.md)";
    UnboundCoordinate = "W0301", "a `me@…` coordinate no backend binds and no remap sets, named like one that is bound";
    CpuFallback = "W0802", "a picture the GPU was chosen for but cannot draw, drawn on the CPU";
    ControlPragma = "E0604", "a control pragma (`#slider` …) of an unknown type, with the wrong count or a value outside its range";
}

#[cfg(test)]
mod tests {
    use super::Code;

    /// `docs/language.md` lists every code with its summary, in table order.
    #[test]
    fn the_documented_table_is_this_one() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/language.md");
        let text = std::fs::read_to_string(docs).expect("docs/language.md");
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("| E") || l.starts_with("| W"))
            .collect();
        let want: Vec<String> = Code::ALL
            .iter()
            .map(|c| format!("| {} | {} |", c.as_str(), c.summary()))
            .collect();
        assert_eq!(rows, want);
    }
}
