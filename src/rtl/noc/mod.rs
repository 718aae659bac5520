//! The network-on-chip: a W x H mesh of 5-port wormhole routers with XY routing, valid/ready
//! links, D-flit input buffers and round-robin arbitration, or (`Topology::Torus`, `torus.rs`)
//! a unidirectional torus of 3-input, 2-output routers with bubble flow control and single-flit
//! packets. Contract: docs/noc.md.
//!
//! [`generate`] turns a validated [`NocConfig`] into the Verilog file and the manifest; nothing
//! is written until the caller writes the returned [`FileSet`]. [`router_design`] is one router
//! on its own (for per-router synthesis).

pub mod config;
pub mod flit;
pub mod mesh;
pub mod router;
pub mod torus;

pub use config::{parse_mesh, NocConfig, NocParams, Topology};

use crate::error::{Error, Result};
use crate::manifest::{Latency, Manifest, Port, MANIFEST_FILE};
use crate::output::FileSet;
use crate::rtl::emit::{block_verilog, dedup, Emitted};
use router::{InputUnit, OutputUnit, RouterNames};

pub fn router_names(cfg: &NocConfig) -> RouterNames {
    RouterNames {
        input_unit: format!("llmpu_noc_iu_f{}d{}", cfg.flit_bits, cfg.buffer_depth),
        output_unit: format!("llmpu_noc_ou_f{}", cfg.flit_bits),
        router: cfg.router_name(),
    }
}

/// rust-hdl's Verilog of leaf `$t::<B, D>` (flit bits, buffer depth) for `cfg`, as module `name`:
/// the const generics need one arm per supported pair.
macro_rules! leaf_bd {
    ($t:ident, $cfg:expr, $name:expr) => {
        leaf_bd!(@arms $t, $cfg, $name; 16, 32, 64)
    };
    (@arms $t:ident, $cfg:expr, $name:expr; $($b:literal),*) => {
        match ($cfg.flit_bits, $cfg.buffer_depth) {
            $(
            ($b, 2) => block_verilog(&mut $t::<$b, 2>::default(), $name),
            ($b, 3) => block_verilog(&mut $t::<$b, 3>::default(), $name),
            ($b, 4) => block_verilog(&mut $t::<$b, 4>::default(), $name),
            ($b, 5) => block_verilog(&mut $t::<$b, 5>::default(), $name),
            ($b, 6) => block_verilog(&mut $t::<$b, 6>::default(), $name),
            ($b, 7) => block_verilog(&mut $t::<$b, 7>::default(), $name),
            ($b, 8) => block_verilog(&mut $t::<$b, 8>::default(), $name),
            )*
            _ => Err(Error::invalid("flit-bits/buffer-depth", format!("{}/{}", $cfg.flit_bits, $cfg.buffer_depth), "no rust-hdl instantiation for this pair")),
        }
    };
}

/// rust-hdl's Verilog of leaf `$t::<B>` (flit bits) for `cfg`, as module `name`.
macro_rules! leaf_b {
    ($t:ident, $cfg:expr, $name:expr) => {
        match $cfg.flit_bits {
            16 => block_verilog(&mut $t::<16>::default(), $name),
            32 => block_verilog(&mut $t::<32>::default(), $name),
            64 => block_verilog(&mut $t::<64>::default(), $name),
            b => Err(Error::invalid("flit-bits", b, "allowed: 16, 32, 64")),
        }
    };
}

fn input_unit_verilog(cfg: &NocConfig, name: &str) -> Result<String> {
    leaf_bd!(InputUnit, cfg, name)
}

fn output_unit_verilog(cfg: &NocConfig, name: &str) -> Result<String> {
    leaf_b!(OutputUnit, cfg, name)
}

pub fn torus_names(cfg: &NocConfig) -> torus::TorusNames {
    torus::TorusNames {
        input: format!("llmpu_noc_ti_f{}d{}", cfg.flit_bits, cfg.buffer_depth),
        switch: format!("llmpu_noc_tsw_f{}", cfg.flit_bits),
        router: cfg.router_name(),
    }
}

fn torus_input_verilog(cfg: &NocConfig, name: &str) -> Result<String> {
    use torus::TorusInput;
    leaf_bd!(TorusInput, cfg, name)
}

