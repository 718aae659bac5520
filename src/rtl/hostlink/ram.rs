//! A byte-wide simple dual-port memory, `2^A` deep, with one synchronous write port and one
//! synchronous read port (block RAM on iCE40 and ECP5; yosys infers it from the
//! `reg [7:0] mem [...]` pattern). The host link uses one for the prompt and one for the TX
//! buffer.
//!
//! Contract:
//! 1. At a rising edge with `we` high, `mem[waddr] <= wdata`.
//! 2. At every rising edge, `rdata <= mem[raddr]` (the old contents when the addresses match;
//!    the host link never reads an address in the cycle it writes it).
//! 3. No reset: the contents are undefined until written.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct ByteRam<const A: usize> {
    pub clock: Signal<In, Clock>,
    pub we: Signal<In, Bit>,
    pub waddr: Signal<In, Bits<A>>,
    pub wdata: Signal<In, Bits<8>>,
    pub raddr: Signal<In, Bits<A>>,
    pub rdata: Signal<Out, Bits<8>>,
}

impl<const A: usize> Logic for ByteRam<A> {
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.rdata.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
reg [7:0] mem [0:{last}];

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
