//! The compact engine's microcode on its bit-exact model ([`MicroCore`]) equals the instruction
//! interpreter (and so `Golden::step`) bit for bit: every step's whole scratchpad and every
//! sampled token, for MicroGPT at three temperatures and for 2-layer, wider, longer-context and
//! odd-sized variants; a corrupted weight is caught; other sizes are refused.

use llmpu::cli::model::ModelArgs;
use llmpu::lpu::{Compiled, Interpreter, LpuConfig, LpuParams};
use llmpu::model::train::init_model;
use llmpu::model::{ModelConfig, ModelParams, QuantModel, Tokenizer};
use llmpu::numeric::{Temperature, XorShift32};
use llmpu::rtl::micro::MicroCore;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn microgpt() -> QuantModel {
    QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap()
}

fn random_model(p: ModelParams, seed: u64) -> QuantModel {
    let cfg = ModelConfig::try_from(p).unwrap();
    let f = init_model(cfg, Tokenizer::letters(p.vocab - 1), &mut ChaCha8Rng::seed_from_u64(seed));
    QuantModel::from_float(&f).unwrap()
}

fn compiled(q: &QuantModel) -> Compiled {
    Compiled::new(&LpuConfig::try_from(LpuParams { engine: llmpu::lpu::Engine::Compact, ..LpuParams::new(q.cfg, 1, 1, "ice40-up5k") }).unwrap(), q).unwrap()
}

/// Runs `names` names through the interpreter of `want` and the engine of `got` (the same
/// configuration; `got` may hold a corrupted store), each sampling from its own logits with its
/// own xorshift32; returns the first difference, or (steps, engine cycles).
fn compare(want: &Compiled, got: &Compiled, names: usize, temp: f64, seed: u64) -> Result<(usize, u64), String> {
    let mut it = Interpreter::new(want);
    let mut mc = MicroCore::new(got).map_err(|e| e.to_string())?;
    let t = Temperature::try_from(temp).unwrap();
    let (mut r1, mut r2) = (XorShift32::new(seed), XorShift32::new(seed));
    let bos = want.cfg.model.bos();
    let mut steps = 0;
    for n in 0..names {
        it.reset();
        mc.reset();
        let mut tok = bos;
        for s in 0..want.cfg.model.block_size {
            let a = it.step(tok, Some((t.k, &mut r1))).unwrap();
            let b = mc.step(tok, Some((t.k, &mut r2))).map_err(|e| format!("name {n} step {s}: {e}"))?;
            if it.spad != mc.mem.spad {
                let at = it.spad.iter().zip(&mc.mem.spad).position(|(x, y)| x != y).unwrap();
                return Err(format!("name {n} step {s}: scratchpad element {at}: engine {} != interpreter {}", mc.mem.spad[at], it.spad[at]));
            }
            if a != b || r1 != r2 {
                return Err(format!("name {n} step {s}: sampled {b:?} != {a:?}"));
            }
            steps += 1;
            tok = a.unwrap();
            if tok == bos {
                break;
            }
        }
    }
    let c = mc.cycles;
    Ok((steps, c.embed + c.norm + c.matvec + c.attn + c.sample))
}

#[test]
fn microgpt_on_the_engine_equals_the_interpreter() {
    let q = microgpt();
    let c = compiled(&q);
    for (temp, seed) in [(1.0, 1), (0.5, 2), (0.0, 3)] {
        let (steps, cycles) = compare(&c, &c, 40, temp, seed).unwrap_or_else(|e| panic!("temperature {temp}: {e}"));
        assert!(steps >= 150, "temperature {temp}: only {steps} steps");
        println!("MicroGPT 1x1, temperature {temp}: {steps} steps, {:.1} engine cycles per token", cycles as f64 / steps as f64);
    }
    let mut mc = MicroCore::new(&c).unwrap();
    let mut rng = XorShift32::new(1);
    let k = Temperature::try_from(0.5).unwrap().k;
    let mut tok = q.cfg.bos();
    let mut steps = 0;
    for _ in 0..20 {
        mc.reset();
        for _ in 0..q.cfg.block_size {
            tok = mc.step(tok, Some((k, &mut rng))).unwrap().unwrap();
            steps += 1;
            if tok == q.cfg.bos() {
                break;
            }
        }
    }
    let cy = mc.cycles;
    let per = |x: u64| x as f64 / steps as f64;
    println!(
        "per token over {steps} steps (20 names, T 0.5, seed 1): embed {:.1}, norm {:.1}, matvec {:.1}, attention {:.1}, sample {:.1}, total {:.1}",
        per(cy.embed),
        per(cy.norm),
        per(cy.matvec),
        per(cy.attn),
        per(cy.sample),
        per(cy.embed + cy.norm + cy.matvec + cy.attn + cy.sample)
    );
}

