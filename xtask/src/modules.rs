//! `cargo xtask modules [--check]`: the graph of each crate's top-level modules, and its
//! cycles.
//!
//! A module `a` depends on `b` when `a`'s code (any file of it: `a.rs`, `a/mod.rs` and its
//! submodules) names something in `b`: a `use` of `crate::b::…` (in a use tree as deep as it
//! nests), a path such as `crate::b::Item` anywhere in the code or in a macro's arguments, or
//! `super::…` that leads out of `a` to the crate root and on to `b`. A name the crate root
//! imports (`pub use b::Item;` in `lib.rs`) resolves to the module it comes from, so
//! `crate::Item` counts as a use of `b`; the root itself is not a module of the graph. Code
//! under `#[cfg(test)]` (items, and whole files declared under it, such as `engine_tests.rs`)
//! is left out: tests may reach anywhere.
//!
//! Sources are parsed with syn, so nested use trees, renames and groups resolve as rustc reads
//! them. What is not followed: names a glob re-export at the root brings in, and macros that
//! expand to paths they do not spell out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use proc_macro2::{TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Attribute, Item, Meta, Token, UseTree};

/// A crate target whose modules must not form a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The package's name.
    pub package: &'static str,
    /// The crate root, relative to the workspace root.
    pub root: &'static str,
}

/// The crates checked: the client, the mock's library and the CLI. (The mock's binary declares
/// no module; the generated crate is one module a version.)
pub const TARGETS: &[Target] = &[
    Target {
        package: "hubspot-crm",
        root: "crates/hubspot-crm/src/lib.rs",
    },
    Target {
        package: "hubspot-crm-mock",
        root: "crates/hubspot-crm-mock/src/lib.rs",
    },
    Target {
        package: "hubspot-upsert",
        root: "crates/hubspot-upsert/src/main.rs",
    },
];

/// Where a dependency was first seen: the file and the path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// The file, as the reader was given it.
    pub file: PathBuf,
    /// The path as written, such as `crate::bulk::BulkRun`.
    pub path: String,
}

/// The top-level modules of one crate and what each one names of the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleGraph {
    /// Every top-level module declared outside `#[cfg(test)]`.
    pub modules: BTreeSet<String>,
    /// `edges[a][b]`: `a` names `b`, first seen at the evidence.
    pub edges: BTreeMap<String, BTreeMap<String, Evidence>>,
}

impl ModuleGraph {
    /// The modules `module` depends on, in name order.
    pub fn dependencies(&self, module: &str) -> impl Iterator<Item = &str> {
        self.edges
            .get(module)
            .into_iter()
            .flat_map(|deps| deps.keys().map(String::as_str))
    }

    /// Every elementary cycle, each as a path that starts and ends at its smallest module
    /// (`[a, b, c, a]`), in order; at most `limit` of them, and whether more were left out.
    pub fn cycles(&self, limit: usize) -> (Vec<Vec<String>>, bool) {
        let names: Vec<&str> = self.modules.iter().map(String::as_str).collect();
        let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let adjacency: Vec<Vec<usize>> = names
            .iter()
            .map(|name| {
                self.dependencies(name)
                    .filter_map(|dep| index.get(dep).copied())
                    .collect()
            })
            .collect();
        let mut search = CycleSearch {
            adjacency: &adjacency,
            found: Vec::new(),
            limit,
            truncated: false,
        };
        // Each cycle is found once: from its smallest module, through larger ones only.
        for start in 0..names.len() {
            let mut path = vec![start];
            let mut on_path = vec![false; names.len()];
            on_path[start] = true;
            search.extend(start, &mut path, &mut on_path);
            if search.truncated {
                break;
            }
        }
        let cycles = search
            .found
            .into_iter()
            .map(|cycle| cycle.into_iter().map(|i| names[i].to_owned()).collect())
            .collect();
        (cycles, search.truncated)
    }
}

struct CycleSearch<'a> {
    adjacency: &'a [Vec<usize>],
    found: Vec<Vec<usize>>,
    limit: usize,
    truncated: bool,
}

