//! The matrix unit's top module: structural Verilog (only wiring is generated here) with the
//! controller, per row `C` [`super::leaves::Mac`] in pairs feeding a tree of
//! [`crate::rtl::arith::Add`]`<32>` (C a power of two), one
//! [`super::leaves::Acc`] per row (their hold registers chained row `R-1` -> row 0, and row
//! `r + W` -> row `r` for the wide mode) and `W` requantisers, requantiser `j` on row `j`'s hold
//! register. Ports: [`ports`].

use super::{MatvecConfig, LEAVES};
use crate::manifest::{Direction, Port};
use std::fmt::Write;

/// The top's ports in declaration order (the LPU contract's names).
pub fn ports(cfg: &MatvecConfig) -> Vec<Port> {
    let (r, c, w) = (cfg.rows, cfg.cols, cfg.write);
    vec![
        Port::input("clock", 1, "clock; everything changes on its rising edge"),
        Port::input("reset", 1, "synchronous, active high: stops a running product"),
        Port::input("start", 1, "one-cycle pulse: compute y = W x for the tensor described by the inputs below (held until done)"),
        Port::input("w_base", 16, "first weight word of the tensor (its memory-map base)"),
        Port::input("rq_base", 16, "requant word of the tensor's row 0 (its memory-map rq_base)"),
        Port::input("rows", 16, "rows of the tensor (outputs), >= 1"),
        Port::input("chunks", 16, &format!("words per tile, ceil(cols / {c}), >= 1")),
        Port::input("src", 16, &format!("element address of x, a multiple of {c}")),
        Port::input("dst", 16, "element address of y: row r is written to dst + r"),
        Port::input("relu", 1, "write max(0, y) instead of y"),
        Port::input("acc", 1, "accumulate: write sat16(old + y), old the element at dst + r (read through a_ren the cycle before)"),
        Port::input("wide", 1, &format!("write {w} rows per cycle through k_we (dst a multiple of {w}; the last write holds the rows left); 0: one row per cycle through a_we")),
        Port::input("tag", 2, "the product's tag (the batched core: its sequence), returned with its rows as rtag and wtag"),
        Port::output("busy", 1, "a product runs (cycle after start to done)"),
        Port::output("ready", 1, "a start is allowed in a cycle with ready high, also before the running product's done (its reads are issued and its last rows nearly captured); the inputs are read until ready rises, done goes with the product's last write"),
        Port::output("rtag", 2, "the tag of the product whose a_ren this cycle is"),
        Port::output("wtag", 2, "the tag of the product whose write (and done) this cycle is"),
        Port::output("done", 1, "one-cycle pulse with the last write"),
        Port::output("w_en", 1, "read the weight word at w_addr"),
        Port::output("w_addr", 16, "weight word address"),
        Port::input("w_data", r * c * 8, &format!("weight word, the cycle after w_en: lane r*{c} + c at bits [8 lane +: 8]")),
        Port::output("rq_en", 1, "read the requant word at rq_addr"),
        Port::output("rq_addr", 16, "requant word address"),
        Port::input("rq_data", w * 24, &format!("requant words rq_addr + j (j < {w}) at bits [24j +: 24], the cycle after rq_en (only j = 0 unless wide): mult bits 15..0, shift bits 21..16")),
        Port::output("s_en", 1, "read the scratchpad word at s_addr"),
        Port::output("s_addr", 16, &format!("scratchpad word address (element address / {c})")),
        Port::input("s_data", c * 16, "scratchpad word, the cycle after s_en: bank c at bits [16c +: 16]"),
        Port::output("a_we", 1, "write a_wdata[15:0] to element a_waddr at this edge"),
        Port::output("k_we", 1, &format!("wide: write a_wdata (row j at bits [16j +: 16]) to elements a_waddr .. a_waddr + {} at this edge", w - 1)),
        Port::output("k_wm", w, "wide: lane j of the k_we write is a row of the tensor (bit j; the last write's lanes past the tensor's last row are low)"),
        Port::output("a_waddr", 16, "element address of the write"),
        Port::output("a_wdata", w * 16, "the rows' results (one row: bits 15..0)"),
        Port::output("a_ren", 1, "read element a_raddr (acc only: the destination of the next write)"),
        Port::output("a_raddr", 16, "element address of the read"),
        Port::input("a_rdata", w * 16, "the elements a_raddr + j at bits [16j +: 16], the cycle after a_ren (only j = 0 unless wide)"),
    ]
}

/// The module name of the `n`-bit pipeline register leaf ([`crate::rtl::arith::Pipe`]).
pub fn pipe_name(n: usize) -> String {
    format!("llmpu_mv_pipe{n}")
}

/// The widths of the pipeline registers the top instantiates: the weight word (`8 R C`), the x
/// chunk (`16 C`) and the pair sums (32).
pub fn pipe_widths(cfg: &MatvecConfig) -> [usize; 3] {
    [8 * (cfg.rows * cfg.cols) as usize, 16 * cfg.cols as usize, 32]
}

