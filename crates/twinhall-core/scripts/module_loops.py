#!/usr/bin/env python3
"""Import loops between twinhall-core's top-level modules.

Maps every file under crates/twinhall-core/src to its top-level module (the first path
component under src/; a file foo.rs is module foo; lib.rs is the crate root and is skipped),
records each reference to another top-level module -- `crate::X`, the items of
`crate::{a, b::c}` groups, and `super::` chains that climb to the crate root (counting the
file's own module path and inline `mod x { ... }` blocks) -- resolves the crate root's
re-exports (`pub use city::{routing, ...}` makes `crate::routing` mean `city`), and prints the
strongly-connected components of more than one module (the loops), each with the references
that close it (file:line): once for the library alone (code under `#[cfg(test)]` and files of
a `tests` module or of one declared `#[cfg(test)] mod x;` left out) and once with its unit tests. Comments are skipped (intra-doc links
are not imports).

Usage: python3 crates/twinhall-core/scripts/module_loops.py [SRC_DIR] [--edges]
Exit code 0 with no loops in either, 1 otherwise.
"""

import os
import re
import sys
from collections import defaultdict

SRC = "crates/twinhall-core/src"


def strip_comments(text):
    """Blanks out comments and string literals, keeping newlines (so line numbers hold)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + 1)
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or text.startswith("'\\u{", i):
            j = text.find("'", i + 1)
            while text[j - 1] == "\\" and text[i + 1] != "\\":
                j = text.find("'", j + 1)
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_path(rel):
    """`city/osm/build.rs` -> ["city", "osm", "build"]; `city/mod.rs` -> ["city"]."""
    parts = rel[:-3].split("/")
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def group_heads(body):
    """First path components of the items of a `{a, b::c, d::{e, f}}` group body."""
    heads, depth, cur = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            heads.append(cur)
            cur = ""
        else:
            cur += ch
    heads.append(cur)
    out = []
    for h in heads:
        m = re.match(r"\s*(r#)?([A-Za-z_][A-Za-z0-9_]*)", h)
        if m:
            out.append(m.group(2))
    return out


def balanced(text, start):
    """The text between the `{` at `start` and its match."""
    depth = 0
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:j]
    return text[start + 1:]


def root_aliases(src, modules):
    """Names the crate root re-exports from a top-level module: `pub use city::{routing}`."""
    text = strip_comments(open(os.path.join(src, "lib.rs"), encoding="utf-8").read())
    aliases = {m: m for m in modules}
    uses = []
    for m in re.finditer(r"pub\s+use\s+(?:self::|crate::)?([A-Za-z_]\w*)::", text):
        top, rest = m.group(1), m.end()
        if text[rest] == "{":
            names = group_heads(balanced(text, rest))
        else:
            tail = re.match(r"[\w:]*", text[rest:]).group(0)
            names = [tail.split("::")[-1]] if tail else []
        uses.append((top, names))
    # `pub use frame::{LocalFrame}` where `frame` is itself a re-export: resolve until stable.
    changed = True
    while changed:
        changed = False
        for top, names in uses:
            if top in aliases:
                for name in names:
                    if name not in aliases:
                        aliases[name] = aliases[top]
                        changed = True
    return aliases


def references(src):
    """(from_module, to_module, file, line) for every cross-module reference."""
    modules = set()
    files = []
    for dirpath, _, names in os.walk(src):
        for name in sorted(names):
            if name.endswith(".rs"):
                rel = os.path.relpath(os.path.join(dirpath, name), src).replace(os.sep, "/")
                if rel != "lib.rs":
                    files.append(rel)
                    modules.add(module_path(rel)[0])
    aliases = root_aliases(src, modules)

    def resolve(head):
        return aliases.get(head)

    # Modules declared `#[cfg(test)] mod x;`: their files are test code.
    test_mods = set()
    for rel in files + ["lib.rs"]:
        text = strip_comments(open(os.path.join(src, rel), encoding="utf-8").read())
        parent = [] if rel == "lib.rs" else module_path(rel)
        for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text):
            test_mods.add(tuple(parent + [m.group(1)]))

    def is_test_file(mpath):
        return "tests" in mpath or any(tuple(mpath[:k]) in test_mods for k in range(1, len(mpath) + 1))

    refs = []
    for rel in sorted(files):
        mpath = module_path(rel)
        me = mpath[0]
        text = strip_comments(open(os.path.join(src, rel), encoding="utf-8").read())
        # Inline-module depth at each offset: `mod name {` blocks push a level.
        inline = [0] * (len(text) + 1)
        stack, depth, level = [], 0, 0
        mod_open = {m.end() - 1 for m in re.finditer(r"\bmod\s+\w+\s*\{", text)}
        # `#[cfg(test)] mod x { ... }`: test code, as is a file under a `tests` module.
        test_open = {m.end() - 1 for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", text)}
        test_file = is_test_file(module_path(rel))
        in_test = [test_file] * (len(text) + 1)
        test_depth = None
        for i, ch in enumerate(text):
            if ch == "{":
                depth += 1
                if i in mod_open:
                    stack.append(depth)
                    level += 1
                if i in test_open and test_depth is None:
                    test_depth = depth
            elif ch == "}":
                if stack and stack[-1] == depth:
                    stack.pop()
                    level -= 1
                if test_depth == depth:
                    test_depth = None
                depth -= 1
            inline[i] = level
            in_test[i] = test_file or test_depth is not None

        def line_of(off):
            return text.count("\n", 0, off) + 1

        def record(head, off):
            target = resolve(head)
            if target and target != me:
                refs.append((me, target, rel, line_of(off), in_test[off]))

        for m in re.finditer(r"(?<![\w$])crate::", text):
            rest = m.end()
            if rest < len(text) and text[rest] == "{":
                for h in group_heads(balanced(text, rest)):
                    record(h, m.start())
            else:
                name = re.match(r"[A-Za-z_]\w*", text[rest:])
                if name:
                    record(name.group(0), m.start())
        for m in re.finditer(r"(?<![\w$:])((?:super::)+)", text):
            ups = m.group(1).count("super::")
            # Climbing past the inline modules, then past the file's own module path.
            remaining = ups - inline[m.start()]
            if remaining < len(mpath):
                continue  # stays inside this top-level module
            rest = m.end()
            if rest < len(text) and text[rest] == "{":
                for h in group_heads(balanced(text, rest)):
                    record(h, m.start())
            else:
                name = re.match(r"[A-Za-z_]\w*", text[rest:])
                if name:
                    record(name.group(0), m.start())
    return sorted(modules), refs


def tarjan(nodes, edges):
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def report(title, modules, refs, show_edges):
    edges = defaultdict(set)
    evidence = defaultdict(list)
    for a, b, f, line in refs:
        edges[a].add(b)
        evidence[(a, b)].append(f"{f}:{line}")
    print(f"== {title}")
    if show_edges:
        for a in modules:
            print(f"{a} -> {', '.join(sorted(edges[a])) or '(nothing)'}")
    loops = [c for c in tarjan(modules, edges) if len(c) > 1]
    print(f"{len(modules)} top-level modules, {sum(len(v) for v in edges.values())} module edges, "
          f"{len(loops)} loop(s) (strongly-connected components of more than one module)")
    for comp in sorted(loops, key=lambda c: (-len(c), c)):
        print(f"loop of {len(comp)}: {{{', '.join(comp)}}}")
        for a in comp:
            for b in sorted(edges[a]):
                if b in comp:
                    ev = evidence[(a, b)]
                    more = f" (+{len(ev) - 3} more)" if len(ev) > 3 else ""
                    print(f"  {a} -> {b}: {', '.join(ev[:3])}{more}")
    print()
    return loops


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = args[0] if args else SRC
    modules, refs = references(src)
    show = "--edges" in sys.argv
    library = report("library (without #[cfg(test)] code)", modules,
                     [(a, b, f, n) for a, b, f, n, t in refs if not t], show)
    with_tests = report("library and its unit tests", modules, [(a, b, f, n) for a, b, f, n, t in refs], show)
    return 1 if library or with_tests else 0


if __name__ == "__main__":
    sys.exit(main())
