//! The compact engine in Verilator ([`super::engine`]) driven from Rust: the micro-op ROM, the
//! scratchpad, the stores and the local RAM are modelled here with the contract's one-cycle
//! answers; the scratchpad's data input carries random garbage (seeded) in every cycle that
//! answers no read, so an engine that samples it at the wrong time fails; the stores and the
//! local RAM hold their last answer, as their enabled output registers do. [`RtlCore`] runs the per-token program
//! instruction by instruction next to the model ([`super::MicroCore`]) and compares everything
//! after each: the scratchpad, the local RAM, the token, the xorshift32 state and the cycles.

use super::code::Microcode;
use super::isa::encode;
use super::model::Operands;
use super::{operands, CoreMem, MicroCore, OpCycles};
use crate::lpu::isa::Op;
use crate::lpu::Compiled;
use crate::manifest::Port;
use crate::numeric::XorShift32;
use crate::sim::verilator::{BuildOptions, Design, Model, PortId, Sim};
use crate::{Error, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The engine's module name.
pub const TOP: &str = "llmpu_micro_engine";

/// The engine's ports, in declaration order.
pub fn ports() -> Vec<Port> {
    let mut p = vec![
        Port::input("clock", 1, "clock"),
        Port::input("reset", 1, "synchronous reset"),
        Port::input("start", 1, "start the routine at entry (while idle)"),
        Port::input("entry", 9, "the routine's first micro-op"),
        Port::output("uaddr", 9, "micro-op ROM address (the word answers next cycle)"),
        Port::input("uword", 68, "micro-op word at last cycle's uaddr"),
        Port::input("flags", 4, "the instruction's flags"),
    ];
    for f in ["op_a", "op_b", "op_c", "op_d", "op_aux", "op_tok", "op_pos", "op_tempk", "op_wbase", "op_rqbase", "op_rows", "op_chunks"] {
        p.push(Port::input(f, 16, "operand (held until done)"));
    }
    p.extend([
        Port::input("seed_load", 1, "load seed into the xorshift32 state"),
        Port::input("seed", 32, "xorshift32 seed state"),
        Port::output("busy", 1, "a routine runs"),
        Port::output("done", 1, "the routine's last micro-op"),
        Port::output("token", 8, "the last sampled token"),
        Port::output("state", 32, "the xorshift32 state"),
        Port::output("s_ren", 1, "scratchpad read enable"),
        Port::output("s_raddr", 16, "scratchpad read address"),
        Port::input("s_rdata", 16, "scratchpad data, the cycle after s_ren"),
        Port::output("s_we", 1, "scratchpad write enable"),
        Port::output("s_waddr", 16, "scratchpad write address"),
        Port::output("s_wdata", 16, "scratchpad write data"),
        Port::output("w_en", 1, "weight store read enable"),
        Port::output("w_addr", 16, "weight store word address"),
        Port::input("w_data", 8, "weight byte, the cycle after w_en"),
        Port::output("q_en", 1, "requant store read enable"),
        Port::output("q_addr", 16, "requant store address"),
        Port::input("q_data", 24, "requant word, the cycle after q_en"),
        Port::output("l_ren", 1, "local RAM read enable"),
        Port::output("l_raddr", 16, "local RAM read address"),
        Port::input("l_rdata", 32, "local word, the cycle after l_ren"),
        Port::output("l_we", 1, "local RAM write enable"),
        Port::output("l_waddr", 16, "local RAM write address"),
        Port::output("l_wdata", 32, "local RAM write data"),
    ]);
    p
}

/// The engine's Verilator design.
pub fn design() -> Result<Design> {
    let v = super::engine::verilog(TOP)?;
    Ok(Design { top: TOP.into(), sources: vec![(format!("{TOP}.v"), v.text)], ports: ports(), clock: "clock".into() })
}

/// Builds (or finds cached) the engine in Verilator.
pub fn build(opts: &BuildOptions) -> Result<Model> {
    design()?.build(opts)
}

/// Port handles looked up once.
struct Ports {
    start: PortId,
    entry: PortId,
    uaddr: PortId,
    uword: PortId,
    flags: PortId,
    ops: Vec<PortId>,
    seed_load: PortId,
    seed: PortId,
    done: PortId,
    token: PortId,
    state: PortId,
    s_ren: PortId,
    s_raddr: PortId,
    s_rdata: PortId,
    s_we: PortId,
    s_waddr: PortId,
    s_wdata: PortId,
    w_en: PortId,
    w_addr: PortId,
    w_data: PortId,
    q_en: PortId,
    q_addr: PortId,
    q_data: PortId,
    l_ren: PortId,
    l_raddr: PortId,
    l_rdata: PortId,
    l_we: PortId,
    l_waddr: PortId,
    l_wdata: PortId,
}

/// One engine instance with its micro-op ROM and local RAM.
pub struct RtlEngine {
    sim: Sim,
    pt: Ports,
    words: Vec<[u32; 3]>,
    pub local: Vec<u32>,
    rng: ChaCha8Rng,
}

impl RtlEngine {
    /// A reset engine running `code` (`seed` drives the garbage on idle data inputs).
    pub fn new(model: &Model, code: &Microcode, seed: u64) -> Result<Self> {
        let mut sim = model.sim(seed);
        let words = code
            .ops
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let w = encode(u).map_err(|e| Error::invalid("micro-op", format!("{i} {u:?}"), format!("allowed: an encodable micro-op ({e})")))?;
                Ok([w as u32, (w >> 32) as u32, (w >> 64) as u32])
            })
            .collect::<Result<Vec<_>>>()?;
        // The ROM's depth: a power of two, the words past the code are 0 (NOP, next).
        let mut words = words;
        words.resize(words.len().next_power_of_two(), [0; 3]);
        let id = |s: &Sim, n: &str| s.port(n);
        let ops = ["op_a", "op_b", "op_c", "op_d", "op_aux", "op_tok", "op_pos", "op_tempk", "op_wbase", "op_rqbase", "op_rows", "op_chunks"].iter().map(|n| id(&sim, n)).collect::<Result<Vec<_>>>()?;
        let pt = Ports {
            start: id(&sim, "start")?,
            entry: id(&sim, "entry")?,
            uaddr: id(&sim, "uaddr")?,
            uword: id(&sim, "uword")?,
            flags: id(&sim, "flags")?,
            ops,
            seed_load: id(&sim, "seed_load")?,
            seed: id(&sim, "seed")?,
            done: id(&sim, "done")?,
            token: id(&sim, "token")?,
            state: id(&sim, "state")?,
            s_ren: id(&sim, "s_ren")?,
            s_raddr: id(&sim, "s_raddr")?,
            s_rdata: id(&sim, "s_rdata")?,
            s_we: id(&sim, "s_we")?,
            s_waddr: id(&sim, "s_waddr")?,
            s_wdata: id(&sim, "s_wdata")?,
            w_en: id(&sim, "w_en")?,
            w_addr: id(&sim, "w_addr")?,
            w_data: id(&sim, "w_data")?,
            q_en: id(&sim, "q_en")?,
            q_addr: id(&sim, "q_addr")?,
            q_data: id(&sim, "q_data")?,
            l_ren: id(&sim, "l_ren")?,
            l_raddr: id(&sim, "l_raddr")?,
            l_rdata: id(&sim, "l_rdata")?,
            l_we: id(&sim, "l_we")?,
            l_waddr: id(&sim, "l_waddr")?,
            l_wdata: id(&sim, "l_wdata")?,
        };
        for p in ports() {
            if p.direction == crate::manifest::Direction::Input && p.name != "clock" && p.width <= 64 {
                sim.set(&p.name, 0)?;
            }
        }
        sim.set_words("uword", &[0, 0, 0])?;
        sim.set("reset", 1)?;
        sim.tick();
        sim.tick();
        sim.set("reset", 0)?;
        Ok(RtlEngine { sim, pt, words, local: vec![0; code.local.depth], rng: ChaCha8Rng::seed_from_u64(seed) })
    }

    /// Runs the routine at `entry` to its `done`; `seed` is loaded into the xorshift32 state in
    /// cycle 0 when given. Returns the cycle of `done` (cycle 0 = `start`).
    pub fn run(&mut self, entry: usize, o: &Operands, seed: Option<u32>, mem: &mut CoreMem) -> Result<u64> {
        let bad = |cycle: u64, what: String| Error::Mismatch(format!("{TOP} at entry {entry}, cycle {cycle}: {what}"));
        let pt = &self.pt;
        let s = &mut self.sim;
        s.set_id(pt.entry, entry as u64)?;
        s.set_id(pt.flags, o.flags as u64)?;
        for (i, id) in pt.ops.iter().enumerate() {
            s.set_id(*id, o.fields[i] as u64)?;
        }
        s.set_id(pt.seed, seed.unwrap_or(0) as u64)?;
        // The answers due this cycle (reads of the cycle before), else garbage.
        let (mut sa, mut wa, mut qa, mut la): (Option<u64>, Option<u64>, Option<u64>, Option<u64>) = (None, None, None, None);
        let mut word = self.words.get(entry).copied().unwrap_or([0; 3]);
        for cycle in 0..20_000_000u64 {
            s.set_id(pt.start, (cycle == 0) as u64)?;
            s.set_id(pt.seed_load, (cycle == 0 && seed.is_some()) as u64)?;
            if cycle > 0 {
                s.set_words_id(pt.uword, &word)?;
            }
            // The scratchpad answers only the cycle after a read (garbage otherwise); the stores
            // and the local RAM hold their last answer, as their enabled output registers do.
            let g: u64 = self.rng.random();
            s.set_id(pt.s_rdata, sa.unwrap_or(g & 0xffff))?;
            if let Some(v) = wa {
                s.set_id(pt.w_data, v)?;
            }
            if let Some(v) = qa {
                s.set_id(pt.q_data, v)?;
            }
            if let Some(v) = la {
                s.set_id(pt.l_rdata, v)?;
            }
            s.eval();
            let ua = s.get_id(pt.uaddr)? as usize;
            word = *self.words.get(ua).ok_or_else(|| bad(cycle, format!("micro-op address {ua} past the code")))?;
            // Reads first (they see the memories before this cycle's writes).
            sa = if s.get_id(pt.s_ren)? == 1 { Some(mem.spad_at(s.get_id(pt.s_raddr)? as usize).ok_or_else(|| bad(cycle, "scratchpad read past the end".into()))? as u16 as u64) } else { None };
            wa = if s.get_id(pt.w_en)? == 1 {
                let a = s.get_id(pt.w_addr)? as usize;
                Some(mem.c.image.words.get(a).ok_or_else(|| bad(cycle, format!("weight read at {a} past the store")))?[0] as u8 as u64)
            } else {
                None
            };
            qa = if s.get_id(pt.q_en)? == 1 {
                let a = s.get_id(pt.q_addr)? as usize;
                Some(*mem.c.image.rq.get(a).ok_or_else(|| bad(cycle, format!("requant read at {a} past the store")))? as u64)
            } else {
                None
            };
            la = if s.get_id(pt.l_ren)? == 1 {
                let a = s.get_id(pt.l_raddr)? as usize;
                Some(*self.local.get(a).ok_or_else(|| bad(cycle, format!("local read at {a} past the RAM")))? as u64)
            } else {
                None
            };
            if s.get_id(pt.s_we)? == 1 {
                let a = s.get_id(pt.s_waddr)? as usize;
                let v = s.get_id(pt.s_wdata)? as u16 as i16;
                *mem.spad.get_mut(a).ok_or_else(|| bad(cycle, format!("scratchpad write at {a} past the end")))? = v;
            }
            if s.get_id(pt.l_we)? == 1 {
                let a = s.get_id(pt.l_waddr)? as usize;
                let v = s.get_id(pt.l_wdata)? as u32;
                *self.local.get_mut(a).ok_or_else(|| bad(cycle, format!("local write at {a} past the RAM")))? = v;
            }
            let done = s.get_id(pt.done)? == 1;
            s.tick();
            if done {
                return Ok(cycle);
            }
        }
        Err(bad(20_000_000, "no done".into()))
    }

    pub fn token(&mut self) -> Result<u8> {
        self.sim.eval();
        Ok(self.sim.get_id(self.pt.token)? as u8)
    }

    pub fn state(&mut self) -> Result<u32> {
        self.sim.eval();
        Ok(self.sim.get_id(self.pt.state)? as u32)
    }
}

