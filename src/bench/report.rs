//! Benchmark results as text: the terminal table of one report ([`text`]), the SVG plots of a
//! sweep ([`plots`]) and docs/benchmarks.md from every report of a docs folder ([`markdown`]),
//! set beside the published anchor and the targets ([`ANCHOR`], [`TARGETS`]). Pure
//! functions of the reports: nothing here measures anything.

use super::plot::{line_plot, Series};
use super::sweep::{BenchReport, Point};
use crate::error::Result;

/// The published MicroGPT-on-FPGA design the results are compared with.
pub struct Anchor {
    pub name: &'static str,
    pub part: &'static str,
    pub clock_mhz: f64,
    pub tokens_per_s: f64,
    pub first_token_cycles: u64,
    pub cycles_per_further_position: u64,
    pub logic: &'static str,
    pub dsps: &'static str,
}

pub const ANCHOR: Anchor = Anchor {
    name: "MicroGPT on FPGA (published)",
    part: "Cyclone V (DE1-SoC)",
    clock_mhz: 56.25,
    tokens_per_s: 51_000.0,
    first_token_cycles: 867,
    cycles_per_further_position: 20,
    logic: "25,851 ALMs",
    dsps: "38 DSP blocks",
};

/// A throughput target of issue #9.
pub struct Goal {
    pub what: &'static str,
    /// Which sweep's best single-stream result answers it: a target name or a family prefix.
    pub target_prefix: &'static str,
    pub tokens_per_s: f64,
    pub batched: bool,
}

pub const TARGETS: [Goal; 3] = [
    Goal { what: "MicroGPT, single stream, ECP5-85F", target_prefix: "ecp5-85k", tokens_per_s: 500_000.0, batched: false },
    Goal { what: "MicroGPT, single stream, an iCE40 part", target_prefix: "ice40", tokens_per_s: 50_000.0, batched: false },
    Goal { what: "MicroGPT, batched (aggregate), ECP5-85F", target_prefix: "ecp5-85k", tokens_per_s: 2_000_000.0, batched: true },
];

