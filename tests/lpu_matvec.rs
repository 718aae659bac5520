//! The matrix unit in Verilator with the weight store of the default model (MicroGPT names):
//! at every size, the store reads back the model's bytes through the bench, and every tensor
//! the forward pass multiplies (wq, wk, wv, wo, fc1 with ReLU, fc2, lm_head) on random int16
//! inputs equals `QTensor::matvec` bit for bit, in exactly the documented number of cycles,
//! writing one row per cycle and, in the wide mode, `W` rows per cycle.
//! A wrong expected value and a flipped weight bit in the ROM image are both caught.

use llmpu::cli::model::{DEFAULT_MODEL, DEFAULT_MODEL_JSON};
use llmpu::model::quant::QTensor;
use llmpu::model::QuantModel;
use llmpu::rtl::lpu::matvec::{accumulate, bench, expected, MatvecConfig};
use llmpu::rtl::rom::readback::{compare, read_all};
use llmpu::rtl::rom::{map, Store};
use llmpu::sim::verilator::{Model, Sim};
use llmpu::sim::BuildOptions;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `R x C` and `W`, the rows the wide mode writes per cycle (the processing unit's choice at
/// the square sizes: its scratchpad chunk, at most R).
const SIZES: [(u32, u32, u32); 6] = [(1, 1, 1), (2, 2, 2), (4, 4, 4), (8, 8, 4), (2, 8, 2), (8, 2, 2)];
const TENSORS: [(&str, bool); 7] = [
    ("layer0.attn_wq", false),
    ("layer0.attn_wk", false),
    ("layer0.attn_wv", false),
    ("layer0.attn_wo", false),
    ("layer0.mlp_fc1", true),
    ("layer0.mlp_fc2", false),
    ("lm_head", false),
];
/// Where x and y live in the test's scratchpad (multiples of every C).
const SRC: usize = 16;
const DST: usize = 512;

fn model() -> QuantModel {
    let f = llmpu::model::checkpoint::parse_model(DEFAULT_MODEL_JSON, std::path::Path::new(DEFAULT_MODEL), None).expect("default model parses");
    QuantModel::from_float(&f).expect("quantizes")
}

fn qtensor<'a>(q: &'a QuantModel, name: &str) -> &'a QTensor {
    map::tensors(q).into_iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no tensor {name}"))
}

fn build(cfg: &MatvecConfig, store: &Store) -> Model {
    bench::design(cfg, store).unwrap().build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", cfg.top_name()))
}

fn reset(sim: &mut Sim) {
    for (n, v) in [("reset", 1), ("start", 0), ("en", 0), ("rq_en", 0)] {
        sim.set(n, v).unwrap();
    }
    sim.tick();
    sim.set("reset", 0).unwrap();
}

/// A scratchpad of random garbage with `x` at `SRC`.
fn scratch(rng: &mut ChaCha8Rng, x: &[i16]) -> Vec<i16> {
    let mut s: Vec<i16> = (0..1024).map(|_| rng.random_range(i16::MIN..=i16::MAX)).collect();
    s[SRC..SRC + x.len()].copy_from_slice(x);
    s
}

fn random_x(rng: &mut ChaCha8Rng, n: usize, mag: i32) -> Vec<i16> {
    (0..n).map(|_| rng.random_range(-mag..=mag).clamp(-32768, 32767) as i16).collect()
}

