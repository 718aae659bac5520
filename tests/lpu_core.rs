//! The processing unit's hardware: its rust-hdl blocks lint clean and the core runs MicroGPT
//! in Verilator token for token equal to `lpu::reference`.

use llmpu::rtl::lint::lint_yosys;
use llmpu::rtl::lpu::{adapter_verilog, add_verilog, controller_verilog};

fn lint(name: &str, text: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join(format!("{name}.v"));
    std::fs::write(&f, format!("/* verilator lint_off DECLFILENAME */\n{text}")).expect("write");
    let files = vec![f];
    lint_yosys(&files, name).unwrap_or_else(|e| panic!("{name}: {e}"));
}

#[test]
fn leaves_pass_the_yosys_check() {
    lint("lpu_ctl", &controller_verilog("lpu_ctl").unwrap().text);
    lint("lpu_add", &add_verilog("lpu_add").unwrap().text);
    lint("lpu_ad4", &adapter_verilog("lpu_ad4", 4).unwrap().text);
    lint("lpu_ad1", &adapter_verilog("lpu_ad1", 1).unwrap().text);
    assert_eq!(adapter_verilog("x", 17).unwrap_err().to_string(), "lanes x head_dim 17 is not allowed (allowed: 1..=16, 24, 32, 48 or 64)");
}

use llmpu::cli::model::ModelArgs;
use llmpu::lpu::reference::{generate, GenRequest};
use llmpu::lpu::{Compiled, LpuConfig, LpuParams};
use llmpu::model::QuantModel;
use llmpu::numeric::{Temperature, XorShift32};
use llmpu::sim::lpu::{build, compare, run};
use llmpu::sim::BuildOptions;

fn microgpt() -> QuantModel {
    QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap()
}

fn compiled(q: &QuantModel, r: usize, c: usize) -> Compiled {
    Compiled::new(&LpuConfig::try_from(LpuParams::new(q.cfg, r, c, "ecp5-85k")).unwrap(), q).unwrap()
}

#[test]
fn microgpt_4x4_tokens_mode_matches_the_reference() {
    let q = microgpt();
    let c = compiled(&q, 4, 4);
    let model = build(&c, &BuildOptions::default()).unwrap();
    let mut sim = model.sim(1);
    let req = GenRequest { seed: XorShift32::new(7).0, temp_k: Temperature::try_from(0.5).unwrap().k, count: 200, names: false, quiet: false, prompt: vec![] };
    let want = generate(&q, &req).unwrap();
    let got = run(&mut sim, &req, |_| true, 10_000_000).unwrap();
    eprintln!("{:?} cycles {} mean {:.1} first {:?}", String::from_utf8_lossy(&got.gen.text), got.cycles, got.mean_step(), got.step_cycles.first());
    compare(&want, &got).unwrap();
}