/// `1234567.8` as `1,234,568`.
pub fn grouped(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

fn use_cell(u: &super::run::Use) -> String {
    format!("{} / {} ({:.0}%)", u.used, u.available, u.percent())
}

fn row_status(p: &Point) -> String {
    if let Some(why) = &p.does_not_fit {
        return format!("does not fit: {why}");
    }
    if !p.errors.is_empty() {
        return format!("FAILED: {}", p.errors.join("; "));
    }
    match &p.pnr {
        Some(r) if r.reused => "measured (place and route reused from an identical finished build)".into(),
        Some(_) => "measured".into(),
        None => "-".into(),
    }
}

/// The terminal table of one report.
pub fn text(r: &BenchReport) -> String {
    let mut s = format!(
        "{} on {}{}; model {}; {} tokens at T {} (seed {})\nplaced design: {}; nextpnr seed {}\n",
        r.points.iter().map(|p| p.size.to_string()).collect::<Vec<_>>().join(", "),
        r.target,
        r.board.as_ref().map(|b| format!(" (board {b})")).unwrap_or_default(),
        r.model,
        r.workload.tokens,
        r.workload.temperature,
        r.workload.seed,
        r.placed,
        r.pnr_seed
    );
    for p in &r.points {
        s += &format!("\n{} ({})\n", p.size, p.top);
        if p.does_not_fit.is_some() || !p.errors.is_empty() {
            s += &format!("  {}\n", row_status(p));
        }
        if let Some(q) = &p.pnr {
            s += &format!("  LUTs {}, flip-flops {}, DSPs {}, block RAMs {}\n", use_cell(&q.luts), use_cell(&q.ffs), opt(q.dsps.as_ref(), use_cell), use_cell(&q.brams));
            s += &format!(
                "  fmax {} ({} MHz requested); place and route {}{}\n",
                opt(q.fmax_mhz, |f| format!("{f:.2} MHz")),
                q.requested_mhz,
                opt(q.seconds, |t| format!("{t:.0} s")),
                if q.reused { " (reused build)" } else { "" }
            );
        }
        if let Some(m) = &p.sim {
            if p.size.batch > 1 {
                s += &format!("  cycles per token: {:.1} aggregate over {} tokens of {} sequences\n", m.mean_cycles, m.tokens, p.size.batch);
            } else {
                s += &format!("  cycles per token: first {}, mean {:.1} over {} tokens\n", m.first_cycles, m.mean_cycles, m.tokens);
            }
            let st: Vec<String> = m.stages.iter().map(|x| format!("{} {:.1}", x.stage, x.cycles_per_token)).collect();
            s += &format!("  per stage (cycles per token): {}\n", st.join(", "));
            s += &format!("  Verilator: {} cycles in {:.2} s = {} cycles/s (model build {:.1} s)\n", m.cycles, m.seconds, grouped(m.sim_cycles_per_s), m.build_seconds);
        }
        if let Some(t) = p.tokens_per_s {
            if p.size.batch > 1 {
                s += &format!("  tokens/s (aggregate of {} sequences) = fmax / aggregate cycles per token = {}\n", p.size.batch, grouped(t));
            } else {
                s += &format!("  tokens/s (one stream) = fmax / mean cycles per token = {}\n", grouped(t));
            }
        }
    }
    if let Some(c) = &r.cpu {
        s += &format!("\nCPU reference (one thread, this machine): integer model {} tokens/s, float model {} tokens/s\n", grouped(c.integer), grouped(c.float));
    }
    s += &format!(
        "anchor: {} on {} at {} MHz, about {} tokens/s\n",
        ANCHOR.name,
        ANCHOR.part,
        ANCHOR.clock_mhz,
        grouped(ANCHOR.tokens_per_s)
    );
    s
}

/// File name of one of a report's plots (`bench-ecp5-85k-fmax.svg`; placed with a seed other
/// than 1: `bench-ecp5-85k-s3-fmax.svg`).
pub fn plot_name(r: &BenchReport, what: &str) -> String {
    format!("bench-{}{}-{what}.svg", r.target, super::sweep::seed_tag(r.pnr_seed))
}

/// The plots of a sweep: resources (% of the part), fmax, cycles per token, tokens/s,
/// simulation speed; `(file name, SVG text)`.
pub fn plots(r: &BenchReport) -> Result<Vec<(String, String)>> {
    if !measured(r) {
        return Ok(vec![]);
    }
    let xs: Vec<String> = r.points.iter().map(|p| p.size.to_string()).collect();
    let col = |f: &dyn Fn(&Point) -> Option<f64>| r.points.iter().map(f).collect::<Vec<_>>();
    let ser = |name: &str, values: Vec<Option<f64>>| Series { name: name.into(), values };
    let t = &r.target;
    let x = "matrix unit R x C";
    let mut out = Vec::new();
    out.push((
        plot_name(r, "resources"),
        line_plot(
            &format!("Resources of the placed core on {t}"),
            x,
            "% of the part",
            &xs,
            &[
                ser("LUTs", col(&|p| p.pnr.as_ref().map(|q| q.luts.percent()))),
                ser("DSPs", col(&|p| p.pnr.as_ref().and_then(|q| q.dsps.map(|d| d.percent())))),
                ser("block RAMs", col(&|p| p.pnr.as_ref().map(|q| q.brams.percent()))),
                ser("flip-flops", col(&|p| p.pnr.as_ref().map(|q| q.ffs.percent()))),
            ],
            false,
        )?,
    ));
    out.push((
        plot_name(r, "fmax"),
        line_plot(&format!("fmax (nextpnr) on {t}"), x, "MHz", &xs, &[ser("fmax achieved", col(&|p| p.pnr.as_ref().and_then(|q| q.fmax_mhz)))], false)?,
    ));
    out.push((
        plot_name(r, "cycles"),
        line_plot(
            "Cycles per token (Verilator)",
            x,
            "cycles",
            &xs,
            &[ser("first token", col(&|p| p.sim.as_ref().map(|m| m.first_cycles as f64))), ser("mean", col(&|p| p.sim.as_ref().map(|m| m.mean_cycles)))],
            false,
        )?,
    ));
    let flat = |v: Option<f64>| r.points.iter().map(|_| v).collect::<Vec<_>>();
    // A sweep with batched sizes (`RxClLbB`) plots their aggregate beside the one-stream sizes.
    let ours = if r.points.iter().any(|p| p.size.batch > 1) { "this design (one stream; aggregate at the bB sizes)" } else { "this design, one stream" };
    let mut tok = vec![ser(ours, col(&|p| p.tokens_per_s)), ser("anchor (Cyclone V, published)", flat(Some(ANCHOR.tokens_per_s)))];
    if let Some(c) = &r.cpu {
        tok.push(ser("CPU integer model", flat(Some(c.integer))));
        tok.push(ser("CPU float model", flat(Some(c.float))));
    }
    for g in TARGETS.iter().filter(|g| !g.batched && t.starts_with(g.target_prefix)) {
        tok.push(ser("target (issue #9)", flat(Some(g.tokens_per_s))));
    }
    out.push((plot_name(r, "tokens"), line_plot(&format!("Tokens/s on {t}"), x, "tokens/s (log)", &xs, &tok, true)?));
    out.push((
        plot_name(r, "simspeed"),
        line_plot("Verilator speed of the core", x, "simulated cycles/s (log)", &xs, &[ser("cycles/s", col(&|p| p.sim.as_ref().map(|m| m.sim_cycles_per_s)))], true)?,
    ));
    Ok(out)
}

/// Whether any size of `r` was placed or simulated (else a sweep has nothing to plot).
pub fn measured(r: &BenchReport) -> bool {
    r.points.iter().any(|p| p.pnr.is_some() || p.sim.is_some())
}

/// The most tokens/s measured on a target of `prefix`: of one stream (`batched` false) or the
/// aggregate of a batch (`batched` true).
fn best(reports: &[BenchReport], prefix: &str, batched: bool) -> Option<(f64, String, String)> {
    reports
        .iter()
        .filter(|r| r.target.starts_with(prefix))
        .flat_map(|r| r.points.iter().filter(move |p| (p.size.batch > 1) == batched).filter_map(move |p| p.tokens_per_s.map(|t| (t, p.size.to_string(), r.target.clone()))))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// docs/benchmarks.md from `reports` (sweeps first, then single-board benches, as given).
pub fn markdown(reports: &[BenchReport]) -> String {
    let mut s = String::from("# Benchmarks\n\n");
    s += "Generated by `llmpu sweep ... --out docs` and `llmpu bench ... --out docs` from the results they\n\
          store beside this file (`docs/benchmarks-*.json`); do not edit by hand — rerun the commands below.\n\
          Every number here was measured by those runs, except the published anchor and the targets.\n\n";
    s += "## Runs\n\n| command | date | commit | machine | load average (start, end) |\n|---|---|---|---|---|\n";
    for r in reports {
        s += &format!(
            "| `{}` | {} | {} | {} logical CPUs, {} | {}, {} |\n",
            r.command,
            r.date_utc,
            r.commit.as_deref().unwrap_or("not recorded"),
            r.machine.cpus,
            r.machine.cpu_model,
            opt(r.machine.load_start, |v| format!("{v:.2}")),
            opt(r.machine.load_end, |v| format!("{v:.2}"))
        );
    }
    s += "\nThe machine was shared with other builds (see the load averages): tool times and\n\
          Verilator speeds are those of a loaded machine; fmax and cycle counts do not depend on load.\n";
    if let Some(r) = reports.first() {
        s += &format!("\nPlaced design: {}. Workload: {} sampled tokens per size, temperature {}, seed {}; every run was\ncompared with the integer reference token for token (a difference fails the run).\n", r.placed, r.workload.tokens, r.workload.temperature, r.workload.seed);
    }
    if reports.iter().any(|r| r.points.iter().any(|p| p.size.lanes > 1)) {
        s += "\nSizes are `RxC` matrix units with one attention lane; `RxClL` has `L` attention lanes (heads\nprocessed in parallel: `--lanes L`, or `RxClL` in `--sizes`).\n";
    }
    if reports.iter().any(|r| r.points.iter().any(|p| !p.size.engine.is_parallel())) {
        s += "\n`1x1c` is the compact engine (one microcoded datapath in place of the matrix unit, the vector\nleaves and the attention unit; docs/lpu.md, \"Compact engine (iCE40)\"): `--engine compact`, or `1x1c`\nin `--sizes`.\n";
    }

    s += "\n## Anchor, CPU reference and targets\n\n| design | part | clock | cycles per token | tokens/s | logic | DSPs |\n|---|---|---|---|---|---|---|\n";
    s += &format!(
        "| {} | {} | {} MHz | {} first, +{} per further position | about {} | {} | {} |\n",
        ANCHOR.name,
        ANCHOR.part,
        ANCHOR.clock_mhz,
        ANCHOR.first_token_cycles,
        ANCHOR.cycles_per_further_position,
        grouped(ANCHOR.tokens_per_s),
        ANCHOR.logic,
        ANCHOR.dsps
    );
    for r in reports {
        if let Some(c) = &r.cpu {
            let cpu = format!("{} ({} logical CPUs), one thread", r.machine.cpu_model, r.machine.cpus);
            let run = run_name(r);
            s += &format!("| CPU integer model ({run}) | {cpu} | - | - | {} | - | - |\n", grouped(c.integer));
            s += &format!("| CPU float model ({run}) | {cpu} | - | - | {} | - | - |\n", grouped(c.float));
        }
    }
    for r in reports {
        for p in r.points.iter().filter(|p| p.tokens_per_s.is_some()) {
            let (Some(q), Some(m)) = (&p.pnr, &p.sim) else { continue };
            s += &format!(
                "| llmpu {} ({}) | {} | {} MHz (fmax) | {} | {} | {} LUT4 | {} |\n",
                p.size,
                run_name(r),
                r.target,
                opt(q.fmax_mhz, |f| format!("{f:.2}")),
                if p.size.batch > 1 { format!("{:.1} aggregate ({} sequences)", m.mean_cycles, p.size.batch) } else { format!("{} first, {:.1} mean", m.first_cycles, m.mean_cycles) },
                opt(p.tokens_per_s, grouped),
                q.luts.used,
                opt(q.dsps, |d| d.used.to_string())
            );
        }
    }
    s += "\n| target (issue #9) | required | best measured | met |\n|---|---|---|---|\n";
    for g in &TARGETS {
        let (measured, met) = if g.batched {
            match best(reports, g.target_prefix, true) {
                Some((t, size, target)) => (format!("{} ({size} on {target}, aggregate)", grouped(t)), if t >= g.tokens_per_s { "yes" } else { "no" }),
                None => ("no batched run stored (`llmpu bench ... --batch B --out docs`)".to_string(), "no"),
            }
        } else {
            match best(reports, g.target_prefix, false) {
                Some((t, size, target)) => (format!("{} ({size} on {target})", grouped(t)), if t >= g.tokens_per_s { "yes" } else { "no" }),
                None => {
                    let why = reports
                        .iter()
                        .filter(|r| r.target.starts_with(g.target_prefix))
                        .flat_map(|r| r.points.iter().filter_map(|p| p.does_not_fit.as_ref().map(|w| format!("{}: {w}", p.size))))
                        .next();
                    (why.map(|w| format!("nothing placed: {w}")).unwrap_or_else(|| "not run".into()), "no")
                }
            }
        };
        s += &format!("| {} | {} tokens/s | {measured} | {met} |\n", g.what, grouped(g.tokens_per_s));
    }

    for r in reports {
        s += &section(r);
    }
    s += &gap(reports);
    s += &batched(reports);
    s
}

/// The batched runs against the aggregate target, with what limits them.
fn batched(reports: &[BenchReport]) -> String {
    let mut s = String::from(BATCHED);
    let g = TARGETS.iter().find(|g| g.batched).expect("a batched target");
    let mut any = false;
    for r in reports.iter().filter(|r| r.target.starts_with(g.target_prefix)) {
        for p in r.points.iter().filter(|p| p.size.batch > 1) {
            let (Some(q), Some(m), Some(t)) = (&p.pnr, &p.sim, p.tokens_per_s) else { continue };
            let Some(f) = q.fmax_mhz else { continue };
            any = true;
            let mv = m.stages.iter().find(|x| x.stage == "matvec").map_or(0.0, |x| x.cycles_per_token);
            s += &format!(
                "- {} {} ({}): {} tokens/s aggregate of {} ({:.1} cycles per token over {} sequences at {f:.2} MHz). The sequences spend {mv:.1} cycles per token in MATVEC instructions (summed over the sequences; not a floor, since one sequence's MATVEC overlaps the next one's in the matrix unit); the target needs {:.0} MHz at {:.1} cycles.\n",
                r.target,
                p.size,
                run_name(r),
                grouped(t),
                grouped(g.tokens_per_s),
                m.mean_cycles,
                p.size.batch,
                g.tokens_per_s * m.mean_cycles / 1e6,
                m.mean_cycles
            );
        }
    }
    if !any {
        s += "- No batched run is stored here yet.\n";
    }
    s
}

/// `` `sweep` run on ecp5-85k `` or `` `bench` run on ulx3s-85f, 8x8l2 `` (a board run names its
/// size, so two runs on one board can be told apart).
fn run_name(r: &BenchReport) -> String {
    match &r.board {
        Some(b) => {
            let sizes: Vec<String> = r.points.iter().map(|p| p.size.to_string()).collect();
            format!("`bench` run on {b}, {}{}", sizes.join(", "), seed_note(r))
        }
        None => format!("`sweep` run on {}{}", r.target, seed_note(r)),
    }
}

/// `", nextpnr seed N"` for a seed other than 1 (two runs that differ only in the seed).
fn seed_note(r: &BenchReport) -> String {
    if r.pnr_seed == crate::synth::plan::DEFAULT_SEED {
        String::new()
    } else {
        format!(", nextpnr seed {}", r.pnr_seed)
    }
}

fn section(r: &BenchReport) -> String {
    let title = match &r.board {
        Some(b) => {
            let sizes: Vec<String> = r.points.iter().map(|p| p.size.to_string()).collect();
            format!("`llmpu bench` on board {b} ({}), {}{}", r.target, sizes.join(", "), seed_note(r))
        }
        None => format!("Sweep on {}", r.target),
    };
    let mut s = format!(
        "\n## {title}\n\n`{}` ({}, commit {}, nextpnr seed {})\n\n",
        r.command,
        r.date_utc,
        r.commit.as_deref().unwrap_or("not recorded"),
        r.pnr_seed
    );
    s += "| R x C | LUT4 | flip-flops | DSPs | block RAMs | fmax (requested) | first token | mean cycles/token | tokens/s | P&R time | status |\n";
    s += "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for p in &r.points {
        let q = p.pnr.as_ref();
        let m = p.sim.as_ref();
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            p.size,
            opt(q, |q| use_cell(&q.luts)),
            opt(q, |q| use_cell(&q.ffs)),
            opt(q.and_then(|q| q.dsps.as_ref()), use_cell),
            opt(q, |q| use_cell(&q.brams)),
            opt(q, |q| format!("{} MHz ({})", opt(q.fmax_mhz, |f| format!("{f:.2}")), q.requested_mhz)),
            opt(m.filter(|_| p.size.batch == 1), |m| m.first_cycles.to_string()),
            opt(m, |m| format!("{:.1}", m.mean_cycles)),
            opt(p.tokens_per_s, grouped),
            opt(q.and_then(|q| q.seconds), |t| format!("{t:.0} s")),
            row_status(p).replace('|', "\\|")
        );
    }
    if r.board.is_none() && measured(r) {
        s += "\n";
        for what in ["resources", "fmax", "cycles", "tokens", "simspeed"] {
            s += &format!("![{what}]({})\n", plot_name(r, what));
        }
    }
    // Per-stage breakdown: the union of stage names in order of appearance.
    let mut names: Vec<String> = Vec::new();
    for m in r.points.iter().filter_map(|p| p.sim.as_ref()) {
        for st in &m.stages {
            if !names.contains(&st.stage) {
                names.push(st.stage.clone());
            }
        }
    }
    if !names.is_empty() {
        s += "\nWhere the cycles go (cycles per token, per `dbg_op` class of the controller; Verilator):\n\n";
        s += &format!("| R x C | {} | total |\n|---|{}---|\n", names.join(" | "), "---|".repeat(names.len()));
        for p in &r.points {
            let Some(m) = &p.sim else { continue };
            let cells: Vec<String> = names
                .iter()
                .map(|n| opt(m.stages.iter().find(|x| &x.stage == n), |x| format!("{:.1}", x.cycles_per_token)))
                .collect();
            s += &format!("| {} | {} | {:.1} |\n", p.size, cells.join(" | "), m.mean_cycles);
        }
        s += "\nSimulation speed (Verilator 5, one thread, the core driven at its host-link ports):\n\n";
        s += "| R x C | simulated cycles | wall time | cycles/s | model build (or cache hit) |\n|---|---|---|---|---|\n";
        for p in &r.points {
            let Some(m) = &p.sim else { continue };
            s += &format!("| {} | {} | {:.2} s | {} | {:.1} s |\n", p.size, m.cycles, m.seconds, grouped(m.sim_cycles_per_s), m.build_seconds);
        }
    }
    s
}