impl CycleSearch<'_> {
    fn extend(&mut self, start: usize, path: &mut Vec<usize>, on_path: &mut [bool]) {
        let Some(&last) = path.last() else { return };
        for &next in &self.adjacency[last] {
            if self.truncated {
                return;
            }
            if next == start && path.len() > 1 {
                if self.found.len() == self.limit {
                    self.truncated = true;
                    return;
                }
                let mut cycle = path.clone();
                cycle.push(start);
                self.found.push(cycle);
            } else if next > start && !on_path[next] {
                on_path[next] = true;
                path.push(next);
                self.extend(start, path, on_path);
                path.pop();
                on_path[next] = false;
            }
        }
    }
}

/// Reads the module graph of the crate whose root file is `root`, reading each file through
/// `read` (the file system, or sources held in memory by a test).
pub fn read_graph(
    root: &Path,
    read: &mut dyn FnMut(&Path) -> io::Result<String>,
) -> Result<ModuleGraph> {
    let root_file = parse_file(root, read)?;
    let root_dir = root.parent().unwrap_or(Path::new("")).to_owned();
    let mut graph = ModuleGraph::default();
    // The names the root imports, and the module each comes from (a module, or not).
    let mut root_imports: HashMap<String, String> = HashMap::new();
    for item in &root_file.items {
        if is_test_only(item_attrs(item)) {
            continue;
        }
        match item {
            Item::Mod(module) => {
                graph.modules.insert(module.ident.to_string());
            }
            Item::Use(item_use) => {
                let mut leaves = Vec::new();
                use_leaves(&item_use.tree, &mut Vec::new(), &mut leaves);
                for leaf in leaves {
                    let segments = match leaf.path.first().map(String::as_str) {
                        Some("crate" | "self") => &leaf.path[1..],
                        _ => &leaf.path[..],
                    };
                    if let (Some(first), Some(name)) = (segments.first(), leaf.name) {
                        root_imports.insert(name, first.clone());
                    }
                }
            }
            _ => {}
        }
    }
    root_imports.retain(|_, module| graph.modules.contains(module));
    let resolver = Resolver {
        modules: &graph.modules,
        root_imports: &root_imports,
    };
    // Each top-level module's files, read one after another; a module's `mod x;` items add
    // theirs to the list.
    let mut references: Vec<(String, String, PathBuf, String)> = Vec::new();
    let mut pending: Vec<SourceFile> = Vec::new();
    let mut root_collector = Collector {
        resolver: &resolver,
        file: root,
        file_dir: root_dir.clone(),
        module: Vec::new(),
        child_dir: root_dir,
        inline_depth: 0,
        read: &mut *read,
        pending: &mut pending,
        references: Vec::new(),
        error: None,
    };
    // At the root only the modules are read: the root's own `use` items are re-exports.
    for item in &root_file.items {
        if let Item::Mod(module) = item
            && !is_test_only(&module.attrs)
        {
            root_collector.visit_item_mod(module);
        }
    }
    if let Some(err) = root_collector.error {
        return Err(err);
    }
    references.extend(root_collector.references);
    while let Some(source) = pending.pop() {
        let file = parse_file(&source.path, read)?;
        let file_dir = source.path.parent().unwrap_or(Path::new("")).to_owned();
        let child_dir = if is_mod_rs(&source.path) {
            file_dir.clone()
        } else {
            file_dir.join(file_stem(&source.path))
        };
        let mut collector = Collector {
            resolver: &resolver,
            file: &source.path,
            file_dir,
            module: source.module.clone(),
            child_dir,
            inline_depth: 0,
            read: &mut *read,
            pending: &mut pending,
            references: Vec::new(),
            error: None,
        };
        for item in &file.items {
            collector.visit_item(item);
        }
        if let Some(err) = collector.error {
            return Err(err);
        }
        references.extend(collector.references);
    }
    for (from, to, file, path) in references {
        if from != to {
            graph
                .edges
                .entry(from)
                .or_default()
                .entry(to)
                .or_insert(Evidence { file, path });
        }
    }
    Ok(graph)
}

/// A file still to read, and the module its items belong to.
struct SourceFile {
    path: PathBuf,
    /// The module path from the crate root, such as `["sync_state", "sqlite"]`.
    module: Vec<String>,
}

fn parse_file(path: &Path, read: &mut dyn FnMut(&Path) -> io::Result<String>) -> Result<syn::File> {
    let text = read(path).with_context(|| format!("reading {}", path.display()))?;
    syn::parse_file(&text).map_err(|err| anyhow!("{}: cannot parse: {err}", path.display()))
}

