//! The ROM-resident weight store: a quantized model baked into the chip's block RAM,
//! initialised by the bitstream.
//!
//! - [`config`]: [`RomConfig`] (`lanes` = rows `R` and `cols` = `C` of a weight word; SPRAM
//!   refused), validated through `TryFrom`.
//! - [`map`]: the memory map, where every tensor lives (the contract the controller reads).
//! - [`image`]: the bank contents built from a `QuantModel`, and the store's cycle model.
//! - [`bank`]: one bank, a rust-hdl block with an inline-`initial` body that Yosys maps to
//!   SB_RAM40_4K / DP16KD.
//! - [`top`]: the store's top module (two read ports).
//! - [`fit`]: block RAM geometry per family, the fit check and the capacity bound.
//! - [`readback`]: reads every address of every bank through a Verilator model and compares
//!   with the model's bytes.
//!
//! [`generate`] turns a config, a model and a target into the Verilog file and the manifest;
//! nothing is written until the caller writes the returned [`FileSet`].

pub mod bank;
pub mod config;
pub mod fit;
pub mod image;
pub mod map;
pub mod readback;
pub mod top;

pub use config::{Memory, RomConfig, RomParams};
pub use image::{RomImage, StoreModel};
pub use map::MemoryMap;

use crate::error::{Error, Result};
use crate::manifest::{Latency, Manifest, MANIFEST_FILE};
use crate::model::QuantModel;
use crate::output::FileSet;
use crate::rtl::emit::emit_block;
use crate::synth::target::Target;

/// A store ready to instantiate: its configuration, memory map and image, built from a model.
/// This is the API the processing unit uses (see docs/rom.md, "Using the store").
#[derive(Debug, Clone)]
pub struct Store {
    pub cfg: RomConfig,
    pub map: MemoryMap,
    pub image: RomImage,
}

impl Store {
    /// The store of `q` with `rows x cols` words (`RomConfig::rc`).
    pub fn build(q: &QuantModel, rows: u32, cols: u32) -> Result<Self> {
        Self::of(RomConfig::rc(rows, cols)?, q)
    }

    pub fn of(cfg: RomConfig, q: &QuantModel) -> Result<Self> {
        let map = MemoryMap::of_model(&cfg, q)?;
        let image = RomImage::build(&map, q);
        Ok(Store { cfg, map, image })
    }

    /// Module name of the store's top.
    pub fn top_name(&self) -> String {
        self.cfg.top_name()
    }

    /// The Verilog file of the store (banks then top, with header) and its module list. Every
    /// module name starts with [`Store::top_name`].
    pub fn verilog(&self) -> Result<(String, Vec<String>)> {
        verilog(&self.cfg, &self.map, &self.image)
    }

    /// The top's ports.
    pub fn ports(&self) -> Vec<crate::manifest::Port> {
        top::ports(&self.cfg, &self.map)
    }

    /// Where tensor `name` lives (`base`, `rq_base`, `tiles`, `chunks`, `rows`, `cols`).
    pub fn tensor(&self, name: &str) -> Result<&map::Placement> {
        self.map.placement(name)
    }
}

