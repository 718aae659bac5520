//! The processing unit's hardware (issue 7): the controller ([`controller`]) that runs the
//! compiled per-token program, the attention adapter ([`attn_adapter`]) and the generated memories and structural core top ([`top`]).
//! `docs/lpu.md` describes the whole.

pub mod attn_adapter;
pub mod batch;
pub mod controller;
pub mod embed;
pub mod fit;
pub mod matvec;
pub mod norm;
pub mod sampler;
pub mod snoop;
pub mod vec_add;
pub mod vector;
pub mod top;
pub mod system;
pub mod netif;
pub mod tiles;

use crate::error::{Error, Result};
use crate::lpu::compiler::Compiled;
use crate::rtl::emit::{block_verilog, dedup, emit_block, Emitted};

/// The controller as module `name`.
pub fn controller_verilog(name: &str) -> Result<Emitted> {
    emit_block(&mut controller::Controller::default(), name)
}

/// rust-hdl's Verilog of the attention adapter for beats of `ld` elements
/// (`ld` = lanes * head_dim) as module `name`, not deduplicated.
pub fn adapter_raw(name: &str, ld: usize) -> Result<String> {
    macro_rules! per_ld {
        ($($n:literal),*) => {
            match ld {
                $($n => block_verilog(&mut attn_adapter::AttnAdapter::<{ $n * 16 }>::default(), name),)*
                _ => Err(Error::invalid("lanes x head_dim", ld, "allowed: 1..=16, 24, 32, 48 or 64")),
            }
        };
    }
    per_ld!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 24, 32, 48, 64)
}

/// The attention adapter as module `name`, deduplicated.
pub fn adapter_verilog(name: &str, ld: usize) -> Result<Emitted> {
    dedup(&adapter_raw(name, ld)?, &[name])
}

/// The module names of the core of `c` (its Embed and Norm: `K` =
/// [`crate::lpu::LpuConfig::vector_chunk`] elements per cycle).
pub fn core_names(c: &Compiled) -> Result<top::Names> {
    let ac = top::attention_config(c)?;
    let mv = matvec::MatvecConfig::wide(c.cfg.rows as u32, c.cfg.cols as u32, c.cfg.mv_write() as u32)?;
    let k = c.cfg.vector_chunk();
    Ok(top::Names::new(c, &ac.top_name(), &mv.top_name(), vector::embed_leaf(k).module(), vector::norm_leaf(k).module(), vector::sampler_leaf(c.cfg.sampler_lanes()).module()))
}

/// The whole core of a compiled model in one file: controller, attention adapter,
/// vector leaves, matrix unit, attention unit, ROMs, scratchpad and the top; with more than one
/// tile the mesh of tiles ([`tiles`]) under the same top name and ports.
pub fn core_verilog(c: &Compiled) -> Result<Emitted> {
    if c.cfg.engine == crate::lpu::Engine::Compact {
        return crate::rtl::micro::core::core_verilog(c);
    }
    let ac = top::attention_config(c)?;
    let mv = matvec::MatvecConfig::wide(c.cfg.rows as u32, c.cfg.cols as u32, c.cfg.mv_write() as u32)?;
    let k = c.cfg.vector_chunk();
    let n = core_names(c)?;
    let mut raw = block_verilog(&mut controller::Controller::default(), &n.ctl)?;
    raw += &adapter_raw(&n.adapter, (ac.lanes * ac.head_dim) as usize)?;
    let mut e = dedup(&raw, &[n.ctl.as_str(), n.adapter.as_str()])?;
    let leaves = vector::leaves_verilog(&[vector::embed_leaf(k), vector::norm_leaf(k), vector::sampler_leaf(c.cfg.sampler_lanes())])?;
    for part in [leaves, matvec::modules(&mv)?, crate::rtl::attention::verilog(&ac)?] {
        e.text.push('\n');
        e.text.push_str(&part.text);
        e.modules.extend(part.modules);
    }
    if c.cfg.n_tiles() > 1 {
        return Ok(tiles::verilog(c, &n, e)?.with_header(&n.top));
    }
    let roms = top::rom_modules(c, &n);
    e.push_module(n.prog.clone(), &roms);
    e.modules.extend([n.ttab.clone(), n.chars.clone(), n.wrom.clone(), n.rqrom.clone(), n.spad.clone()]);
    let t = if c.cfg.batch > 1 { batch::top_verilog(c, &n)? } else { top::top_verilog(c, &n)? };
    e.push_module(n.top.clone(), &t);
    Ok(e.with_header(&n.top))
}