#[test]
fn every_tensor_at_every_size_equals_the_model() {
    let q = model();
    let mut table = String::from("size | tensor | rows x cols | tiles x chunks | cycles\n");
    for (r, c, w) in SIZES {
        let cfg = MatvecConfig::wide(r, c, w).unwrap();
        let store = Store::build(&q, r, c).unwrap();
        let m = build(&cfg, &store);
        let seed = 1000 + (r * 100 + c) as u64;
        let mut sim = m.sim(seed);
        reset(&mut sim);
        // The store first: every address of every bank, through the bench's own ports.
        let got = read_all(&mut sim, &store.map).unwrap();
        compare(&store.image, &got, &store.map).unwrap_or_else(|e| panic!("{r}x{c}: {e}"));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for (name, relu) in TENSORS {
            let t = store.tensor(name).unwrap().clone();
            let qt = qtensor(&q, name);
            // Typical activations, the full int16 range, and the extremes.
            let mut xs: Vec<Vec<i16>> = Vec::new();
            for _ in 0..2 {
                xs.push(random_x(&mut rng, t.cols, 2048));
                xs.push(random_x(&mut rng, t.cols, 32768));
            }
            xs.push(vec![i16::MIN; t.cols]);
            xs.push((0..t.cols).map(|i| if i % 2 == 0 { i16::MAX } else { i16::MIN }).collect());
            let mut last_cycles = 0;
            for (i, x) in xs.iter().enumerate() {
                let s = scratch(&mut rng, x);
                let p = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, relu, false, false).unwrap_or_else(|e| panic!("seed {seed} vector {i}: {e}"));
                bench::check(&cfg, &t, &expected(qt, x, relu), &p).unwrap_or_else(|e| panic!("seed {seed} vector {i}: {e}"));
                // Accumulating into the random int16 garbage at DST (saturating sums included).
                let pa = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, relu, true, false).unwrap_or_else(|e| panic!("seed {seed} vector {i} acc: {e}"));
                let want = accumulate(&s[DST..DST + t.rows], &expected(qt, x, relu));
                bench::check(&cfg, &t, &want, &pa).unwrap_or_else(|e| panic!("seed {seed} vector {i} acc: {e}"));
                assert_eq!(pa.cycles, p.cycles, "acc takes no extra cycle");
                // The wide mode: the same values, W rows per write (the last write the rows
                // left, lm_head's 27 rows included, its other lanes masked).
                for acc in [false, true] {
                    let pw = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, relu, acc, true).unwrap_or_else(|e| panic!("seed {seed} vector {i} wide acc {acc}: {e}"));
                    let want = if acc { accumulate(&s[DST..DST + t.rows], &expected(qt, x, relu)) } else { expected(qt, x, relu) };
                    bench::check(&cfg, &t, &want, &pw).unwrap_or_else(|e| panic!("seed {seed} vector {i} wide acc {acc}: {e}"));
                }
                // Without ReLU too, on one vector, so both settings of the flag are covered.
                if i == 0 {
                    let p = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, !relu, false, false).unwrap();
                    bench::check(&cfg, &t, &expected(qt, x, !relu), &p).unwrap_or_else(|e| panic!("seed {seed} relu {}: {e}", !relu));
                }
                last_cycles = p.cycles;
            }
            let wide = llmpu::rtl::lpu::matvec::cycles(&cfg, t.rows, t.chunks, true);
            table += &format!("{r}x{c} w{w} | {name} | {} x {} | {} x {} | {last_cycles} | wide {wide}\n", t.rows, t.cols, t.tiles, t.chunks);
        }
        // wq, wk and wv as one product (48 rows, one x): the model's three outputs back to back.
        let f = store.map.fuse(&["layer0.attn_wq", "layer0.attn_wk", "layer0.attn_wv"]).unwrap();
        let x = random_x(&mut rng, f.cols, 32768);
        let want: Vec<i16> = ["layer0.attn_wq", "layer0.attn_wk", "layer0.attn_wv"].iter().flat_map(|n| expected(qtensor(&q, n), &x, false)).collect();
        let sf = scratch(&mut rng, &x);
        let p = bench::run(&mut sim, &cfg, &f, &sf, SRC, DST, false, false, false).unwrap();
        bench::check(&cfg, &f, &want, &p).unwrap_or_else(|e| panic!("seed {seed} fused: {e}"));
        let pw = bench::run(&mut sim, &cfg, &f, &sf, SRC, DST, false, false, true).unwrap();
        bench::check(&cfg, &f, &want, &pw).unwrap_or_else(|e| panic!("seed {seed} fused wide: {e}"));
        // A reset in the middle of a product stops it; the next product is exact.
        let t = store.tensor("layer0.mlp_fc1").unwrap().clone();
        abort_with_reset(&mut sim, &t, 9);
        let pr = bench::run(&mut sim, &cfg, &t, &scratch(&mut rng, &x[..16]), SRC, DST, true, false, w > 1).unwrap();
        bench::check(&cfg, &t, &expected(qtensor(&q, "layer0.mlp_fc1"), &x[..16], true), &pr).unwrap_or_else(|e| panic!("seed {seed} after reset: {e}"));
        table += &format!("{r}x{c} w{w} | wq+wk+wv fused | {} x {} | {} x {} | {} | wide {}\n", f.rows, f.cols, f.tiles, f.chunks, p.cycles, pw.cycles);
        // Overlap (the batched core): the tensors back to back, each started as soon as the
        // one before raises `ready`, with different x, destinations and flags.
        let (chain_cycles, sum) = chain(&q, &store, &cfg, &mut sim, &mut rng, seed);
        table += &format!("{r}x{c} w{w} | the 7 tensors chained | - | - | {chain_cycles} (one after another: {sum})\n");
    }
    eprintln!("{table}");
}

