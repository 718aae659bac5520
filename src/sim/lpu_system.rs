//! The whole processing unit (`llmpu_lpu_rRcC`: core + host link) in Verilator, driven only
//! through its UART pins with the host code a board uses: [`crate::host::session::run`] over a
//! [`PinLink`]. [`SystemDev`] is the [`PinDevice`]: one call = one clock; it also watches the
//! debug outputs (`dbg_start`, `dbg_done`, `dbg_op`) to count cycles per stage and per forward
//! pass the way [`crate::sim::lpu`] does.
//!
//! Cycle accounting (checked by tests/lpu_system.rs): a cycle is the state before a rising
//! edge. `start_cycle` is the cycle with `dbg_start` high, `done_cycle` the cycle with
//! `dbg_done` high; the status record's `cycles` (the core's `st_cycles`) is compared with
//! `done_cycle - start_cycle`. `per_class` counts the cycles after `start_cycle` up to and
//! including `done_cycle` by `dbg_op` class.

use crate::error::{Error, Result};
use crate::host::{session, Event, PinDevice, PinLink, Request, Status};
use crate::lpu::compiler::Compiled;
use crate::lpu::reference::{GenRequest, Generation};
use crate::rtl::hostlink::HostLinkConfig;
use crate::sim::lpu::RunResult;
use crate::sim::verilator::{BuildOptions, Design, Model, PortId, Sim};
use std::time::Duration;

/// The system of `c` with host link `hl` as a Verilator design.
pub fn design(c: &Compiled, hl: &HostLinkConfig) -> Result<Design> {
    let v = crate::rtl::lpu::system::verilog(c, hl)?;
    Ok(Design {
        top: crate::rtl::lpu::system::top_name(c),
        sources: vec![(crate::rtl::lpu::system::verilog_file(c), v.text)],
        ports: crate::rtl::lpu::system::ports(),
        clock: "clock".into(),
    })
}

/// Generates and builds (or finds cached) the system.
pub fn build(c: &Compiled, hl: &HostLinkConfig, opts: &BuildOptions) -> Result<Model> {
    design(c, hl)?.build(opts)
}

/// The simulated system as a [`PinDevice`], with its cycle counters.
pub struct SystemDev {
    pub sim: Sim,
    ids: [PortId; 5],
    /// Cycles simulated (edges applied) since [`SystemDev::new`].
    pub cycle: u64,
    /// The cycle `dbg_start` was high last, and the cycle `dbg_done` was high last.
    pub start_cycle: Option<u64>,
    pub done_cycle: Option<u64>,
    /// Cycles per `dbg_op` class while the core runs (after start, up to done inclusive).
    pub per_class: [u64; 16],
    /// Cycles of each forward pass, from one EMBED start to the next (the last to done).
    pub step_cycles: Vec<u64>,
    last_embed: Option<u64>,
    prev_dbg: usize,
    running: bool,
}

impl SystemDev {
    /// Wraps `sim` and applies `reset` for two cycles with the RX line idle (high).
    pub fn new(mut sim: Sim) -> Result<Self> {
        let ids = [sim.port("uart_rx")?, sim.port("uart_tx")?, sim.port("dbg_op")?, sim.port("dbg_start")?, sim.port("dbg_done")?];
        let reset = sim.port("reset")?;
        sim.set_id(ids[0], 1)?;
        sim.set_id(reset, 1)?;
        sim.tick();
        sim.tick();
        sim.set_id(reset, 0)?;
        Ok(SystemDev {
            sim,
            ids,
            cycle: 0,
            start_cycle: None,
            done_cycle: None,
            per_class: [0; 16],
            step_cycles: Vec::new(),
            last_embed: None,
            prev_dbg: 15,
            running: false,
        })
    }

    /// Clears the counters of the previous command.
    pub fn clear_counters(&mut self) {
        self.start_cycle = None;
        self.done_cycle = None;
        self.per_class = [0; 16];
        self.step_cycles.clear();
        self.last_embed = None;
        self.running = false;
    }
}

