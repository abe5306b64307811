//! Name resolution and lowering: turns the parsed files of a build into one
//! [`Program`], binding every name, inlining spindles, checking counts.
//!
//! Lowering stays polynomial on hostile input: the arena is hash-consed (the same
//! expression is one node), a spindle call with the same arguments is inlined
//! once, spindle recursion and nesting are found once on the call graph before
//! anything is inlined, and the program's size is bounded by [`MAX_NODES`] with a
//! `TooLarge` diagnostic, checked as the arena grows.

mod arena;
mod calls;
mod control;
mod expr;
mod root;
mod spindle;
mod spread;

use crate::ast::{self, ItemKind};
use crate::ir::{
    coord, CoordId, Expr, ExprId, InstId, Instance, Program, SegmentId, SourceId, MAX_NODES,
};
use arena::Interner;
use calls::CallGraph;
use rustc_hash::FxHashMap;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use weft_diagnostics::{Code, Diagnostic, FileId, Span};

/// One parsed file of a build.
pub(crate) struct FileUnit {
    pub id: FileId,
    /// The folder relative paths in this file are resolved against.
    pub dir: PathBuf,
    pub ast: ast::File,
    /// The files this one `use`s: (index into the unit list, the `use` statement).
    pub uses: Vec<(usize, Span)>,
    pub is_root: bool,
}

#[derive(Clone, Copy, Debug)]
enum Binding {
    Inst(InstId),
    /// (unit, item index) of a spindle definition.
    Spindle(usize, usize),
}

#[derive(Clone)]
enum Local {
    Value(ExprId),
    Strand {
        outputs: Vec<String>,
        values: Vec<ExprId>,
    },
}

struct Env {
    unit: usize,
    locals: HashMap<String, Local>,
}

/// Lowered values of an expression: usually one; several for tuples, sources and
/// spindles returning tuples. `prefix` marks values of a multi-output builtin, of
/// which a definition may take the first few.
#[derive(Clone)]
struct Vals {
    ids: Vec<ExprId>,
    prefix: bool,
}

impl Vals {
    fn one(id: ExprId) -> Vals {
        Vals {
            ids: vec![id],
            prefix: false,
        }
    }
}

/// A spindle call: the spindle (unit, item index) and its argument nodes.
type Call = ((usize, usize), Box<[ExprId]>);

struct Lowerer<'a> {
    units: &'a [FileUnit],
    scopes: Vec<HashMap<String, Binding>>,
    prog: Program,
    /// The arena's hash-consing table.
    interned: Interner,
    diags: Vec<Diagnostic>,
    /// Spindles being inlined, innermost last.
    stack: Vec<(usize, usize)>,
    /// Who calls whom, and the spindles that must not be inlined (their error is
    /// reported once already).
    calls: CallGraph,
    /// Inlined calls by spindle and argument nodes: the same call is one result.
    inlined: FxHashMap<Call, Option<Vals>>,
    /// The instance whose value is being lowered (names `param`s).
    current: Option<InstId>,
    /// Per unit, per definition (in `strands` order): the instance it defines
    /// outputs of, or `None` (settings, errors, imported segments).
    parts: Vec<Vec<Option<InstId>>>,
    params_in_current: u32,
    /// Checking a spindle body on its own: no params or sources are recorded.
    dry_run: bool,
    /// The statement being lowered, for a `TooLarge` diagnostic.
    site: Span,
    /// The size budget ran out: lowering stops, every expression is `None`.
    too_large: bool,
    /// "Did you mean" suggestions still to compute (each scans every candidate).
    suggestions_left: u32,
    /// Coordinate ids by name (the same as `prog.coords`).
    coord_ids: HashMap<String, CoordId>,
    /// Where each `me@…` coordinate is first read, and the ones a remap sets.
    coord_reads: HashMap<String, Span>,
    coords_remapped: HashSet<String>,
}