/// The 7 tensors as one chain ([`bench::run_chain`]): product `i` reads its x at `SRC + 64 i`
/// and writes at `DST + 64 i`, with ReLU on odd `i`, acc on `i % 3 == 1`, wide on even `i`
/// where the unit has it. Every product must equal the model, every start but the first
/// come before the product before is done, and the chain take fewer cycles than the products
/// one after another. Returns the chain's cycles (last done + 1) and the sum of the products'
/// own cycles.
fn chain(q: &QuantModel, store: &Store, cfg: &MatvecConfig, sim: &mut Sim, rng: &mut ChaCha8Rng, seed: u64) -> (u64, u64) {
    let ts: Vec<map::Placement> = TENSORS.iter().map(|(n, _)| store.tensor(n).unwrap().clone()).collect();
    let mut s: Vec<i16> = (0..1024).map(|_| rng.random_range(i16::MIN..=i16::MAX)).collect();
    let mut jobs = Vec::new();
    let mut want = Vec::new();
    for (i, t) in ts.iter().enumerate() {
        let (src, dst) = (SRC + 64 * i, DST + 64 * i);
        let x = random_x(rng, t.cols, if i % 2 == 0 { 2048 } else { 32768 });
        s[src..src + t.cols].copy_from_slice(&x);
        let (relu, acc, wide) = (i % 2 == 1, i % 3 == 1, i % 2 == 0 && cfg.write > 1);
        let y = expected(qtensor(q, TENSORS[i].0), &x, relu);
        want.push((y, acc, dst));
        jobs.push(bench::Job { t, src, dst, relu, acc, wide });
    }
    let want: Vec<Vec<i16>> = want.into_iter().map(|(y, acc, dst)| if acc { accumulate(&s[dst..dst + y.len()], &y) } else { y }).collect();
    let got = bench::run_chain(sim, cfg, &jobs, &s).unwrap_or_else(|e| panic!("seed {seed} chain: {e}"));
    let mut sum = 0;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(&g.y, w, "{} seed {seed}: chained product {i} ({}) differs from the model", cfg.top_name(), TENSORS[i].0);
        if i > 0 {
            assert!(g.start < got[i - 1].done, "{} chained product {i} started in cycle {}, not before product {} was done ({})", cfg.top_name(), g.start, i - 1, got[i - 1].done);
        }
        sum += llmpu::rtl::lpu::matvec::cycles(cfg, jobs[i].t.rows, jobs[i].t.chunks, jobs[i].wide);
    }
    let total = got.last().unwrap().done + 1;
    assert!(total < sum, "{}: the chain took {total} cycles, the products one after another {sum}", cfg.top_name());
    (total, sum)
}

/// Starts a product of `t`, lets it run `after` cycles, resets: everything idle at once.
fn abort_with_reset(sim: &mut Sim, t: &map::Placement, after: usize) {
    for (n, v) in [("w_base", t.base), ("rq_base", t.rq_base), ("rows", t.rows), ("chunks", t.chunks), ("src", SRC), ("dst", DST), ("start", 1)] {
        sim.set(n, v as u64).unwrap();
    }
    sim.tick();
    sim.set("start", 0).unwrap();
    for _ in 0..after {
        sim.tick();
    }
    sim.eval();
    assert_eq!(sim.get("busy").unwrap(), 1, "busy {after} cycles after start");
    sim.set("reset", 1).unwrap();
    sim.tick();
    sim.set("reset", 0).unwrap();
    for _ in 0..8 {
        sim.eval();
        for n in ["busy", "done", "mv_w_en", "mv_rq_en", "s_en", "a_we", "k_we", "a_ren"] {
            assert_eq!(sim.get(n).unwrap(), 0, "{n} after reset");
        }
        sim.tick();
    }
}