/// The core's top-level ports ([`top::ports`]; a batched core's: [`batch::batch_ports`]).
pub fn core_ports(c: &Compiled) -> Vec<crate::manifest::Port> {
    if c.cfg.batch > 1 {
        batch::batch_ports(c.cfg.batch)
    } else {
        top::ports()
    }
}

/// File name of the core's Verilog.
pub fn verilog_file(c: &Compiled) -> String {
    format!("{}.v", c.cfg.top_name())
}

/// The manifest of a generated core.
pub fn manifest(c: &Compiled, fit: &fit::LpuFit, model_name: &str, modules: &[String]) -> crate::manifest::Manifest {
    let mut m = manifest_single(c, fit, model_name, modules);
    if c.cfg.batch > 1 {
        m.config["batch"] = serde_json::json!(c.cfg.batch);
        m.latency.notes.push(format!("{} sequences, each on its own cC_ ports with the rules above; docs/lpu.md, \"Batched mode\"", c.cfg.batch));
    }
    m
}

fn manifest_single(c: &Compiled, fit: &fit::LpuFit, model_name: &str, modules: &[String]) -> crate::manifest::Manifest {
    use crate::manifest::{Latency, Manifest, MANIFEST_FILE};
    Manifest {
        generator: Manifest::generator_id(),
        block: "lpu".into(),
        top: c.cfg.top_name(),
        config: serde_json::json!({
            "model": model_name,
            "model_config": c.cfg.model,
            "rows": c.cfg.rows,
            "cols": c.cfg.cols,
            "attention_lanes": c.cfg.lanes,
            "attention_elements": c.cfg.attention_elements,
            "tiles": format!("{}x{}", c.cfg.tiles.0, c.cfg.tiles.1),
            "target": c.cfg.target.name,
        }),
        clock: "clock".into(),
        reset: "reset".into(),
        ports: core_ports(c),
        latency: Latency {
            formula: "per forward pass: the sum over the program of each unit's cycle formula (docs/lpu.md) plus 3 control cycles per instruction; llmpu sim lpu measures it".into(),
            notes: vec![
                "cmd_* held from cmd_start to gen_done; prompt_tok answers prompt_idx the cycle after".into(),
                "a character is taken in a cycle with out_valid && out_ready; st_stall counts cycles with out_valid && !out_ready".into(),
                "st_cycles counts cycles from the cmd_start cycle to the gen_done cycle".into(),
            ],
        },
        files: vec![verilog_file(c), MANIFEST_FILE.to_string()],
        extra: serde_json::json!({
            "memory_map": c.map.to_json(),
            "scratchpad": c.layout,
            "program": c.listing().lines().collect::<Vec<_>>(),
            "tile_programs": c.tiles.iter().map(|p| c.listing_of(p).lines().map(String::from).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "tile_places": (0..c.cfg.n_tiles()).map(|t| c.cfg.tile_xy(t)).collect::<Vec<_>>(),
            "program_encoding": "docs/isa.md: op 63..60, flags 59..56, aux 55..48, a 47..36, b 35..24, c 23..12, d 11..0",
            "tensor_table": c.table.iter().map(|w| format!("{w:016x}")).collect::<Vec<_>>(),
            "constants": c.consts,
            "fit": fit,
            "modules": modules,
        }),
    }
}

/// Verilog and manifest of the core of `c`, after the fit check for its target.
pub fn generate(c: &Compiled, model_name: &str) -> Result<(crate::output::FileSet, crate::manifest::Manifest)> {
    let f = fit::check(c)?;
    let v = core_verilog(c)?;
    let m = manifest(c, &f, model_name, &v.modules);
    Ok((crate::output::FileSet::design(verilog_file(c), v.text, &m), m))
}
