//! Reading the store back: through a Verilator model of the generated RTL or of a Yosys
//! netlist, every address of every bank is read on the store's own ports and compared with the
//! image built from the quantized model.
//!
//! - [`rtl_design`]: the generated Verilog as a Verilator [`Design`].
//! - [`read_all`]: one read per address on both ports (weights and requant), checking `valid`.
//! - [`compare`]: fails with `Error::Mismatch` naming the first differing bank, address, what
//!   the map says is there, the expected and the read value, and how many words differ.
//! - [`random_reads`]: random addresses with random `en`/`rq_en` and resets, cycle by cycle
//!   against [`StoreModel`].
//! - [`synth_netlist`] + [`netlist_design`]: Yosys `synth_ice40`/`synth_ecp5` of the store,
//!   its `stat -json`, and (iCE40) the mapped netlist with Yosys's cell library for Verilator.

use super::image::{RomImage, StoreModel};
use super::map::MemoryMap;
use super::RomConfig;
use crate::error::{Error, Result};
use crate::sim::verilator::{Design, Sim};
use crate::synth::target::Family;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The generated store as a Verilator design, banks loaded by `$readmemh` as `generate rom`
/// emits them. Verilator's `$readmemh` opens a relative path from the simulator's working
/// folder, so the `.hex` files are written to a folder named by their contents' hash in the
/// Verilator cache (`hex-<sha256>`, written once) and the Verilog names them by absolute path:
/// the text, and so the cached build, is the same for the same contents.
pub fn rtl_design(cfg: &RomConfig, map: &MemoryMap, image: &RomImage) -> Result<Design> {
    let dir = hex_dir(cfg, image, &crate::sim::verilator::default_cache_dir())?;
    let (text, _) = super::verilog_with(cfg, map, image, Some(&format!("{}/", dir.display())))?;
    Ok(Design { top: cfg.top_name(), sources: vec![(super::verilog_file(cfg), text)], ports: super::top::ports(cfg, map), clock: "clock".into() })
}

/// The generated store with its contents inline (no `.hex` files) as a Verilator design.
pub fn rtl_design_inline(cfg: &RomConfig, map: &MemoryMap, image: &RomImage) -> Result<Design> {
    let (text, _) = super::verilog(cfg, map, image)?;
    Ok(Design { top: cfg.top_name(), sources: vec![(super::verilog_file(cfg), text)], ports: super::top::ports(cfg, map), clock: "clock".into() })
}

/// Writes the store's `.hex` files into `<cache>/hex-<sha256 of names and contents>` (once;
/// staged and renamed so concurrent writers never see half a folder) and returns that
/// absolute folder.
pub fn hex_dir(cfg: &RomConfig, image: &RomImage, cache: &Path) -> Result<PathBuf> {
    use sha2::{Digest, Sha256};
    let files = super::hex_files(cfg, image);
    let mut h = Sha256::new();
    for (n, t) in &files {
        h.update((n.len() as u64).to_le_bytes());
        h.update(n.as_bytes());
        h.update((t.len() as u64).to_le_bytes());
        h.update(t.as_bytes());
    }
    let key: String = h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
    let cache = cache.canonicalize().map_err(|e| Error::io(cache, e))?;
    let dir = cache.join(format!("hex-{key}"));
    if !dir.is_dir() {
        let tmp = tempfile::Builder::new().prefix(".hex-").tempdir_in(&cache).map_err(|e| Error::io(&cache, e))?;
        for (n, t) in &files {
            let p = tmp.path().join(n);
            std::fs::write(&p, t).map_err(|e| Error::io(&p, e))?;
        }
        let kept = tmp.keep();
        if let Err(e) = std::fs::rename(&kept, &dir) {
            let _ = std::fs::remove_dir_all(&kept);
            if !dir.is_dir() {
                return Err(Error::io(&dir, e));
            }
        }
    }
    Ok(dir)
}