/// The top module text.
pub fn top_verilog(cfg: &MatvecConfig) -> String {
    let name = cfg.top_name();
    let ports = ports(cfg);
    let (r, c, w) = (cfg.rows as usize, cfg.cols as usize, cfg.write as usize);
    let mut s = String::new();
    let _ = writeln!(s, "// Matrix unit y = W x, {r} x {c} words, generated by llmpu. Contract: docs/lpu.md (Matrix unit).");
    let list: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
    let _ = writeln!(s, "module {name}({});", list.join(", "));
    for p in &ports {
        let dir = match p.direction {
            Direction::Input => "input",
            Direction::Output => "output",
        };
        if p.width == 1 {
            let _ = writeln!(s, "    {dir} wire {};", p.name);
        } else {
            let _ = writeln!(s, "    {dir} wire [{}:0] {};", p.width - 1, p.name);
        }
    }
    // The controller's lane mask has 16 bits; the unit uses W of them.
    s.push_str("    wire v, first, last, cap, qwide, wrelu, wacc;\n    /* verilator lint_off UNUSED */\n    wire [15:0] kwm;\n    /* verilator lint_on UNUSED */\n");
    let _ = writeln!(s, "    assign k_wm = kwm[{}:0];", w - 1);
    let _ = writeln!(
        s,
        "    {} ctrl(.clock(clock), .reset(reset), .start(start), .w_base(w_base), .rq_base(rq_base), .rows(rows), .chunks(chunks), .src(src), .dst(dst), .rr(16'd{r}), .lg_c(8'd{}), .acc(acc), .wide(wide), .ww(16'd{w}), .gg(16'd{g}), .relu(relu), .tag(tag), .busy(busy), .ready(ready), .rtag(rtag), .wtag(wtag), .qwide(qwide), .wrelu(wrelu), .wacc(wacc), .done(done), .w_en(w_en), .w_addr(w_addr), .s_en(s_en), .s_addr(s_addr), .rq_en(rq_en), .rq_addr(rq_addr), .a_we(a_we), .k_we(k_we), .k_wm(kwm), .a_waddr(a_waddr), .a_ren(a_ren), .a_raddr(a_raddr), .v(v), .first(first), .last(last), .cap(cap));",
        LEAVES.ctrl,
        cfg.lg_c(),
        g = r / w
    );
    // The operands registered before the multipliers (the weight store's and the scratchpad's
    // read data would otherwise run through the products and the adder tree in one cycle).
    let _ = writeln!(
        s,
        "    wire [{}:0] w_q;\n    wire [{}:0] x_q;\n    {} w_reg(.clock(clock), .d(w_data), .q(w_q));\n    {} x_reg(.clock(clock), .d(s_data), .q(x_q));",
        r * c * 8 - 1,
        c * 16 - 1,
        pipe_name(r * c * 8),
        pipe_name(c * 16)
    );
    for row in 0..r + w {
        let _ = writeln!(s, "    wire [31:0] hold_{row};");
    }
    for row in r..r + w {
        let _ = writeln!(s, "    assign hold_{row} = 32'd0;");
    }
    for row in 0..r {
        let _ = writeln!(s, "\n    // Row {row} of a tile: weights at lanes {} .. {}.", row * c, row * c + c - 1);
        // Level 0: the products in pairs (mac 2i + mac 2i+1), m_{row}_i, registered as t_{row}_0_i.
        let pairs = c.div_ceil(2);
        for i in 0..pairs {
            let _ = writeln!(s, "    wire [31:0] p_{row}_{i}, m_{row}_{i}, t_{row}_0_{i};");
            for k in [2 * i, 2 * i + 1].into_iter().filter(|&k| k < c) {
                let l = row * c + k;
                let (sin, sout) = if k % 2 == 0 { ("32'd0".to_string(), format!("p_{row}_{i}")) } else { (format!("p_{row}_{i}"), format!("m_{row}_{i}")) };
                let _ = writeln!(
                    s,
                    "    {} mac_{row}_{k}(.w(w_q[{}:{}]), .x(x_q[{}:{}]), .sin({sin}), .sout({sout}));",
                    LEAVES.mac,
                    8 * l + 7,
                    8 * l,
                    16 * k + 15,
                    16 * k
                );
            }
            if c == 1 {
                let _ = writeln!(s, "    assign m_{row}_0 = p_{row}_0;");
            }
            // The pair's sum registered (the multipliers and the adder tree are not in one cycle).
            let _ = writeln!(s, "    {} pair_{row}_{i}(.clock(clock), .d(m_{row}_{i}), .q(t_{row}_0_{i}));", pipe_name(32));
        }
        // Levels 1..: a tree of adders, t_{row}_{lv}_i = t_{row}_{lv-1}_{2i} + t_{row}_{lv-1}_{2i+1}.
        let (mut n, mut lv) = (pairs, 0);
        while n > 1 {
            for i in 0..n / 2 {
                let _ = writeln!(s, "    wire [31:0] t_{row}_{}_{i};", lv + 1);
                let _ = writeln!(
                    s,
                    "    {} add_{row}_{}_{i}(.a(t_{row}_{lv}_{}), .b(t_{row}_{lv}_{}), .s(t_{row}_{}_{i}));",
                    LEAVES.add,
                    lv + 1,
                    2 * i,
                    2 * i + 1,
                    lv + 1
                );
            }
            n /= 2;
            lv += 1;
        }
        let _ = writeln!(
            s,
            "    {} acc_{row}(.clock(clock), .v(v), .first(first), .last(last), .cap(cap), .dot(t_{row}_{lv}_0), .hin(hold_{}), .wide(qwide), .hinw(hold_{}), .hold(hold_{row}));",
            LEAVES.acc,
            row + 1,
            row + w
        );
    }
    s.push('\n');
    for j in 0..w {
        let _ = writeln!(
            s,
            "    {} rq_{j}(.clock(clock), .cap(cap), .h0(hold_{j}), .rq_data(rq_data[{}:{}]), .relu(wrelu), .acc(wacc), .res(a_rdata[{}:{}]), .y(a_wdata[{}:{}]));",
            LEAVES.rq,
            24 * j + 23,
            24 * j,
            16 * j + 15,
            16 * j,
            16 * j + 15,
            16 * j
        );
    }
    let _ = writeln!(s, "endmodule // {name}");
    s
}
