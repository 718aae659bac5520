//! The board top (reset generation, button, LED polarity) holding the board demo, simulated
//! in Verilator at the oscillator clock (no PLL primitive to simulate): iCEBreaker's top with
//! its active-low button and LEDs. Checks the demo's contract (src/boards/demo.rs) through
//! the top: reset is held for the power-on count, then `uart_tx` is `uart_rx` two clocks
//! late on random bits; pressing the button resets (the line idles high); the LEDs show the
//! counter's top byte inverted (all off for the first 2^24 cycles).

use llmpu::boards::top::{board_top_verilog, BOARD_TOP};
use llmpu::boards::{demo, Board};
use llmpu::manifest::Port;
use llmpu::sim::{BuildOptions, Design};
use rand::{RngExt, SeedableRng};

#[test]
fn icebreaker_top_with_the_demo() {
    let b: Board = "icebreaker".parse().unwrap();
    let d = Design {
        top: BOARD_TOP.into(),
        sources: vec![
            ("board_top.v".into(), board_top_verilog(&b, demo::DEMO_TOP, None)),
            ("demo.v".into(), demo::verilog().unwrap()),
        ],
        ports: vec![
            Port::input("clk", 1, "oscillator"),
            Port::input("btn", 1, "reset button, active low"),
            Port::input("uart_rx", 1, "from host"),
            Port::output("uart_tx", 1, "to host"),
            Port::output("led", 2, "active low"),
        ],
        clock: "clk".into(),
    };
    let model = d.build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let seed = 8;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut s = model.sim(seed);
    s.set("btn", 1).unwrap();
    s.set("uart_rx", 0).unwrap();
    // During the power-on reset the demo holds the line idle (1) although rx is 0.
    for cycle in 0..17 {
        s.tick();
        if cycle >= 2 {
            assert_eq!(s.get("uart_tx").unwrap(), 1, "cycle {cycle}: line not idle in reset (seed {seed})");
        }
    }
    // Echo: after the reset, tx is rx two ticks earlier.
    let mut sent = Vec::new();
    for cycle in 0..400 {
        let bit = rng.random_range(0..2u64);
        s.set("uart_rx", bit).unwrap();
        sent.push(bit);
        s.tick();
        if cycle >= 3 {
            assert_eq!(s.get("uart_tx").unwrap(), sent[cycle - 1], "echo at cycle {cycle} (seed {seed})");
        }
        assert_eq!(s.get("led").unwrap(), 0b11, "LEDs are active low and the counter is small");
    }
    // Button pressed: two synchroniser stages, then reset, then the idle line.
    s.set("btn", 0).unwrap();
    s.set("uart_rx", 0).unwrap();
    for _ in 0..6 {
        s.tick();
    }
    assert_eq!(s.get("uart_tx").unwrap(), 1, "button press resets the demo");
    s.set("btn", 1).unwrap();
    for _ in 0..6 {
        s.tick();
    }
    assert_eq!(s.get("uart_tx").unwrap(), 0, "released: echoes rx again");
}