#[test]
fn variants_on_the_engine_equal_the_interpreter() {
    let m = ModelParams::MICROGPT;
    let variants = [
        ("2 layers", ModelParams { n_layer: 2, ..m }),
        ("wide", ModelParams { n_embd: 32, n_head: 8, mlp_hidden: 128, ..m }),
        ("long", ModelParams { block_size: 32, ..m }),
        ("odd sizes", ModelParams { n_embd: 12, n_head: 3, mlp_hidden: 40, n_layer: 3, block_size: 20, ..m }),
    ];
    for (i, (what, p)) in variants.into_iter().enumerate() {
        let q = random_model(p, 10 + i as u64);
        let c = compiled(&q);
        let (steps, _) = compare(&c, &c, 12, 1.0, 5 + i as u64).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(steps >= 40, "{what}: only {steps} steps");
    }
}

/// A MATVEC with both ReLU and the residual add (no model the compiler emits has one: here the
/// ReLU MATVEC of MicroGPT's program gets the add too) takes the flagged loop's path from the
/// ReLU into the add, and equals the interpreter running the same program.
#[test]
fn relu_and_residual_on_one_matvec_equal_the_interpreter() {
    use llmpu::lpu::isa::{Op, FLAG_ACC, FLAG_RELU};
    let q = microgpt();
    let mut c = compiled(&q);
    let k = c.program.iter().position(|i| i.op == Op::Matvec && i.flags & FLAG_RELU != 0).expect("a ReLU MATVEC");
    c.program[k].flags |= FLAG_ACC;
    let (steps, _) = compare(&c, &c, 8, 0.5, 4).unwrap();
    assert!(steps >= 8, "{steps} steps");
}

#[test]
fn a_corrupted_weight_is_caught() {
    let q = microgpt();
    let want = compiled(&q);
    // One byte of the first layer's fused q, k, v product (used at every step), flipped.
    let mut bad = want.clone();
    let t = &bad.map.tensors[3];
    let (w, lane) = bad.map.locate(t, 5, 7);
    bad.image.words[w][lane] ^= 0x40;
    let e = compare(&want, &bad, 5, 1.0, 9).unwrap_err();
    assert!(e.contains("scratchpad element") || e.contains("sampled"), "{e}");
    // The same comparison of the uncorrupted store passes.
    compare(&want, &want, 5, 1.0, 9).unwrap();
}

#[test]
fn other_sizes_are_refused() {
    let q = microgpt();
    let c = Compiled::new(&LpuConfig::try_from(LpuParams::new(q.cfg, 2, 2, "ice40-up5k")).unwrap(), &q).unwrap();
    let e = MicroCore::new(&c).err().unwrap().to_string();
    assert_eq!(e, "compact engine size 2x2 is not allowed (allowed: 1x1 (one weight byte per store word))");
}