/// Where the single-stream targets are missed: the cycle budget at the measured fmax against
/// the measured cycles, and the largest stages.
fn gap(reports: &[BenchReport]) -> String {
    let mut s = String::from("\n## Where the gap is\n\n");
    let mut any = false;
    for g in TARGETS.iter().filter(|g| !g.batched) {
        for r in reports.iter().filter(|r| r.target.starts_with(g.target_prefix) && r.board.is_none()) {
            for p in &r.points {
                let (Some(q), Some(m), Some(t)) = (&p.pnr, &p.sim, p.tokens_per_s) else { continue };
                let Some(f) = q.fmax_mhz else { continue };
                if p.size.batch > 1 {
                    continue;
                }
                if t >= g.tokens_per_s {
                    continue;
                }
                any = true;
                let budget = f * 1e6 / g.tokens_per_s;
                let mut st: Vec<&super::run::Stage> = m.stages.iter().collect();
                st.sort_by(|a, b| b.cycles_per_token.total_cmp(&a.cycles_per_token));
                let top: Vec<String> = st.iter().take(3).map(|x| format!("{} {:.0}", x.stage, x.cycles_per_token)).collect();
                s += &format!(
                    "- {} {}: {} tokens/s of {}. At its {f:.2} MHz the target allows {budget:.0} cycles per token; it takes {:.1} \
                     (largest: {}). Reaching it at this clock needs {:.1}x fewer cycles, or at these cycles a {:.0} MHz clock.\n",
                    r.target,
                    p.size,
                    grouped(t),
                    grouped(g.tokens_per_s),
                    m.mean_cycles,
                    top.join(", "),
                    m.mean_cycles / budget,
                    g.tokens_per_s * m.mean_cycles / 1e6
                );
                if !p.size.engine.is_parallel() {
                    s += COMPACT_GAP;
                    if r.target == "ice40-up5k" {
                        s += UP5K_DSP_BOUND;
                    }
                }
            }
        }
        if best(reports, g.target_prefix, false).is_none() {
            if let Some((r, p)) = reports.iter().filter(|r| r.target.starts_with(g.target_prefix)).flat_map(|r| r.points.iter().map(move |p| (r, p))).find(|(_, p)| p.does_not_fit.is_some()) {
                any = true;
                s += &format!("- {} {}: {}\n", r.target, p.size, p.does_not_fit.as_deref().unwrap_or_default());
            }
        }
    }
    if !any {
        s += "Every single-stream target that was run is met.\n";
    }
    for r in reports.iter().filter(|r| r.board.is_none()) {
        let f: Vec<(f64, f64)> = r.points.iter().filter_map(|p| p.pnr.as_ref().and_then(|q| q.fmax_mhz.map(|f| (f, q.requested_mhz)))).collect();
        if let (Some(lo), Some(hi)) = (f.iter().map(|x| x.0).reduce(f64::min), f.iter().map(|x| x.0).reduce(f64::max)) {
            s += &format!("- fmax of the {} placed sizes on {}: {lo:.2} to {hi:.2} MHz ({} MHz requested).\n", f.len(), r.target, f[0].1);
        }
    }
    s += GAP_NOTE;
    s
}

