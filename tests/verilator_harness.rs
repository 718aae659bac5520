//! The generic Verilator harness on small hand-written modules: narrow and wide ports, clocking,
//! errors, the build cache, VCD tracing and the generated shim's text.

use llmpu::manifest::Port;
use llmpu::sim::{BuildOptions, Design};
use llmpu::Error;

const COUNTER_V: &str = r#"
module harness_counter (
    input  wire         clock,
    input  wire         reset,
    input  wire         enable,
    input  wire [39:0]  step,
    input  wire [99:0]  wa,
    input  wire [99:0]  wb,
    input  wire [199:0] wx,
    output reg  [39:0]  count,
    output wire [100:0] wsum,
    output wire [199:0] wnot,
    output wire         odd
);
    always @(posedge clock) begin
        if (reset) count <= 40'd0;
        else if (enable) count <= count + step;
    end
    assign wsum = {1'b0, wa} + {1'b0, wb};
    assign wnot = ~wx;
    assign odd = count[0];
endmodule
"#;

fn counter() -> Design {
    Design {
        top: "harness_counter".into(),
        sources: vec![("harness_counter.v".into(), COUNTER_V.into())],
        ports: vec![
            Port::input("clock", 1, "clock"),
            Port::input("reset", 1, "synchronous reset"),
            Port::input("enable", 1, "count when high"),
            Port::input("step", 40, "increment"),
            Port::input("wa", 100, "wide operand"),
            Port::input("wb", 100, "wide operand"),
            Port::input("wx", 200, "wide operand"),
            Port::output("count", 40, "counter"),
            Port::output("wsum", 101, "wa + wb"),
            Port::output("wnot", 200, "~wx"),
            Port::output("odd", 1, "count[0]"),
        ],
        clock: "clock".into(),
    }
}

fn words(v: u128, n: usize) -> Vec<u32> {
    (0..n).map(|i| if i < 4 { (v >> (32 * i)) as u32 } else { 0 }).collect()
}

fn from_words(w: &[u32]) -> u128 {
    w.iter().take(4).enumerate().fold(0u128, |acc, (i, &x)| acc | (x as u128) << (32 * i))
}

#[test]
fn counter_counts_and_wide_ports_round_trip() {
    let model = counter().build(&BuildOptions::default()).expect("build counter");
    let mut sim = model.sim(1);
    sim.set("reset", 1).unwrap();
    sim.tick();
    sim.set("reset", 0).unwrap();
    sim.set("step", 0xff_0000_0001).unwrap();
    sim.set("enable", 1).unwrap();
    for _ in 0..3 {
        sim.tick();
    }
    sim.set("enable", 0).unwrap();
    sim.tick();
    assert_eq!(sim.cycle(), 5);
    // 3 x 0xff_0000_0001 modulo 2^40
    assert_eq!(sim.get("count").unwrap(), (3 * 0xff_0000_0001u64) & ((1 << 40) - 1));
    assert_eq!(sim.get("odd").unwrap(), 1);

    // 100-bit operands whose sum carries into bit 100.
    let a: u128 = (1u128 << 100) - 3;
    let b: u128 = (1u128 << 99) + 12345;
    sim.set_words("wa", &words(a, 4)).unwrap();
    sim.set_words("wb", &words(b, 4)).unwrap();
    let x: Vec<u32> = (0..7).map(|i| 0x1234_5678u32.rotate_left(i * 4) ^ i).collect();
    let mut x = x;
    x[6] &= 0xff; // 200 bits = 6 words + 8 bits
    sim.set_words("wx", &x).unwrap();
    sim.eval();
    assert_eq!(from_words(&sim.get_words("wsum").unwrap()), a + b);
    let not = sim.get_words("wnot").unwrap();
    for i in 0..6 {
        assert_eq!(not[i], !x[i], "word {i} of wnot");
    }
    assert_eq!(not[6], !x[6] & 0xff, "top word of wnot keeps only 8 bits");

    // Two instances of one model are independent.
    let mut other = model.sim(2);
    other.set("reset", 1).unwrap();
    other.tick();
    assert_eq!(other.get("count").unwrap(), 0);
    assert_ne!(sim.get("count").unwrap(), 0);
}

