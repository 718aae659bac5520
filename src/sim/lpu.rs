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
use crate::sim::verilator::{BuildOptions, Design, Model, PortId, Sim};

/// The core of `c` as a Verilator design.
pub fn design(c: &Compiled) -> Result<Design> {
    let v = crate::rtl::lpu::core_verilog(c)?;
    Ok(Design {
        top: c.cfg.top_name(),
        sources: vec![(crate::rtl::lpu::verilog_file(c), v.text)],
        ports: crate::rtl::lpu::core_ports(c),
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
        11 => "unit wait",
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

/// What a batched run produced: one [`RunResult`] per sequence (its `step_cycles` left empty)
/// and the cycles until the last sequence's `gen_done`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchResult {
    pub runs: Vec<RunResult>,
    /// Cycles from the `cmd_start` cycle (every sequence starts in the same cycle) to the last
    /// `gen_done` cycle.
    pub cycles: u64,
}

impl BatchResult {
    /// Forward passes of every sequence together.
    pub fn steps(&self) -> u64 {
        self.runs.iter().map(|r| r.gen.steps as u64).sum()
    }
    /// Aggregate cycles per token: `cycles / steps`.
    pub fn cycles_per_token(&self) -> f64 {
        self.cycles as f64 / self.steps().max(1) as f64
    }
}

/// Runs one command per sequence on a batched core (`reqs.len()` = its batch): the same
/// rules as [`run`] for each sequence on its `cC_` ports, every `cmd_start` in the same cycle;
/// ends when every sequence has reported `gen_done`.
pub fn run_batch(sim: &mut Sim, reqs: &[GenRequest], mut out_ready: impl FnMut(usize, u64) -> bool, max_cycles: u64) -> Result<BatchResult> {
    let b = reqs.len();
    let id = |s: &Sim, q: usize, n: &str| s.port(&format!("c{q}_{n}"));
    let reset = sim.port("reset")?;
    struct Ports {
        start: PortId,
        ready: PortId,
        ptok: PortId,
        ovalid: PortId,
        obyte: PortId,
        done: PortId,
        pidx: PortId,
        dbg: PortId,
        st: [PortId; 4],
    }
    let mut ps = Vec::new();
    for (q, req) in reqs.iter().enumerate() {
        let s: &Sim = sim;
        let p = Ports {
            start: id(s, q, "cmd_start")?,
            ready: id(s, q, "out_ready")?,
            ptok: id(s, q, "prompt_tok")?,
            ovalid: id(s, q, "out_valid")?,
            obyte: id(s, q, "out_byte")?,
            done: id(s, q, "gen_done")?,
            pidx: id(s, q, "prompt_idx")?,
            dbg: id(s, q, "dbg_op")?,
            st: [id(s, q, "st_tokens")?, id(s, q, "st_names")?, id(s, q, "st_cycles")?, id(s, q, "st_stall")?],
        };
        sim.set(&format!("c{q}_cmd_seed"), req.seed as u64)?;
        sim.set(&format!("c{q}_cmd_temp_k"), req.temp_k as u64)?;
        sim.set(&format!("c{q}_cmd_count"), req.count as u64)?;
        sim.set(&format!("c{q}_cmd_names"), req.names as u64)?;
        sim.set(&format!("c{q}_cmd_quiet"), req.quiet as u64)?;
        sim.set(&format!("c{q}_cmd_prompt_len"), req.prompt.len() as u64)?;
        sim.set_id(p.ptok, 0)?;
        sim.set_id(p.ready, 1)?;
        sim.set_id(p.start, 0)?;
        ps.push(p);
    }
    sim.set_id(reset, 1)?;
    sim.tick();
    sim.tick();
    sim.set_id(reset, 0)?;
    for p in &ps {
        sim.set_id(p.start, 1)?;
    }
    sim.tick();
    for p in &ps {
        sim.set_id(p.start, 0)?;
    }
    let mut r = BatchResult { runs: vec![RunResult::default(); b], cycles: 0 };
    let mut finished = vec![false; b];
    for cyc in 0..max_cycles {
        let mut rdy = vec![false; b];
        for (q, p) in ps.iter().enumerate() {
            rdy[q] = out_ready(q, cyc);
            sim.set_id(p.ready, rdy[q] as u64)?;
        }
        sim.eval();
        for (q, p) in ps.iter().enumerate() {
            if finished[q] {
                continue;
            }
            let run = &mut r.runs[q];
            run.per_class[sim.get_id(p.dbg)? as usize & 15] += 1;
            if sim.get_id(p.ovalid)? == 1 && rdy[q] {
                run.gen.text.push(sim.get_id(p.obyte)? as u8);
            }
            if sim.get_id(p.done)? == 1 {
                run.gen.steps = sim.get_id(p.st[0])? as u32;
                run.gen.names = sim.get_id(p.st[1])? as u16;
                run.cycles = sim.get_id(p.st[2])?;
                run.stall = sim.get_id(p.st[3])?;
                finished[q] = true;
                r.cycles = r.cycles.max(run.cycles);
            }
        }
        if finished.iter().all(|&f| f) {
            sim.tick();
            return Ok(r);
        }
        let idx: Vec<usize> = ps.iter().map(|p| sim.get_id(p.pidx).map(|v| v as usize)).collect::<Result<_>>()?;
        sim.tick();
        for ((p, req), i) in ps.iter().zip(reqs).zip(idx) {
            sim.set_id(p.ptok, req.prompt.get(i).copied().unwrap_or(0) as u64)?;
        }
    }
    let done: Vec<String> = r.runs.iter().map(|x| format!("{} bytes", x.gen.text.len())).collect();
    Err(Error::Mismatch(format!("the batched core did not finish within {max_cycles} cycles (sequences so far: {})", done.join(", "))))
}

/// The requests of a batch: sequence `q` is `req` with the xorshift32 seed `XorShift32::new(seed + q)`.
pub fn batch_requests(req: &GenRequest, seed: u64, b: usize) -> Vec<GenRequest> {
    (0..b).map(|q| GenRequest { seed: crate::numeric::XorShift32::new(seed + q as u64).0, ..req.clone() }).collect()
}
