//! The ROM store through Yosys 0.23: the banks become block RAMs (SB_RAM40_4K on iCE40,
//! DP16KD on ECP5), as many as the fit estimate says, with no logic-cell memory; and the iCE40
//! netlist, simulated in Verilator with Yosys's cell library, reads back the model's bytes.

use llmpu::model::{load_model, QuantModel};
use llmpu::rtl::rom::fit::estimate;
use llmpu::rtl::rom::readback::{compare, netlist_design, random_reads, read_all, synth_netlist};
use llmpu::rtl::rom::{hex_files, verilog_with, MemoryMap, RomConfig, RomImage};
use llmpu::sim::BuildOptions;
use llmpu::synth::target::{Family, Target};

fn model() -> QuantModel {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json");
    QuantModel::from_float(&load_model(&p, None).expect("default checkpoint loads")).expect("quantizes")
}

/// The store as `generate rom` writes it: banks read `.hex` files by bare name (the files are
/// written beside the Verilog by `synth_netlist`).
fn store() -> (RomConfig, MemoryMap, RomImage, String, Vec<(String, String)>) {
    let q = model();
    let cfg = RomConfig::new(4).unwrap();
    let map = MemoryMap::of_model(&cfg, &q).unwrap();
    let image = RomImage::build(&map, &q);
    let (text, _) = verilog_with(&cfg, &map, &image, Some("")).unwrap();
    assert!(text.contains("$readmemh(\"llmpu_rom_l4_w0.hex\", mem);"));
    let hex = hex_files(&cfg, &image);
    (cfg, map, image, text, hex)
}

/// Cells that would mean the memory was not mapped to block RAM.
fn assert_no_soft_memory(s: &llmpu::rtl::rom::readback::Synthesized, top: &str) {
    let m = &s.stat["modules"][format!("\\{top}")];
    assert_eq!(m["num_memories"].as_u64(), Some(0), "a memory was left unmapped: {m}");
    let cells = m["num_cells_by_type"].as_object().expect("cell counts");
    for c in ["$mem", "$mem_v2", "SB_RAM40_4KNR", "TRELLIS_DPR16X4", "DPR16X4C"] {
        assert!(!cells.contains_key(c), "{c} in {cells:?}");
    }
}

#[test]
fn ice40_banks_are_ebr_and_the_netlist_reads_back_the_model() {
    let (cfg, map, image, text, hex) = store();
    let dir = tempfile::tempdir().unwrap();
    let s = synth_netlist(&text, &hex, &cfg.top_name(), Family::Ice40, dir.path()).expect("yosys synth_ice40");
    let top = cfg.top_name();
    let up5k: Target = "ice40-up5k".parse().unwrap();
    let est = estimate(&map, &up5k);
    assert_eq!(est.brams, 14);
    assert_eq!(s.cells(&top, "SB_RAM40_4K"), est.brams as u64, "{}", s.stat);
    assert_no_soft_memory(&s, &top);
    // The output muxes between EBRs of a bank are a few LUTs, not a LUT memory.
    let luts = s.cells(&top, "SB_LUT4");
    assert!(luts < 100, "{luts} LUTs: the contents went into logic? {}", s.stat);

    let sim_model = netlist_design(&cfg, &map, &s.netlist).unwrap().build(&BuildOptions::default()).expect("verilator build of the netlist");
    let mut sim = sim_model.sim(3);
    let got = read_all(&mut sim, &map).unwrap();
    compare(&image, &got, &map).unwrap();
    random_reads(&mut sim, &map, &image, 11, 1000).unwrap();
}

#[test]
fn ecp5_banks_are_dp16kd() {
    let (cfg, map, _, text, hex) = store();
    let dir = tempfile::tempdir().unwrap();
    let s = synth_netlist(&text, &hex, &cfg.top_name(), Family::Ecp5, dir.path()).expect("yosys synth_ecp5");
    let top = cfg.top_name();
    let est = estimate(&map, &"ecp5-85k".parse().unwrap());
    assert_eq!(est.brams, 5);
    assert_eq!(s.cells(&top, "DP16KD"), 5, "{}", s.stat);
    assert_no_soft_memory(&s, &top);
    // The contents are in the DP16KD's INITVAL parameters: the first byte of bank w0 is there.
    assert!(s.netlist.contains(".INITVAL_00("), "no INITVAL in the ECP5 netlist");
}
