//! A small self-contained design for the board flow, until the processing unit exists: it
//! echoes the UART line (`uart_tx` is `uart_rx` delayed by two flip-flops, so a terminal
//! sees its own characters at any baud rate) and shows a free-running counter on the LEDs.
//! It follows the board top's design contract ([`super::top`]).
//!
//! Contract: after `reset`, `count` is 0 and increments every clock; `leds` = count[31:24];
//! `uart_tx` = `uart_rx` two clocks earlier (1 while in reset, the UART idle level).

use crate::error::Result;
use rust_hdl::prelude::*;

/// Module name of the demo in the generated Verilog.
pub const DEMO_TOP: &str = "llmpu_board_demo";

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct BoardDemo {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub uart_rx: Signal<In, Bit>,
    pub uart_tx: Signal<Out, Bit>,
    pub leds: Signal<Out, Bits<8>>,
    count: DFF<Bits<32>>,
    rx1: DFF<Bit>,
    rx2: DFF<Bit>,
}

impl Logic for BoardDemo {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count, rx1, rx2);
        self.count.d.next = self.count.q.val() + 1;
        self.rx1.d.next = self.uart_rx.val();
        self.rx2.d.next = self.rx1.q.val();
        if self.reset.val() {
            self.count.d.next = 0.into();
            self.rx1.d.next = true;
            self.rx2.d.next = true;
        }
        self.uart_tx.next = self.rx2.q.val();
        self.leds.next = self.count.q.val().get_bits::<8>(24);
    }
}

/// The demo's deduplicated Verilog, module [`DEMO_TOP`].
pub fn verilog() -> Result<String> {
    let mut d = BoardDemo::default();
    Ok(crate::rtl::emit::emit_block(&mut d, DEMO_TOP)?.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verilog_has_the_board_top_contract_ports() {
        let v = verilog().unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
        for p in ["input wire clock", "input wire reset", "input wire uart_rx", "output reg uart_tx", "output reg [7:0] leds"] {
            assert!(v.contains(p), "missing `{p}` in\n{v}");
        }
        assert!(v.contains(&format!("module {DEMO_TOP}(")), "{v}");
    }
}