fn torus_switch_verilog(cfg: &NocConfig, name: &str) -> Result<String> {
    use torus::TorusSwitch;
    leaf_b!(TorusSwitch, cfg, name)
}

/// The torus router's leaves (deduplicated) and the structural router module.
fn torus_router_emitted(cfg: &NocConfig) -> Result<Emitted> {
    let names = torus_names(cfg);
    let mut raw = torus_input_verilog(cfg, &names.input)?;
    raw.push_str(&torus_switch_verilog(cfg, &names.switch)?);
    let mut e = dedup(&raw, &[names.input.as_str(), names.switch.as_str()])?;
    for leaf in [&names.input, &names.switch] {
        e.text = suppress_width(&e.text, leaf);
    }
    e.push_module(names.router.clone(), &torus::router_verilog(cfg.flit_bits, &names));
    Ok(e)
}

/// The router's leaves (deduplicated) and the structural router module.
fn router_emitted(cfg: &NocConfig) -> Result<Emitted> {
    if cfg.topology == Topology::Torus {
        return torus_router_emitted(cfg);
    }
    let names = router_names(cfg);
    let mut raw = input_unit_verilog(cfg, &names.input_unit)?;
    raw.push_str(&output_unit_verilog(cfg, &names.output_unit)?);
    let mut e = dedup(&raw, &[names.input_unit.as_str(), names.output_unit.as_str()])?;
    for leaf in [&names.input_unit, &names.output_unit] {
        e.text = suppress_width(&e.text, leaf);
    }
    e.push_module(names.router.clone(), &router::router_verilog(cfg.flit_bits, &names));
    Ok(e)
}

/// Wraps the body of module `name` in `verilator lint_off/lint_on WIDTH`. rust-hdl writes integer
/// literals as 32- or 64-bit constants (`req = 32'h0`, `~pick + 32'h1`); every such expression in
/// the leaves only uses the low bits of its operands (and, or, not, +, -, << are exact in the
/// low bits), which the assignment keeps. Verilator simulations check the behaviour.
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
            out.push_str("    // rust-hdl's 32/64-bit literals: only low bits are used (see llmpu::rtl::noc).\n    /* verilator lint_off WIDTH */\n");
        }
    }
    out
}

fn header(cfg: &NocConfig, top: &str, modules: &[String]) -> String {
    let what = format!("{top} ({}x{} {}, {}-bit flits, {}-flit buffers)", cfg.width, cfg.height, cfg.topology, cfg.flit_bits, cfg.buffer_depth);
    crate::rtl::emit::file_header(&what, modules)
}

/// Verilog of the whole mesh (leaves, router, mesh top) and its module list.
pub fn verilog(cfg: &NocConfig) -> Result<Emitted> {
    let mut e = router_emitted(cfg)?;
    let top = match cfg.topology {
        Topology::Mesh => mesh::mesh_verilog(cfg, &cfg.router_name()),
        Topology::Torus => torus::torus_verilog(cfg, &cfg.router_name()),
    };
    e.push_module(cfg.top_name(), &top);
    e.text.insert_str(0, &header(cfg, &cfg.top_name(), &e.modules));
    Ok(e)
}

pub fn verilog_file(cfg: &NocConfig) -> String {
    format!("{}.v", cfg.top_name())
}

fn latency(cfg: &NocConfig) -> Latency {
    if cfg.topology == Topology::Torus {
        return Latency {
            formula: "zero load: flit accepted at the source at cycle t -> ejected at t + (hops + 1)".into(),
            notes: vec![
                "hops = (x_dst - x_src) mod W + (y_dst - y_src) mod H (east along the row's ring, then south along the column's)".into(),
                "every packet is one flit; a flit entering a ring waits for two free slots in the buffer it enters (bubble flow control)".into(),
                "flits between one source and one destination arrive in the order sent".into(),
            ],
        };
    }
    Latency {
        formula: format!(
            "zero load: head accepted at the source at cycle t -> last flit ejected at t + {} * (hops + 1) + (flits - 1)",
            cfg.per_hop_cycles()
        ),
        notes: vec![
            "hops = |x_src - x_dst| + |y_src - y_dst| (XY routing, minimal)".into(),
            format!("{}-flit buffer per input; links sustain one flit per cycle with buffer depth >= 2", cfg.buffer_depth),
            "flits of one packet arrive in order and contiguous; packets between one source and one destination arrive in the order sent".into(),
        ],
    }
}