#[test]
fn a_wrong_expected_value_and_a_flipped_weight_bit_are_caught() {
    let q = model();
    let cfg = MatvecConfig::new(2, 2).unwrap();
    let store = Store::build(&q, 2, 2).unwrap();
    let name = "layer0.attn_wq";
    let t = store.tensor(name).unwrap().clone();
    let qt = qtensor(&q, name);
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let mut x = random_x(&mut rng, t.cols, 1024);
    x[7] = 32767;
    let s = scratch(&mut rng, &x);
    let want = expected(qt, &x, false);

    // The good store: equal; with one expected value off by one, the check names it.
    let mut sim = build(&cfg, &store).sim(5);
    reset(&mut sim);
    let p = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, false, false, false).unwrap();
    bench::check(&cfg, &t, &want, &p).unwrap();
    let mut wrong = want.clone();
    wrong[3] = wrong[3].wrapping_add(1);
    assert_eq!(
        bench::check(&cfg, &t, &wrong, &p).unwrap_err().to_string(),
        format!("simulation mismatch: layer0.attn_wq on llmpu_mv_r2c2: row 3 is {}, the model has {}; 1 row(s) differ", want[3], wrong[3])
    );
    // A cycle count off the formula is caught too.
    let mut slow = p.clone();
    slow.cycles += 1;
    assert_eq!(
        bench::check(&cfg, &t, &want, &slow).unwrap_err().to_string(),
        format!("simulation mismatch: layer0.attn_wq on llmpu_mv_r2c2: took {} cycles, the formula says {}", p.cycles + 1, p.cycles)
    );

    // So is a read count off the layout's (8 tiles x 8 chunks = 64 words).
    let mut extra = p.clone();
    extra.w_reads += 1;
    assert_eq!(
        bench::check(&cfg, &t, &want, &extra).unwrap_err().to_string(),
        "simulation mismatch: layer0.attn_wq on llmpu_mv_r2c2: 65 weight, 64 scratchpad word, 16 requant and 0 element reads, expected 64, 64, 16 and 0"
    );
    // An accumulating product is checked against the sums, not the plain products: the plain
    // model's values fail it (the old destination contents are random, so rows differ).
    let pa = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, false, true, false).unwrap();
    let sums = accumulate(&s[DST..DST + t.rows], &want);
    bench::check(&cfg, &t, &sums, &pa).unwrap();
    assert!(bench::check(&cfg, &t, &want, &pa).unwrap_err().to_string().contains("row(s) differ"));
    // A product that skipped the destination reads is caught by the read count.
    let mut no_reads = pa.clone();
    no_reads.a_reads = 0;
    assert!(bench::check(&cfg, &t, &sums, &no_reads).unwrap_err().to_string().ends_with("expected 64, 64, 16 and 16"));

    // Bit 6 of wq[5][7] flipped in the ROM image: the unit's row 5 changes and the check says so.
    let (lane, addr) = store.map.locate(&t, 5, 7);
    let g = store.map.bank_bytes();
    let mut bad = store.clone();
    bad.image.banks[lane / g].words[addr] ^= 1 << (8 * (lane % g) + 6);
    let mut sim = build(&cfg, &bad).sim(6);
    reset(&mut sim);
    let p = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, false, false, false).unwrap();
    let e = bench::check(&cfg, &t, &want, &p).unwrap_err().to_string();
    assert_eq!(e, format!("simulation mismatch: layer0.attn_wq on llmpu_mv_r2c2: row 5 is {}, the model has {}; 1 row(s) differ", p.y[5], want[5]));
    // The readback of the same build names the flipped weight.
    let got = read_all(&mut sim, &store.map).unwrap();
    let e = compare(&store.image, &got, &store.map).unwrap_err().to_string();
    assert!(e.contains(&format!("address {addr} (")) && e.contains("layer0.attn_wq[5][7]") && e.ends_with("1 word(s) differ"), "{e}");
}

