//! A Verilator bench for the matrix unit: the unit of an `R x C` configuration wired to the
//! weight store of a real model ([`crate::rtl::rom::Store`]), with the scratchpad modelled in
//! Rust by the driver ([`run`]): `s_data` answers `s_en` of the previous cycle, writes are
//! captured. The bench top also exposes the store's own ports (`en, addr, data, valid, rq_en,
//! rq_addr, rq_data, rq_valid`), so [`crate::rtl::rom::readback`] reads the store back through
//! the same build while the unit is idle; `mv_w_en, mv_w_addr, mv_rq_en, mv_rq_addr` show the
//! unit's reads. The unit's requant words come from the core's requant memory
//! ([`crate::rtl::lpu::top::rq_module`], `W` words per read) holding the store's requant bank.

use super::{cycles, MatvecConfig};
use crate::error::{Error, Result};
use crate::manifest::{Direction, Port};
use crate::rtl::rom::map::Placement;
use crate::rtl::rom::Store;
use crate::sim::verilator::{Design, Sim};
use std::fmt::Write;

/// Name of the bench top of `cfg`.
pub fn top_name(cfg: &MatvecConfig) -> String {
    cfg.top_name().replace("llmpu_mv_", "llmpu_mvb_")
}

/// The bench's ports: the unit's, minus the weight and requant ports (wired to the store),
/// plus the store's read ports and the unit's read addresses as outputs.
pub fn ports(cfg: &MatvecConfig, store: &Store) -> Vec<Port> {
    let mut p: Vec<Port> = super::top::ports(cfg)
        .into_iter()
        .filter(|p| !["w_en", "w_addr", "w_data", "rq_en", "rq_addr", "rq_data"].contains(&p.name.as_str()))
        .collect();
    p.extend(store.ports().into_iter().filter(|p| p.name != "clock" && p.name != "reset"));
    p.push(Port::output("mv_w_en", 1, "the unit reads a weight word"));
    p.push(Port::output("mv_w_addr", 16, "its address"));
    p.push(Port::output("mv_rq_en", 1, "the unit reads a requant word"));
    p.push(Port::output("mv_rq_addr", 16, "its address"));
    p
}

/// The bench top text.
pub fn top_verilog(cfg: &MatvecConfig, store: &Store) -> String {
    let ports = ports(cfg, store);
    let name = top_name(cfg);
    let ab = store.map.addr_bits;
    let mut s = String::new();
    let list: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
    let _ = writeln!(s, "module {name}({});", list.join(", "));
    for p in &ports {
        let dir = match p.direction {
            Direction::Input => "input",
            Direction::Output => "output",
        };
        let range = if p.width > 1 { format!("[{}:0] ", p.width - 1) } else { String::new() };
        let _ = writeln!(s, "    {dir} wire {range}{};", p.name);
    }
    let _ = writeln!(
        s,
        "    wire [{}:0] mv_rq_data;\n    {} mv(.clock(clock), .reset(reset), .start(start), .w_base(w_base), .rq_base(rq_base), .rows(rows), .chunks(chunks), .src(src), .dst(dst), .relu(relu), .acc(acc), .wide(wide), .tag(tag), .busy(busy), .ready(ready), .rtag(rtag), .wtag(wtag), .done(done), .w_en(mv_w_en), .w_addr(mv_w_addr), .w_data(data), .rq_en(mv_rq_en), .rq_addr(mv_rq_addr), .rq_data(mv_rq_data), .s_en(s_en), .s_addr(s_addr), .s_data(s_data), .a_we(a_we), .k_we(k_we), .k_wm(k_wm), .a_waddr(a_waddr), .a_wdata(a_wdata), .a_ren(a_ren), .a_raddr(a_raddr), .a_rdata(a_rdata));",
        24 * cfg.write - 1,
        cfg.top_name()
    );
    let _ = writeln!(
        s,
        "    {} store(.clock(clock), .reset(reset), .en(en | mv_w_en), .addr(mv_w_en ? mv_w_addr[{}:0] : addr), .data(data), .valid(valid), .rq_en(rq_en), .rq_addr(rq_addr), .rq_data(rq_data), .rq_valid(rq_valid));",
        store.top_name(),
        ab - 1
    );
    let _ = writeln!(s, "    {} mvrq(.clock(clock), .en(mv_rq_en), .addr(mv_rq_addr[{}:0]), .data(mv_rq_data));", rq_name(cfg), rq_bits(cfg, store) - 1);
    let _ = writeln!(s, "endmodule // {name}");
    s
}

