//! The systolic matmul array: configuration, processing element, array, top wrapper.
//!
//! [`generate`] turns a validated [`SystolicConfig`] into the Verilog file and the manifest;
//! nothing is written until the caller writes the returned [`FileSet`].

pub mod array;
pub mod config;
pub mod model;
pub mod pe;
pub mod top;

pub use config::{SystolicConfig, SystolicParams};

use crate::error::{Error, Result};
use crate::manifest::{Latency, Manifest, MANIFEST_FILE};
use crate::output::FileSet;
use crate::rtl::emit::{block_verilog, dedup, Emitted};
use array::LeafNames;

/// Verilog of the whole array (leaf modules deduplicated, then mesh, then top) and its module
/// list, in dependency order.
pub fn verilog(cfg: &SystolicConfig) -> Result<Emitted> {
    let leaf = LeafNames::new(cfg);
    let mut raw = String::new();
    raw.push_str(&pe_verilog(cfg, &leaf.pe)?);
    raw.push_str(&skew_a_verilog(cfg.in_bits, &leaf.skew_a)?);
    raw.push_str(&skew_b_verilog(cfg.in_bits, &leaf.skew_b)?);
    raw.push_str(&row_pick_verilog(cfg.out_row_bits(), &leaf.row_pick)?);
    raw.push_str(&block_verilog(&mut pe::Control::default(), &leaf.control)?);
    let keep = [leaf.pe.as_str(), leaf.skew_a.as_str(), leaf.skew_b.as_str(), leaf.row_pick.as_str(), leaf.control.as_str()];
    let mut e = dedup(&raw, &keep)?;
    if cfg.acc_bits > 32 {
        let why = "rust-hdl sign-extends the 32-bit product to 48 bits by Verilog context width.";
        e.text = suppress_in_module(&e.text, &leaf.pe, "WIDTH", why);
    } else if cfg.acc_bits < 32 {
        let why = "the product's bits above A are never read: it fits in 2I <= A bits.";
        e.text = suppress_in_module(&e.text, &leaf.pe, "UNUSED", why);
    }
    e.push_module(array::array_name(cfg), &array::array_verilog(cfg, &leaf));
    e.push_module(cfg.top_name(), &top::top_verilog(cfg, &leaf));
    Ok(e.with_header(&cfg.top_name()))
}