impl CoreMem<'_> {
    /// A read of the scratchpad memory: its depth is the layout's size rounded up to a power
    /// of two, and the words past the layout read as 0 (the model's [`super::model::Memories::spad`]).
    fn spad_at(&self, a: usize) -> Option<i16> {
        (a < self.spad.len().next_power_of_two()).then(|| self.spad.get(a).copied().unwrap_or(0))
    }
}

/// The per-token program on the engine in Verilator next to the model: after every
/// instruction both must hold the same scratchpad, local RAM, token and xorshift32 state, and
/// the engine's `done` must come in the model's cycle count.
pub struct RtlCore<'a> {
    pub model: MicroCore<'a>,
    pub rtl: RtlEngine,
    pub spad: CoreMem<'a>,
    /// Engine cycles per instruction kind (the same as the model's, checked).
    pub cycles: OpCycles,
    pos: usize,
}

impl<'a> RtlCore<'a> {
    pub fn new(c: &'a Compiled, model: &Model, seed: u64) -> Result<Self> {
        let mc = MicroCore::new(c)?;
        let rtl = RtlEngine::new(model, &mc.code, seed)?;
        Ok(RtlCore { model: mc, rtl, spad: CoreMem { c, spad: vec![0; c.layout.size] }, cycles: OpCycles::default(), pos: 0 })
    }