/// The bench's requant memory module.
fn rq_name(cfg: &MatvecConfig) -> String {
    format!("{}_rq", top_name(cfg))
}

/// The requant words of `store` (its last bank).
fn rq_words(store: &Store) -> &[u64] {
    &store.image.banks[store.image.weight_banks()].words
}

/// Address bits of the bench's requant memory.
fn rq_bits(cfg: &MatvecConfig, store: &Store) -> usize {
    crate::rtl::lpu::top::rq_addr_bits(cfg.write as usize, rq_words(store).len())
}

/// The bench as a Verilator design: store file, unit file, bench top.
pub fn design(cfg: &MatvecConfig, store: &Store) -> Result<Design> {
    if (store.cfg.lanes, store.cfg.cols) != (cfg.rows, cfg.cols) {
        return Err(Error::invalid(
            "store",
            format!("{} x {}", store.cfg.lanes, store.cfg.cols),
            format!("allowed: the unit's words, {} x {}", cfg.rows, cfg.cols),
        ));
    }
    let (rom, _) = store.verilog()?;
    let mv = super::verilog(cfg)?;
    Ok(Design {
        top: top_name(cfg),
        sources: vec![
            (format!("{}.v", store.top_name()), rom),
            (format!("{}.v", cfg.top_name()), mv.text),
            (format!("{}.v", rq_name(cfg)), crate::rtl::lpu::top::rq_module(&rq_name(cfg), cfg.write as usize, rq_words(store))),
            (format!("{}.v", top_name(cfg)), format!("/* verilator lint_off DECLFILENAME */\n{}", top_verilog(cfg, store))),
        ],
        ports: ports(cfg, store),
        clock: "clock".into(),
    })
}

/// What one product did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The value written for each row (`dst + r`).
    pub y: Vec<i16>,
    /// Start cycle to `done` cycle.
    pub cycles: u64,
    pub w_reads: usize,
    pub rq_reads: usize,
    pub s_reads: usize,
    /// Element reads (`a_ren`): one per row with `acc`, none without.
    pub a_reads: usize,
    /// The product ran with `acc`.
    pub acc: bool,
    /// The product ran in the wide mode.
    pub wide: bool,
}

