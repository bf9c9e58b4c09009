//! The shape of the code, measured: which top-level module of a crate names which other
//! (`crate::x`, also inside `use crate::{..}` groups), with no import loop between the app's
//! feature folders or between twinhall-core's modules, and the app's layers respected: the shared
//! context depends on no feature, services only on the context and each other, the overlays on
//! services, hubs never on each other, and only the shell names many features.
//!
//! `cargo test --release --test architecture -- --nocapture` prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The app's layers, lowest first. A module may name modules of its own layer or below; the
/// hubs may not name each other.
const LAYERS: &[(&str, &[&str])] = &[
    ("leaf", &["cli", "settings", "paths", "errors"]),
    ("context", &["context"]),
    ("service", &["city", "feed", "camera", "basemap", "metrics"]),
    ("overlays", &["overlays"]),
    // The headless tests' shared app and backend, for the hubs' tests and the shell's.
    ("test support", &["test_support"]),
    ("hub", &["hub", "tactile", "defence", "theatre", "heartbeat"]),
    ("shell", &["ui", "wall", "control", "capture", "app", "main", "lib"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to: its first folder, or the file's own name.
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("under root");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.strip_suffix(".rs").map(str::to_owned).unwrap_or(first)
}

/// Code without its comments (line comments and doc comments; no block comments are used).
fn code(text: &str) -> String {
    text.lines().map(|l| l.find("//").map_or(l, |i| &l[..i])).collect::<Vec<_>>().join("\n")
}

/// The top-level modules a piece of code names through `crate::`.
fn named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        // `twinhall_crate::` or a longer identifier is not this crate.
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first name of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(item.trim().split("::").next().unwrap_or("").trim().to_owned());
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(ch);
                }
            }
            out.insert(item.trim().split("::").next().unwrap_or("").trim().to_owned());
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.insert(name);
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

/// module -> modules it names, with the files that name each.
fn graph(root: &Path) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(root, f)).collect();
    let mut g: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let me = module_of(root, f);
        let text = std::fs::read_to_string(f).expect("read a source file");
        let entry = g.entry(me.clone()).or_default();
        for other in named(&code(&text)) {
            if other != me && modules.contains(&other) {
                let rel = f.strip_prefix(root).expect("under root").display().to_string();
                entry.entry(other).or_default().insert(rel);
            }
        }
    }
    g
}

/// The strongly connected components of more than one module (Tarjan).
fn loops(g: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        if let Some(next) = t.g.get(v) {
            for w in next.keys() {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t =
        T { g, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), out: Vec::new() };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn print(name: &str, g: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) {
    let edges: usize = g.values().map(|m| m.values().map(BTreeSet::len).sum::<usize>()).sum();
    println!(
        "{name}: {} modules, {} module pairs, {edges} file-level imports",
        g.len(),
        g.values().map(BTreeMap::len).sum::<usize>()
    );
    for (from, to) in g {
        if !to.is_empty() {
            println!("  {from} -> {}", to.keys().cloned().collect::<Vec<_>>().join(", "));
        }
    }
}

fn layer(module: &str) -> Option<(usize, &'static str)> {
    LAYERS.iter().enumerate().find(|(_, (_, ms))| ms.contains(&module)).map(|(i, (name, _))| (i, *name))
}

#[test]
fn the_apps_features_import_no_loop_and_keep_to_their_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let g = graph(&root);
    print("src", &g);
    assert_eq!(loops(&g), Vec::<Vec<String>>::new(), "import loops between the app's top-level modules");
    let mut wrong = Vec::new();
    for (from, to) in &g {
        let Some((lf, lname)) = layer(from) else {
            wrong.push(format!("{from}: in no layer (add it to LAYERS in tests/architecture.rs)"));
            continue;
        };
        for (other, files) in to {
            let Some((lt, _)) = layer(other) else { continue };
            let hub_to_hub = lname == "hub" && lf == lt;
            if lt > lf || hub_to_hub || (lname == "context" && lt == lf) {
                wrong.push(format!(
                    "{from} ({lname}) names {other}: {}",
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn twinhall_cores_modules_import_no_loop() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/twinhall-core/src");
    let g = graph(&root);
    print("twinhall-core", &g);
    assert_eq!(loops(&g), Vec::<Vec<String>>::new(), "import loops between twinhall-core's top-level modules");
}

#[test]
fn the_reference_backend_does_not_depend_on_the_client() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/twinhall-feed/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("twinhall-feed's manifest");
    let deps = text.split("[dependencies]").nth(1).unwrap_or("").split("\n[").next().unwrap_or("");
    assert!(!deps.contains("twinhall-client"), "{}: twinhall-feed depends on twinhall-client", manifest.display());
}

#[test]
fn the_measure_sees_grouped_and_inline_paths() {
    let c = code("use crate::{a::X, b, c::{d, e}};\nfn f() { crate::g::h(); } // crate::z\nlet t = twinhall_crate::y;");
    let n: Vec<String> = named(&c).into_iter().collect();
    assert_eq!(n, ["a", "b", "c", "g"]);
}