/// Why the compact engine is far from the iCE40 target (after its gap line).
const COMPACT_GAP: &str = "  The compact engine multiplies once per cycle: `matvec` is every product of the token's matrix-vector\n  \
products one after another (3,504 for MicroGPT) plus a requantisation and loop per row (docs/lpu.md,\n  \
\"Compact engine (iCE40)\").\n";

/// What the UP5K's DSPs allow at best (after the compact engine's gap line on the UP5K).
const UP5K_DSP_BOUND: &str = "  With the UP5K's 8 SB_MAC16 (16 x 16 bits; activations are 16-bit, so one product per DSP per cycle)\n  \
all busy every cycle, `matvec` alone would still take 3,504 / 8 = 438 cycles per token: 50,000 tokens/s\n  \
would need 21.9 MHz with every other stage free.\n";

const GAP_NOTE: &str = "\nWhat would close it, from the numbers above: (1) the clock — where fmax hardly changes\n\
with the matrix unit's size, the limit is a path common to all sizes, not the matrix unit's\n\
width; nextpnr names it in each build folder's `nextpnr.log` (docs/lpu.md, \"Synthesis\": the\n\
attention unit's score and accumulator paths and the Sampler's chunk snoop came first lately),\n\
and it needs pipeline registers. One place and route is one sample: the same netlist placed\n\
with another seed (`--pnr-seed N`, reported beside the seed-1 run) moves by several MHz;\n\
(2) the cycles — within one stream the units run one after another (each instruction needs\n\
the result of the one before), and every stage but the matrix products costs about the same\n\
at every size (Embed, Norm and the Sampler already move a scratchpad chunk per cycle, attention\n\
one position per cycle per lane), so a larger matrix unit only shrinks `matvec`. At 8x8 a\n\
vector is two chunks, so most of a token's cycles are the units' pipeline latencies along that\n\
chain of 12 instructions: overlapping a unit's start with the previous one's drain saves only\n\
the few cycles of data movement. One stream is latency-bound; several streams are not (the\n\
batched mode below keeps the units busy with other sequences' instructions).\n";

const BATCHED: &str = "\n## Batched mode\n\n`--batch B` (docs/lpu.md, \"Batched mode\") interleaves B independent sequences through one\n\
core: one controller per sequence, and each unit group (Embed with the matrix unit, Norm, attention,\n\
the Sampler) serves one sequence's instruction while the others serve other sequences'. Each\n\
sequence has its own scratchpad bank, attention caches and random state, and every sequence is\n\
checked against the reference. tokens/s is the aggregate: every sequence's forward passes over\n\
the cycles to the last one's end. The matrix unit is shared, so its occupancy bounds the aggregate.\n\n";
