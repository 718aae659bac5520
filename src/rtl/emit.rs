//! The deduplicating Verilog emitter shared by every block (systolic array, attention, ROM,
//! NoC, LPU).
//!
//! rust-hdl writes one Verilog module per *instance* (`top`, `top$acc`, `top$res`, ...), named
//! by instance path with `$` separators. This module turns that into a small, lintable set:
//!
//! 1. [`parse`] splits Verilog text into modules and finds which modules each one instantiates.
//! 2. [`dedup`] merges modules whose text is identical up to their own name and the names of the
//!    modules they instantiate, iterating bottom-up to a fixed point, and keeps the first name
//!    (in sorted order) of each class, so names are stable from run to run.
//! 3. Identifiers have `$` replaced by `__` (`acc$d` -> `acc__d`), which Verilator and Yosys take
//!    without escaping; system functions such as `$signed` are left alone.
//!
//! Contract:
//! 1. The output defines every module reachable from the kept (`keep`) modules exactly once, in
//!    dependency order (a module before the first module that instantiates it).
//! 2. Kept module names are never renamed or merged away.
//! 3. The output is a pure function of the input text (no hashing order, no time).
//! 4. [`emit_block`] runs rust-hdl on one block, renames its top to the given name and its
//!    submodules to `<name>_<instance path>`, then applies [`dedup`].

use crate::error::{Error, Result};
use rust_hdl::prelude::{check_all, generate_verilog_unchecked, Block};
use std::collections::{BTreeMap, BTreeSet};

/// Verilog text plus the names of the modules it defines, in the order they appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emitted {
    pub text: String,
    pub modules: Vec<String>,
}

impl Emitted {
    /// Appends a generated module (structural wiring, wrappers) after the rust-hdl ones.
    pub fn push_module(&mut self, name: impl Into<String>, text: &str) {
        self.text.push('\n');
        self.text.push_str(text);
        self.modules.push(name.into());
    }

    /// Puts the standard [`file_header`] (naming `what` and every module) in front of the text.
    pub fn with_header(mut self, what: &str) -> Self {
        self.text.insert_str(0, &file_header(what, &self.modules));
        self
    }
}