#[test]
fn the_unit_is_lint_clean_at_several_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    for (r, c, w) in [(1, 1, 1), (4, 4, 1), (4, 4, 4), (2, 8, 2), (8, 8, 4), (16, 16, 4)] {
        let cfg = MatvecConfig::wide(r, c, w).unwrap();
        let f = tmp.path().join(format!("{}.v", cfg.top_name()));
        std::fs::write(&f, llmpu::rtl::lpu::matvec::verilog(&cfg).unwrap().text).unwrap();
        llmpu::rtl::lint::lint_verilator(&[f.clone()], &cfg.top_name()).unwrap_or_else(|e| panic!("{r}x{c} w{w}: {e}"));
        llmpu::rtl::lint::lint_yosys(&[f], &cfg.top_name()).unwrap_or_else(|e| panic!("{r}x{c} w{w}: {e}"));
    }
}

#[test]
fn generated_top_snapshot() {
    let cfg = MatvecConfig::new(2, 2).unwrap();
    let text = llmpu::rtl::lpu::matvec::verilog(&cfg).unwrap().text;
    let top = &text[text.find("module llmpu_mv_r2c2(").unwrap()..];
    insta::assert_snapshot!("mv_r2c2_top", top);
    let cfg = MatvecConfig::wide(4, 2, 2).unwrap();
    let text = llmpu::rtl::lpu::matvec::verilog(&cfg).unwrap().text;
    let top = &text[text.find("module llmpu_mv_r4c2w2(").unwrap()..];
    insta::assert_snapshot!("mv_r4c2w2_top", top);
}

/// The wide mode against the same checks: a wrong expected value, a wrong cycle count and a
/// missing write group are caught; a flipped requant bit changes the rows of its group's lane.
#[test]
fn the_wide_mode_catches_wrong_values() {
    let q = model();
    let cfg = MatvecConfig::wide(4, 4, 4).unwrap();
    let store = Store::build(&q, 4, 4).unwrap();
    let name = "layer0.mlp_fc1";
    let t = store.tensor(name).unwrap().clone();
    let qt = qtensor(&q, name);
    let mut rng = ChaCha8Rng::seed_from_u64(78);
    let x = random_x(&mut rng, t.cols, 4096);
    let s = scratch(&mut rng, &x);
    let want = expected(qt, &x, true);
    let mut sim = build(&cfg, &store).sim(7);
    reset(&mut sim);
    let p = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, true, false, true).unwrap();
    bench::check(&cfg, &t, &want, &p).unwrap();
    // 64 rows at 4 per cycle on 4 x 4: 15 * 4 + 4 + 1 + 6 cycles, 16 requant reads.
    assert_eq!(p.cycles, 71);
    assert_eq!(p.rq_reads, 16);
    let mut wrong = want.clone();
    wrong[41] = wrong[41].wrapping_add(1);
    assert_eq!(
        bench::check(&cfg, &t, &wrong, &p).unwrap_err().to_string(),
        format!("simulation mismatch: layer0.mlp_fc1 on llmpu_mv_r4c4w4: row 41 is {}, the model has {}; 1 row(s) differ", want[41], wrong[41])
    );
    let mut slow = p.clone();
    slow.cycles += 1;
    assert!(bench::check(&cfg, &t, &want, &slow).unwrap_err().to_string().contains("took 72 cycles, the formula says 71"));
    let mut few = p.clone();
    few.rq_reads = 64;
    assert!(bench::check(&cfg, &t, &want, &few).unwrap_err().to_string().ends_with("expected 64, 64, 16 and 0"));
    // Requant word of row 42 (lane 2 of its group) with bit 14 of its multiplier flipped: only
    // row 42 changes (where its value is not saturated or cut by ReLU).
    let mut bad = store.clone();
    let rq = bad.image.weight_banks();
    bad.image.banks[rq].words[t.rq_base + 42] ^= 1 << 14;
    let mut sim = build(&cfg, &bad).sim(8);
    reset(&mut sim);
    let x = random_x(&mut rng, t.cols, 2000);
    let s = scratch(&mut rng, &x);
    let p = bench::run(&mut sim, &cfg, &t, &s, SRC, DST, false, false, true).unwrap();
    let want = expected(qt, &x, false);
    let differ: Vec<usize> = (0..t.rows).filter(|&r| p.y[r] != want[r]).collect();
    assert_eq!(differ, vec![42], "rows {differ:?} differ; row 42 is {} against {}", p.y[42], want[42]);
}
