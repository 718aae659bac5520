//! The online-softmax attention unit with its KV cache: configuration, arithmetic blocks, lane
//! datapath, KV memory, controller, top wrapper and the bit-exact reference.
//!
//! [`generate`] turns a validated [`AttentionConfig`] into the Verilog file and the manifest;
//! nothing is written until the caller writes the returned [`FileSet`]. The contract (ports,
//! handshake, latency) is docs/attention.md.

pub mod config;
pub mod control;
pub mod kv;
pub mod lane;
pub mod model;
pub mod top;

pub use config::{AttentionConfig, AttentionParams};

use crate::error::{Error, Result};
use crate::manifest::{Latency, Manifest, MANIFEST_FILE};
use crate::output::FileSet;
use crate::rtl::emit::{block_verilog, dedup, Emitted};

/// Module names of the leaf blocks for one configuration.
pub struct LeafNames {
    pub control: String,
    pub hold: String,
    pub mac: String,
    pub add: String,
    pub rsr: String,
    pub head: String,
    pub acc: String,
    pub hold32: String,
    pub dot: String,
    pub pair: String,
    pub kvram: String,
}

impl LeafNames {
    pub fn new(cfg: &AttentionConfig) -> Self {
        LeafNames {
            control: "llmpu_att_control".into(),
            hold: "llmpu_att_hold16".into(),
            mac: "llmpu_att_mac".into(),
            add: "llmpu_att_add48".into(),
            rsr: "llmpu_att_rsr".into(),
            head: "llmpu_att_head".into(),
            acc: "llmpu_att_acc".into(),
            hold32: "llmpu_att_hold32".into(),
            dot: "llmpu_att_dot".into(),
            pair: "llmpu_att_pipe48".into(),
            kvram: format!("llmpu_att_kvram_a{}", cfg.addr_bits()),
        }
    }
}

fn kvram_verilog(a: u32, name: &str) -> Result<String> {
    macro_rules! ram {
        ($($n:literal),*) => {
            match a {
                $($n => block_verilog(&mut kv::KvRam::<$n>::default(), name),)*
                _ => Err(Error::invalid("KV memory address bits", a, "allowed: 1..=16")),
            }
        };
    }
    ram!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
}

/// Verilog of the whole unit (leaf modules deduplicated, then the top) and its module list.
pub fn verilog(cfg: &AttentionConfig) -> Result<Emitted> {
    let leaf = LeafNames::new(cfg);
    let mut raw = String::new();
    raw.push_str(&block_verilog(&mut control::Control::default(), &leaf.control)?);
    raw.push_str(&block_verilog(&mut lane::Hold16::default(), &leaf.hold)?);
    raw.push_str(&block_verilog(&mut lane::Mac::default(), &leaf.mac)?);
    raw.push_str(&block_verilog(&mut crate::rtl::arith::Pipe::<48>::default(), &leaf.pair)?);
    if cfg.elements_per_cycle > 2 {
        raw.push_str(&block_verilog(&mut crate::rtl::arith::Add::<48>::default(), &leaf.add)?);
    }
    raw.push_str(&block_verilog(&mut crate::rtl::arith::Rsr::default(), &leaf.rsr)?);
    raw.push_str(&block_verilog(&mut lane::HeadState::default(), &leaf.head)?);
    raw.push_str(&block_verilog(&mut lane::AccUnit::default(), &leaf.acc)?);
    raw.push_str(&block_verilog(&mut lane::Hold32::default(), &leaf.hold32)?);
    if cfg.chunks() > 1 {
        raw.push_str(&block_verilog(&mut lane::DotAcc::default(), &leaf.dot)?);
    }
    raw.push_str(&kvram_verilog(cfg.addr_bits(), &leaf.kvram)?);
    let mut keep = vec![
        leaf.control.as_str(),
        leaf.hold.as_str(),
        leaf.mac.as_str(),
        leaf.pair.as_str(),
        leaf.rsr.as_str(),
        leaf.head.as_str(),
        leaf.acc.as_str(),
        leaf.hold32.as_str(),
        leaf.kvram.as_str(),
    ];
    if cfg.chunks() > 1 {
        keep.push(leaf.dot.as_str());
    }
    if cfg.elements_per_cycle > 2 {
        keep.push(leaf.add.as_str());
    }
    let mut e = dedup(&raw, &keep)?;
    e.text = suppress_lint(&e.text);
    e.push_module(cfg.top_name(), &top::top_verilog(cfg, &leaf));
    Ok(e.with_header(&cfg.top_name()))
}