/// One parsed module: its name, its full text (from `module` to `endmodule` inclusive) and the
/// module types it instantiates.
#[derive(Debug, Clone)]
pub struct Module {
    pub name: String,
    pub text: String,
    pub children: Vec<String>,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Splits `s` into identifier and non-identifier tokens (identifiers may contain `$`, but do not
/// start with it, so `$signed` stays a system function).
fn tokens(s: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let b: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < b.len() {
        let (start, c) = b[i];
        let ident = is_ident_start(c);
        let mut j = i + 1;
        if ident {
            while j < b.len() && is_ident_char(b[j].1) {
                j += 1;
            }
        } else if c.is_ascii_digit() {
            // A number such as 8'h0f or 32'sd5: its letters must not become identifiers.
            while j < b.len() && (b[j].1.is_ascii_alphanumeric() || b[j].1 == '\'' || b[j].1 == '_') {
                j += 1;
            }
        } else if c == '$' {
            // A system function such as $signed stays one token.
            while j < b.len() && is_ident_char(b[j].1) {
                j += 1;
            }
        } else {
            while j < b.len() && !is_ident_start(b[j].1) && !b[j].1.is_ascii_digit() && b[j].1 != '$' {
                j += 1;
            }
        }
        let end = if j < b.len() { b[j].0 } else { s.len() };
        out.push((ident, &s[start..end]));
        i = j;
    }
    out
}

/// Splits Verilog text into modules. Text outside modules (blank lines, comments) is dropped.
pub fn parse(text: &str) -> Result<Vec<Module>> {
    let mut mods: Vec<Module> = Vec::new();
    let mut cur: Option<(String, Vec<&str>)> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("module ") {
            if let Some((name, _)) = &cur {
                return Err(Error::tool("emit", format!("module {name} has no endmodule")));
            }
            let name: String = rest.trim_start().chars().take_while(|&c| is_ident_char(c)).collect();
            if name.is_empty() {
                return Err(Error::tool("emit", format!("cannot read module name in `{t}`")));
            }
            cur = Some((name, vec![line]));
        } else if let Some((_, lines)) = cur.as_mut() {
            lines.push(line);
            if t.starts_with("endmodule") {
                let (name, lines) = cur.take().expect("inside a module");
                mods.push(Module { name, text: lines.join("\n") + "\n", children: Vec::new() });
            }
        }
    }
    if let Some((name, _)) = cur {
        return Err(Error::tool("emit", format!("module {name} has no endmodule")));
    }
    let names: BTreeSet<String> = mods.iter().map(|m| m.name.clone()).collect();
    if names.len() != mods.len() {
        return Err(Error::tool("emit", "the same module name is defined twice"));
    }
    for m in &mut mods {
        let mut ch = Vec::new();
        for line in m.text.lines().skip(1) {
            if let Some((true, first)) = tokens(line.trim_start()).first().copied() {
                if names.contains(first) && !ch.iter().any(|c: &String| c == first) {
                    ch.push(first.to_string());
                }
            }
        }
        m.children = ch;
    }
    Ok(mods)
}

/// Rewrites a module's text: its own name and its children's type names through `map`
/// (in the header, instance lines and the `endmodule // name` comment), `$` in identifiers -> `__`.
fn rewrite(m: &Module, map: &BTreeMap<String, String>) -> String {
    rewrite_with(m, map, true)
}

/// [`rewrite`], optionally keeping `$` in identifiers (renaming only), so [`dedup`] still sees
/// the original structure of a renamed text.
fn rewrite_with(m: &Module, map: &BTreeMap<String, String>, sanitize: bool) -> String {
    let mut out = String::with_capacity(m.text.len());
    for (n, line) in m.text.lines().enumerate() {
        let indent = &line[..line.len() - line.trim_start().len()];
        out.push_str(indent);
        let toks = tokens(line.trim_start());
        let header_or_end = n == 0 || line.trim_start().starts_with("endmodule");
        let first_is_child = matches!(toks.first(), Some((true, t)) if m.children.iter().any(|c| c == t));
        for (k, (ident, t)) in toks.iter().enumerate() {
            if *ident {
                let module_pos = (header_or_end && map.contains_key(*t)) || (k == 0 && first_is_child);
                let name = if module_pos { map.get(*t).map(String::as_str).unwrap_or(t) } else { t };
                if sanitize {
                    out.push_str(&name.replace('$', "__"));
                } else {
                    out.push_str(name);
                }
            } else {
                out.push_str(t);
            }
        }
        out.push('\n');
    }
    out
}

/// Merges identical modules (see the module doc). `keep` names the roots; modules not
/// reachable from them are dropped.
pub fn dedup(text: &str, keep: &[&str]) -> Result<Emitted> {
    let mods = parse(text)?;
    let by_name: BTreeMap<&str, &Module> = mods.iter().map(|m| (m.name.as_str(), m)).collect();
    for k in keep {
        if !by_name.contains_key(k) {
            return Err(Error::tool("emit", format!("kept module {k} is not in the text")));
        }
    }
    // Reachable modules in post-order (children first): dependency order.
    let mut order: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    fn visit<'a>(n: &'a str, by: &BTreeMap<&'a str, &'a Module>, seen: &mut BTreeSet<&'a str>, order: &mut Vec<&'a str>, depth: usize) -> Result<()> {
        if depth > 1000 {
            return Err(Error::tool("emit", format!("module hierarchy too deep at {n}")));
        }
        if !seen.insert(n) {
            return Ok(());
        }
        let m = by[n];
        for c in &m.children {
            let c: &'a str = by.get_key_value(c.as_str()).map(|(k, _)| *k).expect("child parsed from names");
            visit(c, by, seen, order, depth + 1)?;
        }
        order.push(n);
        Ok(())
    }
    for k in keep {
        visit(k, &by_name, &mut seen, &mut order, 0)?;
    }
    let kept: BTreeSet<&str> = keep.iter().copied().collect();
    // rep[name] = the name of the class representative. Start with every module its own class and
    // refine until the number of classes stops shrinking.
    let mut rep: BTreeMap<String, String> = order.iter().map(|n| (n.to_string(), n.to_string())).collect();
    loop {
        let mut classes: BTreeMap<String, String> = BTreeMap::new(); // key -> representative
        let mut next = rep.clone();
        let mut names: Vec<&str> = order.clone();
        names.sort();
        for n in names {
            let m = by_name[n];
            let mut map: BTreeMap<String, String> = m.children.iter().map(|c| (c.clone(), rep[c].clone())).collect();
            map.insert(m.name.clone(), "@SELF".into());
            let key = rewrite(m, &map);
            let key = key.lines().filter(|l| !l.trim_start().starts_with("endmodule")).collect::<Vec<_>>().join("\n");
            if kept.contains(n) {
                next.insert(n.to_string(), n.to_string());
                continue;
            }
            let r = classes.entry(key).or_insert_with(|| n.to_string());
            next.insert(n.to_string(), r.clone());
        }
        if next == rep {
            break;
        }
        rep = next;
    }
    let mut text_out = String::new();
    let mut modules = Vec::new();
    for n in &order {
        if rep[*n] != *n {
            continue;
        }
        let m = by_name[n];
        check_no_collision(m)?;
        let map: BTreeMap<String, String> = m.children.iter().map(|c| (c.clone(), rep[c].clone())).collect();
        if !text_out.is_empty() {
            text_out.push('\n');
        }
        text_out.push_str(&rewrite(m, &map));
        modules.push(n.replace('$', "__"));
    }
    Ok(Emitted { text: text_out, modules })
}