/// Verilog of one bank as module `name`.
pub fn bank_verilog(name: &str, width: u32, addr_bits: u32, words: &[u64]) -> Result<String> {
    use bank::RomBank;
    macro_rules! per_addr {
        ($w:literal; $($a:literal),*) => {
            match addr_bits {
                $($a => emit_block(&mut RomBank::<$w, $a>::new(words.to_vec()), name),)*
                _ => Err(Error::invalid("bank address bits", addr_bits, "allowed: 1..=16")),
            }
        };
    }
    let e = match width {
        8 => per_addr!(8; 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        16 => per_addr!(16; 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        24 => per_addr!(24; 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        32 => per_addr!(32; 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        40 => per_addr!(40; 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        48 => per_addr!(48; 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        56 => per_addr!(56; 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        64 => per_addr!(64; 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        _ => Err(Error::invalid("bank width", width, "allowed: 8, 16, 24, 32, 40, 48, 56 or 64")),
    }?;
    Ok(e.text)
}

/// The Verilog file of a store: every bank, then the top. Module list second.
pub fn verilog(cfg: &RomConfig, map: &MemoryMap, image: &RomImage) -> Result<(String, Vec<String>)> {
    let mut body = String::new();
    let mut modules = Vec::new();
    for b in &image.banks {
        let name = top::bank_module(cfg, &b.name);
        body += &bank_verilog(&name, b.width, b.addr_bits, &b.words)?;
        body.push('\n');
        modules.push(name);
    }
    body += &top::top_verilog(cfg, map, image);
    modules.push(cfg.top_name());
    let header = crate::rtl::emit::file_header(&cfg.top_name(), &modules);
    Ok((header + &body, modules))
}

pub fn verilog_file(cfg: &RomConfig) -> String {
    format!("{}.v", cfg.top_name())
}

/// The model's constants that are not per-row (the controller takes them from here).
pub fn constants(q: &QuantModel) -> serde_json::Value {
    serde_json::json!({
        "model": q.cfg,
        "formats": q.fmt,
        "norm_embed": q.norm_embed,
        "norm": q.norm,
        "score_shift": q.score_shift,
    })
}

/// The manifest of a store.
pub fn manifest(cfg: &RomConfig, map: &MemoryMap, image: &RomImage, q: &QuantModel, fit: &fit::RomFit, model_name: &str, modules: &[String]) -> Manifest {
    let banks: Vec<serde_json::Value> = image
        .banks
        .iter()
        .map(|b| {
            serde_json::json!({
                "name": b.name, "module": top::bank_module(cfg, &b.name), "width": b.width, "depth": b.words.len(), "addr_bits": b.addr_bits,
            })
        })
        .collect();
    Manifest {
        generator: Manifest::generator_id(),
        block: "rom".into(),
        top: cfg.top_name(),
        config: serde_json::json!({ "lanes": cfg.lanes, "cols": cfg.cols, "model": model_name, "target": fit.target }),
        clock: "clock".into(),
        reset: "reset".into(),
        ports: top::ports(cfg, map),
        latency: Latency {
            formula: "1".into(),
            notes: vec![
                "data/valid one cycle after en; rq_data/rq_valid one cycle after rq_en".into(),
                "a new address every cycle on each port; data holds while en is low".into(),
            ],
        },
        files: vec![verilog_file(cfg), MANIFEST_FILE.into()],
        extra: serde_json::json!({
            "memory_map": map.to_json(),
            "banks": banks,
            "constants": constants(q),
            "block_ram": fit,
            "modules": modules,
        }),
    }
}

/// Everything `llmpu generate rom` writes, after the fit check (which runs first).
pub fn generate(cfg: &RomConfig, q: &QuantModel, model_name: &str, target: &Target) -> Result<(FileSet, Manifest)> {
    let map = MemoryMap::of_model(cfg, q)?;
    let fit = fit::check(&map, target)?;
    let image = RomImage::build(&map, q);
    let (text, modules) = verilog(cfg, &map, &image)?;
    let m = manifest(cfg, &map, &image, q, &fit, model_name, &modules);
    Ok((FileSet::design(verilog_file(cfg), text, &m), m))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The committed default checkpoint, quantized.
    pub(crate) fn default_model() -> QuantModel {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json");
        let f = crate::model::load_model(&p, None).expect("models/microgpt-names.json loads");
        QuantModel::from_float(&f).expect("quantizes")
    }

    #[test]
    fn microgpt_on_up5k_with_4_lanes() {
        let q = default_model();
        let cfg = RomConfig::new(4).unwrap();
        let (fs, m) = generate(&cfg, &q, "microgpt-names", &"ice40-up5k".parse().unwrap()).unwrap();
        assert_eq!(fs.names(), vec!["llmpu_rom_l4.v", "manifest.json"]);
        let mm = &m.extra["memory_map"];
        assert_eq!((mm["depth"].as_u64(), mm["rq_depth"].as_u64()), (Some(1056), Some(214)));
        assert_eq!(m.extra["block_ram"]["brams"].as_u64(), Some(14));
        let text = String::from_utf8_lossy(fs.get("llmpu_rom_l4.v").unwrap()).to_string();
        assert!(text.contains("llmpu_rom_l4_w3 w3(.clock(clock), .en(en), .addr(addr), .data(data[31:24]));"), "{text}");
    }
}
