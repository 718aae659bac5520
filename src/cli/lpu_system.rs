//! `llmpu sim lpu` through the UART (the default) and the demo's run: the system (core + host
//! link) in Verilator, spoken to through its pins by `host::session::run`, the code `llmpu run`
//! uses on a board; names, cycles per token, per-stage breakdown, PASS/FAIL against
//! `lpu::reference`.

use crate::host::PinLink;
use crate::lpu::reference::{generate, GenRequest};
use crate::lpu::Compiled;
use crate::model::QuantModel;
use crate::rtl::hostlink::HostLinkConfig;
use crate::sim::lpu::{class_name, compare};
use crate::sim::lpu_system::{build, check_cycles, run, SystemDev, SystemRun};
use crate::sim::{BuildOptions, Model};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Builds the system of `c`, sends `req` through its UART pins, prints the characters as they
/// arrive, the cycle counts and the per-stage breakdown, and compares with the reference
/// (`Err` naming the first difference).
pub fn sim_uart(q: &QuantModel, c: &Compiled, hl: &HostLinkConfig, req: &GenRequest, vcd: Option<&Path>) -> anyhow::Result<SystemRun> {
    let opts = BuildOptions { trace: vcd.is_some(), progress: true, cache_dir: None };
    let model = build(c, hl, &opts)?;
    sim_uart_on(&model, q, c, hl, req, vcd)
}

/// [`sim_uart`] on an already built model with the system's ports (the RTL or, from
/// `crate::sim::gate`, the iCE40 netlist).
pub fn sim_uart_on(model: &Model, q: &QuantModel, c: &Compiled, hl: &HostLinkConfig, req: &GenRequest, vcd: Option<&Path>) -> anyhow::Result<SystemRun> {
    let want = generate(q, req)?;
    let mut sim = model.sim(1);
    if let Some(p) = vcd {
        sim.trace(p)?;
    }
    let mut link = PinLink::new(SystemDev::new(sim)?, hl.divisor, hl.clock_hz as f64)?;
    link.idle(20)?;
    let mut out = std::io::stdout();
    let mut last = '\n';
    let got = run(&mut link, req, Duration::from_secs(10), &mut |ch| {
        let _ = write!(out, "{ch}");
        let _ = out.flush();
        last = ch;
    })?;
    // Generated text that stops inside a name (--tokens) still ends its line before the summary.
    if last != '\n' {
        println!();
    }
    link.dev.sim.close_trace();
    let st = &got.status;
    println!(
        "{} over the UART ({} baud at {} MHz, {} clocks per bit): {} forward passes, {} names, {} cycles from cmd_start to gen_done ({} stall), {} clocks from the start frame's first bit to the status record's last",
        crate::rtl::lpu::system::top_name(c),
        hl.baud,
        hl.clock_hz as f64 / 1e6,
        hl.divisor,
        st.tokens,
        st.names,
        st.cycles,
        st.stall,
        got.total_cycles
    );
    println!(
        "cycles per token: first {} (simulation), mean {:.1} (status record: cycles / forward passes)",
        got.run.step_cycles.first().copied().unwrap_or(0),
        got.run.mean_step()
    );
    println!("per-stage cycles (all passes; per pass):");
    for (v, &n) in got.run.per_class.iter().enumerate() {
        if n > 0 && v != 15 {
            println!("  {:<13} {:>10} {:>8.1}", class_name(v), n, n as f64 / st.tokens.max(1) as f64);
        }
    }
    compare(&want, &got.run).map_err(crate::Error::Mismatch)?;
    check_cycles(&got).map_err(crate::Error::Mismatch)?;
    println!(
        "PASS: equal to the reference (golden model): {} characters, {} forward passes, {} names; status cycles equal the simulation's",
        got.run.gen.text.len(),
        st.tokens,
        st.names
    );
    Ok(got)
}