/// Wraps the body of module `name` in `verilator lint_off/lint_on` for one warning class, with
/// the reason as a comment. Used only for the PE: rust-hdl 0.46 multiplies only 16 x 16 -> 32
/// bits, so a 48-bit accumulator ([`pe::PeWide`]) needs Verilog's context-width sign extension
/// (WIDTH) and a 16/24-bit one leaves the product's top bits unread (UNUSED). Bit-exactness of
/// both is checked in Verilator.
fn suppress_in_module(text: &str, name: &str, class: &str, why: &str) -> String {
    let head = format!("module {name}(");
    let end = format!("endmodule // {name}");
    let mut out = String::with_capacity(text.len() + 100);
    for line in text.lines() {
        if line.trim_start() == end {
            out.push_str(&format!("    /* verilator lint_on {class} */\n"));
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with(&head) {
            out.push_str(&format!("    // {why}\n    /* verilator lint_off {class} */\n"));
        }
    }
    out
}

fn unsupported(what: &str, v: u32) -> Error {
    Error::invalid(what, v, "no rust-hdl instantiation for this width")
}

/// Monomorphises the PE over the supported (in_bits, acc_bits) pairs.
fn pe_verilog(cfg: &SystolicConfig, name: &str) -> Result<String> {
    macro_rules! pe {
        ($(($i:literal, $a:literal)),*) => {
            match (cfg.in_bits, cfg.acc_bits) {
                $(($i, $a) => block_verilog(&mut pe::Pe::<$i, $a>::default(), name),)*
                (4, 48) => block_verilog(&mut pe::PeWide::<4>::default(), name),
                (8, 48) => block_verilog(&mut pe::PeWide::<8>::default(), name),
                (16, 48) => block_verilog(&mut pe::PeWide::<16>::default(), name),
                _ => Err(unsupported("acc-bits", cfg.acc_bits)),
            }
        };
    }
    pe!((4, 16), (4, 24), (4, 32), (8, 16), (8, 24), (8, 32), (16, 32))
}

fn skew_a_verilog(in_bits: u32, name: &str) -> Result<String> {
    match in_bits {
        4 => block_verilog(&mut pe::SkewA::<4>::default(), name),
        8 => block_verilog(&mut pe::SkewA::<8>::default(), name),
        16 => block_verilog(&mut pe::SkewA::<16>::default(), name),
        _ => Err(unsupported("in-bits", in_bits)),
    }
}

fn skew_b_verilog(in_bits: u32, name: &str) -> Result<String> {
    match in_bits {
        4 => block_verilog(&mut pe::SkewB::<4>::default(), name),
        8 => block_verilog(&mut pe::SkewB::<8>::default(), name),
        16 => block_verilog(&mut pe::SkewB::<16>::default(), name),
        _ => Err(unsupported("in-bits", in_bits)),
    }
}

fn row_pick_verilog(w: u32, name: &str) -> Result<String> {
    match w {
        1 => block_verilog(&mut pe::RowPick::<1>::default(), name),
        2 => block_verilog(&mut pe::RowPick::<2>::default(), name),
        3 => block_verilog(&mut pe::RowPick::<3>::default(), name),
        4 => block_verilog(&mut pe::RowPick::<4>::default(), name),
        5 => block_verilog(&mut pe::RowPick::<5>::default(), name),
        6 => block_verilog(&mut pe::RowPick::<6>::default(), name),
        _ => Err(unsupported("out-row bits", w)),
    }
}

/// File name of the Verilog written by [`generate`].
pub fn verilog_file(cfg: &SystolicConfig) -> String {
    format!("{}.v", cfg.top_name())
}

/// The manifest of `cfg` listing `files` (the manifest itself is appended last).
pub fn manifest(cfg: &SystolicConfig, files: Vec<String>, modules: &[String]) -> Manifest {
    let mut files = files;
    files.push(MANIFEST_FILE.to_string());
    Manifest {
        generator: Manifest::generator_id(),
        block: "systolic".into(),
        top: cfg.top_name(),
        config: serde_json::to_value(cfg).unwrap_or(serde_json::Value::Null),
        clock: "clock".into(),
        reset: "reset".into(),
        ports: top::ports(cfg),
        latency: Latency {
            formula: format!(
                "in_last beat accepted at cycle t -> row i out at t + i + C (+{}); whole tile by t + R + C - 1 = t + {}",
                SystolicConfig::PIPELINE_CONSTANT,
                cfg.tile_out_latency()
            ),
            notes: vec![
                format!("min_last_spacing = max(R, C) = {} cycles between accepted in_last beats (enforced by in_ready)", cfg.min_last_spacing()),
                format!("row_out_latency(i) = i + {}", cfg.cols),
                "throughput: one tile per max(K, R, C) cycles fed back to back".into(),
                "beats without in_last are always accepted; idle cycles travel as bubbles".into(),
            ],
        },
        files,
        extra: serde_json::json!({
            "modules": modules,
            "pipeline_constant": SystolicConfig::PIPELINE_CONSTANT,
            "min_last_spacing": cfg.min_last_spacing(),
            "tile_out_latency": cfg.tile_out_latency(),
            "out_row_bits": cfg.out_row_bits(),
        }),
    }
}

/// The Verilog file and manifest of `cfg`, in memory.
pub fn generate(cfg: &SystolicConfig) -> Result<(FileSet, Manifest)> {
    let v = verilog(cfg)?;
    let vfile = verilog_file(cfg);
    let m = manifest(cfg, vec![vfile.clone()], &v.modules);
    Ok((FileSet::design(vfile, v.text, &m), m))
}
