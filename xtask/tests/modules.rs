//! `cargo xtask modules`: the graph of top-level modules read from small crates held in
//! memory, and the cycles found in it.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use xtask::modules::{ModuleGraph, read_graph};

/// Reads the crate made of `files` (`(path, source)`, the root first) and returns its graph.
fn graph(files: &[(&str, &str)]) -> ModuleGraph {
    try_graph(files).expect("the fixture crate reads")
}

fn try_graph(files: &[(&str, &str)]) -> anyhow::Result<ModuleGraph> {
    let sources: HashMap<PathBuf, String> = files
        .iter()
        .map(|(path, text)| (PathBuf::from(path), (*text).to_owned()))
        .collect();
    read_graph(Path::new(files[0].0), &mut |path| {
        sources
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, path.display().to_string()))
    })
}

/// The edges as `a → b` strings, in order.
fn edges(graph: &ModuleGraph) -> Vec<String> {
    graph
        .modules
        .iter()
        .flat_map(|a| graph.dependencies(a).map(move |b| format!("{a} → {b}")))
        .collect()
}

fn cycles(graph: &ModuleGraph) -> Vec<String> {
    let (cycles, truncated) = graph.cycles(100);
    assert!(!truncated);
    cycles.iter().map(|c| c.join(" → ")).collect()
}

#[test]
fn a_cycle_through_three_modules_is_found_as_a_path() {
    let g = graph(&[
        ("src/lib.rs", "pub mod client; mod engine; mod request;"),
        (
            "src/client.rs",
            "use crate::engine::Engine; pub struct Shared;",
        ),
        (
            "src/engine.rs",
            "pub struct Engine(crate::request::Request);",
        ),
        (
            "src/request.rs",
            "pub struct Request; fn f(s: &crate::client::Shared) {}",
        ),
    ]);
    assert_eq!(
        edges(&g),
        ["client → engine", "engine → request", "request → client"]
    );
    assert_eq!(cycles(&g), ["client → engine → request → client"]);
    let evidence = &g.edges["request"]["client"];
    assert_eq!(evidence.file, Path::new("src/request.rs"));
    assert_eq!(evidence.path, "crate::client::Shared");
}

#[test]
fn a_dag_has_no_cycle() {
    let g = graph(&[
        ("src/lib.rs", "mod a; mod b; mod c; pub use a::A;"),
        ("src/a.rs", "use crate::{b::B, c}; pub struct A(B, c::C);"),
        ("src/b.rs", "pub struct B(crate::c::C);"),
        ("src/c.rs", "pub struct C;"),
    ]);
    assert_eq!(edges(&g), ["a → b", "a → c", "b → c"]);
    assert!(cycles(&g).is_empty());
}

#[test]
fn two_modules_naming_each_other_are_a_cycle() {
    let g = graph(&[
        ("src/lib.rs", "mod input; mod property_schema;"),
        ("src/input.rs", "use crate::property_schema::precheck;"),
        (
            "src/property_schema.rs",
            "pub fn precheck() {} pub struct S(crate::input::Normalization);",
        ),
    ]);
    assert_eq!(cycles(&g), ["input → property_schema → input"]);
}

#[test]
fn code_under_cfg_test_does_not_count() {
    let g = graph(&[
        (
            "src/lib.rs",
            "mod a; mod b; #[cfg(test)] mod a_tests; #[cfg(test)] mod helpers { }",
        ),
        (
            "src/a.rs",
            r#"
            use crate::b::B;
            #[cfg(test)]
            mod tests { use crate::b::B; }
            "#,
        ),
        (
            "src/b.rs",
            r#"
            pub struct B;
            #[cfg(test)]
            use crate::a::helper;
            #[cfg(all(test, feature = "x"))]
            fn only_in_tests() { crate::a::helper(); }
            impl B {
                #[cfg(test)]
                fn probe() { crate::a::helper(); }
            }
            "#,
        ),
        // Only declared under cfg(test): never read, so its references do not count.
        (
            "src/a_tests.rs",
            "use crate::b::B; fn f() { crate::a::x(); }",
        ),
    ]);
    assert_eq!(edges(&g), ["a → b"]);
    assert!(
        !g.modules.contains("a_tests"),
        "a test-only file is no module"
    );
    assert!(cycles(&g).is_empty());
}

#[test]
fn code_under_cfg_not_test_or_any_test_counts() {
    let g = graph(&[
        ("src/lib.rs", "mod a; mod b;"),
        (
            "src/a.rs",
            r#"
            #[cfg(not(test))]
            use crate::b::B;
            #[cfg(any(test, feature = "x"))]
            fn f() { crate::b::g(); }
            "#,
        ),
        ("src/b.rs", "pub struct B; pub fn g() {}"),
    ]);
    assert_eq!(edges(&g), ["a → b"]);
    assert_eq!(g.edges["a"]["b"].path, "crate::b::B");
}

