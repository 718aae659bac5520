//! The vector-unit leaves (`Embed`, `Norm`, `Sampler`) in Verilator against the numeric module,
//! bit for bit, with their memories modelled in Rust (src/sim/lpu_vector.rs): every token and
//! position of the default model in four weight-store layouts, RMSNorm over lengths 1..256 with
//! typical, tiny and extreme vectors and both of the model's norm constants, and sampling
//! (argmax with ties; temperatures 0.5, 1 and 2 over random and real logits; many draws with the
//! state carried; seed reload). Every run's cycle count must equal the leaf's formula. Each leaf
//! is built once (cached across runs) and reused for all cases.

use llmpu::model::{load_model, Golden, QuantModel};
use llmpu::numeric::{NormConsts, Temperature, XorShift32};
use llmpu::rtl::lpu::vector::Leaf;
use llmpu::rtl::lpu::{embed, norm, sampler, vec_add as add};
use llmpu::sim::lpu_vector::{
    add_inputs, build, check, embed_inputs, load_seed, norm_inputs, reset, run, sampler_inputs, snoop, snoop_chunks, snoop_masked_chunks, Memories, WeightStore,
};
use llmpu::sim::{BuildOptions, Model, Sim};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::OnceLock;

fn quant() -> &'static QuantModel {
    static Q: OnceLock<QuantModel> = OnceLock::new();
    Q.get_or_init(|| {
        let m = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json"), None).unwrap();
        QuantModel::from_float(&m).unwrap()
    })
}

