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
    let (mut runs, _, finished) = drive(sim, std::slice::from_ref(req), &|_, n| n.to_string(), &mut |_, cyc| out_ready(cyc), max_cycles)?;
    let r = runs.remove(0);
    if !finished {
        return Err(Error::Mismatch(format!("the core did not finish within {max_cycles} cycles ({} bytes, {} forward passes started)", r.gen.text.len(), r.step_cycles.len() + (r.per_class[1] + r.per_class[9] > 0) as usize)));
    }
    Ok(r)
}

/// One sequence's host-link ports (named by the caller: `cmd_start` or `c1_cmd_start`).
struct SeqPorts {
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

/// Drives one command per sequence (`name(q, port)` names sequence `q`'s port): sets the
/// commands, resets, pulses every `cmd_start` in the same cycle, then per cycle applies
/// `out_ready`, collects the bytes, the `dbg_op` classes and the forward passes' cycles (a pass
/// starts with its first instruction: EMBED on one tile, SEND of the token on the host tile of
/// a mesh), and each sequence's status at its `gen_done`; ends when every sequence is done.
/// Returns the runs, the cycles to the last `gen_done` and whether every sequence finished
/// within `max_cycles` (if not, the runs so far).
fn drive(
    sim: &mut Sim,
    reqs: &[GenRequest],
    name: &dyn Fn(usize, &str) -> String,
    out_ready: &mut dyn FnMut(usize, u64) -> bool,
    max_cycles: u64,
) -> Result<(Vec<RunResult>, u64, bool)> {
    let b = reqs.len();
    let mut runs = vec![RunResult::default(); b];
    let setup = |sim: &mut Sim| -> Result<Vec<SeqPorts>> {
        let mut ps = Vec::new();
        for (q, req) in reqs.iter().enumerate() {
            let s: &Sim = sim;
            let id = |n: &str| s.port(&name(q, n));
            let p = SeqPorts {
                start: id("cmd_start")?,
                ready: id("out_ready")?,
                ptok: id("prompt_tok")?,
                ovalid: id("out_valid")?,
                obyte: id("out_byte")?,
                done: id("gen_done")?,
                pidx: id("prompt_idx")?,
                dbg: id("dbg_op")?,
                st: [id("st_tokens")?, id("st_names")?, id("st_cycles")?, id("st_stall")?],
            };
            for (n, v) in [("cmd_seed", req.seed as u64), ("cmd_temp_k", req.temp_k as u64), ("cmd_count", req.count as u64), ("cmd_names", req.names as u64), ("cmd_quiet", req.quiet as u64), ("cmd_prompt_len", req.prompt.len() as u64)] {
                sim.set(&name(q, n), v)?;
            }
            sim.set_id(p.ptok, 0)?;
            sim.set_id(p.ready, 1)?;
            sim.set_id(p.start, 0)?;
            ps.push(p);
        }
        let reset = sim.port("reset")?;
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
        Ok(ps)
    };
    let ps = setup(sim)?;
    let mut cycles = 0;
    let mut finished = vec![false; b];
    let mut last_embed: Vec<Option<u64>> = vec![None; b];
    let mut prev_dbg = vec![0usize; b];
    let step = |sim: &mut Sim, runs: &mut [RunResult], finished: &mut [bool], last_embed: &mut [Option<u64>], prev_dbg: &mut [usize], cycles: &mut u64, cyc: u64, out_ready: &mut dyn FnMut(usize, u64) -> bool| -> Result<bool> {
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
            let run = &mut runs[q];
            let d = sim.get_id(p.dbg)? as usize & 15;
            run.per_class[d] += 1;
            if (d == 1 || d == 9) && prev_dbg[q] != d {
                if let Some(s) = last_embed[q] {
                    run.step_cycles.push(cyc - s);
                }
                last_embed[q] = Some(cyc);
            }
            prev_dbg[q] = d;
            if sim.get_id(p.ovalid)? == 1 && rdy[q] {
                run.gen.text.push(sim.get_id(p.obyte)? as u8);
            }
            if sim.get_id(p.done)? == 1 {
                if let Some(s) = last_embed[q] {
                    run.step_cycles.push(cyc - s);
                }
                run.gen.steps = sim.get_id(p.st[0])? as u32;
                run.gen.names = sim.get_id(p.st[1])? as u16;
                run.cycles = sim.get_id(p.st[2])?;
                run.stall = sim.get_id(p.st[3])?;
                finished[q] = true;
                *cycles = (*cycles).max(run.cycles);
            }
        }
        if finished.iter().all(|&f| f) {
            sim.tick();
            return Ok(true);
        }
        let idx: Vec<usize> = ps.iter().map(|p| sim.get_id(p.pidx).map(|v| v as usize)).collect::<Result<_>>()?;
        sim.tick();
        for ((p, req), i) in ps.iter().zip(reqs).zip(idx) {
            sim.set_id(p.ptok, req.prompt.get(i).copied().unwrap_or(0) as u64)?;
        }
        Ok(false)
    };
    for cyc in 0..max_cycles {
        if step(sim, &mut runs, &mut finished, &mut last_embed, &mut prev_dbg, &mut cycles, cyc, out_ready)? {
            return Ok((runs, cycles, true));
        }
    }
    Ok((runs, cycles, false))
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

/// What a batched run produced: one [`RunResult`] per sequence
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
    /// Each `dbg_op` class's cycles summed over the sequences (a sequence waiting for a unit
    /// another holds counts as `unit wait`).
    pub fn per_class(&self) -> [u64; 16] {
        let mut per = [0u64; 16];
        for r in &self.runs {
            for (v, n) in r.per_class.iter().enumerate() {
                per[v] += n;
            }
        }
        per
    }
}

/// Runs one command per sequence on a batched core (`reqs.len()` = its batch): the same
/// rules as [`run`] for each sequence on its `cC_` ports, every `cmd_start` in the same cycle;
/// ends when every sequence has reported `gen_done`.
pub fn run_batch(sim: &mut Sim, reqs: &[GenRequest], mut out_ready: impl FnMut(usize, u64) -> bool, max_cycles: u64) -> Result<BatchResult> {
    let (runs, cycles, finished) = drive(sim, reqs, &|q, n| format!("c{q}_{n}"), &mut out_ready, max_cycles)?;
    if !finished {
        let done: Vec<String> = runs.iter().map(|x| format!("{} bytes", x.gen.text.len())).collect();
        return Err(Error::Mismatch(format!("the batched core did not finish within {max_cycles} cycles (sequences so far: {})", done.join(", "))));
    }
    Ok(BatchResult { runs, cycles })
}

/// The requests of a batch: sequence `q` is `req` with the xorshift32 seed `XorShift32::new(seed + q)`.
pub fn batch_requests(req: &GenRequest, seed: u64, b: usize) -> Vec<GenRequest> {
    (0..b).map(|q| GenRequest { seed: crate::numeric::XorShift32::new(seed + q as u64).0, ..req.clone() }).collect()
}
