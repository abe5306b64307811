//! The syntax tree, exactly as written (playground forms already normalized to the
//! spec's forms where the meaning is identical), with a span on everything.

use weft_diagnostics::Span;

/// A name as written, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// One parsed file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct File {
    /// Top-level statements in source order.
    pub items: Vec<Item>,
}

/// A top-level (or segment-level) statement with its prose.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// The whole statement, prose excluded.
    pub span: Span,
    /// The comment lines directly above it, comment markers removed (Markdown).
    pub prose: Option<String>,
}

/// The statement kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `use "path.weft"`.
    Use {
        /// The path as written (escapes resolved).
        path: String,
        /// The string literal.
        path_span: Span,
    },
    /// `name<o1, o2> = expr` (also `expr :: name<o1, o2>`).
    Strand(StrandDef),
    /// `spindle f(a, b) { … }`.
    Spindle(SpindleDef),
    /// `display(…)`, `play(…)`, `osc("/addr", …)` (`render(…)` is `display`).
    Output(OutputStmt),
    /// `segment name(seconds) { … }`.
    Segment(SegmentDef),
    /// A control pragma: `#slider name<o> = lo, hi, default "label"` and the like.
    Control(ControlDef),
}

/// The playground's control pragmas: each defines an instance whose outputs are
/// live parameters with a widget (a badge defines nothing: it shows a strand).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ControlKind {
    /// `#slider name<o> = lo, hi, default`.
    Slider,
    /// `#color name<r, g, b> = r, g, b`, each in 0…1.
    Color,
    /// `#xy name<x, y> = x, y`, each in 0…1.
    Xy,
    /// `#toggle name<o> = 0` (or 1).
    Toggle,
    /// `#curve name<o> = p1, p2, …`: a curve through 2 to 16 points in 0…1, read
    /// over `me@x`.
    Curve,
    /// `#badge name<o>`: shows the live value of the strand `name@o`.
    Badge,
}

impl ControlKind {
    /// Every kind, in the order the grammar lists them.
    pub const ALL: [ControlKind; 6] = [
        ControlKind::Slider,
        ControlKind::Color,
        ControlKind::Xy,
        ControlKind::Toggle,
        ControlKind::Curve,
        ControlKind::Badge,
    ];

    /// The word after `#`.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlKind::Slider => "slider",
            ControlKind::Color => "color",
            ControlKind::Xy => "xy",
            ControlKind::Toggle => "toggle",
            ControlKind::Curve => "curve",
            ControlKind::Badge => "badge",
        }
    }

    /// The kind a word names.
    pub fn from_word(word: &str) -> Option<ControlKind> {
        ControlKind::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

/// `#kind name<o1, …> = v1, v2, … "label"`.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlDef {
    /// Which widget.
    pub kind: ControlKind,
    /// The word after `#`, as written.
    pub keyword: Ident,
    /// The instance it defines (for a badge: the instance it shows).
    pub name: Ident,
    /// Its outputs (for a badge: the output it shows).
    pub outputs: Vec<Ident>,
    /// The numbers after `=` (checked when lowering: constants, counts, ranges).
    pub values: Vec<Expr>,
    /// The label string, when given.
    pub label: Option<(String, Span)>,
}

/// `name<o1, o2> = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct StrandDef {
    /// The instance name (`me` for render settings such as `me<width> = 800`).
    pub name: Ident,
    /// The output names, at least one.
    pub outputs: Vec<Ident>,
    /// The right side.
    pub value: Expr,
}

/// A user function, inlined at every call.
#[derive(Clone, Debug, PartialEq)]
pub struct SpindleDef {
    /// Its name (may shadow a builtin outside its own body).
    pub name: Ident,
    /// Scalar parameters.
    pub params: Vec<Ident>,
    /// The playground's declared outputs (`:: <s, d>`); `None` in the spec's form.
    pub outputs: Option<Vec<Ident>>,
    /// The body statements in order.
    pub body: Vec<SpindleStmt>,
}

/// A statement inside a spindle body.
#[derive(Clone, Debug, PartialEq)]
pub enum SpindleStmt {
    /// A local strand definition `d<v> = …`.
    Strand(StrandDef),
    /// `x = e`, `let x = e`, `out s = e`, `x += e` (and `-= *= /=`).
    Assign(Assign),
    /// `return e` or `return (a, b)`.
    Return(Expr),
}

