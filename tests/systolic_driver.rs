//! The tiling driver and the checker, tested on a behavioural stand-in of the array
//! (testbench/contract_stub.v) whose extra `fault` input injects one error at a time, so every
//! check of the driver is shown to fire. The generated array itself is tested in
//! tests/systolic_array.rs.

use llmpu::manifest::Port;
use llmpu::rtl::matmul::model::{matmul_ref, Mat};
use llmpu::rtl::matmul::SystolicConfig;
use llmpu::sim::systolic::{check, run, Mismatch, RunOptions};
use llmpu::sim::{BuildOptions, Design, Model, Sim};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn stub(cfg: &SystolicConfig) -> Model {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testbench/contract_stub.v");
    let stub = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (r, c, i, a) = (cfg.rows, cfg.cols, cfg.in_bits, cfg.acc_bits);
    let rb = (32 - (r - 1).leading_zeros()).max(1);
    let top = "stub_top";
    let wrapper = format!(
        "module {top} (input wire clock, input wire reset, input wire [2:0] fault,\n\
         input wire in_valid, output wire in_ready, input wire in_first, input wire in_last,\n\
         input wire [{}:0] a_in, input wire [{}:0] b_in,\n\
         output wire out_valid, output wire [{}:0] out_row, output wire [{}:0] c_out);\n\
         contract_stub #(.R({r}), .C({c}), .I({i}), .A({a}), .RB({rb})) u (.*);\nendmodule\n",
        r * i - 1,
        c * i - 1,
        rb - 1,
        c * a - 1
    );
    let ports = vec![
        Port::input("clock", 1, ""),
        Port::input("reset", 1, ""),
        Port::input("fault", 3, ""),
        Port::input("in_valid", 1, ""),
        Port::output("in_ready", 1, ""),
        Port::input("in_first", 1, ""),
        Port::input("in_last", 1, ""),
        Port::input("a_in", r * i, ""),
        Port::input("b_in", c * i, ""),
        Port::output("out_valid", 1, ""),
        Port::output("out_row", rb, ""),
        Port::output("c_out", c * a, ""),
    ];
    let d = Design {
        top: top.into(),
        sources: vec![("contract_stub.v".into(), stub), ("stub_top.v".into(), wrapper)],
        ports,
        clock: "clock".into(),
    };
    d.build(&BuildOptions::default()).expect("build the contract stub")
}

/// The array's spacing rule, but not its latency: the stub's rows follow the last beat at once.
fn stub_opts(cfg: &SystolicConfig, seed: u64) -> RunOptions {
    RunOptions { row0_latency: None, ..RunOptions::new(cfg, seed) }
}

fn product(sim: &mut Sim, cfg: &SystolicConfig, (m, k, n): (usize, usize, usize), opts: &RunOptions) -> Result<(), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let a = Mat::random(m, k, cfg.in_bits, &mut rng);
    let b = Mat::random(k, n, cfg.in_bits, &mut rng);
    let (got, stats) = run(sim, cfg, &a, &b, opts).map_err(|e| e.to_string())?;
    check(&matmul_ref(&a, &b, cfg).unwrap(), &got, opts.seed).map_err(|e| e.to_string())?;
    assert_eq!(stats.useful_macs, (m * k * n) as u64);
    assert_eq!(stats.tiles, (m.div_ceil(cfg.rows as usize) * n.div_ceil(cfg.cols as usize)) as u64);
    assert_eq!(stats.beats, stats.tiles * k as u64);
    assert!(stats.utilisation > 0.0 && stats.utilisation <= 1.0, "{stats:?}");
    Ok(())
}

