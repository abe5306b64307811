//! What every name in a program is: the definitions (instances, spindles and
//! their parameters and locals, segments) and every occurrence of a name with
//! what it stands for. Built from the syntax trees alone, so it exists for
//! half-typed files too; hover, go to definition, references, rename, symbols,
//! completion and semantic tokens all read it.

use std::collections::HashMap;
use std::path::PathBuf;
use weft_diagnostics::{FileId, Span};
use weft_lang::ast::{
    ControlKind, Expr, ExprKind, File, Ident, Item, ItemKind, SpindleStmt, StrandDef,
};

/// What kind of thing a definition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    /// `name<o…> = …` at the top level or in a segment.
    Instance,
    /// `spindle f(…) { … }`.
    Spindle,
    /// `segment name(seconds) { … }`.
    Segment,
    /// A spindle's parameter.
    Param,
    /// A strand or variable local to a spindle.
    Local,
}

/// One definition.
#[derive(Clone, Debug)]
pub struct Def {
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: DefKind,
    /// The name where it is defined.
    pub span: Span,
    /// The whole statement.
    pub item: Span,
    /// Outputs (instances, locals), or a spindle's declared outputs.
    pub outputs: Vec<Ident>,
    /// A spindle's parameters.
    pub params: Vec<String>,
    /// The comment lines above it.
    pub prose: Option<String>,
    /// The spindle a parameter or local belongs to; the segment an instance is in.
    pub parent: Option<usize>,
    /// A segment's length in seconds.
    pub seconds: f64,
}

/// What an occurrence of a name stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A definition (index into [`Index::defs`]).
    Def(usize),
    /// Output `k` of definition `d`.
    Output(usize, usize),
    /// `me@name`.
    Coord(String),
    /// `mouse@x`, `mouse@y`.
    Mouse(String),
    /// A builtin function or source called by name.
    Builtin(String),
    /// `pi`, `tau`, `e`.
    Constant(String),
    /// `me<width>` and the other render settings.
    Setting(String),
    /// The file a `use` names.
    File(PathBuf),
    /// A keyword (`me`, `display`, …).
    Keyword,
    /// A name that resolves to nothing.
    Unknown,
}

/// One name in the text.
#[derive(Clone, Debug)]
pub struct Occurrence {
    /// Where.
    pub span: Span,
    /// What it stands for.
    pub target: Target,
}

/// Every definition and occurrence of one build.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// The definitions.
    pub defs: Vec<Def>,
    /// The occurrences, definitions' names included, in walking order.
    pub occurrences: Vec<Occurrence>,
    globals: HashMap<String, Vec<usize>>,
}

impl Index {
    /// Indexes the trees of one build; `paths[i]` is the path of `FileId(i)`.
    pub fn build(trees: &[(FileId, File)], paths: &[PathBuf]) -> Index {
        let mut index = Index::default();
        for (_, tree) in trees {
            index.declare(&tree.items, None);
        }
        for (file, tree) in trees {
            let dir = paths
                .get(file.0 as usize)
                .and_then(|p| p.parent())
                .map(|p| p.to_path_buf())
                .unwrap_or_default();
            for item in &tree.items {
                index.item(item, *file, &dir);
            }
        }
        index
    }