fn model(leaf: Leaf) -> &'static Model {
    static M: [OnceLock<Model>; 4] = [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let i = Leaf::ALL.iter().position(|&l| l == leaf).unwrap();
    M[i].get_or_init(|| build(leaf, &BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", leaf.module())))
}

fn fresh(leaf: Leaf, seed: u64) -> Sim {
    let mut sim = model(leaf).sim(seed);
    reset(&mut sim, leaf).unwrap();
    sim
}

/// The values written to `dst .. dst + len`, in order, each exactly once.
fn written(r: &llmpu::sim::lpu_vector::Run, dst: usize, len: usize) -> Vec<i16> {
    let addrs: Vec<usize> = r.writes.iter().map(|w| w.1 as usize).collect();
    assert_eq!(addrs, (dst..dst + len).collect::<Vec<_>>(), "write addresses");
    r.writes.iter().map(|w| w.2).collect()
}

#[test]
fn embed_every_token_and_position_in_nine_layouts() {
    let q = quant();
    let (vocab, block, e) = (q.cfg.vocab, q.cfg.block_size, q.cfg.n_embd);
    let mut sim = fresh(Leaf::Embed, 1);
    let mut runs = 0;
    // The square layouts of the matrix unit sizes tested elsewhere, and non-square ones so that
    // R and C cannot be confused.
    let layouts = [(1usize, 1usize), (2, 2), (4, 4), (8, 8), (2, 4), (4, 2), (1, 16), (16, 1), (16, 16)];
    for (i, (rr, cc)) in layouts.into_iter().enumerate() {
        let mut store = WeightStore::new(rr, cc);
        // Non-zero bases: a gap before each table.
        let wte = store.push(&q.wte, 3 + i);
        let wpe = store.push(&q.wpe, 1);
        let mut mem = Memories::new(store);
        for tok in 0..vocab {
            for pos in 0..block {
                let dst = 100 + 16 * ((tok + pos) % 5);
                let inputs = embed_inputs(q, wte, wpe, (rr, cc), tok, pos, dst);
                let r = run(&mut sim, Leaf::Embed, &inputs, &mut mem, (tok * block + pos) as u64).unwrap();
                let what = format!("embed {rr}x{cc} tok {tok} pos {pos}");
                check(&embed::model(q, tok, pos, e), &written(&r, dst, e), &what).unwrap_or_else(|err| panic!("{err}"));
                assert_eq!(r.cycles, embed::cycles(e, 1), "{what}");
                runs += 1;
            }
        }
    }
    println!("embed: {runs} runs bit-exact, {} cycles each for n_embd {e}", embed::cycles(e, 1));
}

/// Embed with K = 2, 4, 8 elements per cycle (K bytes per weight read, chunk writes): every
/// token and position of the default model in the store layouts whose C is a multiple of K,
/// bit-exact against the same model as K = 1, cycles `2 n_embd / K + 4`.
#[test]
fn wide_embed_k_elements_per_cycle_every_token_and_position() {
    let q = quant();
    let (vocab, block, e) = (q.cfg.vocab, q.cfg.block_size, q.cfg.n_embd);
    for k in [2usize, 4, 8] {
        let leaf = Leaf::EmbedWide(k as u8);
        let built = build(leaf, &llmpu::sim::BuildOptions::default()).unwrap_or_else(|err| panic!("building {}: {err}", leaf.module()));
        let mut sim = built.sim(k as u64);
        reset(&mut sim, leaf).unwrap();
        let mut runs = 0;
        let layouts = [(2usize, 2usize), (4, 2), (2, 4), (4, 4), (8, 8), (1, 16), (16, 8)];
        for (i, (rr, cc)) in layouts.into_iter().filter(|l| l.1 % k == 0).enumerate() {
            let mut store = WeightStore::new(rr, cc);
            let wte = store.push(&q.wte, 2 + i);
            let wpe = store.push(&q.wpe, 1);
            let mut mem = Memories::new(store);
            for tok in 0..vocab {
                for pos in 0..block {
                    let dst = 96 + 16 * ((tok + pos) % 5);
                    let inputs = embed_inputs(q, wte, wpe, (rr, cc), tok, pos, dst);
                    let r = run(&mut sim, leaf, &inputs, &mut mem, (tok * block + pos) as u64).unwrap();
                    let what = format!("embed K {k} {rr}x{cc} tok {tok} pos {pos}");
                    check(&embed::model(q, tok, pos, e), &written(&r, dst, e), &what).unwrap_or_else(|err| panic!("{err}"));
                    assert_eq!(r.cycles, embed::cycles(e, k), "{what}");
                    assert_eq!(r.cycles, (2 * e / k + 5) as u64, "{what}");
                    runs += 1;
                }
            }
        }
        assert!(runs >= 2 * vocab * block, "K {k}: {runs} runs");
        println!("embed K {k}: {runs} runs bit-exact, {} cycles each for n_embd {e}", embed::cycles(e, k));
    }
}

/// Random vectors of one class.
fn vector(class: &str, n: usize, rng: &mut ChaCha8Rng) -> Vec<i16> {
    (0..n)
        .map(|_| match class {
            "typical" => rng.random_range(-4096..=4096),
            "wide" => rng.random::<i16>(),
            "tiny" => rng.random_range(-3..=3),
            "zeros" => 0,
            "extreme" => [i16::MAX, i16::MIN, -i16::MAX][rng.random_range(0..3)],
            "min" => i16::MIN,
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn norm_lengths_classes_and_both_model_constants() {
    let q = quant();
    let mut sim = fresh(Leaf::Norm, 2);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    let mut runs = 0;
    // Besides the model's two: constants whose shift goes negative (left shifts, some of 16 bits
    // or more), whose shift exceeds the 47-bit rounding range, and a large eps.
    let left = NormConsts { out_frac: 15, gain_shift: 0, ..q.norm };
    let far_left = NormConsts { out_frac: 40, gain_shift: 0, ..q.norm };
    let far_right = NormConsts { out_frac: 0, gain_shift: 40, ..q.norm };
    let eps = NormConsts::new(256, 10, 12, 1e-2);
    for (ki, k) in [q.norm_embed, q.norm, left, far_left, far_right, eps].iter().enumerate() {
        for n in [1usize, 2, 16, 64, 256] {
            for class in ["typical", "wide", "tiny", "zeros", "extreme", "min"] {
                let x = vector(class, n, &mut rng);
                // In place for the model's constants in odd runs, else to another region.
                let src = 1024 + 8 * (runs % 7);
                let dst = if runs % 2 == 1 { src } else { 4096 + runs };
                mem.scratch[src..src + n].copy_from_slice(&x);
                let r = run(&mut sim, Leaf::Norm, &norm_inputs(k, src, dst, n, false), &mut mem, runs as u64).unwrap();
                let what = format!("norm consts {ki} len {n} {class}");
                check(&norm::model(&x, k), &written(&r, dst, n), &what).unwrap_or_else(|err| panic!("{err}"));
                assert_eq!(r.cycles, norm::cycles(n, 1), "{what}");
                runs += 1;
            }
        }
    }
    println!("norm: {runs} runs bit-exact; cycles {} for len 16, {} for len 256", norm::cycles(16, 1), norm::cycles(256, 1));
}

#[test]
fn residual_add_saturates_and_works_in_place() {
    let mut sim = fresh(Leaf::Add, 8);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    let mut runs = 0;
    for n in [1usize, 2, 16, 64, 256] {
        for (ca, cb) in [("typical", "typical"), ("wide", "wide"), ("extreme", "extreme"), ("min", "extreme"), ("zeros", "tiny")] {
            for place in 0..3 {
                let (a, b) = (vector(ca, n, &mut rng), vector(cb, n, &mut rng));
                let (sa, sb) = (2000 + runs, 6000 + 3 * runs);
                // Out of place, in place over a, in place over b.
                let dst = [20000 + runs, sa, sb][place];
                mem.scratch[sa..sa + n].copy_from_slice(&a);
                mem.scratch[sb..sb + n].copy_from_slice(&b);
                let r = run(&mut sim, Leaf::Add, &add_inputs(sa, sb, dst, n), &mut mem, runs as u64).unwrap();
                let what = format!("add len {n} {ca}+{cb} place {place}");
                check(&add::model(&a, &b), &written(&r, dst, n), &what).unwrap_or_else(|err| panic!("{err}"));
                assert_eq!(r.cycles, add::cycles(n), "{what}");
                runs += 1;
            }
        }
    }
    println!("add: {runs} runs bit-exact; {} cycles for len 16", add::cycles(16));
}

/// Norm with K = 2, 4, 8 elements per cycle (word reads, chunk writes): bit-exact against the
/// same model as K = 1 over lengths that are multiples of K, every vector class, both model
/// constants and the shift extremes, with and without `pre` (the snoop still sums element
/// writes); cycles `2 len/K + 7` and `len/K + 7`.
#[test]
fn wide_norm_k_elements_per_cycle_with_and_without_pre() {
    let q = quant();
    let far_left = NormConsts { out_frac: 40, gain_shift: 0, ..q.norm };
    let far_right = NormConsts { out_frac: 0, gain_shift: 40, ..q.norm };
    for k in [2usize, 4, 8] {
        let leaf = Leaf::NormWide(k as u8);
        let model_k = build(leaf, &llmpu::sim::BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", leaf.module()));
        let mut sim = model_k.sim(k as u64);
        reset(&mut sim, leaf).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(20 + k as u64);
        let mut mem = Memories::new(WeightStore::new(1, 1));
        let mut runs = 0;
        for (ki, nc) in [q.norm_embed, q.norm, far_left, far_right].iter().enumerate() {
            for n in [k, 2 * k, 16, 64, 256] {
                for class in ["typical", "wide", "tiny", "zeros", "extreme", "min"] {
                    for pre in [false, true] {
                        let x = vector(class, n, &mut rng);
                        let src = 1024 + 16 * (runs % 7);
                        let dst = if runs % 2 == 1 { src } else { 4096 + 16 * runs };
                        mem.scratch[src..src + n].copy_from_slice(&x);
                        // pre: the vector's writes snooped as element writes (a MATVEC) in
                        // even runs, as chunk writes (a wide EMBED, NORM or MATVEC) in odd runs:
                        // each chunk as two writes with complementary random lane masks (one
                        // may be empty), the lanes outside a write's mask holding garbage.
                        if pre && runs % 4 < 2 {
                            snoop(&mut sim, &shuffled(&x, src, &mut rng), runs % 3, runs as u64).unwrap();
                        } else if pre {
                            let all = (1u64 << k) - 1;
                            let mut chunks: Vec<(u16, Vec<i16>, u64)> = Vec::new();
                            for (g, c) in x.chunks(k).enumerate() {
                                let m = rng.random_range(0..=all);
                                for mask in [m, !m & all] {
                                    let v = (0..k).map(|j| if mask >> j & 1 == 1 { c[j] } else { rng.random() }).collect();
                                    chunks.push(((src + g * k) as u16, v, mask));
                                }
                            }
                            for i in (1..chunks.len()).rev() {
                                chunks.swap(i, rng.random_range(0..=i));
                            }
                            snoop_masked_chunks(&mut sim, &chunks, runs % 3, runs as u64).unwrap();
                        }
                        let r = run(&mut sim, leaf, &norm_inputs(nc, src, dst, n, pre), &mut mem, runs as u64).unwrap();
                        let what = format!("norm K {k} consts {ki} len {n} {class} pre {pre}");
                        check(&norm::model(&x, nc), &written(&r, dst, n), &what).unwrap_or_else(|err| panic!("{err}"));
                        let want = if pre { norm::cycles_pre(n, k) } else { norm::cycles(n, k) };
                        assert_eq!(r.cycles, want, "{what}");
                        assert_eq!(r.cycles, if pre { n / k + 7 } else { 2 * n / k + 7 } as u64, "{what}");
                        runs += 1;
                    }
                }
            }
        }
        // The sum really comes from the snooped chunks: other chunks give model_pre's values.
        let x: Vec<i16> = (0..16).map(|i| (i * 300 - 2000) as i16).collect();
        let mut w = x.clone();
        w[3] = 9000;
        mem.scratch[0..16].copy_from_slice(&x);
        snoop_chunks(&mut sim, &w.chunks(k).map(|c| c.to_vec()).collect::<Vec<_>>(), 2, 1).unwrap();
        let r = run(&mut sim, leaf, &norm_inputs(&q.norm, 0, 64, 16, true), &mut mem, 1).unwrap();
        let got = written(&r, 64, 16);
        check(&norm::model_pre(&x, &w, &q.norm), &got, "pre norm, other chunks").unwrap();
        assert!(check(&norm::model(&x, &q.norm), &got, "pre norm").is_err());
        println!("norm K {k}: {runs} runs bit-exact; cycles {} for len 16 ({} with pre)", norm::cycles(16, k), norm::cycles_pre(16, k));
    }
}

/// The snooped writes of `x` at `src` in a random order (as any writer of the whole vector).
fn shuffled(x: &[i16], src: usize, rng: &mut ChaCha8Rng) -> Vec<(u16, i16)> {
    let mut w: Vec<(u16, i16)> = x.iter().enumerate().map(|(i, &v)| ((src + i) as u16, v)).collect();
    for i in (1..w.len()).rev() {
        w.swap(i, rng.random_range(0..=i));
    }
    w
}

#[test]
fn norm_pre_takes_the_sum_of_squares_from_the_snooped_writes() {
    let q = quant();
    let mut sim = fresh(Leaf::Norm, 9);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    let mut runs = 0;
    let far_left = NormConsts { out_frac: 40, gain_shift: 0, ..q.norm };
    for (ki, k) in [q.norm, q.norm_embed, far_left].iter().enumerate() {
        for n in [1usize, 2, 16, 64, 256] {
            for class in ["typical", "wide", "tiny", "zeros", "extreme", "min"] {
                let x = vector(class, n, &mut rng);
                let src = 3000 + runs;
                let dst = if runs % 2 == 0 { src } else { 30000 + runs };
                mem.scratch[src..src + n].copy_from_slice(&x);
                // Random writes before the clear must not count; the writes of x in any order.
                snoop(&mut sim, &shuffled(&x, src, &mut rng), runs % 4, runs as u64).unwrap();
                let r = run(&mut sim, Leaf::Norm, &norm_inputs(k, src, dst, n, true), &mut mem, runs as u64).unwrap();
                let what = format!("pre norm consts {ki} len {n} {class}");
                check(&norm::model(&x, k), &written(&r, dst, n), &what).unwrap_or_else(|err| panic!("{err}"));
                assert_eq!(r.cycles, norm::cycles_pre(n, 1), "{what}");
                runs += 1;
            }
        }
    }
    // The sum really comes from the snoop: other writes give model_pre's other values.
    let x: Vec<i16> = (0..16).map(|i| (i * 300 - 2000) as i16).collect();
    let mut w = x.clone();
    w[3] = 9000;
    mem.scratch[0..16].copy_from_slice(&x);
    snoop(&mut sim, &shuffled(&w, 0, &mut rng), 2, 1).unwrap();
    let r = run(&mut sim, Leaf::Norm, &norm_inputs(&q.norm, 0, 64, 16, true), &mut mem, 1).unwrap();
    let got = written(&r, 64, 16);
    check(&norm::model_pre(&x, &w, &q.norm), &got, "pre norm, other writes").unwrap();
    assert!(check(&norm::model(&x, &q.norm), &got, "pre norm").is_err());
    println!("pre norm: {runs} runs bit-exact; cycles {} for len 16 (without pre {})", norm::cycles_pre(16, 1), norm::cycles(16, 1));
}

/// Runs the sampler over `logits` placed at `src`; returns the token and checks the cycles.
#[allow(clippy::too_many_arguments)]
fn sample_hw(leaf: Leaf, sim: &mut Sim, mem: &mut Memories, logits: &[i16], src: usize, frac: u32, k: u16, seed: u64) -> usize {
    mem.scratch[src..src + logits.len()].copy_from_slice(logits);
    let r = run(sim, leaf, &sampler_inputs(src, logits.len(), frac, k, false), mem, seed).unwrap();
    assert_eq!(r.cycles, leaf.cycles(logits.len(), k), "{} len {} k {k}", leaf.module(), logits.len());
    r.token.unwrap() as usize
}

/// [`sample_hw`] with `pre`: the snooped writes `w` (after `noise` random ones and a clear)
/// stand for the first pass.
#[allow(clippy::too_many_arguments)]
fn sample_hw_pre(leaf: Leaf, sim: &mut Sim, mem: &mut Memories, logits: &[i16], w: &[(u16, i16)], src: usize, frac: u32, k: u16, seed: u64) -> usize {
    mem.scratch[src..src + logits.len()].copy_from_slice(logits);
    snoop(sim, w, (seed % 3) as usize, seed).unwrap();
    let r = run(sim, leaf, &sampler_inputs(src, logits.len(), frac, k, true), mem, seed).unwrap();
    let lanes = if let Leaf::SamplerWide(n) = leaf { n as usize } else { 1 };
    assert_eq!(r.cycles, sampler::cycles_pre(logits.len(), k, lanes), "pre {} len {} k {k}", leaf.module(), logits.len());
    r.token.unwrap() as usize
}

#[test]
fn pre_sampler_takes_the_maximum_and_the_argmax_from_the_snooped_writes() {
    let q = quant();
    let mut sim = fresh(Leaf::Sampler, 10);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let real = real_logits(q);
    let mut draws = 0u64;
    for t in [0.0, 0.5, 1.0, 0.1, 10.0] {
        let k = Temperature::try_from(t).unwrap().k;
        let mut state = XorShift32::new(77 + draws);
        load_seed(&mut sim, state.0).unwrap();
        let mut cases: Vec<(Vec<i16>, u32)> = real.iter().map(|l| (l.clone(), q.fmt.logit)).collect();
        for n in [1usize, 2, 27, 100, 256] {
            // Many ties for the maximum, and full-range values.
            cases.push(((0..n).map(|_| [-32768i16, -5, 0, 17, 32767][rng.random_range(0..5)].min(rng.random_range(-40..=40))).collect(), 8));
            cases.push((vector("wide", n, &mut rng), 4));
            cases.push((vec![i16::MIN; n], 8));
        }
        for (i, (l, frac)) in cases.iter().enumerate() {
            let src = 200 + i % 5;
            let w = shuffled(l, src, &mut rng);
            let got = sample_hw_pre(Leaf::Sampler, &mut sim, &mut mem, l, &w, src, *frac, k, draws);
            assert_eq!(got, sampler::model(l, *frac, k, &mut state), "T {t} case {i} len {}", l.len());
            draws += 1;
        }
    }
    // The maximum really comes from the snoop: without the largest logit among the writes,
    // greedy picks the largest written one.
    let l: Vec<i16> = vec![5, 90, 7, 60, 60];
    let w: Vec<(u16, i16)> = vec![(504, 60), (500, 5), (502, 7), (503, 60)];
    let mut state = XorShift32::new(1);
    let got = sample_hw_pre(Leaf::Sampler, &mut sim, &mut mem, &l, &w, 500, 8, 0, 1);
    assert_eq!((got, sampler::model_pre(&l, 500, &w, 8, 0, &mut state)), (3, 3));
    assert_ne!(got, sampler::model(&l, 8, 0, &mut state));
    println!(
        "pre sampler: {draws} draws bit-exact; cycles for vocab {}: greedy {}, temperature {} (without pre {}, {})",
        q.cfg.vocab,
        sampler::cycles_pre(q.cfg.vocab, 0, 1),
        sampler::cycles_pre(q.cfg.vocab, 1, 1),
        sampler::cycles(q.cfg.vocab, 0, 1),
        sampler::cycles(q.cfg.vocab, 1, 1)
    );
}

/// [`sample_hw_pre`] after chunk writes: `logits` at `src` written `K` lanes at a time, the last
/// group's lanes past the end masked (and holding 32767), the chunks in a random order; checks
/// the model with those writes as element writes in lane order against the plain model.
#[allow(clippy::too_many_arguments)]
fn sample_hw_pre_chunks(leaf: Leaf, sim: &mut Sim, mem: &mut Memories, logits: &[i16], src: usize, frac: u32, k: u16, seed: u64, rng: &mut ChaCha8Rng) -> usize {
    let Leaf::SamplerWide(lanes) = leaf else { panic!("chunk writes need a wide sampler") };
    let lanes = lanes as usize;
    mem.scratch[src..src + logits.len()].copy_from_slice(logits);
    let mut chunks: Vec<(u16, Vec<i16>, u64)> = logits
        .chunks(lanes)
        .enumerate()
        .map(|(g, c)| {
            let mut v = c.to_vec();
            v.resize(lanes, i16::MAX);
            ((src + g * lanes) as u16, v, (1u64 << c.len()) - 1)
        })
        .collect();
    for i in (1..chunks.len()).rev() {
        chunks.swap(i, rng.random_range(0..=i));
    }
    // Chunk writes with an empty mask write nothing (their lanes hold the largest value): one
    // right after the clear, one at a random place.
    let empty = |rng: &mut ChaCha8Rng| ((src + lanes * rng.random_range(0..logits.len().div_ceil(lanes))) as u16, vec![i16::MAX; lanes], 0u64);
    let at = rng.random_range(0..=chunks.len());
    let e = empty(rng);
    chunks.insert(at, e);
    let e = empty(rng);
    chunks.insert(0, e);
    let w: Vec<(u16, i16)> = chunks.iter().flat_map(|(a, v, m)| (0..lanes).filter(|j| m >> j & 1 == 1).map(|j| (a + j as u16, v[j])).collect::<Vec<_>>()).collect();
    let mut st = XorShift32::new(1);
    let mut st2 = XorShift32::new(1);
    assert_eq!(sampler::model_pre(logits, src as u16, &w, frac, 0, &mut st), sampler::model(logits, frac, 0, &mut st2), "the chunk writes are the logits");
    snoop_masked_chunks(sim, &chunks, (seed % 3) as usize, seed).unwrap();
    let r = run(sim, leaf, &sampler_inputs(src, logits.len(), frac, k, true), mem, seed).unwrap();
    assert_eq!(r.cycles, sampler::cycles_pre(logits.len(), k, lanes), "pre chunks {} len {} k {k}", leaf.module(), logits.len());
    r.token.unwrap() as usize
}

/// The sampler with K = 2, 4, 8 lanes in its temperature pass 2: greedy and temperature draws
/// over real and random logits of several lengths (full groups and partial last groups), with
/// and without `pre`, equal `numeric::sample` with the state carried, in the cycles of the
/// formulas; single-element reads get garbage in the other lanes, as in the core.
#[test]
fn wide_sampler_equals_the_model() {
    let q = quant();
    let real = real_logits(q);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    for lanes in [2u8, 4, 8] {
        let leaf = Leaf::SamplerWide(lanes);
        let m = build(leaf, &BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", leaf.module()));
        let mut sim = m.sim(20 + lanes as u64);
        reset(&mut sim, leaf).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(20 + lanes as u64);
        let mut draws = 0u64;
        for t in [0.0, 0.5, 1.0, 0.1, 10.0] {
            let k = Temperature::try_from(t).unwrap().k;
            let mut state = XorShift32::new(300 + draws);
            load_seed(&mut sim, state.0).unwrap();
            let mut cases: Vec<(Vec<i16>, u32)> = real.iter().take(12).map(|l| (l.clone(), q.fmt.logit)).collect();
            for n in [1usize, 2, 3, 7, 27, 64, 255, 256] {
                cases.push((vector("typical", n, &mut rng), 8));
                cases.push((vector("wide", n, &mut rng), 4));
            }
            cases.push((vec![i16::MIN; 27], 8));
            for (i, (l, frac)) in cases.iter().enumerate() {
                // src a multiple of every K (the logits' address in the core).
                let src = 512;
                let got = sample_hw(leaf, &mut sim, &mut mem, l, src, *frac, k, draws);
                assert_eq!(got, sampler::model(l, *frac, k, &mut state), "{} T {t} case {i} len {}", leaf.module(), l.len());
                let w = shuffled(l, src, &mut rng);
                let got = sample_hw_pre(leaf, &mut sim, &mut mem, l, &w, src, *frac, k, draws);
                assert_eq!(got, sampler::model(l, *frac, k, &mut state), "pre {} T {t} case {i} len {}", leaf.module(), l.len());
                // pre after chunk writes (the matrix unit's wide lm_head), in a random order.
                let got = sample_hw_pre_chunks(leaf, &mut sim, &mut mem, l, src, *frac, k, draws, &mut rng);
                assert_eq!(got, sampler::model(l, *frac, k, &mut state), "pre chunks {} T {t} case {i} len {}", leaf.module(), l.len());
                draws += 3;
            }
        }
        // The chunk snoop takes only the written lanes: the masked lanes of the last group
        // carry 32767, larger than every logit, and greedy still picks the logits' maximum.
        let l: Vec<i16> = (0..27).map(|i| [3i16, -7, 40, 12][i % 4]).collect();
        let got = sample_hw_pre_chunks(leaf, &mut sim, &mut mem, &l, 512, 8, 0, 1, &mut rng);
        assert_eq!(got, 2, "{}: greedy after chunk writes with masked lanes of 32767", leaf.module());
        // Chunk writes with an empty mask write nothing (sample_hw_pre_chunks adds two): with
        // every logit negative, one that counted as a write would offer a value above them all.
        let l: Vec<i16> = (0..27).map(|i| -1000 + i as i16).collect();
        let got = sample_hw_pre_chunks(leaf, &mut sim, &mut mem, &l, 512, 8, 0, 1, &mut rng);
        assert_eq!(got, 26, "{}: greedy after chunk writes with empty masks", leaf.module());
        println!(
            "{}: {draws} draws bit-exact; vocab {} cycles with pre: temperature {} (one lane {})",
            leaf.module(),
            q.cfg.vocab,
            sampler::cycles_pre(q.cfg.vocab, 1, lanes as usize),
            sampler::cycles_pre(q.cfg.vocab, 1, 1)
        );
    }
}

#[test]
fn argmax_with_ties_draws_no_random_number() {
    let mut sim = fresh(Leaf::Sampler, 3);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut state = XorShift32(0x1234_5678);
    load_seed(&mut sim, state.0).unwrap();
    let mut cases: Vec<Vec<i16>> = vec![vec![5], vec![-7, -7], vec![i16::MIN; 27], vec![i16::MAX; 256], vec![3, 9, 9, 1, 9]];
    for n in [2usize, 27, 100, 256] {
        for _ in 0..10 {
            // Few distinct values: many ties for the maximum.
            cases.push((0..n).map(|_| [-32768i16, -5, 0, 17, 32767][rng.random_range(0..5)].min(rng.random_range(-40..=40))).collect());
            cases.push(vector("wide", n, &mut rng));
        }
    }
    for (i, l) in cases.iter().enumerate() {
        let got = sample_hw(Leaf::Sampler, &mut sim, &mut mem, l, 200 + i, 8, 0, i as u64);
        assert_eq!(got, sampler::model(l, 8, 0, &mut state), "case {i}: {l:?}");
    }
    // Greedy drew nothing: the next temperature draw still starts from the loaded state.
    let l = vector("typical", 27, &mut rng);
    let k = Temperature::try_from(1.0).unwrap().k;
    let got = sample_hw(Leaf::Sampler, &mut sim, &mut mem, &l, 0, 8, k, 99);
    assert_eq!(state, XorShift32(0x1234_5678));
    assert_eq!(got, sampler::model(&l, 8, k, &mut state));
}

/// Real logits: `Golden::step` along greedy names from BOS (every position of a few names).
fn real_logits(q: &QuantModel) -> Vec<Vec<i16>> {
    let mut g = Golden::new(q);
    let mut out = Vec::new();
    let mut rng = XorShift32::new(7);
    for _ in 0..6 {
        g.reset();
        let mut tok = q.cfg.bos();
        for _ in 0..q.cfg.block_size {
            let l = g.step(tok).unwrap().to_vec();
            tok = llmpu::numeric::sample(&l, q.fmt.logit, Temperature::try_from(0.8).unwrap(), &mut rng);
            out.push(l);
            if tok == q.cfg.bos() {
                break;
            }
        }
    }
    out
}

#[test]
fn temperatures_over_random_and_real_logits_with_the_state_carried() {
    let q = quant();
    let mut sim = fresh(Leaf::Sampler, 4);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let real = real_logits(q);
    let mut draws = 0;
    let mut hist = vec![0usize; q.cfg.vocab];
    // The brief's temperatures and the ends of the allowed range.
    for t in [0.0, 0.5, 1.0, 2.0, 0.1, 10.0] {
        let k = Temperature::try_from(t).unwrap().k;
        let mut state = XorShift32::new(1000 + draws as u64);
        load_seed(&mut sim, state.0).unwrap();
        // Real logits, several rounds over them with the state carried.
        for round in 0..4 {
            for (i, l) in real.iter().enumerate() {
                let got = sample_hw(Leaf::Sampler, &mut sim, &mut mem, l, 300 + i % 3, q.fmt.logit, k, (round * 1000 + i) as u64);
                assert_eq!(got, sampler::model(l, q.fmt.logit, k, &mut state), "T {t} round {round} logits {i}");
                hist[got] += 1;
                draws += 1;
            }
        }
        // Random logits of several lengths, typical and full-range, and other logit formats.
        for n in [1usize, 2, 3, 27, 64, 255, 256] {
            for (class, frac) in [("typical", 8), ("wide", 8), ("wide", 4), ("typical", 12)] {
                let l = vector(class, n, &mut rng);
                let got = sample_hw(Leaf::Sampler, &mut sim, &mut mem, &l, 512, frac, k, draws as u64);
                assert_eq!(got, sampler::model(&l, frac, k, &mut state), "T {t} n {n} {class} frac {frac}");
                draws += 1;
            }
        }
    }
    println!("sampler: {draws} draws bit-exact; tokens drawn from real logits: {hist:?}");
    println!(
        "sampler cycles for vocab {}: greedy {}, temperature {}",
        q.cfg.vocab,
        sampler::cycles(q.cfg.vocab, 0, 1),
        sampler::cycles(q.cfg.vocab, 1, 1)
    );
}

#[test]
fn seed_reload_repeats_the_sequence() {
    let q = quant();
    let mut sim = fresh(Leaf::Sampler, 5);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    let real = real_logits(q);
    let k = Temperature::try_from(1.0).unwrap().k;
    let seq = |sim: &mut Sim, mem: &mut Memories| -> Vec<usize> {
        load_seed(sim, XorShift32::new(42).0).unwrap();
        (0..200).map(|i| sample_hw(Leaf::Sampler, sim, mem, &real[i % real.len()], 0, q.fmt.logit, k, i as u64)).collect()
    };
    let a = seq(&mut sim, &mut mem);
    let b = seq(&mut sim, &mut mem);
    assert_eq!(a, b);
    let mut state = XorShift32::new(42);
    let want: Vec<usize> = (0..200).map(|i| sampler::model(&real[i % real.len()], q.fmt.logit, k, &mut state)).collect();
    assert_eq!(a, want);
    // A reset returns the state to XorShift32::new(0).
    reset(&mut sim, Leaf::Sampler).unwrap();
    let mut state = XorShift32::new(0);
    let got = sample_hw(Leaf::Sampler, &mut sim, &mut mem, &real[0], 0, q.fmt.logit, k, 1);
    assert_eq!(got, sampler::model(&real[0], q.fmt.logit, k, &mut state));
}

#[test]
fn zero_length_is_done_at_once_without_memory_access() {
    let q = quant();
    let mut mem = Memories::new(WeightStore::new(1, 1));
    for leaf in Leaf::ALL {
        let mut sim = fresh(leaf, 6);
        let inputs = match leaf {
            Leaf::Embed => embed_inputs(q, Default::default(), Default::default(), (1, 1), 0, 0, 0)
                .into_iter()
                .map(|(n, v)| (n, if n == "len" { 0 } else { v }))
                .collect(),
            Leaf::Norm => norm_inputs(&q.norm, 0, 0, 0, false),
            Leaf::Sampler => sampler_inputs(0, 0, 8, 100, false),
            Leaf::Add => add_inputs(0, 8, 16, 0),
            Leaf::NormWide(_) | Leaf::EmbedWide(_) | Leaf::SamplerWide(_) => unreachable!("not in Leaf::ALL"),
        };
        let r = run(&mut sim, leaf, &inputs, &mut mem, 6).unwrap();
        assert_eq!((r.cycles, r.writes.len()), (1, 0), "{}", leaf.module());
        assert_eq!(r.cycles, leaf.cycles(0, 100));
    }
}

#[test]
fn the_check_catches_a_corrupted_expected_value() {
    let q = quant();
    let mut sim = fresh(Leaf::Norm, 7);
    let mut mem = Memories::new(WeightStore::new(1, 1));
    let x: Vec<i16> = (0..16).map(|i| (i * 300 - 2000) as i16).collect();
    mem.scratch[0..16].copy_from_slice(&x);
    let r = run(&mut sim, Leaf::Norm, &norm_inputs(&q.norm, 0, 32, 16, false), &mut mem, 7).unwrap();
    let got = written(&r, 32, 16);
    let mut want = norm::model(&x, &q.norm);
    check(&want, &got, "norm").unwrap();
    want[5] = want[5].wrapping_add(1);
    assert_eq!(
        check(&want, &got, "norm").unwrap_err().to_string(),
        format!("simulation mismatch: norm: element 5 = {} but the model gives {} (1 element(s) differ)", got[5], got[5].wrapping_add(1))
    );
    // The other norm constants give other values: the check is not blind to the constants.
    assert!(check(&norm::model(&x, &q.norm_embed), &got, "norm").is_err());
}

#[test]
fn generated_verilog_is_prefixed_lint_clean_and_snapshotted() {
    use llmpu::rtl::lint::lint_yosys;
    let v = llmpu::rtl::lpu::vector::verilog().unwrap();
    for m in &v.modules {
        assert!(m.starts_with("llmpu_vu_"), "module {m}");
    }
    for leaf in Leaf::ALL {
        assert!(v.modules.iter().any(|m| m == leaf.module()), "{} missing", leaf.module());
    }
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("llmpu_vu.v");
    std::fs::write(&f, &v.text).unwrap();
    for leaf in Leaf::ALL {
        lint_yosys(std::slice::from_ref(&f), leaf.module()).unwrap_or_else(|e| panic!("{}: {e}", leaf.module()));
        // `verilator -Wall`: rust-hdl writes 32-bit integer literals into narrower expressions
        // (WIDTH) and the leaves leave some bits of shared sub-blocks unread (UNUSEDSIGNAL), as
        // the attention unit's arith blocks do; any other class of warning fails.
        let out = std::process::Command::new("verilator")
            .args(["--lint-only", "-Wall", "--top-module", leaf.module()])
            .arg(&f)
            .output()
            .expect("verilator");
        let text = String::from_utf8_lossy(&out.stderr);
        let other: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("%Warning-") || l.starts_with("%Error"))
            .filter(|l| !l.starts_with("%Warning-WIDTH") && !l.starts_with("%Warning-UNUSEDSIGNAL"))
            .filter(|l| !l.starts_with("%Error: Exiting due to"))
            .collect();
        assert!(other.is_empty(), "{}: {other:#?}", leaf.module());
    }
    insta::assert_snapshot!("vector_unit_verilog", v.text);
}