#[test]
fn driver_tiles_and_reassembles_any_shape() {
    let cfg = SystolicConfig::new(2, 3).unwrap();
    let model = stub(&cfg);
    let mut sim = model.sim(7);
    sim.set("fault", 0).unwrap();
    let shapes = [(1, 1, 1), (2, 1, 3), (2, 5, 3), (3, 4, 7), (5, 1, 4), (7, 9, 2), (4, 3, 6), (9, 17, 10)];
    for (s, &shape) in shapes.iter().enumerate() {
        for rate in [0.0, 0.4] {
            let mut opts = stub_opts(&cfg, 1000 + s as u64);
            opts.stall_rate = rate;
            if let Err(e) = product(&mut sim, &cfg, shape, &opts) {
                panic!("shape {shape:?}, stall rate {rate}: {e}");
            }
        }
    }
    // Without stalls and with K >= max(R, C) the stub takes one cycle per beat, plus R rows out.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (a, b) = (Mat::random(4, 6, 8, &mut rng), Mat::random(6, 6, 8, &mut rng));
    let (_, st) = run(&mut sim, &cfg, &a, &b, &stub_opts(&cfg, 5)).unwrap();
    assert_eq!((st.tiles, st.beats, st.stall_cycles), (4, 24, 0));
    assert_eq!(st.cycles, 24 + 2, "{st:?}");
    assert_eq!(st.first_row_latency, 1);
    let mut opts = stub_opts(&cfg, 5);
    opts.stall_rate = 0.5;
    let (_, st) = run(&mut sim, &cfg, &a, &b, &opts).unwrap();
    assert!(st.stall_cycles > 5 && st.cycles >= 26 + st.stall_cycles - 1, "{st:?}");
}

#[test]
fn driver_reports_hangs_protocol_violations_and_wrong_data() {
    let cfg = SystolicConfig::new(2, 3).unwrap();
    let model = stub(&cfg);
    let fault = |f: u64, shape: (usize, usize, usize), latency: Option<u64>| {
        let mut sim = model.sim(f);
        sim.set("fault", f).unwrap();
        let mut opts = stub_opts(&cfg, 42);
        opts.row0_latency = latency;
        product(&mut sim, &cfg, shape, &opts).unwrap_err()
    };
    let e = fault(1, (2, 3, 3), None);
    assert!(e.starts_with("simulation mismatch: hang: 1 of 1 tiles complete, 3 beats accepted, after more than 78 cycles at cycle 79 (seed 42)"), "{e}");
    let e = fault(2, (2, 3, 3), None);
    assert_eq!(e, "simulation mismatch: protocol: out_row 1 where row 0 was due at cycle 3 (seed 42)");
    let e = fault(3, (2, 3, 3), None);
    assert!(e.starts_with("C[0][0] = ") && e.ends_with("(2 element(s) differ; seed 42)"), "{e}");
    let e = fault(4, (4, 1, 3), None);
    assert_eq!(
        e,
        "simulation mismatch: protocol: in_last accepted 1 cycles after the previous one (the spacing rule needs 3) at cycle 1 (seed 42)"
    );
    let e = fault(5, (4, 1, 3), None);
    assert_eq!(
        e,
        "simulation mismatch: protocol: in_ready low for an in_last beat although the spacing rule (3) is met at cycle 3 (seed 42)"
    );
    let e = fault(0, (2, 3, 3), Some(2));
    assert_eq!(e, "simulation mismatch: latency: row 0 of tile (0, 0) came at cycle 3, due at 4 (last beat at 2) at cycle 3 (seed 42)");
}

#[test]
fn checker_names_the_first_differing_element_and_the_seed() {
    let expected = Mat::from_vec(2, 3, vec![1, 2, 3, 4, 5, 6]).unwrap();
    assert_eq!(check(&expected, &expected.clone(), 9), Ok(()));
    let mut got = expected.clone();
    got.set(1, 2, -6);
    got.set(1, 0, 40);
    let e = check(&expected, &got, 9).unwrap_err();
    assert_eq!(e, Mismatch::Element { i: 1, j: 0, expected: 4, got: 40, seed: 9, differing: 2 });
    assert_eq!(e.to_string(), "C[1][0] = 40 but the model gives 4 (2 element(s) differ; seed 9)");
    let e = check(&expected, &Mat::zeros(3, 2), 9).unwrap_err();
    assert_eq!(e.to_string(), "result shape 3x2 differs from the expected 2x3 (seed 9)");
}

#[test]
fn driver_rejects_bad_arguments() {
    use llmpu::sim::systolic::{check_shape, check_stall_rate};
    assert_eq!(check_stall_rate(1.0).unwrap_err().to_string(), "stall-rate 1 is not allowed (allowed: 0 <= P < 1)");
    assert_eq!(check_stall_rate(-0.5).unwrap_err().to_string(), "stall-rate -0.5 is not allowed (allowed: 0 <= P < 1)");
    assert_eq!(check_shape("K", 0).unwrap_err().to_string(), "K 0 is not allowed (allowed: 1..=4096)");
    assert_eq!(check_shape("N", 4097).unwrap_err().to_string(), "N 4097 is not allowed (allowed: 1..=4096)");
}
