//! The ROM-resident weight store: a quantized model baked into the chip's block RAM,
//! initialised by the bitstream.
//!
//! - [`config`]: [`RomConfig`] (`lanes` = rows `R` and `cols` = `C` of a weight word; SPRAM
//!   refused), validated through `TryFrom`.
//! - [`map`]: the memory map, where every tensor lives (the contract the controller reads).
//! - [`image`]: the bank contents built from a `QuantModel`, and the store's cycle model.
//! - [`bank`]: one bank, a rust-hdl block whose `initial` block loads its contents
//!   (`$readmemh` of a `.hex` file, or inline literals) and that Yosys maps to SB_RAM40_4K /
//!   DP16KD.
//! - [`top`]: the store's top module (two read ports).
//! - [`fit`]: block RAM geometry per family, the fit check and the capacity bound.
//! - [`readback`]: reads every address of every bank through a Verilator model and compares
//!   with the model's bytes.
//!
//! [`generate`] turns a config, a model and a target into the Verilog file, one `.hex` file
//! per bank and the manifest;
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

    /// [`modules`] of this store: its Verilog without a file header.
    pub fn modules(&self) -> Result<crate::rtl::emit::Emitted> {
        modules(&self.cfg, &self.map, &self.image)
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

/// Verilog of one bank as module `name`, contents inline.
pub fn bank_verilog(name: &str, width: u32, addr_bits: u32, words: &[u64]) -> Result<String> {
    bank_verilog_with(name, width, addr_bits, words, &bank::Contents::Inline)
}

/// Verilog of one bank as module `name`, contents loaded as `contents` says.
pub fn bank_verilog_with(name: &str, width: u32, addr_bits: u32, words: &[u64], contents: &bank::Contents) -> Result<String> {
    use bank::RomBank;
    macro_rules! per_addr {
        ($w:literal; $($a:literal),*) => {
            match addr_bits {
                $($a => emit_block(&mut RomBank::<$w, $a>::with_contents(words.to_vec(), contents.clone()), name),)*
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

/// The store's modules without a file header: every bank (contents inline), then the top (for
/// a file that holds other blocks too).
pub fn modules(cfg: &RomConfig, map: &MemoryMap, image: &RomImage) -> Result<crate::rtl::emit::Emitted> {
    modules_with(cfg, map, image, None)
}

/// Name of bank `bank`'s `.hex` file (`<bank module>.hex`).
pub fn hex_file(cfg: &RomConfig, bank: &str) -> String {
    format!("{}.hex", top::bank_module(cfg, bank))
}

/// Every bank's `.hex` file: `(name, contents)`, in bank order (weight banks, then requant).
pub fn hex_files(cfg: &RomConfig, image: &RomImage) -> Vec<(String, String)> {
    image.banks.iter().map(|b| (hex_file(cfg, &b.name), bank::hex_text(b.width as usize, &b.words))).collect()
}

/// [`modules`] with the contents inline (`hex_dir` None) or read by `$readmemh` from
/// `<hex_dir><bank module>.hex` (`Some("")`: bare file names, found by Yosys beside the
/// Verilog file; `Some("/abs/dir/")` for a simulator, which looks in its working folder).
pub fn modules_with(cfg: &RomConfig, map: &MemoryMap, image: &RomImage, hex_dir: Option<&str>) -> Result<crate::rtl::emit::Emitted> {
    let mut text = String::new();
    let mut modules = Vec::new();
    for b in &image.banks {
        let name = top::bank_module(cfg, &b.name);
        let contents = match hex_dir {
            None => bank::Contents::Inline,
            Some(d) => bank::Contents::Hex(format!("{d}{}", hex_file(cfg, &b.name))),
        };
        text += &bank_verilog_with(&name, b.width, b.addr_bits, &b.words, &contents)?;
        text.push('\n');
        modules.push(name);
    }
    text += &top::top_verilog(cfg, map, image);
    modules.push(cfg.top_name());
    Ok(crate::rtl::emit::Emitted { text, modules })
}

/// The Verilog file of a store: every bank (contents inline), then the top. Module list second.
pub fn verilog(cfg: &RomConfig, map: &MemoryMap, image: &RomImage) -> Result<(String, Vec<String>)> {
    verilog_with(cfg, map, image, None)
}

/// [`verilog`] with contents as [`modules_with`] says.
pub fn verilog_with(cfg: &RomConfig, map: &MemoryMap, image: &RomImage, hex_dir: Option<&str>) -> Result<(String, Vec<String>)> {
    let e = modules_with(cfg, map, image, hex_dir)?;
    let header = crate::rtl::emit::file_header(&cfg.top_name(), &e.modules);
    Ok((header + &e.text, e.modules))
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
                "hex": hex_file(cfg, &b.name),
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
        files: std::iter::once(verilog_file(cfg))
            .chain(image.banks.iter().map(|b| hex_file(cfg, &b.name)))
            .chain(std::iter::once(MANIFEST_FILE.into()))
            .collect(),
        extra: serde_json::json!({
            "memory_map": map.to_json(),
            "banks": banks,
            "constants": constants(q),
            "block_ram": fit,
            "modules": modules,
        }),
    }
}

/// Everything `llmpu generate rom` writes, after the fit check (which runs first): the Verilog
/// (banks load their contents with `$readmemh` of a bare file name), one `.hex` file per bank
/// beside it, and the manifest.
pub fn generate(cfg: &RomConfig, q: &QuantModel, model_name: &str, target: &Target) -> Result<(FileSet, Manifest)> {
    let map = MemoryMap::of_model(cfg, q)?;
    let fit = fit::check(&map, target)?;
    let image = RomImage::build(&map, q);
    let (text, modules) = verilog_with(cfg, &map, &image, Some(""))?;
    let m = manifest(cfg, &map, &image, q, &fit, model_name, &modules);
    let mut fs = FileSet::new();
    fs.add(verilog_file(cfg), text);
    for (name, hex) in hex_files(cfg, &image) {
        fs.add(name, hex);
    }
    fs.add(MANIFEST_FILE, m.to_json());
    Ok((fs, m))
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
        assert_eq!(
            fs.names(),
            vec!["llmpu_rom_l4.v", "llmpu_rom_l4_w0.hex", "llmpu_rom_l4_w1.hex", "llmpu_rom_l4_w2.hex", "llmpu_rom_l4_w3.hex", "llmpu_rom_l4_rq.hex", "manifest.json"]
        );
        assert_eq!(m.files, fs.names());
        let w1 = String::from_utf8_lossy(fs.get("llmpu_rom_l4_w1.hex").unwrap()).to_string();
        assert_eq!(w1.lines().count(), 1056);
        let img = Store::build(&q, 4, 1).unwrap().image;
        assert_eq!(w1.lines().nth(327).and_then(|l| u64::from_str_radix(l, 16).ok()), Some(img.banks[1].words[327]));
        let mm = &m.extra["memory_map"];
        assert_eq!((mm["depth"].as_u64(), mm["rq_depth"].as_u64()), (Some(1056), Some(214)));
        assert_eq!(m.extra["block_ram"]["brams"].as_u64(), Some(14));
        let text = String::from_utf8_lossy(fs.get("llmpu_rom_l4.v").unwrap()).to_string();
        assert!(text.contains("llmpu_rom_l4_w3 w3(.clock(clock), .en(en), .addr(addr), .data(data[31:24]));"), "{text}");
        assert!(text.contains("initial $readmemh(\"llmpu_rom_l4_rq.hex\", mem);"), "{text}");
    }
}