#[test]
fn port_errors_name_the_port_and_what_is_allowed() {
    let model = counter().build(&BuildOptions::default()).expect("build counter");
    let mut sim = model.sim(0);
    let e = sim.set("nope", 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "port nope is not allowed (allowed: clock, reset, enable, step, wa, wb, wx, count, wsum, wnot, odd)"
    );
    assert_eq!(sim.set("enable", 2).unwrap_err().to_string(), "value for enable 2 is not allowed (must fit in 1 bits)");
    assert_eq!(sim.set("count", 1).unwrap_err().to_string(), "port count is not allowed (is an output and cannot be set)");
    assert_eq!(
        sim.set_words("wa", &[1, 2]).unwrap_err().to_string(),
        "word count for wa 2 is not allowed (must be 4 for 100 bits)"
    );
    assert_eq!(
        sim.set_words("wa", &[0, 0, 0, 0x10]).unwrap_err().to_string(),
        "value for wa 0x10 (top word) is not allowed (must fit in 100 bits)"
    );
    assert_eq!(
        sim.get("wsum").unwrap_err().to_string(),
        "port wsum is not allowed (is 101 bits wide; read it with get_words)"
    );
    let e = sim.trace(std::path::Path::new("/tmp/x.vcd")).unwrap_err();
    assert_eq!(e.to_string(), "--vcd /tmp/x.vcd is not allowed (needs a model built with tracing enabled)");
}

#[test]
fn verilator_errors_quote_the_tool() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = counter();
    d.top = "broken".into();
    d.sources = vec![("broken.v".into(), "module broken(input wire clock);\n  assign nosuch = ;\nendmodule\n".into())];
    d.ports = vec![Port::input("clock", 1, "clock")];
    let e = d.build(&BuildOptions { cache_dir: Some(tmp.path().into()), ..Default::default() }).unwrap_err();
    assert!(matches!(e, Error::Tool { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.starts_with("verilator failed: exit status"), "{msg}");
    assert!(msg.contains("%Error") && msg.contains("broken.v:2"), "{msg}");
    // Nothing half-built is left in the cache.
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "cache not clean: {left:?}");

    let mut d = counter();
    d.clock = "reset2".into();
    assert_eq!(
        d.build(&BuildOptions::default()).unwrap_err().to_string(),
        "clock port reset2 is not allowed (must be a 1-bit input among the ports)"
    );
}

#[test]
fn concurrent_builds_share_one_cache_entry_and_trace_writes_vcd() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = BuildOptions { trace: true, cache_dir: Some(tmp.path().into()), progress: false };
    let paths: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2).map(|_| s.spawn(|| counter().build(&opts).map(|m| m.path().to_path_buf()))).collect();
        hs.into_iter().map(|h| h.join().unwrap().expect("concurrent build")).collect()
    });
    assert_eq!(paths[0], paths[1]);
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries.len(), 1, "one cache entry, no leftovers: {entries:?}");

    // A cached build is found again without running Verilator.
    let t = std::time::Instant::now();
    let model = counter().build(&opts).unwrap();
    assert!(t.elapsed().as_secs_f64() < 2.0, "cache hit took {:?}", t.elapsed());

    let vcd = tmp.path().join("counter.vcd");
    let mut sim = model.sim(0);
    sim.trace(&vcd).unwrap();
    sim.set("reset", 1).unwrap();
    sim.tick();
    sim.set("reset", 0).unwrap();
    sim.set("enable", 1).unwrap();
    sim.set("step", 1).unwrap();
    for _ in 0..4 {
        sim.tick();
    }
    sim.close_trace();
    let text = std::fs::read_to_string(&vcd).unwrap();
    assert!(text.contains("$var") && text.contains(" count "), "VCD lacks the count signal");
    assert!(text.contains("#45"), "VCD lacks the last edge at time 45");
}

#[test]
fn shim_text_is_stable() {
    let mut d = counter();
    d.ports.retain(|p| ["clock", "step", "wa", "count", "wnot", "odd"].contains(&p.name.as_str()));
    insta::assert_snapshot!("shim_plain", d.shim(false));
    insta::assert_snapshot!("shim_trace", d.shim(true));
}

/// The generated shim compiles without a single warning under -Wall -Wextra -Wpedantic against
/// the headers Verilator generates for the design (Verilated only, no C++ build of the model).
#[test]
fn shim_is_warning_free_cxx() {
    let root = std::process::Command::new("verilator").args(["--getenv", "VERILATOR_ROOT"]).output().expect("verilator");
    let root = String::from_utf8_lossy(&root.stdout).trim().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let d = counter();
    let v = dir.join("harness_counter.v");
    std::fs::write(&v, COUNTER_V).unwrap();
    for trace in [false, true] {
        let obj = dir.join(format!("obj{trace}"));
        let mut cmd = std::process::Command::new("verilator");
        cmd.args(["--cc", "-Wno-fatal", "--top-module", "harness_counter", "--Mdir"]).arg(&obj).arg(&v);
        if trace {
            cmd.arg("--trace");
        }
        let out = cmd.output().expect("verilator --cc");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let shim = dir.join(format!("shim{trace}.cpp"));
        std::fs::write(&shim, d.shim(trace)).unwrap();
        let out = std::process::Command::new("g++")
            .args(["-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror"])
            .arg(format!("-isystem{root}/include"))
            .arg(format!("-isystem{root}/include/vltstd"))
            .arg(format!("-I{}", obj.display()))
            .arg(&shim)
            .output()
            .expect("g++");
        assert!(out.status.success(), "trace {trace}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