/// Fails if replacing `$` by `__` would make two different identifiers of `m` equal.
fn check_no_collision(m: &Module) -> Result<()> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (ident, t) in tokens(&m.text) {
        if !ident {
            continue;
        }
        let new = t.replace('$', "__");
        if let Some(old) = seen.insert(new.clone(), t) {
            if old != t {
                return Err(Error::tool("emit", format!("in module {}, {old} and {t} would both become {new}", m.name)));
            }
        }
    }
    Ok(())
}

/// rust-hdl's Verilog for `block` with its top renamed to `name` and every submodule to
/// `<name>_<instance path>`, not yet deduplicated. Fails if rust-hdl's `check_all` does.
pub fn block_verilog<B: Block>(block: &mut B, name: &str) -> Result<String> {
    block.connect_all();
    // rust-hdl's own checks (open signals, logic loops, writes to inputs) as a typed error,
    // instead of the panic inside `generate_verilog`.
    check_all(block).map_err(|e| Error::tool("rust-hdl check", format!("{name}: {e:?}")))?;
    let raw = generate_verilog_unchecked(block);
    let mods = parse(&raw)?;
    let mut map = BTreeMap::new();
    for m in &mods {
        let new = if m.name == "top" {
            name.to_string()
        } else if let Some(rest) = m.name.strip_prefix("top$") {
            format!("{name}_{}", rest.replace('$', "_"))
        } else {
            format!("{name}_{}", m.name)
        };
        map.insert(m.name.clone(), new);
    }
    let mut out = String::new();
    for m in &mods {
        out.push_str(&rewrite_with(m, &map, false));
        out.push('\n');
    }
    Ok(out)
}

/// rust-hdl Verilog of `block` as module `name`, deduplicated (contract rule 4).
pub fn emit_block<B: Block>(block: &mut B, name: &str) -> Result<Emitted> {
    let raw = block_verilog(block, name)?;
    dedup(&raw, &[name])
}