    pub fn reset(&mut self) {
        self.pos = 0;
        self.model.reset();
    }

    /// One step on both; returns the sampled token.
    pub fn step(&mut self, token: usize, temp_k: Option<u16>, rng: &mut XorShift32) -> Result<Option<usize>> {
        let c = self.spad.c;
        let t = self.pos;
        let mut sampled = None;
        for (n, i) in c.program.iter().enumerate() {
            match i.op {
                Op::End => break,
                Op::Sample if temp_k.is_none() => continue,
                _ => {}
            }
            let (Some(entry), Some(slot)) = (self.model.code.entries.of(i.op), self.cycles.slot(i.op)) else { continue };
            let o = operands(c, i, token, t, temp_k.unwrap_or(0));
            let seed = (i.op == Op::Sample).then_some(rng.0);
            if let Some(s) = seed {
                self.model.engine.rng = s;
            }
            let want = self.model.engine.run(&self.model.code, entry, &o, &mut self.model.mem).map_err(|e| Error::Mismatch(format!("model, {}: {e}", i.op.mnemonic())))?;
            let got = self.rtl.run(entry, &o, seed, &mut self.spad)?;
            let at = |what: String| Error::Mismatch(format!("position {t}, instruction {n} ({}): {what}", i.op.mnemonic()));
            if got != want {
                return Err(at(format!("done in cycle {got}, the model's {want}")));
            }
            if let Some(k) = self.spad.spad.iter().zip(&self.model.mem.spad).position(|(a, b)| a != b) {
                return Err(at(format!("scratchpad element {k}: engine {} != model {}", self.spad.spad[k], self.model.mem.spad[k])));
            }
            if let Some(k) = self.rtl.local.iter().zip(&self.model.engine.local).position(|(a, b)| a != b) {
                return Err(at(format!("local word {k}: engine {:#x} != model {:#x}", self.rtl.local[k], self.model.engine.local[k])));
            }
            *slot += got;
            if i.op == Op::Sample {
                let (tk, st) = (self.rtl.token()?, self.rtl.state()?);
                if (tk, st) != (self.model.engine.tok, self.model.engine.rng) {
                    return Err(at(format!("token {tk} state {st:#x}, the model's {} {:#x}", self.model.engine.tok, self.model.engine.rng)));
                }
                rng.0 = st;
                sampled = Some(tk as usize);
            }
        }
        self.pos += 1;
        Ok(sampled)
    }
}
