//! One ROM bank: a `depth x W` read-only memory with its contents loaded in an `initial`
//! block (either `$readmemh` of a `.hex` file beside the Verilog, or inline literals, see
//! [`Contents`]), read synchronously so Yosys maps it to block RAM (iCE40 SB_RAM40_4K, ECP5 DP16KD)
//! with the contents kept as the RAM's initial value.
//!
//! ```text
//!            +--------------------------+
//!  clock --->| reg [W-1:0] mem[0:D-1]   |
//!  en ------>|  (initial: the image)    |--> data (W, registered)
//!  addr (A)->|                          |
//!            +--------------------------+
//! ```
//!
//! Contract:
//! 1. On a rising edge of `clock` with `en` high, `data` takes `mem[addr]` (one-cycle read
//!    latency); with `en` low it holds. `data` has no reset (block RAM output registers have
//!    none), its value before the first read is undefined.
//! 2. `addr >= D` reads an undefined value.
//! 3. The body is `Verilog::Custom`; [`RomBank::update`] is the same rule for rust-hdl's own
//!    simulator.
//! 4. With [`Contents::Hex`] the file is [`hex_text`] of the words: one word per line, `W/4`
//!    hex digits, line `i` = address `i`.

use rust_hdl::prelude::*;

/// How a bank's `initial` block gets its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    /// One `mem[i] = W'h..;` per word in the Verilog (no other file; slow for Yosys to parse
    /// beyond about 20k words, see docs/rom.md).
    Inline,
    /// `$readmemh("<path>", mem);` — `path` as the tools should see it: a bare file name is
    /// found by Yosys beside the Verilog file that reads it (or in its working folder), by
    /// Verilator in the simulator's working folder, so simulators get an absolute path.
    Hex(String),
}

/// The `.hex` file of `words` (`width` bits each) as `$readmemh` reads it.
pub fn hex_text(width: usize, words: &[u64]) -> String {
    let digits = width.div_ceil(4);
    let mut s = String::with_capacity(words.len() * (digits + 1));
    for w in words {
        s += &format!("{w:0digits$x}\n");
    }
    s
}

/// A bank of `W`-bit words addressed by `A` bits.
#[derive(LogicBlock)]
pub struct RomBank<const W: usize, const A: usize> {
    pub clock: Signal<In, Clock>,
    pub en: Signal<In, Bit>,
    pub addr: Signal<In, Bits<A>>,
    pub data: Signal<Out, Bits<W>>,
    _words: Vec<u64>,
    _contents: Contents,
}

impl<const W: usize, const A: usize> RomBank<W, A> {
    /// A bank holding `words` (each below 2^W; at most 2^A of them).
    pub fn new(words: Vec<u64>) -> Self {
        Self::with_contents(words, Contents::Inline)
    }

    /// A bank whose `initial` block loads its contents as `contents` says.
    pub fn with_contents(words: Vec<u64>, contents: Contents) -> Self {
        assert!(W <= 64 && words.len() <= 1 << A && !words.is_empty(), "bank geometry checked by the caller");
        RomBank {
            clock: Signal::default(),
            en: Signal::default(),
            addr: Signal::default(),
            data: Signal::default(),
            _words: words,
            _contents: contents,
        }
    }
}

/// The module body with inline contents (see [`body_with`]).
pub fn body(width: usize, words: &[u64]) -> String {
    body_with(width, words, &Contents::Inline)
}

/// The module body: memory, initial contents (inline hex literals or `$readmemh`), registered
/// read.
pub fn body_with(width: usize, words: &[u64], contents: &Contents) -> String {
    let digits = width.div_ceil(4);
    let mut s = String::with_capacity(words.len() * (digits + 24) + 200);
    s += &format!("(* rom_style = \"block\" *) reg [{}:0] mem [0:{}];\n", width - 1, words.len() - 1);
    match contents {
        Contents::Inline => {
            s += "initial begin\n";
            for (i, w) in words.iter().enumerate() {
                s += &format!("    mem[{i}] = {width}'h{w:0digits$x};\n");
            }
            s += "end\n";
        }
        Contents::Hex(path) => s += &format!("initial $readmemh(\"{path}\", mem);\n"),
    }
    s += "always @(posedge clock) begin\n    if (en) data <= mem[addr];\nend";
    s
}

impl<const W: usize, const A: usize> Logic for RomBank<W, A> {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.en.val() {
            let a = self.addr.val().to_u64();
            let w = self._words.get(a as usize).copied().unwrap_or(0);
            self.data.next = Bits::<W>::from(w);
        }
    }

    fn connect(&mut self) {
        self.data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(body_with(W, &self._words, &self._contents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_text() {
        assert_eq!(
            body(8, &[0x05, 0xfe]),
            "(* rom_style = \"block\" *) reg [7:0] mem [0:1];\ninitial begin\n    mem[0] = 8'h05;\n    mem[1] = 8'hfe;\nend\nalways @(posedge clock) begin\n    if (en) data <= mem[addr];\nend"
        );
        assert!(body(24, &[0x12345]).contains("mem[0] = 24'h012345;"));
    }

    #[test]
    fn readmemh_body_and_hex_file() {
        assert_eq!(
            body_with(8, &[0x05, 0xfe], &Contents::Hex("b.hex".into())),
            "(* rom_style = \"block\" *) reg [7:0] mem [0:1];\ninitial $readmemh(\"b.hex\", mem);\nalways @(posedge clock) begin\n    if (en) data <= mem[addr];\nend"
        );
        assert_eq!(hex_text(8, &[0x05, 0xfe]), "05\nfe\n");
        assert_eq!(hex_text(24, &[0x12345, 0]), "012345\n000000\n");
    }

    #[test]
    fn rust_hdl_emits_the_custom_body_with_its_ports() {
        let mut b = RomBank::<8, 2>::new(vec![1, 2, 3]);
        let v = crate::rtl::emit::emit_block(&mut b, "bank").unwrap();
        assert_eq!(v.modules, vec!["bank"]);
        assert!(v.text.contains("input wire  [1:0] addr;"), "{}", v.text);
        assert!(v.text.contains("output reg  [7:0] data;"), "{}", v.text);
        assert!(v.text.contains("mem[2] = 8'h03;"), "{}", v.text);
    }
}
