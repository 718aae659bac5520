//! Snapshots of the ROM tables of the numeric module and of the default model's integer
//! constants, so every change to what the hardware holds shows in review.

use llmpu::model::{load_model, QuantModel};
use llmpu::numeric::{EXP2_TABLE, RECIP_TABLE, RSQRT_TABLE};

fn rows(t: &[u16]) -> String {
    t.chunks(16).map(|c| c.iter().map(|v| format!("{v:5}")).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("\n")
}

#[test]
fn rom_tables() {
    insta::assert_snapshot!("exp2_table", rows(&EXP2_TABLE[..]));
    insta::assert_snapshot!("recip_table", rows(&RECIP_TABLE[..]));
    insta::assert_snapshot!("rsqrt_table", rows(&RSQRT_TABLE[..]));
}

#[test]
fn default_model_integer_constants() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json");
    let q = QuantModel::from_float(&load_model(&p, None).unwrap()).unwrap();
    let mut s = format!("formats {:?}\nnorm_embed {:?}\nnorm {:?}\nscore_shift {}\n", q.fmt, q.norm_embed, q.norm, q.score_shift);
    for t in [&q.wte, &q.wpe, &q.lm_head].into_iter().chain(q.layers.iter().flat_map(|l| [&l.wq, &l.wk, &l.wv, &l.wo, &l.fc1, &l.fc2])) {
        let sum: i64 = t.data.iter().map(|&w| w as i64).sum();
        s.push_str(&format!("{} {}x{} weight-sum {} requant (mult, shift):", t.name, t.rows, t.cols, sum));
        for r in &t.rq {
            s.push_str(&format!(" ({}, {})", r.mult, r.shift));
        }
        s.push('\n');
    }
    insta::assert_snapshot!("default_model_constants", s);
}

#[test]
fn golden_trace_of_bos_emma() {
    // The integer logits after each token of "[BOS] emma": any change to a rounding rule shows here.
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json");
    let m = load_model(&p, None).unwrap();
    let q = QuantModel::from_float(&m).unwrap();
    let mut g = llmpu::model::Golden::new(&q);
    let mut s = String::new();
    for t in m.tok.encode("emma").unwrap() {
        let l = g.step(t).unwrap();
        s.push_str(&format!("{t:2}: {:?}\n", l));
    }
    insta::assert_snapshot!("golden_trace_bos_emma", s);
}
