//! The store's top module: the weight banks (one per row of a word, or per 8 bytes of it) and
//! the requant bank, all addressed together, behind two read ports. Only wiring is generated
//! here; the banks are [`super::bank`].
//!
//! ```text
//!                +-----------------------------------------+
//!   clock ------>|                                         |
//!   reset ------>|  llmpu_rom_lL                            |
//!   en --------->|  bank w0 .. w(B-1): D x 8G bit          |--> data [R*C*8]
//!   addr [AB] -->|                                         |--> valid
//!   rq_en ------>|  bank rq: RD x 24 bit                   |--> rq_data [24]
//!   rq_addr [RB]>|                                         |--> rq_valid
//!                +-----------------------------------------+
//! ```
//!
//! Contract (the cycle model is [`super::image::StoreModel`]):
//! 1. Read latency is one cycle: after a rising edge with `en` high, `data` holds the `R x C`
//!    word at `addr`, byte lane `l = r*C + c` in bits `[8l +: 8]`, and `valid` is high. With `en` low, `data` holds its
//!    value and `valid` is low. `addr` past the depth D reads undefined data.
//! 2. The requant port works the same way on its own address (`rq_en`, `rq_addr`, `rq_data`,
//!    `rq_valid`); both ports can read every cycle.
//! 3. `reset` (synchronous, active high) clears `valid` and `rq_valid` only.
//! 4. Addresses are those of the memory map in the manifest (`extra.memory_map`).

use super::image::RomImage;
use super::map::MemoryMap;
use super::RomConfig;
use crate::manifest::Port;

/// Ports of the top, in declaration order (also written to the manifest).
pub fn ports(cfg: &RomConfig, map: &MemoryMap) -> Vec<Port> {
    vec![
        Port::input("clock", 1, "clock; everything changes on its rising edge"),
        Port::input("reset", 1, "synchronous, active high; clears valid and rq_valid"),
        Port::input("en", 1, "read the weight banks at addr on this edge"),
        Port::input("addr", map.addr_bits, &format!("weight address, 0..{} (see the memory map)", map.depth - 1)),
        Port::output("data", cfg.data_bits(), "lane i's int8 at bits [8i+7:8i] (lane = row * cols + col of the word), one cycle after en"),
        Port::output("valid", 1, "data was read on the previous edge"),
        Port::input("rq_en", 1, "read the requant bank at rq_addr on this edge"),
        Port::input("rq_addr", map.rq_addr_bits, &format!("requant address, 0..{}", map.rq_depth - 1)),
        Port::output("rq_data", super::config::RQ_BITS, "requant word: mult in bits 15..0, shift in 21..16, one cycle after rq_en"),
        Port::output("rq_valid", 1, "rq_data was read on the previous edge"),
    ]
}

/// Module name of bank `name` (`w0`, ..., `rq`).
pub fn bank_module(cfg: &RomConfig, name: &str) -> String {
    format!("{}_{name}", cfg.top_name())
}

/// The top module text.
pub fn top_verilog(cfg: &RomConfig, map: &MemoryMap, image: &RomImage) -> String {
    let top = cfg.top_name();
    let mut v = format!("module {top}(\n");
    let decls: Vec<String> = ports(cfg, map)
        .iter()
        .map(|p| {
            let dir = match p.direction {
                crate::manifest::Direction::Input => "input  wire",
                crate::manifest::Direction::Output if p.name.ends_with("valid") => "output reg ",
                crate::manifest::Direction::Output => "output wire",
            };
            let range = if p.width > 1 { format!("[{}:0] ", p.width - 1) } else { String::new() };
            format!("    {dir} {range}{}", p.name)
        })
        .collect();
    v += &decls.join(",\n");
    v += "\n);\n";
    let nb = image.weight_banks();
    for (i, b) in image.banks.iter().enumerate() {
        let (en, addr, data) = if i < nb {
            let w = b.width as usize;
            ("en", "addr", format!("data[{}:{}]", w * i + w - 1, w * i))
        } else {
            ("rq_en", "rq_addr", "rq_data".to_string())
        };
        v += &format!("    {} {}(.clock(clock), .en({en}), .addr({addr}), .data({data}));\n", bank_module(cfg, &b.name), b.name);
    }
    v += "    always @(posedge clock) begin\n        valid <= en & ~reset;\n        rq_valid <= rq_en & ~reset;\n    end\n";
    v += &format!("endmodule // {top}\n");
    v
}
