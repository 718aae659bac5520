//! The ROM store in Verilator: every address of every bank of the MicroGPT store reads back
//! the quantized model's bytes; a flipped bit in the image is caught and named; random reads
//! with enables and resets follow the store's cycle model.

use llmpu::model::{load_model, QuantModel};
use llmpu::rtl::rom::readback::{compare, random_reads, read_all, rtl_design};
use llmpu::rtl::rom::{MemoryMap, RomConfig, RomImage};
use llmpu::sim::BuildOptions;

fn model() -> QuantModel {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json");
    QuantModel::from_float(&load_model(&p, None).expect("default checkpoint loads")).expect("quantizes")
}

#[test]
fn every_address_of_every_bank_equals_the_model() {
    let q = model();
    let lanes = 4;
    let cfg = RomConfig::new(lanes).unwrap();
    let map = MemoryMap::of_model(&cfg, &q).unwrap();
    let image = RomImage::build(&map, &q);
    let sim_model = rtl_design(&cfg, &map, &image).unwrap().build(&BuildOptions::default()).expect("verilator build");
    let mut sim = sim_model.sim(lanes as u64);
    let got = read_all(&mut sim, &map).unwrap();
    assert_eq!(got.len(), lanes as usize + 1);
    assert_eq!(got[0].len(), map.depth);
    compare(&image, &got, &map).unwrap_or_else(|e| panic!("{lanes} lanes: {e}"));
    random_reads(&mut sim, &map, &image, 7 + lanes as u64, 3000).unwrap();
}

#[test]
fn one_flipped_bit_is_detected_and_named() {
    let q = model();
    let cfg = RomConfig::new(4).unwrap();
    let map = MemoryMap::of_model(&cfg, &q).unwrap();
    let image = RomImage::build(&map, &q);
    let wq = map.tensor("layer0.attn_wq").unwrap();
    // w[9][7] of attn_wq: lane 9 % 4 = 1, address base + 2 * 16 + 7.
    let (lane, addr) = map.locate(wq, 9, 7);
    assert_eq!((lane, addr), (1, wq.base + 39));
    let mut bad = image.clone();
    bad.banks[lane].words[addr] ^= 1 << 5;
    let sim_model = rtl_design(&cfg, &map, &bad).unwrap().build(&BuildOptions::default()).expect("verilator build");
    let got = read_all(&mut sim_model.sim(1), &map).unwrap();
    let e = compare(&image, &got, &map).unwrap_err().to_string();
    let (want, read) = (image.banks[lane].words[addr], bad.banks[lane].words[addr]);
    assert_eq!(
        e,
        format!("simulation mismatch: bank w1 address {addr} (layer0.attn_wq[9][7]) reads 8'h{read:02x}, the model has 8'h{want:02x}; 1 word(s) differ")
    );
    // A flip in the requant bank is named the same way (read data edited, no second build).
    let mut got = got;
    got[lane][addr] = want;
    got[4][0] ^= 1 << 20;
    let e = compare(&image, &got, &map).unwrap_err().to_string();
    assert!(e.starts_with("simulation mismatch: bank rq address 0 (requant of wte row 0) reads 24'h"), "{e}");
}