/// One product `y = W x` of tensor `t`: `scratch` is the scratchpad (element `a` at index
/// `a`, `x` at `src ..`), the unit writes `dst + r` (with `acc`, `sat16(scratch[dst + r] + y_r)`).
/// Checks the protocol on the way (each row written once, in order, inside `dst .. dst + rows`:
/// one per `a_we`, or with `wide` `W` per `k_we`; reads inside the tensor and `x`; with `acc`
/// each write's element read the cycle before it; `busy` high until `done`; nothing enabled
/// afterwards) and returns the rows written and the cycles.
#[allow(clippy::too_many_arguments)]
pub fn run(sim: &mut Sim, cfg: &MatvecConfig, t: &Placement, scratch: &[i16], src: usize, dst: usize, relu: bool, acc: bool, wide: bool) -> Result<Product> {
    let c = cfg.cols as usize;
    let step = if wide { cfg.write as usize } else { 1 };
    let bad = |what: String| Err(Error::Mismatch(format!("{} on {}: {what}", t.name, cfg.top_name())));
    for (n, v) in [("reset", 0), ("en", 0), ("rq_en", 0), ("addr", 0), ("rq_addr", 0)] {
        sim.set(n, v)?;
    }
    for (n, v) in [
        ("w_base", t.base),
        ("rq_base", t.rq_base),
        ("rows", t.rows),
        ("chunks", t.chunks),
        ("src", src),
        ("dst", dst),
        ("relu", relu as usize),
        ("acc", acc as usize),
        ("wide", wide as usize),
    ] {
        sim.set(n, v as u64)?;
    }
    sim.set("start", 1)?;
    sim.tick();
    sim.set("start", 0)?;
    let limit = 2 * cycles(cfg, t.rows, t.chunks, wide) + 64;
    let mut y: Vec<Option<i16>> = vec![None; t.rows];
    let mut next_row = 0;
    let mut pending: Option<usize> = None;
    let mut a_pending: Option<usize> = None;
    let (mut w_reads, mut rq_reads, mut s_reads, mut a_reads) = (0, 0, 0, 0);
    let s_words = sim.port("s_data")?.width().div_ceil(32) as usize;
    for cyc in 1..=limit {
        // The element read port: the elements from the last cycle's a_ren (one, or W when
        // wide), garbage otherwise.
        answer_reads(sim, cfg, scratch, s_words, pending.take(), a_pending.take(), step, cyc)?;
        sim.eval();
        if sim.get("busy")? != 1 {
            return bad(format!("busy is low in cycle {cyc} before done"));
        }
        if sim.get("mv_w_en")? == 1 {
            let a = sim.get("mv_w_addr")? as usize;
            if a < t.base || a >= t.base + t.words {
                return bad(format!("cycle {cyc} reads weight word {a}, outside the tensor's {} .. {}", t.base, t.base + t.words - 1));
            }
            w_reads += 1;
        }
        if sim.get("mv_rq_en")? == 1 {
            let a = sim.get("mv_rq_addr")? as usize;
            if a < t.rq_base || a >= t.rq_base + t.rows {
                return bad(format!("cycle {cyc} reads requant word {a}, outside the tensor's {} .. {}", t.rq_base, t.rq_base + t.rows - 1));
            }
            rq_reads += 1;
        }
        if sim.get("s_en")? == 1 {
            let a = sim.get("s_addr")? as usize;
            if a < src / c || a >= src / c + t.chunks {
                return bad(format!("cycle {cyc} reads scratchpad word {a}, outside x (words {} .. {})", src / c, src / c + t.chunks - 1));
            }
            pending = Some(a);
            s_reads += 1;
        }
        let (a_we, k_we) = (sim.get("a_we")? == 1, sim.get("k_we")? == 1);
        if (a_we && wide) || (k_we && !wide) {
            return bad(format!("cycle {cyc} writes through {} (wide {wide})", if a_we { "a_we" } else { "k_we" }));
        }
        if sim.get("a_ren")? == 1 {
            let a = sim.get("a_raddr")? as usize;
            if !acc || a != dst + next_row + if a_we || k_we { step } else { 0 } {
                return bad(format!("cycle {cyc} reads element {a} (acc {acc}); only the next row's destination may be read, with acc"));
            }
            a_pending = Some(a);
            a_reads += 1;
        }
        if a_we || k_we {
            let a = sim.get("a_waddr")? as usize;
            let data = sim.get_words("a_wdata")?;
            // The lanes written: all W but in the last write, which holds the rows left.
            let n = step.min(t.rows.saturating_sub(next_row));
            if a != dst + next_row || n == 0 {
                return bad(format!("cycle {cyc} writes {step} element(s) at {a}, expected row {next_row} at {}", dst + next_row));
            }
            if k_we {
                let m = sim.get("k_wm")?;
                if m != (1u64 << n) - 1 {
                    return bad(format!("cycle {cyc} writes lanes {m:#b} at {a}, expected {:#b} (rows {next_row} .. {})", (1u64 << n) - 1, next_row + n - 1));
                }
            }
            for j in 0..n {
                y[next_row + j] = Some((data[j / 2] >> (16 * (j % 2))) as u16 as i16);
            }
            next_row += n;
        }
        if sim.get("done")? == 1 {
            if next_row != t.rows {
                return bad(format!("done in cycle {cyc} after {next_row} of {} rows", t.rows));
            }
            sim.tick();
            sim.eval();
            for n in ["busy", "mv_w_en", "mv_rq_en", "s_en", "a_we", "k_we", "a_ren", "done"] {
                if sim.get(n)? != 0 {
                    return bad(format!("{n} is high the cycle after done"));
                }
            }
            let y = y.into_iter().map(|v| v.unwrap_or(0)).collect();
            return Ok(Product { y, cycles: cyc, w_reads, rq_reads, s_reads, a_reads, acc, wide });
        }
        sim.tick();
    }
    bad(format!("no done within {limit} cycles ({next_row} of {} rows written)", t.rows))
}

