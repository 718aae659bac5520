//! The small pure functions of `llmpu bench`: size lists and their errors, workloads,
//! tokens/s arithmetic, number and date formatting.

use llmpu::bench::report::grouped;
use llmpu::bench::run::{parse_sizes, tokens_per_s, Size, Workload};
use llmpu::lpu::Engine;
use llmpu::bench::sweep::format_utc;

#[test]
fn sizes_parse_and_errors_are_pinned() {
    assert_eq!(parse_sizes("1x1,2x2, 16X16").unwrap(), vec![Size::new(1, 1), Size::new(2, 2), Size::new(16, 16)]);
    assert_eq!(parse_sizes("4x2").unwrap(), vec![Size::new(4, 2)]);
    let e = |s: &str| parse_sizes(s).unwrap_err().to_string();
    assert_eq!(e("3x3"), "size '3x3' is not allowed (allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)");
    assert_eq!(e("4"), "size '4' is not allowed (allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)");
    assert_eq!(e("32x32"), "size '32x32' is not allowed (allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)");
    assert_eq!(e("1x1,,2x2"), "sizes '1x1,,2x2' is not allowed (a comma-separated list of sizes, allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)");
    assert_eq!(e(""), "sizes '' is not allowed (a comma-separated list of sizes, allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)");
    assert_eq!(e("2x2,2x2"), "sizes '2x2,2x2' is not allowed (each size once (2x2 is repeated))");
    // Attention lanes: `RxClL`, shown the same way; one lane is the plain size.
    let z = parse_sizes("8x8l2, 4X4L1,4x4l4").unwrap();
    assert_eq!(z, vec![Size { rows: 8, cols: 8, lanes: 2, ..Size::new(8, 8) }, Size::new(4, 4), Size { lanes: 4, ..Size::new(4, 4) }]);
    assert_eq!(z.iter().map(|s| s.to_string()).collect::<Vec<_>>(), ["8x8l2", "4x4", "4x4l4"]);
    assert_eq!((z[0].lanes_tag('_'), z[1].lanes_tag('_'), z[0].lanes_tag('-')), ("_l2".to_string(), String::new(), "-l2".to_string()));
    let b = parse_sizes("8x8l2b4,4x4b2").unwrap();
    assert_eq!(b.iter().map(|s| (s.to_string(), s.batch, s.report_tag('-'))).collect::<Vec<_>>(), [("8x8l2b4".to_string(), 4, "-l2-b4".to_string()), ("4x4b2".to_string(), 2, "-b2".to_string())]);
    assert!(e("4x4b3").starts_with("size '4x4b3' is not allowed (allowed: RxC"));
    assert_eq!(e("8x8l0"), "size '8x8l0' is not allowed (allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)");
    assert_eq!(e("8x8l"), "size '8x8l' is not allowed (allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)");
    // The compact engine: `1x1c`, only at 1x1 with one lane and no batch.
    let c = parse_sizes("1x1c,1x1").unwrap();
    assert_eq!(c, vec![Size::new(1, 1).with_engine(Engine::Compact), Size::new(1, 1)]);
    assert_eq!((c[0].to_string(), c[0].report_tag('-'), c[1].report_tag('-')), ("1x1c".to_string(), "-compact".to_string(), String::new()));
    for bad in ["2x2c", "1x1l2c", "1x1b2c", "c", "1x1cc"] {
        assert!(e(bad).starts_with(&format!("size '{bad}' is not allowed (allowed: RxC")), "{bad}: {}", e(bad));
    }
    assert_eq!(e("4x4,4x4l1"), "sizes '4x4,4x4l1' is not allowed (each size once (4x4 is repeated))");
}

#[test]
fn tokens_per_s_is_fmax_over_cycles() {
    assert_eq!(tokens_per_s(50.0, 1000.0), Some(50_000.0));
    assert_eq!(tokens_per_s(56.25, 1102.94).map(|t| t.round()), Some(51_000.0));
    assert_eq!(tokens_per_s(0.0, 100.0), None);
    assert_eq!(tokens_per_s(50.0, 0.0), None);
    assert_eq!(tokens_per_s(f64::NAN, 10.0), None);
}

#[test]
fn workload_errors_are_pinned() {
    assert_eq!(Workload::new(199, 0.5, 1).unwrap_err().to_string(), "tokens 199 is not allowed (allowed: 200..=10000)");
    assert_eq!(Workload::new(200, 0.5, 0).unwrap_err().to_string(), "seed 0 is not allowed (allowed: 1 or more)");
    assert_eq!(Workload::new(200, 20.0, 1).unwrap_err().to_string(), "temperature 20 is not allowed (allowed: 0 (greedy) or 0.1..=10)");
    let r = Workload::new(200, 0.0, 7).unwrap().request().unwrap();
    assert_eq!((r.count, r.names, r.temp_k), (200, false, 0));
}

#[test]
fn grouped_numbers() {
    assert_eq!(grouped(0.0), "0");
    assert_eq!(grouped(999.4), "999");
    assert_eq!(grouped(1000.0), "1,000");
    assert_eq!(grouped(51_000.0), "51,000");
    assert_eq!(grouped(1_234_567.8), "1,234,568");
    assert_eq!(grouped(-1234.0), "-1,234");
}

#[test]
fn utc_dates() {
    assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
    assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
    assert_eq!(format_utc(1_795_437_000), "2026-11-23 12:30 UTC");
}