/// Every word of every bank as read through the ports: `words[bank][addr]`, weight banks
/// first, the requant bank last.
pub fn read_all(sim: &mut Sim, map: &MemoryMap) -> Result<Vec<Vec<u64>>> {
    let nb = map.weight_banks();
    let mut words = vec![Vec::with_capacity(map.depth); nb];
    let mut rq = Vec::with_capacity(map.rq_depth);
    sim.set("reset", 0)?;
    for a in 0..map.depth.max(map.rq_depth) {
        let w = a < map.depth;
        let r = a < map.rq_depth;
        sim.set("en", w as u64)?;
        sim.set("addr", if w { a as u64 } else { 0 })?;
        sim.set("rq_en", r as u64)?;
        sim.set("rq_addr", if r { a as u64 } else { 0 })?;
        sim.tick();
        if w {
            if sim.get("valid")? != 1 {
                return Err(Error::Mismatch(format!("valid is low one cycle after a read of address {a}")));
            }
            let d = sim.get_words("data")?;
            for (b, bank) in words.iter_mut().enumerate() {
                bank.push(bank_word(&d, b, map.bank_bytes()));
            }
        }
        if r {
            if sim.get("rq_valid")? != 1 {
                return Err(Error::Mismatch(format!("rq_valid is low one cycle after a read of requant address {a}")));
            }
            rq.push(sim.get("rq_data")?);
        }
    }
    words.push(rq);
    Ok(words)
}

/// Bank `b`'s word (`g` bytes, bank `b` at bytes `b*g ..` of the port) from the port's
/// 32-bit words.
pub fn bank_word(d: &[u32], b: usize, g: usize) -> u64 {
    (0..g).map(|i| b * g + i).fold(0u64, |w, l| w | ((((d[l / 4] >> (8 * (l % 4))) & 0xff) as u64) << (8 * (l - b * g))))
}

/// Compares what was read with the expected image.
pub fn compare(expected: &RomImage, got: &[Vec<u64>], map: &MemoryMap) -> Result<()> {
    let mut first = None;
    let mut bad = 0usize;
    for (i, b) in expected.banks.iter().enumerate() {
        let g = got.get(i).map(Vec::as_slice).unwrap_or(&[]);
        if g.len() != b.words.len() {
            return Err(Error::Mismatch(format!("bank {} read {} words, expected {}", b.name, g.len(), b.words.len())));
        }
        for (a, (&e, &r)) in b.words.iter().zip(g).enumerate() {
            if e != r {
                bad += 1;
                first.get_or_insert((i, a, e, r));
            }
        }
    }
    match first {
        None => Ok(()),
        Some((i, a, e, r)) => {
            let b = &expected.banks[i];
            let d = (b.width as usize).div_ceil(4);
            Err(Error::Mismatch(format!(
                "bank {} address {a} ({}) reads {}'h{r:0d$x}, the model has {}'h{e:0d$x}; {bad} word(s) differ",
                b.name,
                expected.describe(map, i, a),
                b.width,
                b.width
            )))
        }
    }
}

/// `cycles` random cycles (about 1 in 8 with `en` low, 1 in 32 with `reset`), each output
/// compared with [`StoreModel`] after the edge. Data before the first read is not compared.
pub fn random_reads(sim: &mut Sim, map: &MemoryMap, image: &RomImage, seed: u64, cycles: usize) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut m = StoreModel::new(image);
    let nb = map.weight_banks();
    for c in 0..cycles {
        let reset = rng.random_range(0..32) == 0;
        let en = rng.random_range(0..8) != 0;
        let rq_en = rng.random_range(0..8) != 0;
        let addr = rng.random_range(0..map.depth);
        let rq_addr = rng.random_range(0..map.rq_depth);
        for (n, v) in [("reset", reset as u64), ("en", en as u64), ("addr", addr as u64), ("rq_en", rq_en as u64), ("rq_addr", rq_addr as u64)] {
            sim.set(n, v)?;
        }
        sim.tick();
        m.tick(reset, en, addr, rq_en, rq_addr);
        let fail = |what: &str, got: String, want: String| {
            Error::Mismatch(format!("seed {seed} cycle {c}: {what} is {got}, the store model says {want}"))
        };
        let (v, rv) = (sim.get("valid")? == 1, sim.get("rq_valid")? == 1);
        if v != m.valid {
            return Err(fail("valid", v.to_string(), m.valid.to_string()));
        }
        if rv != m.rq_valid {
            return Err(fail("rq_valid", rv.to_string(), m.rq_valid.to_string()));
        }
        if let Some(want) = &m.data {
            let d = sim.get_words("data")?;
            let got: Vec<u64> = (0..nb).map(|b| bank_word(&d, b, map.bank_bytes())).collect();
            if &got != want {
                return Err(fail("data", format!("{got:?}"), format!("{want:?}")));
            }
        }
        if let Some(want) = m.rq_data {
            let got = sim.get("rq_data")?;
            if got != want {
                return Err(fail("rq_data", format!("{got:#x}"), format!("{want:#x}")));
            }
        }
    }
    Ok(())
}