/// The mesh's manifest listing `files` (the manifest itself is appended last).
pub fn manifest(cfg: &NocConfig, files: Vec<String>, modules: &[String]) -> Manifest {
    let mut files = files;
    files.push(MANIFEST_FILE.to_string());
    Manifest {
        generator: Manifest::generator_id(),
        block: "noc".into(),
        top: cfg.top_name(),
        config: serde_json::to_value(cfg).unwrap_or(serde_json::Value::Null),
        clock: "clock".into(),
        reset: "reset".into(),
        ports: mesh::ports(cfg),
        latency: latency(cfg),
        files,
        extra: serde_json::json!({
            "modules": modules,
            "router": cfg.router_name(),
            "nodes": cfg.nodes(),
            "node_index": "n = y * width + x",
            "per_hop_cycles": cfg.per_hop_cycles(),
            "max_packet_flits": cfg.max_packet_flits(),
            "header": {"dst_x": "2:0", "dst_y": "5:3", "src_x": "8:6", "src_y": "11:9", "len": "15:12", "tag": if cfg.flit_bits > 16 { format!("{}:16", cfg.flit_bits - 1) } else { "none".into() }},
        }),
    }
}

/// The Verilog file and manifest of the mesh, in memory.
pub fn generate(cfg: &NocConfig) -> Result<(FileSet, Manifest)> {
    let v = verilog(cfg)?;
    let vfile = verilog_file(cfg);
    let m = manifest(cfg, vec![vfile.clone()], &v.modules);
    Ok((FileSet::design(vfile, v.text, &m), m))
}

/// The router's ports (as in [`router::router_verilog`]).
pub fn router_ports(cfg: &NocConfig) -> Vec<Port> {
    let b = cfg.flit_bits;
    if cfg.topology == Topology::Torus {
        return torus::ROUTER_PORTS
            .iter()
            .map(|&(name, input, w)| {
                let w = if w == 0 { b } else { w };
                if input {
                    Port::input(name, w, "see src/rtl/noc/torus.rs")
                } else {
                    Port::output(name, w, "see src/rtl/noc/torus.rs")
                }
            })
            .collect();
    }
    let mut v = vec![
        Port::input("clock", 1, "clock"),
        Port::input("reset", 1, "synchronous, active high"),
        Port::input("my_x", 3, "this router's column"),
        Port::input("my_y", 3, "this router's row"),
    ];
    for p in router::PORTS {
        v.push(Port::input(&format!("{p}_in_valid"), 1, "a flit is offered on this input"));
        v.push(Port::input(&format!("{p}_in_data"), b, "the offered flit"));
        v.push(Port::input(&format!("{p}_in_last"), 1, "the offered flit ends its packet"));
        v.push(Port::output(&format!("{p}_in_ready"), 1, "this input's buffer has room"));
        v.push(Port::output(&format!("{p}_out_valid"), 1, "a flit is offered on this output"));
        v.push(Port::output(&format!("{p}_out_data"), b, "the offered flit"));
        v.push(Port::output(&format!("{p}_out_last"), 1, "the offered flit ends its packet"));
        v.push(Port::input(&format!("{p}_out_ready"), 1, "the next hop takes the flit"));
    }
    v
}

/// One router on its own: its Verilog file and a manifest (used for per-router synthesis).
pub fn router_design(cfg: &NocConfig) -> Result<(FileSet, Manifest)> {
    let mut e = router_emitted(cfg)?;
    let top = cfg.router_name();
    e.text.insert_str(0, &header(cfg, &top, &e.modules));
    let vfile = format!("{top}.v");
    let mut m = manifest(cfg, vec![vfile.clone(), MANIFEST_FILE.to_string()], &e.modules);
    m.files.pop();
    m.top = top;
    m.ports = router_ports(cfg);
    m.extra = serde_json::json!({"modules": e.modules});
    Ok((FileSet::design(vfile, e.text, &m), m))
}
