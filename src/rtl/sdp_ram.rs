//! A simple dual-port memory, `W` bits wide and `2^A` deep, with one synchronous write port and
//! one synchronous read port (block RAM on iCE40 and ECP5, or LUT RAM when small; yosys infers it
//! from the `reg [W-1:0] mem [...]` pattern). Hand-written Verilog (a memory, as the style
//! allows): rust-hdl has no inferable memory with this behaviour.
//!
//! Contract:
//! 1. At a rising edge with `we` high, `mem[waddr] <= wdata`.
//! 2. At every rising edge, `rdata <= mem[raddr]` (the old contents when the addresses match:
//!    read-before-write).
//! 3. No reset: the contents are undefined until written.
//!
//! Users: the KV cache columns ([`crate::rtl::attention::kv::KvRam`], 16 bits), the host link's
//! prompt and TX buffers ([`crate::rtl::hostlink::ram::ByteRam`], 8 bits) and the Sampler's
//! cumulative-sum banks ([`crate::rtl::lpu::sampler::CumRam`], 32 bits).

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct SdpRam<const W: usize, const A: usize> {
    pub clock: Signal<In, Clock>,
    pub we: Signal<In, Bit>,
    pub waddr: Signal<In, Bits<A>>,
    pub wdata: Signal<In, Bits<W>>,
    pub raddr: Signal<In, Bits<A>>,
    pub rdata: Signal<Out, Bits<W>>,
}

impl<const W: usize, const A: usize> Logic for SdpRam<W, A> {
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.rdata.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
reg [{msb}:0] mem [0:{last}];

always @(posedge clock) begin
    if (we) begin
        mem[waddr] <= wdata;
    end
    rdata <= mem[raddr];
end
",
            msb = W - 1,
            last = (1usize << A) - 1
        ))
    }
}