    /// The occurrence under byte `offset` of `file` (an end counts: the cursor
    /// just after a name is on it).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        let o = offset as u32;
        self.occurrences
            .iter()
            .filter(|x| x.span.file == file && x.span.start <= o && o <= x.span.end)
            .min_by_key(|x| x.span.end - x.span.start)
    }

    /// Every occurrence standing for `target`.
    pub fn uses_of<'a>(&'a self, target: &'a Target) -> impl Iterator<Item = &'a Occurrence> {
        self.occurrences.iter().filter(move |o| &o.target == target)
    }

    /// The global definition called `name` seen from `file` (its own first).
    pub fn global(&self, name: &str, file: FileId) -> Option<usize> {
        let ids = self.globals.get(name)?;
        ids.iter()
            .copied()
            .find(|&d| self.defs[d].span.file == file)
            .or_else(|| ids.first().copied())
    }

    fn add(&mut self, def: Def) -> usize {
        self.defs.push(def);
        self.defs.len() - 1
    }

    fn declare(&mut self, items: &[Item], segment: Option<usize>) {
        for item in items {
            let (name, kind, outputs, params) = match &item.kind {
                ItemKind::Strand(s) if s.name.name != "me" => {
                    (&s.name, DefKind::Instance, s.outputs.clone(), Vec::new())
                }
                ItemKind::Spindle(s) => (
                    &s.name,
                    DefKind::Spindle,
                    s.outputs.clone().unwrap_or_default(),
                    s.params.iter().map(|p| p.name.clone()).collect(),
                ),
                ItemKind::Segment(s) => (&s.name, DefKind::Segment, Vec::new(), Vec::new()),
                ItemKind::Control(c) if c.kind != ControlKind::Badge => {
                    (&c.name, DefKind::Instance, c.outputs.clone(), Vec::new())
                }
                _ => continue,
            };
            let d = self.add(Def {
                name: name.name.clone(),
                kind,
                span: name.span,
                item: item.span,
                outputs,
                params,
                prose: item.prose.clone(),
                parent: segment,
                seconds: match &item.kind {
                    ItemKind::Segment(s) => s.duration,
                    _ => 0.0,
                },
            });
            if kind != DefKind::Segment {
                self.globals.entry(name.name.clone()).or_default().push(d);
            }
            if let ItemKind::Segment(s) = &item.kind {
                self.declare(&s.items, Some(d));
            }
        }
    }

    fn occur(&mut self, span: Span, target: Target) {
        self.occurrences.push(Occurrence { span, target });
    }

    fn def_named(&self, name: &Ident, kind: DefKind) -> Option<usize> {
        self.defs
            .iter()
            .position(|d| d.kind == kind && d.span == name.span)
    }

    fn item(&mut self, item: &Item, file: FileId, dir: &std::path::Path) {
        match &item.kind {
            ItemKind::Use { path, path_span } => {
                self.occur(
                    *path_span,
                    Target::File(crate::documents::key(&dir.join(path))),
                );
            }
            ItemKind::Strand(s) if s.name.name == "me" => {
                self.occur(s.name.span, Target::Keyword);
                for o in &s.outputs {
                    self.occur(o.span, Target::Setting(o.name.clone()));
                }
                self.expr(&s.value, file, &Scope::default());
            }
            ItemKind::Strand(s) => {
                if let Some(d) = self.def_named(&s.name, DefKind::Instance) {
                    self.strand_names(s, d);
                }
                self.expr(&s.value, file, &Scope::default());
            }
            ItemKind::Spindle(sp) => {
                let Some(d) = self.def_named(&sp.name, DefKind::Spindle) else {
                    return;
                };
                self.occur(sp.name.span, Target::Def(d));
                let mut scope = Scope::default();
                for (k, o) in sp.outputs.iter().flatten().enumerate() {
                    self.occur(o.span, Target::Output(d, k));
                }
                for p in &sp.params {
                    let pd = self.local(p, DefKind::Param, Vec::new(), item.span, d);
                    scope.names.insert(p.name.clone(), pd);
                }
                for stmt in &sp.body {
                    self.spindle_stmt(stmt, file, d, &mut scope);
                }
            }
            ItemKind::Output(o) => {
                self.occur(o.keyword.span, Target::Keyword);
                for a in &o.args {
                    self.expr(a, file, &Scope::default());
                }
            }
            ItemKind::Control(c) => {
                self.occur(c.keyword.span, Target::Keyword);
                if c.kind == ControlKind::Badge {
                    // A badge shows a strand defined elsewhere.
                    let d = self.resolve(&c.name.name, file, &Scope::default());
                    self.occur(c.name.span, d.map_or(Target::Unknown, Target::Def));
                    for o in &c.outputs {
                        let t = self.output(&c.name.name, &o.name, file, &Scope::default());
                        self.occur(o.span, t);
                    }
                } else if let Some(d) = self.def_named(&c.name, DefKind::Instance) {
                    self.occur(c.name.span, Target::Def(d));
                    for (k, o) in c.outputs.iter().enumerate() {
                        self.occur(o.span, Target::Output(d, k));
                    }
                }
                for v in &c.values {
                    self.expr(v, file, &Scope::default());
                }
            }
            ItemKind::Segment(s) => {
                if let Some(d) = self.def_named(&s.name, DefKind::Segment) {
                    self.occur(s.name.span, Target::Def(d));
                }
                for i in &s.items {
                    self.item(i, file, dir);
                }
            }
        }
    }

    fn strand_names(&mut self, s: &StrandDef, d: usize) {
        self.occur(s.name.span, Target::Def(d));
        for (k, o) in s.outputs.iter().enumerate() {
            self.occur(o.span, Target::Output(d, k));
        }
    }

    fn local(
        &mut self,
        name: &Ident,
        kind: DefKind,
        outputs: Vec<Ident>,
        item: Span,
        parent: usize,
    ) -> usize {
        self.add(Def {
            name: name.name.clone(),
            kind,
            span: name.span,
            item,
            outputs,
            params: Vec::new(),
            prose: None,
            parent: Some(parent),
            seconds: 0.0,
        })
    }

    fn spindle_stmt(
        &mut self,
        stmt: &SpindleStmt,
        file: FileId,
        spindle: usize,
        scope: &mut Scope,
    ) {
        match stmt {
            SpindleStmt::Strand(s) => {
                self.expr(&s.value, file, scope);
                let span = s.name.span.to(s.value.span);
                let d = self.local(&s.name, DefKind::Local, s.outputs.clone(), span, spindle);
                self.strand_names(s, d);
                scope.names.insert(s.name.name.clone(), d);
            }
            SpindleStmt::Assign(a) => {
                self.expr(&a.value, file, scope);
                let declared = self.defs[spindle]
                    .outputs
                    .iter()
                    .position(|o| o.name == a.target.name);
                if let Some(k) = declared {
                    self.occur(a.target.span, Target::Output(spindle, k));
                } else if let Some(&d) = scope.names.get(&a.target.name) {
                    self.occur(a.target.span, Target::Def(d));
                } else {
                    let d = self.local(&a.target, DefKind::Local, Vec::new(), a.span, spindle);
                    self.occur(a.target.span, Target::Def(d));
                    scope.names.insert(a.target.name.clone(), d);
                }
            }
            SpindleStmt::Return(e) => self.expr(e, file, scope),
        }
    }

    fn resolve(&self, name: &str, file: FileId, scope: &Scope) -> Option<usize> {
        scope.names.get(name).copied().or_else(|| {
            self.global(name, file)
                .filter(|&d| self.defs[d].kind == DefKind::Instance)
        })
    }

    /// Output `out` of the instance `name`, whichever of its statements defines
    /// it (an instance's outputs may be defined one by one).
    fn output(&self, name: &str, out: &str, file: FileId, scope: &Scope) -> Target {
        let local = scope.names.get(name).copied();
        let candidates: Vec<usize> = match local {
            Some(d) => vec![d],
            None => {
                let mut ids = self.globals.get(name).cloned().unwrap_or_default();
                ids.sort_by_key(|&d| self.defs[d].span.file != file);
                ids
            }
        };
        for d in candidates {
            if let Some(k) = self.defs[d].outputs.iter().position(|o| o.name == out) {
                return Target::Output(d, k);
            }
        }
        Target::Unknown
    }

    /// Every output of the instance `name` seen from `file`, over all the
    /// statements that define it.
    pub fn outputs_of(&self, name: &str, file: FileId) -> Vec<&Ident> {
        let mut ids = self.globals.get(name).cloned().unwrap_or_default();
        ids.sort_by_key(|&d| self.defs[d].span.file != file);
        let mut out: Vec<&Ident> = Vec::new();
        for d in ids {
            for o in &self.defs[d].outputs {
                if !out.iter().any(|x| x.name == o.name) {
                    out.push(o);
                }
            }
        }
        out
    }

    fn expr(&mut self, e: &Expr, file: FileId, scope: &Scope) {
        match &e.kind {
            ExprKind::Number(_) | ExprKind::String(_) | ExprKind::Error => {}
            ExprKind::Name(n) => {
                let target = match self.resolve(n, file, scope) {
                    Some(d) => Target::Def(d),
                    None if weft_lang::builtins::constant(n).is_some() => {
                        Target::Constant(n.clone())
                    }
                    None => Target::Unknown,
                };
                self.occur(e.span, target);
            }
            ExprKind::Access { inst, out } => match inst.name.as_str() {
                "me" => {
                    self.occur(inst.span, Target::Keyword);
                    self.occur(out.span, Target::Coord(out.name.clone()));
                }
                "mouse" => {
                    self.occur(inst.span, Target::Keyword);
                    self.occur(out.span, Target::Mouse(out.name.clone()));
                }
                _ => match self.resolve(&inst.name, file, scope) {
                    Some(d) => {
                        self.occur(inst.span, Target::Def(d));
                        let t = self.output(&inst.name, &out.name, file, scope);
                        self.occur(out.span, t);
                    }
                    None => {
                        self.occur(inst.span, Target::Unknown);
                        self.occur(out.span, Target::Unknown);
                    }
                },
            },
            ExprKind::Unary { expr, .. } => self.expr(expr, file, scope),
            ExprKind::Binary { lhs, rest } => {
                self.expr(lhs, file, scope);
                for (_, r) in rest {
                    self.expr(r, file, scope);
                }
            }
            ExprKind::Call { callee, args } => {
                let spindle = self
                    .global(&callee.name, file)
                    .filter(|&d| self.defs[d].kind == DefKind::Spindle);
                let target = match spindle {
                    Some(d) => Target::Def(d),
                    None if crate::builtins::doc(&callee.name).is_some() => {
                        Target::Builtin(callee.name.clone())
                    }
                    None => Target::Unknown,
                };
                self.occur(callee.span, target);
                for a in args {
                    self.expr(a, file, scope);
                }
            }
            ExprKind::Tuple(items) => {
                for i in items {
                    self.expr(i, file, scope);
                }
            }
            ExprKind::Remap { target, args } => {
                self.expr(target, file, scope);
                for a in args {
                    self.occur(a.dim.span, Target::Coord(a.dim.name.clone()));
                    self.expr(&a.value, file, scope);
                }
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, file, scope);
                self.expr(then, file, scope);
                self.expr(otherwise, file, scope);
            }
        }
    }
}

/// The names a spindle body sees.
#[derive(Default)]
struct Scope {
    names: HashMap<String, usize>,
}
