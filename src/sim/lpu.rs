//! The processing unit core in Verilator: builds `llmpu_core_rRcC` from a [`Compiled`] model,
//! drives its host-link ports directly (the command, the prompt read port, `out_ready`),
//! collects the characters and the status record, and counts cycles per `dbg_op` class and per
//! forward pass.
//!
//! Contract of [`run`]:
//! - Two reset cycles, then the command inputs are set and held, `cmd_start` is high for one
//!   cycle; `prompt_tok` answers `prompt_idx` one cycle later (a registered read, as the host
//!   link does).
//! - Each cycle `out_ready` is drawn from the given function of the cycle number; a byte is
//!   taken in a cycle with `out_valid && out_ready`.
//! - The run ends at `gen_done` (the status is read in that cycle) or fails with
//!   `Error::Mismatch` after `max_cycles` cycles naming how far it got.

use crate::error::{Error, Result};
use crate::lpu::compiler::Compiled;
use crate::lpu::reference::{GenRequest, Generation};
use crate::sim::verilator::{BuildOptions, Design, Model, Sim};

/// The core of `c` as a Verilator design.
pub fn design(c: &Compiled) -> Result<Design> {
    let v = crate::rtl::lpu::core_verilog(c)?;
    Ok(Design {
        top: c.cfg.top_name(),
        sources: vec![(crate::rtl::lpu::verilog_file(c), v.text)],
        ports: crate::rtl::lpu::top::ports(),
        clock: "clock".into(),
    })
}

/// Generates and builds (or finds cached) the core of `c`.
pub fn build(c: &Compiled, opts: &BuildOptions) -> Result<Model> {
    design(c)?.build(opts)
}

/// Names of the `dbg_op` classes (index = value).
pub fn class_name(v: usize) -> &'static str {
    match v {
        1 => "embed",
        2 => "norm",
        3 => "matvec",
        5 => "attention",
        6 => "sample",
        7 => "output stall",
        8 => "control",
        9 => "noc send",
        10 => "noc recv",
        15 => "idle",
        _ => "other",
    }
}

/// What a run produced and measured.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunResult {
    /// Bytes, steps and names as the core reported them (`sampled` and `rng` left empty).
    pub gen: Generation,
    /// `st_cycles` and `st_stall` of the status.
    pub cycles: u64,
    pub stall: u64,
    /// Cycles spent in each `dbg_op` class (index = value).
    pub per_class: [u64; 16],
    /// Cycles of each forward pass, from its first instruction (EMBED; SEND of the token on a
    /// mesh) to the next (the last to `gen_done`).
    pub step_cycles: Vec<u64>,
}

impl RunResult {
    /// `st_cycles / st_tokens`.
    pub fn mean_step(&self) -> f64 {
        self.cycles as f64 / self.gen.steps.max(1) as f64
    }
}

/// Runs one command on `sim` (a fresh or previously used simulation of the core).
pub fn run(sim: &mut Sim, req: &GenRequest, mut out_ready: impl FnMut(u64) -> bool, max_cycles: u64) -> Result<RunResult> {
    let s: &Sim = sim;
    let p = |n: &str| s.port(n);
    let (reset, start, ready, ptok) = (p("reset")?, p("cmd_start")?, p("out_ready")?, p("prompt_tok")?);
    let (ovalid, obyte, done, pidx, dbg) = (p("out_valid")?, p("out_byte")?, p("gen_done")?, p("prompt_idx")?, p("dbg_op")?);
    let (st_tok, st_names, st_cyc, st_stall) = (p("st_tokens")?, p("st_names")?, p("st_cycles")?, p("st_stall")?);
    sim.set("cmd_seed", req.seed as u64)?;
    sim.set("cmd_temp_k", req.temp_k as u64)?;
    sim.set("cmd_count", req.count as u64)?;
    sim.set("cmd_names", req.names as u64)?;
    sim.set("cmd_quiet", req.quiet as u64)?;
    sim.set("cmd_prompt_len", req.prompt.len() as u64)?;
    sim.set_id(ptok, 0)?;
    sim.set_id(ready, 1)?;
    sim.set_id(start, 0)?;
    sim.set_id(reset, 1)?;
    sim.tick();
    sim.tick();
    sim.set_id(reset, 0)?;
    sim.set_id(start, 1)?;
    sim.tick();
    sim.set_id(start, 0)?;
    let mut r = RunResult::default();
    let mut last_embed: Option<u64> = None;
    let mut prev_dbg = 0;
    for cyc in 0..max_cycles {
        let rdy = out_ready(cyc);
        sim.set_id(ready, rdy as u64)?;
        sim.eval();
        let d = sim.get_id(dbg)? as usize & 15;
        r.per_class[d] += 1;
        // A forward pass starts with its first instruction: EMBED on one tile, SEND of the
        // token on the host tile of a mesh (its only SEND).
        if (d == 1 || d == 9) && prev_dbg != d {
            if let Some(s) = last_embed {
                r.step_cycles.push(cyc - s);
            }
            last_embed = Some(cyc);
        }
        prev_dbg = d;
        if sim.get_id(ovalid)? == 1 && rdy {
            r.gen.text.push(sim.get_id(obyte)? as u8);
        }
        if sim.get_id(done)? == 1 {
            if let Some(s) = last_embed {
                r.step_cycles.push(cyc - s);
            }
            r.gen.steps = sim.get_id(st_tok)? as u32;
            r.gen.names = sim.get_id(st_names)? as u16;
            r.cycles = sim.get_id(st_cyc)?;
            r.stall = sim.get_id(st_stall)?;
            sim.tick();
            return Ok(r);
        }
        let idx = sim.get_id(pidx)? as usize;
        sim.tick();
        sim.set_id(ptok, req.prompt.get(idx).copied().unwrap_or(0) as u64)?;
    }
    Err(Error::Mismatch(format!(
        "the core did not finish within {max_cycles} cycles ({} bytes, {} forward passes started)",
        r.gen.text.len(),
        r.step_cycles.len() + last_embed.is_some() as usize
    )))
}

/// Compares a run with the reference: `Ok` or a one-line message naming the first difference.
pub fn compare(want: &Generation, got: &RunResult) -> std::result::Result<(), String> {
    if let Some(i) = (0..want.text.len().min(got.gen.text.len())).find(|&i| want.text[i] != got.gen.text[i]) {
        return Err(format!(
            "FAIL: character {i} differs: core {:?}, reference {:?} (after {:?})",
            got.gen.text[i] as char,
            want.text[i] as char,
            String::from_utf8_lossy(&want.text[i.saturating_sub(12)..i])
        ));
    }
    if want.text.len() != got.gen.text.len() {
        return Err(format!("FAIL: the core emitted {} characters, the reference {}", got.gen.text.len(), want.text.len()));
    }
    if (want.steps, want.names) != (got.gen.steps, got.gen.names) {
        return Err(format!(
            "FAIL: status differs: core {} forward passes / {} names, reference {} / {}",
            got.gen.steps, got.gen.names, want.steps, want.names
        ));
    }
    Ok(())
}