/// Lowers a build's files (imports before the files that use them; the root last).
pub(crate) fn lower(units: &[FileUnit]) -> (Option<Program>, Vec<Diagnostic>) {
    let mut l = Lowerer {
        units,
        scopes: vec![HashMap::new(); units.len()],
        prog: Program::default(),
        interned: Interner::default(),
        diags: Vec::new(),
        stack: Vec::new(),
        calls: CallGraph::default(),
        inlined: FxHashMap::default(),
        current: None,
        parts: Vec::new(),
        params_in_current: 0,
        dry_run: false,
        site: Span::default(),
        too_large: false,
        suggestions_left: 100,
        coord_ids: HashMap::new(),
        coord_reads: HashMap::new(),
        coords_remapped: HashSet::new(),
    };
    for name in coord::NAMES {
        l.coord(name);
    }
    l.declare();
    let (calls, call_diags) = CallGraph::new(units, &l.scopes);
    l.calls = calls;
    l.diags.extend(call_diags);
    l.check_spindles();
    l.lower_instances();
    l.lower_root();
    l.badges();
    l.finish_deps();
    l.unbound_coordinates();
    let mut diags = l.diags;
    dedup(&mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        (None, diags)
    } else {
        (Some(l.prog), diags)
    }
}

fn dedup(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| {
        seen.insert((
            d.code,
            d.span.map(|s| (s.file, s.start, s.end)),
            d.message.clone(),
        ))
    });
}

/// A statement that defines (some outputs of) an instance.
#[derive(Clone, Copy)]
enum Def<'a> {
    /// `name<o1, o2> = value`.
    Strand(&'a ast::StrandDef),
    /// `#slider name<o> = …` and the other controls, badges excepted.
    Control(&'a ast::ControlDef),
}

impl<'a> Def<'a> {
    fn name(self) -> &'a ast::Ident {
        match self {
            Def::Strand(d) => &d.name,
            Def::Control(c) => &c.name,
        }
    }

    fn outputs(self) -> &'a [ast::Ident] {
        match self {
            Def::Strand(d) => &d.outputs,
            Def::Control(c) => &c.outputs,
        }
    }
}

/// The definitions of a file, with the segment each is in.
fn strands(file: &ast::File) -> Vec<(&ast::Item, Def<'_>, Option<usize>)> {
    fn def(kind: &ItemKind) -> Option<Def<'_>> {
        match kind {
            ItemKind::Strand(d) => Some(Def::Strand(d)),
            ItemKind::Control(c) if c.kind != ast::ControlKind::Badge => Some(Def::Control(c)),
            _ => None,
        }
    }
    let mut out = Vec::new();
    let mut segment = 0;
    for item in &file.items {
        match &item.kind {
            ItemKind::Segment(seg) => {
                for inner in &seg.items {
                    if let Some(d) = def(&inner.kind) {
                        out.push((inner, d, Some(segment)));
                    }
                }
                segment += 1;
            }
            kind => {
                if let Some(d) = def(kind) {
                    out.push((item, d, None));
                }
            }
        }
    }
    out
}