/// The header of a generated single-file hierarchy: the generator, what it is for, the modules
/// it defines, and the one lint waiver that layout needs (the file is named after the top only).
pub fn file_header(what: &str, modules: &[String]) -> String {
    format!(
        "// Generated by {} for {what}; do not edit.\n// Modules: {}\n// One file holds the whole hierarchy, so its name matches only the top module.\n/* verilator lint_off DECLFILENAME */\n\n",
        crate::manifest::Manifest::generator_id(),
        modules.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_SAME: &str = "\
module top(clock,x,y);
    input wire clock;
    top$a a(.d(x),.q(y$a),.clock(clock));
    top$b b(.d(y$a),.q(y),.clock(clock));
endmodule // top
module top$a(d,q,clock);
    always @(posedge clock) q <= $signed(d);
endmodule // top$a
module top$b(d,q,clock);
    always @(posedge clock) q <= $signed(d);
endmodule // top$b
";

    #[test]
    fn merges_identical_children_and_renames_dollars() {
        let e = dedup(TWO_SAME, &["top"]).unwrap();
        assert_eq!(e.modules, vec!["top__a".to_string(), "top".to_string()]);
        assert!(e.text.contains("    top__a b(.d(y__a),.q(y),.clock(clock));"), "{}", e.text);
        assert!(e.text.contains("q <= $signed(d);"), "{}", e.text);
        assert!(!e.text.contains("top$b") && !e.text.contains("top__b"), "{}", e.text);
    }

    #[test]
    fn merges_parents_after_children_merge() {
        // p1 and p2 differ only in which (identical) leaf they instantiate.
        let t = "\
module t(c);
    p1 u1(.c(c));
    p2 u2(.c(c));
endmodule
module p1(c);
    l1 x(.c(c));
endmodule
module p2(c);
    l2 x(.c(c));
endmodule
module l1(c);
    input wire c;
endmodule
module l2(c);
    input wire c;
endmodule
";
        let e = dedup(t, &["t"]).unwrap();
        assert_eq!(e.modules, vec!["l1", "p1", "t"]);
        assert!(e.text.contains("    p1 u2(.c(c));"), "{}", e.text);
    }

    #[test]
    fn rust_hdl_pe_collapses_to_one_register_module_per_type() {
        // The PE has 7 DFF instances (8-bit x2, 1-bit x3, 32-bit x2); rust-hdl writes 8 modules.
        let mut pe = crate::rtl::matmul::pe::Pe::<8, 32>::default();
        let raw = block_verilog(&mut pe, "pe").unwrap();
        assert_eq!(parse(&raw).unwrap().len(), 8);
        let e = emit_block(&mut pe, "pe").unwrap();
        assert_eq!(e.modules, vec!["pe_a_q", "pe_f_q", "pe_acc", "pe"]);
        let dollars: Vec<&str> = e.text.split('$').skip(1).filter(|t| !t.starts_with("signed") && !t.starts_with("unsigned")).collect();
        assert!(dollars.is_empty(), "identifiers with $ left: {dollars:?}");
        assert!(e.text.contains("acc__d = sum;"), "{}", e.text);
        assert!(e.text.contains("prod = $signed(a_in) * $signed(b_in);"), "{}", e.text);
    }

    use rust_hdl::prelude::*;

    #[derive(LogicBlock, Default)]
    struct Undriven {
        x: Signal<In, Bit>,
        y: Signal<Out, Bit>,
        z: Signal<Out, Bit>,
    }

    impl Logic for Undriven {
        #[hdl_gen]
        fn update(&mut self) {
            self.y.next = self.x.val();
        }
    }

    #[test]
    fn rust_hdl_check_failures_are_errors_not_panics() {
        let e = emit_block(&mut Undriven::default(), "undriven").unwrap_err().to_string();
        assert!(e.starts_with("rust-hdl check failed: undriven: OpenSignal"), "{e}");
    }

    #[test]
    fn different_bodies_stay_apart_and_missing_end_is_an_error() {
        let t = "module a(c);\n  wire x;\nendmodule\nmodule b(c);\n  wire y;\nendmodule\nmodule t(c);\n  a i(.c(c));\n  b j(.c(c));\nendmodule\n";
        assert_eq!(dedup(t, &["t"]).unwrap().modules, vec!["a", "b", "t"]);
        let e = dedup("module a(c);\n wire x;\n", &["a"]).unwrap_err();
        assert_eq!(e.to_string(), "emit failed: module a has no endmodule");
        let clash = "module a(c);\n  wire x$d;\n  wire x__d;\nendmodule\n";
        let e = dedup(clash, &["a"]).unwrap_err();
        assert_eq!(e.to_string(), "emit failed: in module a, x$d and x__d would both become x__d");
        let e = dedup(t, &["nope"]).unwrap_err();
        assert_eq!(e.to_string(), "emit failed: kept module nope is not in the text");
    }
}
