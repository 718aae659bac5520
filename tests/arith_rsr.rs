//! The rounding shifter `Rsr` alone in Verilator against the numeric module: `y` is
//! `numeric::rshift_round(x, s)` on 48 bits and `sat` is `numeric::sat_i16` of it (its `Sat16`),
//! for every shift 0..=47 and, per shift, edge values (0, +-1, the 48-bit extremes, the rounding
//! ties around +-2^(s-1), the saturation bounds shifted up by s) and random values. The
//! saturating add `SatAdd16` alone: `sat_i16(a + b)` on every pair of edge values and random
//! pairs.

use llmpu::manifest::Port;
use llmpu::numeric::{rshift_round, sat_i16};
use llmpu::rtl::arith::{Rsr, SatAdd16};
use llmpu::rtl::emit::block_verilog;
use llmpu::sim::{BuildOptions, Design};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const MASK48: u64 = (1 << 48) - 1;
const WRAP_V: &str = "module rsr_bench(input wire clock, input wire [47:0] x, input wire [7:0] s, output wire [47:0] y, output wire [15:0] sat);\n    /* verilator lint_off UNUSED */\n    wire unused_clock = clock;\n    /* verilator lint_on UNUSED */\n    rsr_dut dut(.x(x), .s(s), .y(y), .sat(sat));\nendmodule\n";

fn sext48(v: u64) -> i64 {
    ((v << 16) as i64) >> 16
}

#[test]
fn rsr_equals_rshift_round_and_sat_i16_for_every_shift() {
    let v = block_verilog(&mut Rsr::default(), "rsr_dut").expect("Rsr verilog");
    let design = Design {
        top: "rsr_bench".into(),
        sources: vec![("rsr_dut.v".into(), v), ("rsr_bench.v".into(), WRAP_V.into())],
        ports: vec![
            Port::input("clock", 1, "unused"),
            Port::input("x", 48, "value"),
            Port::input("s", 8, "shift"),
            Port::output("y", 48, "rounded"),
            Port::output("sat", 16, "saturated"),
        ],
        clock: "clock".into(),
    };
    let model = design.build(&BuildOptions::default()).expect("build Rsr bench");
    let mut sim = model.sim(1);
    let seed = 0x5eed_0042u64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut checked = 0u64;
    for s in 0..=47u32 {
        let mut xs: Vec<i64> = vec![0, 1, -1, (1i64 << 47) - 1, -(1i64 << 47), 32767, -32768];
        for base in [0i64, 32767, -32768, 32768, -32769] {
            let c = base.checked_shl(s).filter(|c| c.abs() < (1i64 << 47)).unwrap_or(0);
            xs.extend([c - 1, c, c + 1]);
            if s > 0 {
                let h = 1i64 << (s - 1);
                xs.extend([c + h - 1, c + h, c + h + 1, c - h - 1, c - h, c - h + 1]);
            }
        }
        for _ in 0..400 {
            let width = rng.random_range(1..=48u32);
            xs.push(sext48(rng.random::<u64>() >> (64 - width)));
        }
        for x in xs {
            let x = sext48(x as u64 & MASK48);
            sim.set("x", x as u64 & MASK48).unwrap();
            sim.set("s", s as u64).unwrap();
            sim.eval();
            let want = rshift_round(x, s);
            let (y, sat) = (sim.get("y").unwrap(), sim.get("sat").unwrap());
            assert_eq!(y, want as u64 & MASK48, "y for x {x} s {s} (seed {seed:#x})");
            assert_eq!(sat as u16 as i16, sat_i16(want), "sat for x {x} s {s} (seed {seed:#x})");
            checked += 1;
        }
    }
    println!("Rsr: {checked} inputs equal to rshift_round / sat_i16");
}

const ADD_V: &str = "module sadd_bench(input wire clock, input wire [15:0] a, input wire [15:0] b, output wire [15:0] y);\n    /* verilator lint_off UNUSED */\n    wire unused_clock = clock;\n    /* verilator lint_on UNUSED */\n    sadd_dut dut(.a(a), .b(b), .y(y));\nendmodule\n";

#[test]
fn sat_add16_equals_sat_i16_of_the_sum() {
    let v = block_verilog(&mut SatAdd16::default(), "sadd_dut").expect("SatAdd16 verilog");
    let design = Design {
        top: "sadd_bench".into(),
        sources: vec![("sadd_dut.v".into(), v), ("sadd_bench.v".into(), ADD_V.into())],
        ports: vec![Port::input("clock", 1, "unused"), Port::input("a", 16, "a"), Port::input("b", 16, "b"), Port::output("y", 16, "sum")],
        clock: "clock".into(),
    };
    let model = design.build(&BuildOptions::default()).expect("build SatAdd16 bench");
    let mut sim = model.sim(1);
    let edges: Vec<i16> = vec![0, 1, -1, 2, -2, 16383, 16384, -16384, -16385, 32766, 32767, -32767, -32768];
    let mut pairs: Vec<(i16, i16)> = edges.iter().flat_map(|&a| edges.iter().map(move |&b| (a, b))).collect();
    let seed = 0x5eed_0043u64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    pairs.extend((0..20_000).map(|_| (rng.random::<i16>(), rng.random::<i16>())));
    let (mut clamped, mut checked) = (0, 0);
    for (a, b) in pairs {
        sim.set("a", a as u16 as u64).unwrap();
        sim.set("b", b as u16 as u64).unwrap();
        sim.eval();
        let want = sat_i16(a as i64 + b as i64);
        assert_eq!(sim.get("y").unwrap() as u16 as i16, want, "y for a {a} b {b} (seed {seed:#x})");
        clamped += usize::from(want as i64 != a as i64 + b as i64);
        checked += 1;
    }
    // Both bounds were reached (the check is not blind to saturation).
    assert!(clamped > 1000, "{clamped} of {checked} sums saturated");
    println!("SatAdd16: {checked} pairs equal to sat_i16(a + b), {clamped} of them saturated");
}
