//! Every numeric primitive against f64 over its input range, with the stated maximum error.

use llmpu::numeric::*;

#[test]
fn exp2_is_within_one_lsb_over_its_whole_range() {
    let mut worst = 0.0f64;
    // Every input up to where the result is 0, and beyond.
    for d in 0..(20u32 << 8) {
        let exact = 32768.0 * (-(d as f64) / 256.0).exp2();
        worst = worst.max((exp2_neg(d) as f64 - exact).abs());
    }
    assert!(worst <= 1.0, "exp2_neg worst error {worst} LSB");
    assert_eq!(exp2_neg(0), 32768);
    assert_eq!(exp2_neg(u32::MAX), 0);
}

fn inputs() -> Vec<u64> {
    // Exhaustive up to 2^20, then a dense geometric sweep with neighbours up to 2^48.
    let mut v: Vec<u64> = (1..(1u64 << 20)).collect();
    let mut x = 1u64 << 20;
    while x < (1u64 << 48) {
        for d in [0u64, 1, 3, 7] {
            v.push(x + d);
            v.push(x + x / 3 + d);
        }
        x += x / 997 + 1;
    }
    v
}

#[test]
fn recip_relative_error_below_7e_5() {
    let mut worst = 0.0f64;
    for x in inputs() {
        let (m, s) = recip(x);
        let got = m as f64 / 2f64.powi(s as i32);
        worst = worst.max((got * x as f64 - 1.0).abs());
    }
    assert!(worst < 7e-5, "recip worst relative error {worst:e}");
}

#[test]
fn rsqrt_relative_error_below_7_5e_5() {
    let mut worst = 0.0f64;
    for x in inputs() {
        let (m, s) = rsqrt(x);
        let got = m as f64 / 2f64.powi(s as i32);
        worst = worst.max((got * (x as f64).sqrt() - 1.0).abs());
    }
    assert!(worst < 7.5e-5, "rsqrt worst relative error {worst:e}");
}

#[test]
fn rmsnorm_matches_f64_within_2_lsb() {
    let mut rng = XorShift32::new(7);
    for n in [1usize, 4, 16, 17, 64] {
        for (fi, fo) in [(10u32, 10u32), (10, 12), (8, 14)] {
            let k = NormConsts::new(n, fi, fo, 1e-5);
            let mut x = vec![0i16; n];
            let mut y = vec![0i16; n];
            for trial in 0..2000 {
                let amp = 1 + (trial % 15);
                for v in x.iter_mut() {
                    *v = ((rng.next_u32() as i32) >> (16 + 15 - amp)) as i16;
                }
                rmsnorm(&x, &k, &mut y);
                let xr: Vec<f64> = x.iter().map(|&v| v as f64 / 2f64.powi(fi as i32)).collect();
                // eps enters as the documented integer constant eps_term = round(n eps 2^(2 fi)).
                let eps = k.eps_term as f64 / (n as f64 * 4f64.powi(fi as i32));
                let ms = xr.iter().map(|v| v * v).sum::<f64>() / n as f64;
                for i in 0..n {
                    let exact = xr[i] / (ms + eps).sqrt() * 2f64.powi(fo as i32);
                    let exact = exact.clamp(-32768.0, 32767.0);
                    let err = (y[i] as f64 - exact).abs();
                    assert!(err <= 2.0 + exact.abs() * 5e-5, "n {n} fi {fi} fo {fo}: x {x:?} -> {y:?}, elem {i} exact {exact}");
                }
            }
        }
    }
}

#[test]
fn requant_is_round_half_up_and_saturating() {
    let mut rng = XorShift32::new(3);
    for _ in 0..10000 {
        let scale = (rng.next_u32() as f64 / 4294967296.0) * 0.01 + 1e-6;
        let r = Requant::from_real(scale, "t").unwrap();
        assert!((r.factor() / scale - 1.0).abs() <= 1.0 / 32768.0, "scale {scale} -> {r:?}");
        let acc = (rng.next_u32() as i32) as i64 >> 4;
        let exact = acc as f64 * r.factor();
        let got = r.apply(acc) as f64;
        if exact.abs() < 32767.0 {
            assert!(got - exact <= 0.5 && exact - got < 0.5, "acc {acc} r {r:?}: {got} vs {exact}");
        } else {
            assert_eq!(got.abs(), if exact > 0.0 { 32767.0 } else { 32768.0 });
        }
    }
}

#[test]
fn argmax_takes_the_first_largest() {
    assert_eq!(argmax(&[1, 5, 5, -3]), 1);
    assert_eq!(argmax(&[-7]), 0);
    assert_eq!(argmax(&[i16::MIN, i16::MIN]), 0);
}

#[test]
fn xorshift32_matches_the_reference_sequence() {
    // Marsaglia (2003), xorshift32 with (13, 17, 5) from state 1.
    let mut r = XorShift32(1);
    assert_eq!([r.next_u32(), r.next_u32(), r.next_u32()], [270369, 67634689, 2647435461]);
    assert_ne!(XorShift32::new(0).0, 0);
}

#[test]
fn temperature_sampling_follows_the_softmax() {
    // Frequencies of 200k integer samples against softmax(logits / T) in f64.
    let frac = 10;
    let logits: Vec<i16> = [1.0f64, 0.5, -0.3, 2.0, 1.9, -4.0].iter().map(|&l| (l * 1024.0) as i16).collect();
    for t in [0.5f64, 1.0, 2.0] {
        let temp = Temperature::try_from(t).unwrap();
        let mut rng = XorShift32::new(11);
        let mut counts = [0usize; 6];
        let n = 200_000;
        for _ in 0..n {
            counts[sample(&logits, frac, temp, &mut rng)] += 1;
        }
        let z: Vec<f64> = logits.iter().map(|&l| (l as f64 / 1024.0 / t).exp()).collect();
        let s: f64 = z.iter().sum();
        for i in 0..6 {
            let p = z[i] / s;
            let f = counts[i] as f64 / n as f64;
            assert!((f - p).abs() < 0.005, "T {t} token {i}: frequency {f} vs probability {p}");
        }
    }
    assert_eq!(sample(&logits, frac, Temperature::try_from(0.0).unwrap(), &mut XorShift32::new(1)), 3);
    assert_eq!(Temperature::try_from(0.05).unwrap_err().to_string(), "temperature 0.05 is not allowed (allowed: 0 (greedy) or 0.1..=10)");
}
