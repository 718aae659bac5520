//! One column of the KV cache: a 16-bit wide, `2^A` deep simple dual-port memory with one
//! synchronous write port and one synchronous read port (block RAM on iCE40 and ECP5; yosys
//! infers it from the `reg [15:0] mem [...]` pattern). The unit has one per lane, per head
//! element, for keys and for values: element `d` of head `g * lanes + l` at position `t` is at
//! address `g * 2^pos_bits + t` of memory (lane `l`, element `d`).
//!
//! Contract:
//! 1. At a rising edge with `we` high, `mem[waddr] <= wdata`.
//! 2. At every rising edge, `rdata <= mem[raddr]` (read-before-write when the addresses match;
//!    the unit never reads and writes in the same cycle).
//! 3. No reset: the contents are undefined until written (the unit reads only positions below
//!    its cache length).

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct KvRam<const A: usize> {
    pub clock: Signal<In, Clock>,
    pub we: Signal<In, Bit>,
    pub waddr: Signal<In, Bits<A>>,
    pub wdata: Signal<In, Bits<16>>,
    pub raddr: Signal<In, Bits<A>>,
    pub rdata: Signal<Out, Bits<16>>,
}

impl<const A: usize> Logic for KvRam<A> {
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.rdata.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
reg [15:0] mem [0:{last}];

always @(posedge clock) begin
    if (we) begin
        mem[waddr] <= wdata;
    end
    rdata <= mem[raddr];
end
",
            last = (1usize << A) - 1
        ))
    }
}