impl Lowerer<'_> {
    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, message));
    }

    /// The node for `e`: an equal node already in the arena, or a new one. A new
    /// node past the budget reports `TooLarge` (once) and stops lowering.
    fn push(&mut self, e: Expr) -> ExprId {
        let (id, new) = self.interned.intern(&mut self.prog.exprs, e);
        if new && self.prog.exprs.len() > MAX_NODES && !self.too_large {
            self.too_large = true;
            self.diags.push(too_large(
                self.site,
                format!("the program needs more than {MAX_NODES} operations once its spindles are inlined"),
            ));
        }
        id
    }

    /// Creates an instance for every strand and binds every name of every file. A
    /// second definition of a name in the same scope that lists other outputs
    /// (`img<r> = …` then `img<g> = …`) adds them to the same instance.
    fn declare(&mut self) {
        let mut defined: Vec<HashMap<String, Span>> = vec![HashMap::new(); self.units.len()];
        self.parts = vec![Vec::new(); self.units.len()];
        for (u, unit) in self.units.iter().enumerate() {
            for (item, def, segment) in strands(&unit.ast) {
                let (name, outputs) = (def.name(), def.outputs());
                let part = if name.name == "me" || (segment.is_some() && !unit.is_root) {
                    None
                } else {
                    self.declare_part(u, &mut defined[u], item, def, segment)
                };
                self.parts[u].push(part);
                let mut seen_out: Vec<&str> = Vec::new();
                for o in outputs {
                    if seen_out.contains(&o.name.as_str()) {
                        self.error(
                            Code::DuplicateDefinition,
                            o.span,
                            format!("output `{}` is listed twice", o.name),
                        );
                    }
                    seen_out.push(&o.name);
                }
            }
            for (idx, item) in unit.ast.items.iter().enumerate() {
                if let ItemKind::Spindle(sp) = &item.kind {
                    if defined[u].contains_key(&sp.name.name) {
                        self.error(
                            Code::DuplicateDefinition,
                            sp.name.span,
                            format!("`{}` is defined twice", sp.name.name),
                        );
                        continue;
                    }
                    defined[u].insert(sp.name.name.clone(), sp.name.span);
                    self.scopes[u].insert(sp.name.name.clone(), Binding::Spindle(u, idx));
                }
            }
        }
        // Imports: a used file's top-level strands and spindles.
        for (u, unit) in self.units.iter().enumerate() {
            let mut from: HashMap<String, usize> = HashMap::new();
            for &(j, span) in &unit.uses {
                let exported: Vec<(String, Binding)> = self.exports(j);
                for (name, binding) in exported {
                    if defined[u].contains_key(&name) {
                        self.error(
                            Code::ImportCollision,
                            span,
                            format!("`{name}` from this file collides with a definition of the same name here"),
                        );
                    } else if let Some(&other) = from.get(&name) {
                        if other != j {
                            self.error(
                                Code::ImportCollision,
                                span,
                                format!("`{name}` from this file collides with `{name}` from an earlier `use`"),
                            );
                        }
                    } else {
                        from.insert(name.clone(), j);
                        self.scopes[u].insert(name, binding);
                    }
                }
            }
        }
    }

    /// The instance a definition defines outputs of: a new one, or the one an
    /// earlier definition of the same name in the same scope made (`None` when the
    /// definition is an error).
    fn declare_part(
        &mut self,
        u: usize,
        defined: &mut HashMap<String, Span>,
        item: &ast::Item,
        def: Def<'_>,
        segment: Option<usize>,
    ) -> Option<InstId> {
        let (name, outputs) = (def.name(), def.outputs());
        let segment = segment.map(|s| SegmentId(s as u32));
        if let Some(prev) = defined.get(&name.name).copied() {
            let earlier = match self.scopes[u].get(&name.name) {
                Some(Binding::Inst(id)) => Some(*id),
                _ => None,
            };
            let same_scope =
                earlier.filter(|id| self.prog.instances[id.0 as usize].segment == segment);
            let Some(id) = same_scope else {
                self.diags.push(defined_twice(name, prev));
                return None;
            };
            let have = &self.prog.instances[id.0 as usize].outputs;
            let again: Vec<&ast::Ident> =
                outputs.iter().filter(|o| have.contains(&o.name)).collect();
            if again.len() == outputs.len() {
                self.diags.push(defined_twice(name, prev));
                return None;
            }
            if let Some(o) = again.first() {
                self.error(
                    Code::DuplicateDefinition,
                    o.span,
                    format!("output `{}` of `{}` is defined twice", o.name, name.name),
                );
                return None;
            }
            let inst = &mut self.prog.instances[id.0 as usize];
            inst.outputs.extend(outputs.iter().map(|o| o.name.clone()));
            return Some(id);
        }
        defined.insert(name.name.clone(), name.span);
        let id = InstId(self.prog.instances.len() as u32);
        self.prog.instances.push(Instance {
            name: name.name.clone(),
            name_span: name.span,
            span: item.span,
            file: self.units[u].id,
            imported: !self.units[u].is_root,
            segment,
            outputs: outputs.iter().map(|o| o.name.clone()).collect(),
            values: Vec::new(),
            prose: item.prose.clone(),
            deps: Vec::new(),
            sources: Vec::new(),
        });
        self.scopes[u].insert(name.name.clone(), Binding::Inst(id));
        Some(id)
    }

    fn exports(&self, unit: usize) -> Vec<(String, Binding)> {
        let mut out: Vec<(String, Binding)> = Vec::new();
        for item in &self.units[unit].ast.items {
            let name = match &item.kind {
                ItemKind::Strand(def) if def.name.name != "me" => &def.name.name,
                ItemKind::Control(c) if c.kind != ast::ControlKind::Badge => &c.name.name,
                ItemKind::Spindle(sp) => &sp.name.name,
                _ => continue,
            };
            if out.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Some(b) = self.scopes[unit].get(name) {
                out.push((name.clone(), *b));
            }
        }
        out
    }

    fn lower_instances(&mut self) {
        // Parameters named so far per instance (a part continues its instance's count).
        let mut named = vec![0u32; self.prog.instances.len()];
        for (u, unit) in self.units.iter().enumerate() {
            for (k, (_, def, _)) in strands(&unit.ast).into_iter().enumerate() {
                let Some(id) = self.parts[u].get(k).copied().flatten() else {
                    continue;
                };
                self.site = def.name().span;
                self.current = Some(id);
                self.params_in_current = named[id.0 as usize];
                let env = Env {
                    unit: u,
                    locals: HashMap::new(),
                };
                let values = match def {
                    Def::Strand(d) => self.definition(&env, d),
                    Def::Control(c) => self.control(&env, c, id),
                };
                // A failed part keeps its outputs' places (its error is reported).
                let values = values
                    .unwrap_or_else(|| vec![self.push(Expr::Const(0.0)); def.outputs().len()]);
                self.prog.instances[id.0 as usize].values.extend(values);
                named[id.0 as usize] = self.params_in_current;
                self.current = None;
            }
        }
    }

    /// Lowers a definition's value and checks it against the output list.
    /// Lists what each instance and sink reads (in the structural order of its
    /// expressions, which no other definition can change), and holds the program to the size
    /// budget: every later stage (node hashes, kernel lowering) walks each
    /// definition's operations once, so their sum is bounded, not just the arena.
    fn finish_deps(&mut self) {
        if self.too_large {
            return;
        }
        let mut total = 0usize;
        let mut walk = |prog: &Program, roots: &[ExprId]| {
            let mut deps: Vec<InstId> = Vec::new();
            let mut sources: Vec<SourceId> = Vec::new();
            let mut seen = HashSet::new();
            let reach = prog.post_order(roots);
            total += reach.len();
            for e in reach {
                match prog.expr(e) {
                    Expr::Ref { inst, .. } if seen.insert(Ok(*inst)) => deps.push(*inst),
                    Expr::Source { source, .. } if seen.insert(Err(*source)) => {
                        sources.push(*source)
                    }
                    _ => {}
                }
            }
            (deps, sources, total > MAX_NODES)
        };
        let over = |span: Span| {
            too_large(
                span,
                format!("the program's definitions need more than {MAX_NODES} operations in all once their spindles are inlined"),
            )
        };
        for i in 0..self.prog.instances.len() {
            let (deps, sources, over_budget) = walk(&self.prog, &self.prog.instances[i].values);
            if over_budget {
                self.diags.push(over(self.prog.instances[i].name_span));
                return;
            }
            self.prog.instances[i].deps = deps;
            self.prog.instances[i].sources = sources;
        }
        for i in 0..self.prog.sinks.len() {
            let (deps, _, over_budget) = walk(&self.prog, &self.prog.sinks[i].values);
            if over_budget {
                self.diags.push(over(self.prog.sinks[i].span));
                return;
            }
            self.prog.sinks[i].deps = deps;
        }
    }

    /// Warns about a `me@…` read that is probably a typo: no backend binds the
    /// coordinate, no remap sets it (so it is 0), and its name is close to one that
    /// weft binds.
    fn unbound_coordinates(&mut self) {
        let known = coord::NAMES.iter().copied().chain(["beat"]);
        let known: Vec<&str> = known.collect();
        let mut reads: Vec<(&String, &Span)> = self
            .coord_reads
            .iter()
            .filter(|(name, _)| !known.contains(&name.as_str()))
            .filter(|(name, _)| !self.coords_remapped.contains(*name))
            .collect();
        reads.sort_by_key(|(_, span)| (span.file, span.start));
        for (name, span) in reads.into_iter().take(100) {
            if let Some(near) = weft_diagnostics::closest(name, known.iter().copied()) {
                self.diags.push(Diagnostic::warning(
                    Code::UnboundCoordinate,
                    *span,
                    format!("`me@{name}` is 0 everywhere: no backend binds it and no remap sets it; did you mean `me@{near}`?"),
                ));
            }
        }
    }
}

/// "`name` is defined twice", pointing back at the first definition.
fn defined_twice(name: &ast::Ident, first: Span) -> Diagnostic {
    Diagnostic::error(
        Code::DuplicateDefinition,
        name.span,
        format!("`{}` is defined twice", name.name),
    )
    .with_note(format!("first defined at byte {}", first.start))
}

/// The `TooLarge` diagnostic at `span`, with the budget's explanation.
fn too_large(span: Span, message: String) -> Diagnostic {
    Diagnostic::error(Code::TooLarge, span, message).with_note(format!(
        "weft compiles at most {MAX_NODES} operations (see \"Limits\" in docs/language.md); \
         calls that double at every level, or remaps of remaps, grow exponentially"
    ))
}