/// The warning classes `verilator --lint-only -Wall` is told to ignore, per module of the
/// arithmetic leaves (module name prefix, class, reason written into the Verilog). The controller,
/// the registers, the KV memory and the structural top are lint-clean without any. Justified in
/// docs/attention.md (Lint); the behaviour under them is checked bit for bit in Verilator.
pub const LINT_SUPPRESSIONS: &[(&str, &str, &str)] = &[
    (
        "llmpu_att_mac",
        "WIDTH",
        "rust-hdl 0.46 writes a zero extension (bit_cast) as a narrow value ANDed with a wide mask; Verilog's context width extends it as intended",
    ),
    (
        "llmpu_att_head",
        "WIDTH",
        "rust-hdl 0.46 writes zero extensions as a narrow value ANDed with a wide mask and literals as 32-bit constants; Verilog's context width gives the intended widths",
    ),
    (
        "llmpu_att_acc",
        "WIDTH",
        "rust-hdl 0.46 writes zero extensions as a narrow value ANDed with a wide mask and literals as 32-bit constants; Verilog's context width gives the intended widths",
    ),
    (
        "llmpu_att_head",
        "UNUSED",
        "each use of the shared rounding block reads one of its results (48-bit or saturated), and table lookups read only some bits of their index",
    ),
    (
        "llmpu_att_acc",
        "UNUSED",
        "each use of the shared rounding block reads one of its results (48-bit or saturated)",
    ),
    (
        "llmpu_att_head",
        "UNOPTFLAT",
        "rust-hdl 0.46 writes a module's logic as one always block; a child whose input it drives and whose output it reads looks like a loop at block granularity (there is none: yosys check -assert passes)",
    ),
];

/// Wraps the body of every rust-hdl module named by [`LINT_SUPPRESSIONS`] (prefix match) in
/// `verilator lint_off/lint_on` for its classes, each with its reason as a comment.
fn suppress_lint(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4096);
    let mut open: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.starts_with("endmodule") {
            for class in open.drain(..).rev() {
                out.push_str(&format!("    /* verilator lint_on {class} */\n"));
            }
        }
        out.push_str(line);
        out.push('\n');
        if let Some(rest) = line.strip_prefix("module ") {
            let name = rest.split('(').next().unwrap_or("").trim();
            for (prefix, class, why) in LINT_SUPPRESSIONS {
                if name.starts_with(prefix) {
                    out.push_str(&format!("    // lint: {why}\n    /* verilator lint_off {class} */\n"));
                    open.push(class);
                }
            }
        }
    }
    out
}

/// File name of the Verilog written by [`generate`].
pub fn verilog_file(cfg: &AttentionConfig) -> String {
    format!("{}.v", cfg.top_name())
}