/// `lib.rs`, `main.rs` and `mod.rs` hold their submodules beside them; `a.rs` holds them in `a/`.
fn is_mod_rs(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("lib.rs" | "main.rs" | "mod.rs")
    )
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn has_path_attr(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| attr.path().is_ident("path"))
}

/// The file of `mod name;` whose submodules live in `dir`: `#[path]`, else `name.rs`, else
/// `name/mod.rs`.
fn module_file(
    dir: &Path,
    name: &str,
    attrs: &[Attribute],
    read: &mut dyn FnMut(&Path) -> io::Result<String>,
) -> Result<PathBuf> {
    for attr in attrs {
        if attr.path().is_ident("path")
            && let Meta::NameValue(value) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(path),
                ..
            }) = &value.value
        {
            return Ok(dir.join(path.value()));
        }
    }
    let flat = dir.join(format!("{name}.rs"));
    if read(&flat).is_ok() {
        return Ok(flat);
    }
    let nested = dir.join(name).join("mod.rs");
    if read(&nested).is_ok() {
        return Ok(nested);
    }
    Err(anyhow!(
        "module `{name}`: neither {} nor {} can be read",
        flat.display(),
        nested.display()
    ))
}

/// Resolves a path as written to the top-level module it names, if any.
struct Resolver<'a> {
    modules: &'a BTreeSet<String>,
    root_imports: &'a HashMap<String, String>,
}

impl Resolver<'_> {
    /// `segments` is written inside the module at `module` (a path from the crate root).
    fn resolve(&self, module: &[String], segments: &[String]) -> Option<String> {
        match segments.first().map(String::as_str)? {
            "crate" => self.below_root(&segments[1..]),
            "self" if segments.get(1).map(String::as_str) != Some("super") => {
                module.first().cloned()
            }
            "self" | "super" => {
                let rest = if segments[0] == "self" {
                    &segments[1..]
                } else {
                    segments
                };
                let ups = rest.iter().take_while(|s| *s == "super").count();
                let base = module.len().checked_sub(ups)?;
                if base == 0 {
                    self.below_root(&rest[ups..])
                } else {
                    module.first().cloned()
                }
            }
            _ => None,
        }
    }

    fn below_root(&self, rest: &[String]) -> Option<String> {
        let first = rest.first()?;
        if self.modules.contains(first) {
            return Some(first.clone());
        }
        self.root_imports.get(first).cloned()
    }
}

/// Collects what the items of one module (or one file of it) name.
struct Collector<'a, 'r> {
    resolver: &'a Resolver<'a>,
    file: &'a Path,
    /// The directory of `file`: where a `#[path]` outside inline modules is read from.
    file_dir: PathBuf,
    /// The module the items being visited belong to, from the crate root.
    module: Vec<String>,
    /// Where this module's `mod x;` items are read from.
    child_dir: PathBuf,
    /// How many inline `mod m { … }` the visitor is inside, in this file.
    inline_depth: usize,
    read: &'r mut dyn FnMut(&Path) -> io::Result<String>,
    pending: &'a mut Vec<SourceFile>,
    /// `(from, to, file, path as written)`: top-level modules, in the order met.
    references: Vec<(String, String, PathBuf, String)>,
    error: Option<anyhow::Error>,
}