/// The engine's RTL in Verilator equals its model instruction by instruction (scratchpad,
/// local RAM, token, xorshift32 state and the cycle of done) over whole names of MicroGPT.
#[test]
fn the_engine_rtl_equals_its_model() {
    use llmpu::rtl::micro::bench::{build, RtlCore};
    use llmpu::sim::verilator::BuildOptions;
    let q = microgpt();
    let c = compiled(&q);
    let model = build(&BuildOptions::default()).unwrap();
    for (temp, seed, names) in [(0.5, 1u64, 20), (0.0, 2, 8), (1.0, 3, 12)] {
        let mut core = RtlCore::new(&c, &model, seed).unwrap();
        let t = Temperature::try_from(temp).unwrap();
        let mut rng = XorShift32::new(seed);
        let bos = q.cfg.bos();
        let mut steps = 0;
        for _ in 0..names {
            core.reset();
            let mut tok = bos;
            for _ in 0..q.cfg.block_size {
                tok = core.step(tok, Some(t.k), &mut rng).unwrap_or_else(|e| panic!("T {temp}: {e}")).unwrap();
                steps += 1;
                if tok == bos {
                    break;
                }
            }
        }
        let cy = core.cycles;
        println!("engine RTL, T {temp}: {steps} steps equal to the model; {:.1} cycles per token", (cy.embed + cy.norm + cy.matvec + cy.attn + cy.sample) as f64 / steps as f64);
    }
}

/// The compact core (controller, stores, scratchpad and the engine) in Verilator through the
/// host-link ports equals `reference::generate` character for character, in names and tokens
/// mode, greedy and with a temperature, with a prompt.
#[test]
fn the_compact_core_equals_the_reference() {
    use llmpu::lpu::reference::{encode_prompt, generate, GenRequest};
    use llmpu::rtl::micro::core::{core_verilog, CompactNames};
    use llmpu::sim::lpu::{compare, run};
    use llmpu::sim::verilator::{BuildOptions, Design};
    let q = microgpt();
    let c = compiled(&q);
    let v = core_verilog(&c).unwrap();
    let top = CompactNames::new(&c).top;
    let d = Design { top: top.clone(), sources: vec![(format!("{top}.v"), v.text)], ports: llmpu::rtl::lpu::top::ports(), clock: "clock".into() };
    let model = d.build(&BuildOptions::default()).unwrap();
    let reqs = [
        GenRequest { seed: XorShift32::new(1).0, temp_k: Temperature::try_from(0.5).unwrap().k, count: 6, names: true, quiet: false, prompt: vec![] },
        GenRequest { seed: XorShift32::new(2).0, temp_k: 0, count: 3, names: true, quiet: false, prompt: vec![] },
        GenRequest { seed: XorShift32::new(3).0, temp_k: Temperature::try_from(1.0).unwrap().k, count: 40, names: false, quiet: false, prompt: encode_prompt(&q, "ma").unwrap() },
    ];
    let mut sim = model.sim(7);
    for req in &reqs {
        let want = generate(&q, req).unwrap();
        let got = run(&mut sim, req, |_| true, 20_000_000).unwrap();
        compare(&want, &got).unwrap_or_else(|e| panic!("{req:?}: {e}"));
        println!("compact core: {} forward passes, {:.1} cycles per token: {:?}", got.gen.steps, got.mean_step(), String::from_utf8_lossy(&got.gen.text));
    }
}

/// The fit estimate's block-RAM breakdown adds up to its total, with the compact engine's own
/// memories (micro-op ROM, local RAM) named, and without them for the parallel units.
#[test]
fn the_block_ram_breakdown_adds_up() {
    let q = microgpt();
    let sum = |parts: &str| -> u32 { parts.split(", ").filter_map(|p| p.split(' ').next().unwrap().parse::<u32>().ok()).sum() };
    let f = llmpu::rtl::lpu::fit::estimate(&compiled(&q)).unwrap();
    assert!(f.engine_brams > 0 && f.bram_parts().contains(" compact engine (micro-op ROM, local RAM)"), "{}", f.bram_parts());
    assert_eq!(sum(&f.bram_parts()), f.brams, "{}", f.bram_parts());
    let p = Compiled::new(&LpuConfig::try_from(LpuParams::new(q.cfg, 4, 4, "ecp5-85k")).unwrap(), &q).unwrap();
    let f = llmpu::rtl::lpu::fit::estimate(&p).unwrap();
    assert!(!f.bram_parts().contains("engine"), "{}", f.bram_parts());
    assert_eq!(sum(&f.bram_parts()), f.brams, "{}", f.bram_parts());
}
