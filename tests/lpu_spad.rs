//! The scratchpad (`spad_module`) alone in Verilator against a Rust model of its contract: a read
//! sees every write of an earlier cycle and not that of its own cycle. Random element and chunk
//! writes (with random lane masks) and random reads of both ports over a small memory, so that a read of the word written
//! in the cycle before (the registered write still pending, forwarded) happens often.

use llmpu::manifest::Port;
use llmpu::rtl::lpu::top::spad_module;
use llmpu::sim::{BuildOptions, Design};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn run(c: usize, k: usize, words: usize, seed: u64) -> u64 {
    let v = spad_module("spad_t", c, k, words);
    let design = Design {
        top: "spad_t".into(),
        sources: vec![("spad_t.v".into(), v)],
        ports: vec![
            Port::input("clock", 1, ""),
            Port::input("a_ren", 1, ""),
            Port::input("a_raddr", 16, ""),
            Port::output("a_rdata", 16, ""),
            Port::output("a_word", (c * 16) as u32, ""),
            Port::input("s_en", 1, ""),
            Port::input("s_addr", 16, ""),
            Port::output("s_data", (c * 16) as u32, ""),
            Port::input("a_we", 1, ""),
            Port::input("a_waddr", 16, ""),
            Port::input("a_wdata", 16, ""),
            Port::input("k_we", 1, ""),
            Port::input("k_wm", k as u32, ""),
            Port::input("k_waddr", 16, ""),
            Port::input("k_wdata", (c * 16) as u32, ""),
        ],
        clock: "clock".into(),
    };
    let model = design.build(&BuildOptions::default()).expect("build spad");
    let mut sim = model.sim(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = c * words;
    let mut mem: Vec<u16> = (0..n).map(|_| rng.random()).collect();
    // Every input defined (Verilator starts them random), then every element filled (contents
    // are undefined until written).
    for p in ["a_ren", "a_raddr", "s_en", "s_addr", "a_we", "a_waddr", "a_wdata", "k_we", "k_waddr"] {
        sim.set(p, 0).unwrap();
    }
    sim.set_words("k_wdata", &vec![0u32; (c * 16).div_ceil(32)]).unwrap();
    sim.set("k_wm", 0).unwrap();
    for (a, &x) in mem.iter().enumerate() {
        sim.set("a_we", 1).unwrap();
        sim.set("a_waddr", a as u64).unwrap();
        sim.set("a_wdata", x as u64).unwrap();
        sim.tick();
    }
    sim.set("a_we", 0).unwrap();
    let mut last_write: Vec<usize> = vec![];
    let mut forwarded = 0u64;
    for cycle in 0..4000u64 {
        let ea = rng.random_range(0..n);
        let wa = rng.random_range(0..words);
        // Reads of the last written word half of the time.
        let (ea, wa) = match (rng.random_range(0..2), last_write.first()) {
            (0, Some(&e)) => {
                forwarded += 1;
                (e, e / c)
            }
            _ => (ea, wa),
        };
        sim.set("a_ren", 1).unwrap();
        sim.set("a_raddr", ea as u64).unwrap();
        sim.set("s_en", 1).unwrap();
        sim.set("s_addr", wa as u64).unwrap();
        let before = mem.clone();
        last_write.clear();
        match rng.random_range(0..3) {
            0 => {
                sim.set("a_we", 0).unwrap();
                sim.set("k_we", 0).unwrap();
            }
            1 => {
                let a = rng.random_range(0..n);
                let x: u16 = rng.random();
                sim.set("a_we", 1).unwrap();
                sim.set("k_we", 0).unwrap();
                sim.set("a_waddr", a as u64).unwrap();
                sim.set("a_wdata", x as u64).unwrap();
                mem[a] = x;
                last_write.push(a);
            }
            _ => {
                let a = rng.random_range(0..n / k) * k;
                let xs: Vec<u16> = (0..k).map(|_| rng.random()).collect();
                // All lanes half of the time, else a random lane mask (the lanes whose bit is
                // clear keep their elements).
                let m: u64 = if rng.random_range(0..2) == 0 { (1 << k) - 1 } else { rng.random_range(0..1u64 << k) };
                let mut packed = vec![0u32; (c * 16).div_ceil(32)];
                for (j, &x) in xs.iter().enumerate() {
                    packed[j / 2] |= (x as u32) << (16 * (j % 2));
                    if m >> j & 1 == 1 {
                        mem[a + j] = x;
                        last_write.push(a + j);
                    }
                }
                sim.set("a_we", 0).unwrap();
                sim.set("k_we", 1).unwrap();
                sim.set("k_wm", m).unwrap();
                sim.set("k_waddr", a as u64).unwrap();
                sim.set_words("k_wdata", &packed).unwrap();
            }
        }
        sim.tick();
        let s_data = sim.get_words("s_data").unwrap();
        for b in 0..c {
            let got = (s_data[b / 2] >> (16 * (b % 2))) as u16;
            assert_eq!(got, before[wa * c + b], "s_data bank {b} word {wa} cycle {cycle} (seed {seed:#x}, C {c}, K {k}); word {:?} want {:?}", s_data, &before[wa * c..wa * c + c]);
        }
        let a_rdata = sim.get("a_rdata").unwrap() as u16;
        assert_eq!(a_rdata, before[ea], "a_rdata element {ea} cycle {cycle} (seed {seed:#x}, C {c}, K {k})");
    }
    forwarded
}

#[test]
fn reads_see_earlier_writes_only_with_the_write_register() {
    for (c, k, words, seed) in [(4, 4, 8, 1u64), (4, 1, 8, 2), (2, 2, 16, 3), (1, 1, 32, 4), (8, 4, 4, 5)] {
        let f = run(c, k, words, seed);
        assert!(f > 1000, "C {c}: only {f} reads of the word written the cycle before");
        println!("C {c}, K {k}, {words} words: 4000 cycles equal to the model, {f} reads of the word written the cycle before");
    }
}