/// Compares a product with the model's rows and its cycles with the formula; the error names
/// the first differing row.
pub fn check(cfg: &MatvecConfig, t: &Placement, expected: &[i16], got: &Product) -> Result<()> {
    let differ: Vec<usize> = (0..expected.len()).filter(|&r| got.y.get(r) != Some(&expected[r])).collect();
    if let Some(&r) = differ.first() {
        return Err(Error::Mismatch(format!(
            "{} on {}: row {r} is {}, the model has {}; {} row(s) differ",
            t.name,
            cfg.top_name(),
            got.y.get(r).map(|v| v.to_string()).unwrap_or_else(|| "missing".into()),
            expected[r],
            differ.len()
        )));
    }
    let want = cycles(cfg, t.rows, t.chunks, got.wide);
    if got.cycles != want {
        return Err(Error::Mismatch(format!("{} on {}: took {} cycles, the formula says {want}", t.name, cfg.top_name(), got.cycles)));
    }
    let reads = t.tiles * t.chunks;
    let writes = if got.wide { t.rows.div_ceil(cfg.write as usize) } else { t.rows };
    let a_want = if got.acc { writes } else { 0 };
    if (got.w_reads, got.s_reads, got.rq_reads, got.a_reads) != (reads, reads, writes, a_want) {
        return Err(Error::Mismatch(format!(
            "{} on {}: {} weight, {} scratchpad word, {} requant and {} element reads, expected {reads}, {reads}, {} and {a_want}",
            t.name,
            cfg.top_name(),
            got.w_reads,
            got.s_reads,
            got.rq_reads,
            got.a_reads,
            writes
        )));
    }
    Ok(())
}

/// The bench's scratchpad answers for one cycle: `s_data` holds word `s` of the last cycle's
/// `s_en` (zeros without one), `a_rdata` the elements `a ..` of the last cycle's `a_ren` on its
/// first `lanes` lanes and garbage on the others (all garbage without one).
#[allow(clippy::too_many_arguments)]
fn answer_reads(sim: &mut Sim, cfg: &MatvecConfig, scratch: &[i16], s_words: usize, s: Option<usize>, a: Option<usize>, lanes: usize, cyc: u64) -> Result<()> {
    let c = cfg.cols as usize;
    let mut words = vec![0u32; s_words];
    if let Some(s) = s {
        for i in 0..c {
            let v = scratch.get(s * c + i).copied().unwrap_or(0) as u16 as u32;
            words[i / 2] |= v << (16 * (i % 2));
        }
    }
    sim.set_words("s_data", &words)?;
    let mut res = vec![0u32; (cfg.write as usize * 16).div_ceil(32)];
    for j in 0..cfg.write as usize {
        let v = match a {
            Some(a) if j < lanes => scratch.get(a + j).copied().unwrap_or(0) as u16 as u32,
            _ => (cyc as u32 * 7 + j as u32).wrapping_mul(0x9e37) & 0xffff,
        };
        res[j / 2] |= v << (16 * (j % 2));
    }
    sim.set_words("a_rdata", &res)
}

/// One product of a chain ([`run_chain`]).
#[derive(Debug, Clone)]
pub struct Job<'a> {
    pub t: &'a Placement,
    pub src: usize,
    pub dst: usize,
    pub relu: bool,
    pub acc: bool,
    pub wide: bool,
}

/// What a chain did, per product: the rows written, the start cycle and the `done` cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chained {
    pub y: Vec<i16>,
    pub start: u64,
    pub done: u64,
}