/// The manifest of `cfg` listing `files` (the manifest itself is appended last).
pub fn manifest(cfg: &AttentionConfig, files: Vec<String>, modules: &[String]) -> Manifest {
    let mut files = files;
    files.push(MANIFEST_FILE.to_string());
    let p = cfg.pipeline();
    let per = if cfg.chunks() == 1 { "cache_len".to_string() } else { format!("cache_len * {}", cfg.chunks()) };
    Manifest {
        generator: Manifest::generator_id(),
        block: "attention".into(),
        top: cfg.top_name(),
        config: serde_json::to_value(cfg).unwrap_or(serde_json::Value::Null),
        clock: "clock".into(),
        reset: "reset".into(),
        ports: top::ports(cfg),
        latency: Latency {
            formula: format!("query beat accepted at cycle a -> out_valid at a + {per} + {p}"),
            notes: vec![
                format!("q_ready is low for {per} cycles after an accepted query: one query beat per {per} + 1 cycles"),
                format!(
                    "one token back to back, first kv beat to last output inclusive: {y} * {g} * ({per} + 2) + {p} cycles ({g} kv beats, {g} queries per layer, {y} layer(s))",
                    g = cfg.groups(),
                    y = cfg.layers
                ),
                "layers: one cache per layer in the same memories; kv_layer/q_layer select it, cache_len shows layer q_layer's length, clear empties all".into(),
                "lanes process that many heads in parallel; groups = heads / lanes run one after the other".into(),
                "a query offered while one runs waits (q_ready low); kv beats and clear also wait; a kv beat offered with a query goes first".into(),
            ],
        },
        files,
        extra: serde_json::json!({
            "modules": modules,
            "pipeline": p,
            "groups": cfg.groups(),
            "group_bits": cfg.group_bits(),
            "addr_bits": cfg.addr_bits(),
            "layer_bits": cfg.layer_bits(),
            "elements_per_cycle": cfg.elements_per_cycle,
            "chunks": cfg.chunks(),
            "multipliers": cfg.multipliers(),
            "score_shift": cfg.score_shift(),
            "kv_memories": 2 * cfg.lanes * cfg.head_dim,
            "kv_memory_words": 1u32 << cfg.addr_bits(),
        }),
    }
}

/// The Verilog file and manifest of `cfg`, in memory.
pub fn generate(cfg: &AttentionConfig) -> Result<(FileSet, Manifest)> {
    let v = verilog(cfg)?;
    let vfile = verilog_file(cfg);
    let m = manifest(cfg, vec![vfile.clone()], &v.modules);
    Ok((FileSet::design(vfile, v.text, &m), m))
}

/// Fit check before any tool runs, the rule of [`crate::synth::fit`] applied to this unit: its
/// [`AttentionConfig::multipliers`] 16 x 16 multipliers go to DSPs first and the rest to logic at
/// the target's measured cost per 16-bit multiplier, plus at least 32 LUTs per accumulator unit for
/// the accumulator adders. A lower bound: refuses only designs that certainly cannot fit.
pub fn fit_estimate(cfg: &AttentionConfig, target: &crate::synth::Target) -> Result<crate::synth::fit::FitEstimate> {
    let multipliers = cfg.multipliers();
    let in_dsps = multipliers.min(target.dsp_count());
    let in_luts = multipliers - in_dsps;
    let per = target.lut_cost_per_multiplier(16);
    let accumulator_luts = cfg.lanes * cfg.elements_per_cycle * 32;
    let luts = in_luts * per + accumulator_luts;
    let est = crate::synth::fit::FitEstimate { multipliers, in_dsps, in_luts, luts_per_multiplier: per, accumulator_luts, luts };
    let avail = target.luts.available;
    if luts > avail {
        let dsps = match target.dsp_count() {
            0 => "no DSPs".to_string(),
            n => format!("{n} DSPs"),
        };
        return Err(Error::DoesNotFit(format!(
            "{} needs {multipliers} multipliers of 16x16 bits; {} has {dsps} and {avail} LUTs: {in_luts} multipliers in logic need \
             about {in_luts} x {per} = {} LUTs plus {accumulator_luts} for the accumulators (at least {luts} LUTs); \
             use fewer lanes, fewer elements per cycle (--elements-per-cycle), a smaller head dimension or a larger target",
            cfg.top_name(),
            target.name,
            in_luts * per,
        )));
    }
    Ok(est)
}
