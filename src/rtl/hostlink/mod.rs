//! The host link: UART receiver -> command parser (start frame -> `cmd_*`, prompt memory),
//! core characters -> TX buffer -> UART transmitter, and the status record after the buffer has
//! drained following `gen_done`. The protocol is docs/protocol.md; the host side is
//! [`crate::host`].
//!
//! [`verilog`] turns a validated [`HostLinkConfig`] into one Verilog file whose modules are
//! prefixed `llmpu_hl_` plus the top `llmpu_hostlink`; [`top::ports`] is its port list.

pub mod config;
pub mod parser;
pub mod ram;
pub mod sender;
pub mod top;

pub use config::{HostLinkConfig, HostLinkParams};

use crate::error::{Error, Result};
use crate::manifest::{Latency, Manifest, MANIFEST_FILE};
use crate::output::FileSet;
use crate::rtl::emit::{block_verilog, dedup, Emitted};
use crate::rtl::uart::{rx::UartRx, tx::UartTx};

/// Module names of the leaf blocks.
pub struct LeafNames {
    pub rx: String,
    pub tx: String,
    pub parser: String,
    pub sender: String,
}

impl LeafNames {
    pub fn new() -> Self {
        LeafNames {
            rx: "llmpu_hl_uart_rx".into(),
            tx: "llmpu_hl_uart_tx".into(),
            parser: "llmpu_hl_parser".into(),
            sender: "llmpu_hl_sender".into(),
        }
    }
    /// The byte memory with `a` address bits.
    pub fn ram(&self, a: u32) -> String {
        format!("llmpu_hl_ram_a{a}")
    }
}

impl Default for LeafNames {
    fn default() -> Self {
        Self::new()
    }
}

fn ram_verilog(a: u32, name: &str) -> Result<String> {
    macro_rules! ram {
        ($($n:literal),*) => {
            match a {
                $($n => block_verilog(&mut ram::ByteRam::<$n>::default(), name),)*
                _ => Err(Error::invalid("byte memory address bits", a, "allowed: 1..=15")),
            }
        };
    }
    ram!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
}

/// Wraps the body of module `name` in `verilator lint_off/lint_on WIDTH`. rust-hdl writes integer
/// literals as 32-bit constants (`wp__q + 32'h1`); every such expression in the leaves only uses
/// the low bits of its operands (+, -, &, |, shifts, comparisons whose operands cannot overflow
/// their declared widths), which the assignment keeps. The Verilator tests check the behaviour.
/// (The same rule as `rtl::noc`; a candidate for `rtl::emit`.)
fn suppress_width(text: &str, name: &str) -> String {
    let head = format!("module {name}(");
    let end = format!("endmodule // {name}");
    let mut out = String::with_capacity(text.len() + 300);
    for line in text.lines() {
        if line.trim_start() == end {
            out.push_str("    /* verilator lint_on WIDTH */\n");
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with(&head) {
            out.push_str("    // rust-hdl's 32-bit literals: only low bits are used (see llmpu::rtl::hostlink).\n    /* verilator lint_off WIDTH */\n");
        }
    }
    out
}

/// Verilog of the whole host link (leaf modules deduplicated, then the top) and its module list.
pub fn verilog(cfg: &HostLinkConfig) -> Result<Emitted> {
    let leaf = LeafNames::new();
    let mut raw = String::new();
    raw.push_str(&block_verilog(&mut UartRx::default(), &leaf.rx)?);
    raw.push_str(&block_verilog(&mut UartTx::default(), &leaf.tx)?);
    raw.push_str(&block_verilog(&mut parser::Parser::default(), &leaf.parser)?);
    raw.push_str(&block_verilog(&mut sender::Sender::default(), &leaf.sender)?);
    let mut rams = vec![cfg.prompt_bits(), cfg.buffer_bits()];
    rams.dedup();
    let ram_names: Vec<String> = rams.iter().map(|&a| leaf.ram(a)).collect();
    for (a, n) in rams.iter().zip(&ram_names) {
        raw.push_str(&ram_verilog(*a, n)?);
    }
    let mut keep = vec![leaf.rx.as_str(), leaf.tx.as_str(), leaf.parser.as_str(), leaf.sender.as_str()];
    keep.extend(ram_names.iter().map(|s| s.as_str()));
    let mut e = dedup(&raw, &keep)?;
    for leaf in [&leaf.rx, &leaf.tx, &leaf.parser, &leaf.sender] {
        e.text = suppress_width(&e.text, leaf);
    }
    e.push_module(HostLinkConfig::TOP, &top::top_verilog(cfg, &leaf));
    Ok(e.with_header(HostLinkConfig::TOP))
}

/// File name of the Verilog written by [`generate`].
pub fn verilog_file() -> String {
    format!("{}.v", HostLinkConfig::TOP)
}

/// The manifest of `cfg` listing `files` (the manifest itself is appended last).
pub fn manifest(cfg: &HostLinkConfig, files: Vec<String>, modules: &[String]) -> Manifest {
    let mut files = files;
    files.push(MANIFEST_FILE.to_string());
    let b = cfg.byte_clocks();
    Manifest {
        generator: Manifest::generator_id(),
        block: "hostlink".into(),
        top: HostLinkConfig::TOP.into(),
        config: serde_json::to_value(cfg).unwrap_or(serde_json::Value::Null),
        clock: "clock".into(),
        reset: "reset".into(),
        ports: top::ports(),
        latency: Latency {
            formula: format!("one UART byte = {b} clocks; cmd_start 1 cycle after the frame's checksum byte is received"),
            notes: vec![
                format!("start frame of m prompt tokens: (13 + m) * {b} clocks on the wire"),
                format!("status record: 21 * {b} clocks after the last character has left the buffer"),
                format!("a frame silent for {} clocks is abandoned (status truncated)", cfg.timeout_clocks),
            ],
        },
        files,
        extra: serde_json::json!({ "modules": modules, "divisor": cfg.divisor, "buffer": cfg.buffer }),
    }
}

/// The Verilog file and manifest of `cfg`, in memory.
pub fn generate(cfg: &HostLinkConfig) -> Result<(FileSet, Manifest)> {
    let v = verilog(cfg)?;
    let vfile = verilog_file();
    let m = manifest(cfg, vec![vfile.clone()], &v.modules);
    Ok((FileSet::design(vfile, v.text, &m), m))
}