/// Products back to back, as the batched core runs them: product 0 starts in cycle 0, product
/// `i + 1` in the first cycle after product `i`'s start with `ready` high (its inputs set that
/// cycle), tagged `i mod 4`. `scratch` is read only (each product's `x` at its `src`, its old
/// destination for `acc`); the writes are collected per product. Checks on the way: word reads
/// inside the product whose reads run, each write and element read tagged with the oldest
/// product not done (`wtag`, `rtag`) and inside its destination, rows in order, each `done`
/// tagged with that product after its last row, `busy` high until the last `done`.
pub fn run_chain(sim: &mut Sim, cfg: &MatvecConfig, jobs: &[Job], scratch: &[i16]) -> Result<Vec<Chained>> {
    let c = cfg.cols as usize;
    let name = cfg.top_name();
    let bad = |what: String, out: &[Chained]| Err(Error::Mismatch(format!("chain of {} products on {name}: {what} (starts: {:?})", jobs.len(), out.iter().map(|o| o.start).collect::<Vec<_>>())));
    for (n, v) in [("reset", 0), ("en", 0), ("rq_en", 0), ("addr", 0), ("rq_addr", 0)] {
        sim.set(n, v)?;
    }
    let set_inputs = |sim: &mut Sim, j: &Job, tag: usize| -> Result<()> {
        for (n, v) in [
            ("w_base", j.t.base),
            ("rq_base", j.t.rq_base),
            ("rows", j.t.rows),
            ("chunks", j.t.chunks),
            ("src", j.src),
            ("dst", j.dst),
            ("relu", j.relu as usize),
            ("acc", j.acc as usize),
            ("wide", j.wide as usize),
            ("tag", tag),
        ] {
            sim.set(n, v as u64)?;
        }
        Ok(())
    };
    let limit: u64 = jobs.iter().map(|j| cycles(cfg, j.t.rows, j.t.chunks, j.wide) + 8).sum::<u64>() + 64;
    let mut out: Vec<Chained> = Vec::new();
    let mut rows: Vec<Vec<Option<i16>>> = jobs.iter().map(|j| vec![None; j.t.rows]).collect();
    let mut next_row = vec![0usize; jobs.len()];
    // The oldest product not done, the newest started.
    let (mut oldest, mut started) = (0usize, 0usize);
    let mut pending: Option<usize> = None;
    let mut a_pending: Option<usize> = None;
    let s_words = sim.port("s_data")?.width().div_ceil(32) as usize;
    for cyc in 0..=limit {
        answer_reads(sim, cfg, scratch, s_words, pending.take(), a_pending.take(), cfg.write as usize, cyc)?;
        sim.set("start", 0)?;
        sim.eval();
        let go = if cyc == 0 { true } else { started < jobs.len() && sim.get("ready")? == 1 };
        if go {
            set_inputs(sim, &jobs[started], started % 4)?;
            sim.set("start", 1)?;
            sim.eval();
            out.push(Chained { y: Vec::new(), start: cyc, done: 0 });
            started += 1;
        } else if cyc > 0 && sim.get("busy")? != 1 {
            return bad(format!("busy is low in cycle {cyc} before the last done"), &out);
        }
        if sim.get("mv_w_en")? == 1 || sim.get("s_en")? == 1 {
            let j = &jobs[started - 1];
            let (w, s) = (sim.get("mv_w_addr")? as usize, sim.get("s_addr")? as usize);
            if sim.get("mv_w_en")? != sim.get("s_en")? || w < j.t.base || w >= j.t.base + j.t.words || s < j.src / c || s >= j.src / c + j.t.chunks {
                return bad(format!("cycle {cyc} reads weight word {w} / x word {s} outside product {}'s tensor or x", started - 1), &out);
            }
            pending = Some(s);
        }
        let step = |j: &Job| if j.wide { cfg.write as usize } else { 1 };
        if sim.get("a_ren")? == 1 {
            let (tag, a) = (sim.get("rtag")? as usize, sim.get("a_raddr")? as usize);
            let j = &jobs[oldest];
            if tag != oldest % 4 || !j.acc || a < j.dst || a >= j.dst + j.t.rows {
                return bad(format!("cycle {cyc} reads element {a} tagged {tag}; product {oldest} (tag {}, acc {}) is being written", oldest % 4, j.acc), &out);
            }
            a_pending = Some(a);
        }
        let (a_we, k_we) = (sim.get("a_we")? == 1, sim.get("k_we")? == 1);
        if a_we || k_we {
            let (tag, a) = (sim.get("wtag")? as usize, sim.get("a_waddr")? as usize);
            let j = &jobs[oldest];
            let n = step(j).min(j.t.rows.saturating_sub(next_row[oldest]));
            if tag != oldest % 4 || a != j.dst + next_row[oldest] || n == 0 || k_we != j.wide {
                return bad(format!("cycle {cyc} writes at {a} tagged {tag} (k_we {k_we}); product {oldest} (tag {}) expects row {} at {}", oldest % 4, next_row[oldest], j.dst + next_row[oldest]), &out);
            }
            let data = sim.get_words("a_wdata")?;
            for i in 0..n {
                rows[oldest][next_row[oldest] + i] = Some((data[i / 2] >> (16 * (i % 2))) as u16 as i16);
            }
            next_row[oldest] += n;
        }
        if sim.get("done")? == 1 {
            let tag = sim.get("wtag")? as usize;
            if tag != oldest % 4 || next_row[oldest] != jobs[oldest].t.rows {
                return bad(format!("done in cycle {cyc} tagged {tag}: product {oldest} has {} of {} rows", next_row[oldest], jobs[oldest].t.rows), &out);
            }
            out[oldest].done = cyc;
            out[oldest].y = rows[oldest].iter().map(|v| v.unwrap_or(0)).collect();
            oldest += 1;
            if oldest == jobs.len() {
                sim.tick();
                sim.eval();
                for n in ["busy", "mv_w_en", "mv_rq_en", "s_en", "a_we", "k_we", "a_ren", "done"] {
                    if sim.get(n)? != 0 {
                        return bad(format!("{n} is high the cycle after the last done"), &out);
                    }
                }
                return Ok(out);
            }
        }
        sim.tick();
    }
    bad(format!("no last done within {limit} cycles ({oldest} of {} products done)", jobs.len()), &out)
}