impl Collector<'_, '_> {
    fn reference(&mut self, segments: &[String]) {
        let Some(from) = self.module.first() else {
            return;
        };
        if let Some(to) = self.resolver.resolve(&self.module, segments) {
            self.references
                .push((from.clone(), to, self.file.to_owned(), segments.join("::")));
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_, '_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !is_test_only(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        let name = module.ident.to_string();
        match &module.content {
            Some((_, items)) => {
                self.module.push(name.clone());
                let child_dir = self.child_dir.join(&name);
                let parent_dir = std::mem::replace(&mut self.child_dir, child_dir);
                self.inline_depth += 1;
                for item in items {
                    self.visit_item(item);
                }
                self.inline_depth -= 1;
                self.child_dir = parent_dir;
                self.module.pop();
            }
            None => {
                // A `#[path]` is relative to the file's directory, or inside an inline module
                // to the directory that module's files would be in.
                let dir = if self.inline_depth == 0 && has_path_attr(&module.attrs) {
                    &self.file_dir
                } else {
                    &self.child_dir
                };
                match module_file(dir, &name, &module.attrs, self.read) {
                    Ok(path) => {
                        let mut path_module = self.module.clone();
                        path_module.push(name);
                        self.pending.push(SourceFile {
                            path,
                            module: path_module,
                        });
                    }
                    Err(err) => {
                        self.error.get_or_insert(
                            err.context(format!("declared in {}", self.file.display())),
                        );
                    }
                }
            }
        }
    }

    fn visit_item_use(&mut self, item_use: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&item_use.tree, &mut Vec::new(), &mut leaves);
        for leaf in leaves {
            self.reference(&leaf.path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.reference(&segments);
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit::visit_macro(self, mac);
        for segments in paths_in_tokens(mac.tokens.clone()) {
            self.reference(&segments);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(i) => &i.attrs,
            syn::ImplItem::Fn(i) => &i.attrs,
            syn::ImplItem::Type(i) => &i.attrs,
            syn::ImplItem::Macro(i) => &i.attrs,
            _ => return visit::visit_impl_item(self, item),
        };
        if !is_test_only(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast syn::TraitItem) {
        let attrs = match item {
            syn::TraitItem::Const(i) => &i.attrs,
            syn::TraitItem::Fn(i) => &i.attrs,
            syn::TraitItem::Type(i) => &i.attrs,
            syn::TraitItem::Macro(i) => &i.attrs,
            _ => return visit::visit_trait_item(self, item),
        };
        if !is_test_only(attrs) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_field(&mut self, field: &'ast syn::Field) {
        if !is_test_only(&field.attrs) {
            visit::visit_field(self, field);
        }
    }

    fn visit_variant(&mut self, variant: &'ast syn::Variant) {
        if !is_test_only(&variant.attrs) {
            visit::visit_variant(self, variant);
        }
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if !is_test_only(&arm.attrs) {
            visit::visit_arm(self, arm);
        }
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if !is_test_only(&local.attrs) {
            visit::visit_local(self, local);
        }
    }

    fn visit_stmt_macro(&mut self, stmt: &'ast syn::StmtMacro) {
        if !is_test_only(&stmt.attrs) {
            visit::visit_stmt_macro(self, stmt);
        }
    }
}

/// One path a use tree brings in: its segments, and the name it binds (none for a glob).
struct UseLeaf {
    path: Vec<String>,
    name: Option<String>,
}

/// Flattens a use tree (`crate::{a, b::{c, d as e}, f::*}`) into one path a leaf.
fn use_leaves(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    match tree {
        UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_leaves(&path.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(name) => {
            let ident = name.ident.to_string();
            let mut path = prefix.clone();
            // `use crate::a::{self}` names `crate::a` itself.
            let bound = if ident == "self" {
                prefix.last().cloned()
            } else {
                path.push(ident.clone());
                Some(ident)
            };
            out.push(UseLeaf { path, name: bound });
        }
        UseTree::Rename(rename) => {
            let mut path = prefix.clone();
            if rename.ident != "self" {
                path.push(rename.ident.to_string());
            }
            out.push(UseLeaf {
                path,
                name: Some(rename.rename.to_string()),
            });
        }
        UseTree::Glob(_) => out.push(UseLeaf {
            path: prefix.clone(),
            name: None,
        }),
        UseTree::Group(group) => {
            for tree in &group.items {
                use_leaves(tree, prefix, out);
            }
        }
    }
}

/// The paths starting with `crate`, `self` or `super` spelled out in a macro's tokens (such as
/// `matches!(x, crate::a::B)` or `$crate::a::f()` in a `macro_rules!`).
fn paths_in_tokens(tokens: TokenStream) -> Vec<Vec<String>> {
    let mut flat = Vec::new();
    flatten(tokens, &mut flat);
    let mut paths = Vec::new();
    let mut i = 0;
    while i < flat.len() {
        let starts = matches!(&flat[i], Flat::Ident(id) if id == "crate" || id == "self" || id == "super")
            // `a::super` cannot start a path; `x.self` does not occur.
            && !(i >= 2 && matches!(flat[i - 1], Flat::Colon) && matches!(flat[i - 2], Flat::Colon));
        if !starts {
            i += 1;
            continue;
        }
        let mut segments = Vec::new();
        let mut j = i;
        while let Some(Flat::Ident(id)) = flat.get(j) {
            segments.push(id.clone());
            if matches!(flat.get(j + 1), Some(Flat::Colon))
                && matches!(flat.get(j + 2), Some(Flat::Colon))
            {
                j += 3;
            } else {
                j += 1;
                break;
            }
        }
        if segments.len() > 1 {
            paths.push(segments);
        }
        i = j.max(i + 1);
    }
    paths
}

/// A token of a macro's input as far as paths are concerned.
enum Flat {
    Ident(String),
    Colon,
    Other,
}

fn flatten(tokens: TokenStream, out: &mut Vec<Flat>) {
    for token in tokens {
        match token {
            TokenTree::Group(group) => {
                out.push(Flat::Other);
                flatten(group.stream(), out);
                out.push(Flat::Other);
            }
            TokenTree::Ident(ident) => out.push(Flat::Ident(ident.to_string())),
            TokenTree::Punct(punct) if punct.as_char() == ':' => out.push(Flat::Colon),
            _ => out.push(Flat::Other),
        }
    }
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// Whether the attributes hold a `#[cfg(…)]` that is false outside tests: `cfg(test)`,
/// `cfg(all(test, …))`, `cfg(any(test, test))`.
fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<Meta>()
                .is_ok_and(|predicate| requires_test(&predicate))
    })
}

fn requires_test(predicate: &Meta) -> bool {
    match predicate {
        Meta::Path(path) => path.is_ident("test"),
        Meta::List(list) => {
            let Ok(inner) = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            else {
                return false;
            };
            if list.path.is_ident("all") {
                inner.iter().any(requires_test)
            } else if list.path.is_ident("any") {
                !inner.is_empty() && inner.iter().all(requires_test)
            } else {
                false
            }
        }
        Meta::NameValue(_) => false,
    }
}

/// The graph of each of [`TARGETS`] under the workspace `root`.
pub fn read_all(root: &Path) -> Result<Vec<(Target, ModuleGraph)>> {
    TARGETS
        .iter()
        .map(|target| {
            let graph = read_graph(&root.join(target.root), &mut |path| {
                std::fs::read_to_string(path)
            })
            .with_context(|| format!("reading the modules of {}", target.package))?;
            Ok((*target, graph))
        })
        .collect()
}

/// How many cycles a crate's report lists at most.
pub const CYCLE_LIMIT: usize = 100;

/// Renders a crate's cycles, each as `a → b → c → a`, with where each step is named.
pub fn render_cycles(root: &Path, graph: &ModuleGraph) -> String {
    let (cycles, truncated) = graph.cycles(CYCLE_LIMIT);
    let mut text = String::new();
    for cycle in &cycles {
        let _ = writeln!(text, "  cycle: {}", cycle.join(" → "));
        for step in cycle.windows(2) {
            if let Some(evidence) = graph
                .edges
                .get(&step[0])
                .and_then(|deps| deps.get(&step[1]))
            {
                let file = evidence.file.strip_prefix(root).unwrap_or(&evidence.file);
                let _ = writeln!(
                    text,
                    "    {} → {}: {} names `{}`",
                    step[0],
                    step[1],
                    file.display(),
                    evidence.path
                );
            }
        }
    }
    if truncated {
        let _ = writeln!(
            text,
            "  … and more cycles (only the first {CYCLE_LIMIT} are listed)"
        );
    }
    text
}

/// Renders a crate's graph: one line a module with what it depends on, then its cycles.
pub fn render_graph(root: &Path, target: &Target, graph: &ModuleGraph) -> String {
    let mut text = format!("{} ({})\n", target.package, target.root);
    let width = graph.modules.iter().map(String::len).max().unwrap_or(0);
    for module in &graph.modules {
        let deps: Vec<&str> = graph.dependencies(module).collect();
        let deps = if deps.is_empty() {
            "-".to_owned()
        } else {
            deps.join(", ")
        };
        let _ = writeln!(text, "  {module:<width$} → {deps}");
    }
    text.push_str(&render_cycles(root, graph));
    text
}