/// Yosys's data folder (`yosys-config --datdir`, else `share/yosys` beside the `yosys`
/// program on `PATH`).
pub fn yosys_datdir() -> Result<PathBuf> {
    if let Ok(out) = Command::new("yosys-config").arg("--datdir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && p.is_dir() {
            return Ok(p);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        if dir.join("yosys").is_file() {
            if let Some(p) = dir.parent().map(|p| p.join("share/yosys")).filter(|p| p.is_dir()) {
                return Ok(p);
            }
        }
    }
    Err(Error::tool("yosys", "cannot find its data folder (no yosys-config, no share/yosys beside yosys); install it with scripts/setup.sh"))
}

/// What Yosys made of the store.
#[derive(Debug, Clone)]
pub struct Synthesized {
    /// `stat -json` of the top module.
    pub stat: serde_json::Value,
    /// The mapped netlist (`write_verilog -noattr`).
    pub netlist: String,
}

impl Synthesized {
    /// Count of cells of `cell` in the top module (0 if none).
    pub fn cells(&self, top: &str, cell: &str) -> u64 {
        self.stat["modules"][format!("\\{top}")]["num_cells_by_type"][cell].as_u64().unwrap_or(0)
    }
}

/// Synthesises `verilog` (top `top`) with `synth_ice40` or `synth_ecp5` in `dir`; `extra`
/// files (the banks' `.hex` files, by name) are written beside it first.
pub fn synth_netlist(verilog: &str, extra: &[(String, String)], top: &str, family: Family, dir: &Path) -> Result<Synthesized> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let src = dir.join("rom.v");
    std::fs::write(&src, verilog).map_err(|e| Error::io(&src, e))?;
    for (n, t) in extra {
        let p = dir.join(n);
        std::fs::write(&p, t).map_err(|e| Error::io(&p, e))?;
    }
    let synth = match family {
        Family::Ice40 => "synth_ice40",
        Family::Ecp5 => "synth_ecp5",
    };
    let script = format!("read_verilog rom.v; {synth} -top {top}; tee -q -o stat.json stat -json; write_verilog -noattr netlist.v");
    let out = Command::new("yosys")
        .current_dir(dir)
        .args(["-q", "-p", &script])
        .output()
        .map_err(|e| Error::tool("yosys", format!("cannot run yosys ({e}); install it with scripts/setup.sh")))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
        let err: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).take(3).collect();
        return Err(Error::tool("yosys", err.join(" | ")));
    }
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).map_err(|e| Error::io(dir.join(n), e));
    let stat: serde_json::Value =
        serde_json::from_str(&read("stat.json")?).map_err(|e| Error::tool("yosys", format!("stat.json is not JSON: {e}")))?;
    Ok(Synthesized { stat, netlist: read("netlist.v")? })
}

/// The iCE40 netlist with Yosys's `ice40/cells_sim.v` as a Verilator design. The cell library
/// is read with `NO_ICE40_DEFAULT_ASSIGNMENTS` defined (Verilator 5.006 does not parse its
/// port default values).
pub fn netlist_design(cfg: &RomConfig, map: &MemoryMap, netlist: &str) -> Result<Design> {
    let cells = yosys_datdir()?.join("ice40/cells_sim.v");
    let lib = std::fs::read_to_string(&cells).map_err(|e| Error::io(&cells, e))?;
    Ok(Design {
        top: cfg.top_name(),
        sources: vec![
            ("ice40_cells_sim.v".into(), format!("`define NO_ICE40_DEFAULT_ASSIGNMENTS\n{lib}")),
            ("netlist.v".into(), netlist.to_string()),
        ],
        ports: super::top::ports(cfg, map),
        clock: "clock".into(),
    })
}