#[test]
fn nested_use_trees_resolve_each_leaf() {
    let g = graph(&[
        ("src/lib.rs", "mod a; mod b; mod c; mod d; mod e;"),
        (
            "src/a.rs",
            "use crate::{b::{self, X}, c::{deep::{Y as Z}}, d::*}; use self::inner::W;",
        ),
        ("src/b.rs", "pub struct X;"),
        ("src/c.rs", "pub mod deep { pub struct Y; }"),
        ("src/d.rs", ""),
        ("src/e.rs", "use ::std::fmt; use std::io; use e::x;"),
    ]);
    assert_eq!(edges(&g), ["a → b", "a → c", "a → d"]);
}

#[test]
fn super_from_a_submodule_stays_in_its_module_and_at_the_top_reaches_the_root() {
    let g = graph(&[
        ("src/lib.rs", "mod api_version; mod error; mod outcome;"),
        (
            "src/api_version.rs",
            "mod v2026_03; pub(crate) use super::error::Error;",
        ),
        (
            "src/api_version/v2026_03.rs",
            "use super::ApiVersion; use super::super::outcome::Outcome; fn f() -> crate::error::Error { todo!() }",
        ),
        ("src/error.rs", "pub struct Error;"),
        ("src/outcome.rs", "pub struct Outcome;"),
    ]);
    assert_eq!(
        edges(&g),
        ["api_version → error", "api_version → outcome"],
        "a submodule counts as its top-level module"
    );
}

#[test]
fn submodules_are_read_from_dir_mod_rs_and_path_attributes() {
    let g = graph(&[
        ("src/lib.rs", "mod sync_state; mod value; mod wire;"),
        (
            "src/sync_state/mod.rs",
            "mod sqlite; mod inline { mod far; }",
        ),
        ("src/sync_state/sqlite.rs", "use crate::value::Value;"),
        ("src/sync_state/inline/far.rs", "use crate::wire::Wire;"),
        ("src/value.rs", "#[path = \"value_impl.rs\"] mod imp;"),
        ("src/value_impl.rs", "fn f(_: crate::wire::Wire) {}"),
        ("src/wire.rs", "pub struct Wire;"),
    ]);
    assert_eq!(
        edges(&g),
        ["sync_state → value", "sync_state → wire", "value → wire"]
    );
}

#[test]
fn names_the_root_imports_resolve_to_their_module() {
    let g = graph(&[
        (
            "src/lib.rs",
            "mod bulk; mod client; pub use client::{Client as C, Shared}; pub use hubspot_crm_api as api; fn helper() {}",
        ),
        (
            "src/bulk.rs",
            "use crate::Shared; fn f(_: crate::C, _: crate::api::Thing) { crate::helper() }",
        ),
        ("src/client.rs", "pub struct Client; pub struct Shared;"),
    ]);
    assert_eq!(edges(&g), ["bulk → client"]);
    assert_eq!(g.edges["bulk"]["client"].path, "crate::Shared");
}

#[test]
fn paths_inside_macros_count() {
    let g = graph(&[
        ("src/lib.rs", "mod a; mod b; mod c;"),
        (
            "src/a.rs",
            "fn f(x: u8) -> bool { matches!(x, crate::b::ONE) } macro_rules! m { () => { $crate::c::g() }; }",
        ),
        ("src/b.rs", "pub const ONE: u8 = 1;"),
        (
            "src/c.rs",
            "pub fn g() {} fn h() { format!(\"{}\", crate::b::ONE); }",
        ),
    ]);
    assert_eq!(edges(&g), ["a → b", "a → c", "c → b"]);
}

#[test]
fn cycles_sharing_modules_are_each_listed_once() {
    let g = graph(&[
        ("src/lib.rs", "mod a; mod b; mod c;"),
        ("src/a.rs", "use crate::b::X; use crate::c::Y;"),
        ("src/b.rs", "use crate::a::Z; use crate::c::Y;"),
        ("src/c.rs", "use crate::a::Z;"),
    ]);
    assert_eq!(cycles(&g), ["a → b → a", "a → b → c → a", "a → c → a"]);
    let (first, truncated) = g.cycles(2);
    assert_eq!(first.len(), 2);
    assert!(truncated, "a limit says more were left out");
}

#[test]
fn a_missing_module_file_is_an_error_naming_it() {
    let err = try_graph(&[("src/lib.rs", "mod gone;")]).expect_err("gone.rs is missing");
    let message = format!("{err:#}");
    assert!(message.contains("module `gone`"), "{message}");
    assert!(message.contains("src/gone.rs"), "{message}");
}

#[test]
fn unparsable_source_is_an_error_naming_the_file() {
    let err = try_graph(&[("src/lib.rs", "mod a;"), ("src/a.rs", "fn f( {")])
        .expect_err("a.rs does not parse");
    let message = format!("{err:#}");
    assert!(message.contains("src/a.rs: cannot parse"), "{message}");
}

/// The workspace's own crates read without error, and each has modules.
#[test]
fn the_workspace_crates_read() {
    let root = xtask::workspace_root();
    let graphs = xtask::modules::read_all(&root).expect("the crates read");
    assert_eq!(graphs.len(), xtask::modules::TARGETS.len());
    for (target, graph) in &graphs {
        assert!(
            graph.modules.len() > 3,
            "{} has modules: {:?}",
            target.package,
            graph.modules
        );
    }
}