impl PinDevice for SystemDev {
    fn clock(&mut self, rx: bool) -> Result<bool> {
        let [rx_id, tx_id, dbg_id, start_id, done_id] = self.ids;
        self.sim.set_id(rx_id, rx as u64)?;
        self.sim.eval();
        let cyc = self.cycle;
        if self.running {
            let d = self.sim.get_id(dbg_id)? as usize & 15;
            self.per_class[d] += 1;
            // A pass starts with EMBED (one tile) or the host tile's SEND of the token (a mesh).
            if (d == 1 || d == 9) && self.prev_dbg != d {
                if let Some(s) = self.last_embed {
                    self.step_cycles.push(cyc - s);
                }
                self.last_embed = Some(cyc);
            }
            self.prev_dbg = d;
        }
        if self.sim.get_id(start_id)? == 1 {
            self.clear_counters();
            self.start_cycle = Some(cyc);
            self.running = true;
            self.prev_dbg = 15;
        } else if self.running && self.sim.get_id(done_id)? == 1 {
            if let Some(s) = self.last_embed {
                self.step_cycles.push(cyc - s);
            }
            self.done_cycle = Some(cyc);
            self.running = false;
        }
        self.sim.tick();
        self.cycle += 1;
        Ok(self.sim.get_id(tx_id)? == 1)
    }
}

/// What one command over the UART produced and measured.
#[derive(Debug, Clone)]
pub struct SystemRun {
    /// The status record as the host parsed it.
    pub status: Status,
    /// Characters, forward passes and names in the form [`crate::sim::lpu::compare`] takes:
    /// the text received, `steps`/`names` from the status record, `cycles`/`stall` from it,
    /// the per-stage and per-pass counts from the debug outputs.
    pub run: RunResult,
    /// `done_cycle - start_cycle` as the simulation saw it.
    pub sim_core_cycles: u64,
    /// Clock cycles from the first bit of the start frame to the status record's last byte.
    pub total_cycles: u64,
}

/// The host request of a reference request.
pub fn request(req: &GenRequest) -> Request {
    Request { seed: req.seed, temp_k: req.temp_k, count: req.count, names: req.names, quiet: req.quiet, prompt: req.prompt.clone() }
}

/// Sends `req` through the pins of `link` with [`session::run`] and collects the answer.
/// `on_char` sees every character as it arrives. `timeout` is simulated time between two bytes.
pub fn run(link: &mut PinLink<SystemDev>, req: &GenRequest, timeout: Duration, on_char: &mut dyn FnMut(char)) -> Result<SystemRun> {
    link.dev.clear_counters();
    let c0 = link.cycles;
    let mut text = Vec::new();
    let status = session::run(link, &request(req), timeout, &mut |ev| {
        if let Event::Char(ch) = ev {
            text.push(*ch as u8);
            on_char(*ch);
        }
    })?;
    let dev = &link.dev;
    let (Some(s), Some(d)) = (dev.start_cycle, dev.done_cycle) else {
        return Err(Error::Mismatch("the status arrived but the simulation saw no cmd_start/gen_done pair".into()));
    };
    let run = RunResult {
        gen: Generation { text, sampled: Vec::new(), steps: status.tokens, names: status.names, rng: 0 },
        cycles: status.cycles,
        stall: status.stall,
        per_class: dev.per_class,
        step_cycles: dev.step_cycles.clone(),
    };
    Ok(SystemRun { status, run, sim_core_cycles: d - s, total_cycles: link.cycles - c0 })
}

/// Checks the status record's cycle count against the simulation: `Ok` or a one-line message.
pub fn check_cycles(r: &SystemRun) -> std::result::Result<(), String> {
    if r.status.cycles != r.sim_core_cycles {
        return Err(format!(
            "FAIL: the status reports {} cycles, the simulation saw {} from cmd_start to gen_done",
            r.status.cycles, r.sim_core_cycles
        ));
    }
    Ok(())
}