/// A playground assignment inside a spindle.
#[derive(Clone, Debug, PartialEq)]
pub struct Assign {
    /// Plain, `let` or `out`.
    pub kind: AssignKind,
    /// The assigned name.
    pub target: Ident,
    /// `Some(op)` for compound assignments such as `+=`.
    pub op: Option<BinOp>,
    /// The right side.
    pub value: Expr,
    /// The whole statement.
    pub span: Span,
}

/// How an assignment was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignKind {
    /// `x = e` (an output if `x` is a declared output, else a local).
    Plain,
    /// `let x = e`.
    Let,
    /// `out s = e`.
    Out,
}

/// The output statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputKind {
    /// `display(v)` or `display(r, g, b)`; also `render(…)`.
    Display,
    /// `play(v)` or `play(l, r)`.
    Play,
    /// `osc("/address", v…)`.
    Osc,
}

/// An output statement.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputStmt {
    /// Which output.
    pub kind: OutputKind,
    /// The keyword as written (`display`, `render`, …).
    pub keyword: Ident,
    /// For `osc`: the address string and its span.
    pub address: Option<(String, Span)>,
    /// The value arguments (the address excluded).
    pub args: Vec<Expr>,
}

/// `segment name(seconds) { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentDef {
    /// Its name.
    pub name: Ident,
    /// Its length in seconds (as written; checked later).
    pub duration: f64,
    /// The number literal.
    pub duration_span: Span,
    /// Strand definitions and outputs, in order.
    pub items: Vec<Item>,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Expression kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Number(f64),
    /// A string literal (meaningful only as a source argument).
    String(String),
    /// A bare name: a constant (`pi`), a spindle parameter or local, or an instance
    /// with one output.
    Name(String),
    /// `inst@out` or `inst.out`; also `me@x` and `mouse@x`.
    Access {
        /// The instance (`me`, `mouse`, or a defined name).
        inst: Ident,
        /// The output or coordinate.
        out: Ident,
    },
    /// `-e`, `!e` (`not e`).
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// `a op1 b op2 c …` (playground spellings normalized): a run of operators of
    /// one precedence level, left-associative, so it means `((a op1 b) op2 c) …`.
    /// Kept flat so that a long sum is as shallow as a short one; `^`, which
    /// associates to the right, always has one operator (`2^3^2` nests).
    Binary {
        /// The first operand.
        lhs: Box<Expr>,
        /// Each further operator with its right operand, in source order.
        rest: Vec<(BinOp, Expr)>,
    },
    /// `f(a, b)`: a builtin, a source or a spindle.
    Call {
        /// The called name.
        callee: Ident,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `(a, b, c)` or the playground's bundle `<a, b, c>`; never a single element.
    Tuple(Vec<Expr>),
    /// `target[me@d1 ~ e1, …]` (also the playground's `target(me@x ~ e1)` and
    /// positional `target(e1, e2, e3)`, normalized to `x`, `y`, `time`).
    Remap {
        /// The remapped expression.
        target: Box<Expr>,
        /// The coordinate substitutions.
        args: Vec<RemapArg>,
    },
    /// `if c then a else b` (the same as `select(c, a, b)`, whatever `select` means
    /// at that point).
    If {
        /// Condition.
        cond: Box<Expr>,
        /// Value where the condition is non-zero.
        then: Box<Expr>,
        /// Value elsewhere.
        otherwise: Box<Expr>,
    },
    /// Stands in for an expression that failed to parse (its error is already
    /// reported).
    Error,
}

/// One `me@dim ~ value` of a remap.
#[derive(Clone, Debug, PartialEq)]
pub struct RemapArg {
    /// The coordinate name (`x` for `me@x`; only the dimension counts).
    pub dim: Ident,
    /// Its new value, evaluated at the current point.
    pub value: Expr,
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `!` / `not`
    Not,
}

/// Infix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `||` / `or`
    Or,
    /// `&&` / `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<` / `<<`
    Lt,
    /// `<=` / `<<=`
    Le,
    /// `>` / `>>`
    Gt,
    /// `>=` / `>>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%` (floored)
    Rem,
    /// `^` (right-associative)
    Pow,
}

impl BinOp {
    /// The spec's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Pow => "^",
        }
    }
}
