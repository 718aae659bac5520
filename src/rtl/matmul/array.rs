//! The R x C mesh as a structural Verilog module: input skew chains, the PE grid and the row
//! pick chain, all instances of the rust-hdl leaf blocks of [`super::pe`]. Only wiring is
//! generated here; every register and gate is in a rust-hdl block.
//!
//! Module `<top>_array` ports (I = in_bits, A = acc_bits, W = out_row bits):
//! `clock`, `reset`, `a_in[R*I]`, `b_in[C*I]`, `v_in`, `f_in`, `l_in` (the accepted beat, its
//! flags already qualified by the control), `out_valid`, `out_row[W]`, `c_out[C*A]`.
//!
//! Rules:
//! 1. Row i of `a_in` and the flags pass i [`super::pe::SkewA`] stages, column j of `b_in` j
//!    [`super::pe::SkewB`] stages, so a beat reaches PE(i,j) i+j cycles after it entered.
//! 2. A and the flags move right, B moves down, one PE per cycle.
//! 3. Row i is presented (out_valid, out_row = i, c_out = its C results) in the cycle the
//!    `l` flag of a valid beat leaves PE(i,C-1).

use super::SystolicConfig;
use std::fmt::Write;

/// Module names of the leaf blocks for one configuration.
pub struct LeafNames {
    pub pe: String,
    pub skew_a: String,
    pub skew_b: String,
    pub row_pick: String,
    pub control: String,
}

impl LeafNames {
    pub fn new(cfg: &SystolicConfig) -> Self {
        LeafNames {
            pe: format!("llmpu_pe_i{}a{}", cfg.in_bits, cfg.acc_bits),
            skew_a: format!("llmpu_skewa_i{}", cfg.in_bits),
            skew_b: format!("llmpu_skewb_i{}", cfg.in_bits),
            row_pick: format!("llmpu_rowpick_w{}", cfg.out_row_bits()),
            control: "llmpu_control".into(),
        }
    }
}

pub fn array_name(cfg: &SystolicConfig) -> String {
    format!("{}_array", cfg.top_name())
}

/// The structural mesh module text.
pub fn array_verilog(cfg: &SystolicConfig, leaf: &LeafNames) -> String {
    let (r, c, ib, ab, w) = (cfg.rows, cfg.cols, cfg.in_bits, cfg.acc_bits, cfg.out_row_bits());
    let mut s = String::new();
    let name = array_name(cfg);
    let _ = writeln!(s, "// {r} x {c} output-stationary systolic mesh (structural; leaf logic from rust-hdl).");
    let _ = writeln!(s, "module {name}(clock, reset, a_in, b_in, v_in, f_in, l_in, out_valid, out_row, c_out);");
    let _ = writeln!(s, "    input wire clock;");
    let _ = writeln!(s, "    input wire reset;");
    let _ = writeln!(s, "    input wire [{}:0] a_in;", r * ib - 1);
    let _ = writeln!(s, "    input wire [{}:0] b_in;", c * ib - 1);
    let _ = writeln!(s, "    input wire v_in;");
    let _ = writeln!(s, "    input wire f_in;");
    let _ = writeln!(s, "    input wire l_in;");
    let _ = writeln!(s, "    output wire out_valid;");
    let _ = writeln!(s, "    output wire [{}:0] out_row;", w - 1);
    let _ = writeln!(s, "    output wire [{}:0] c_out;", c * ab - 1);
    // Row skew chains: sa_i_s for s in 0..=i, s = 0 is the input, s = i feeds PE(i,0).
    s.push_str("\n    // Row skew: row i of A and the beat flags pass i registers.\n");
    for i in 0..r {
        for st in 0..=i {
            let _ = writeln!(s, "    wire signed [{}:0] sa_{i}_{st};", ib - 1);
            let _ = writeln!(s, "    wire sv_{i}_{st}, sf_{i}_{st}, sl_{i}_{st};");
        }
        let _ = writeln!(s, "    assign sa_{i}_0 = a_in[{}:{}];", i * ib + ib - 1, i * ib);
        let _ = writeln!(s, "    assign sv_{i}_0 = v_in;");
        let _ = writeln!(s, "    assign sf_{i}_0 = f_in;");
        let _ = writeln!(s, "    assign sl_{i}_0 = l_in;");
        for st in 0..i {
            let n = st + 1;
            let _ = writeln!(
                s,
                "    {} skewa_{i}_{st}(.clock(clock), .reset(reset), .a_in(sa_{i}_{st}), .v_in(sv_{i}_{st}), .f_in(sf_{i}_{st}), .l_in(sl_{i}_{st}), .a_out(sa_{i}_{n}), .v_out(sv_{i}_{n}), .f_out(sf_{i}_{n}), .l_out(sl_{i}_{n}));",
                leaf.skew_a
            );
        }
    }
    s.push_str("\n    // Column skew: column j of B passes j registers.\n");
    for j in 0..c {
        for st in 0..=j {
            let _ = writeln!(s, "    wire signed [{}:0] sb_{j}_{st};", ib - 1);
        }
        let _ = writeln!(s, "    assign sb_{j}_0 = b_in[{}:{}];", j * ib + ib - 1, j * ib);
        for st in 0..j {
            let n = st + 1;
            let _ = writeln!(s, "    {} skewb_{j}_{st}(.clock(clock), .b_in(sb_{j}_{st}), .b_out(sb_{j}_{n}));", leaf.skew_b);
        }
    }
    // PE grid. pa/pv/pf/pl_i_j enter PE(i,j) from the left (j = C leaves the row),
    // pb_i_j enters from above (i = R leaves the column), po_i_j is column j's pick chain.
    s.push_str("\n    // PE grid: A and flags move right, B moves down; po is each column's result pick chain.\n");
    s.push_str("    // The last column's A/first flag and the last row's B leave the mesh unused.\n");
    s.push_str("    /* verilator lint_off UNUSED */\n");
    for i in 0..r {
        for j in 0..=c {
            let _ = writeln!(s, "    wire signed [{}:0] pa_{i}_{j};", ib - 1);
            let _ = writeln!(s, "    wire pv_{i}_{j}, pf_{i}_{j}, pl_{i}_{j};");
        }
    }
    for i in 0..=r {
        for j in 0..c {
            let _ = writeln!(s, "    wire signed [{}:0] pb_{i}_{j};", ib - 1);
            let _ = writeln!(s, "    wire signed [{}:0] po_{i}_{j};", ab - 1);
        }
    }
    s.push_str("    /* verilator lint_on UNUSED */\n");
    for i in 0..r {
        let _ = writeln!(s, "    wire sel_{i};");
    }
    for i in 0..r {
        let _ = writeln!(s, "    assign pa_{i}_0 = sa_{i}_{i};");
        let _ = writeln!(s, "    assign pv_{i}_0 = sv_{i}_{i};");
        let _ = writeln!(s, "    assign pf_{i}_0 = sf_{i}_{i};");
        let _ = writeln!(s, "    assign pl_{i}_0 = sl_{i}_{i};");
    }
    for j in 0..c {
        let _ = writeln!(s, "    assign pb_0_{j} = sb_{j}_{j};");
        let _ = writeln!(s, "    assign po_0_{j} = {ab}'sd0;");
    }
    for i in 0..r {
        for j in 0..c {
            let (i1, j1) = (i + 1, j + 1);
            let _ = writeln!(
                s,
                "    {} pe_{i}_{j}(.clock(clock), .reset(reset), .a_in(pa_{i}_{j}), .b_in(pb_{i}_{j}), .v_in(pv_{i}_{j}), .f_in(pf_{i}_{j}), .l_in(pl_{i}_{j}), .sel(sel_{i}), .o_in(po_{i}_{j}), .a_out(pa_{i}_{j1}), .b_out(pb_{i1}_{j}), .v_out(pv_{i}_{j1}), .f_out(pf_{i}_{j1}), .l_out(pl_{i}_{j1}), .o_out(po_{i1}_{j}));",
                leaf.pe
            );
        }
    }
    s.push_str("\n    // Row pick chain: the row whose last beat leaves PE(i,C-1) is presented.\n");
    for i in 0..=r {
        let _ = writeln!(s, "    wire rv_{i};");
        let _ = writeln!(s, "    wire [{}:0] rr_{i};", w - 1);
    }
    let _ = writeln!(s, "    assign rv_0 = 1'b0;");
    let _ = writeln!(s, "    assign rr_0 = {w}'d0;");
    for i in 0..r {
        let i1 = i + 1;
        let _ = writeln!(
            s,
            "    {} pick_{i}(.v(pv_{i}_{c}), .l(pl_{i}_{c}), .idx({w}'d{i}), .v_in(rv_{i}), .r_in(rr_{i}), .sel(sel_{i}), .v_out(rv_{i1}), .r_out(rr_{i1}));",
            leaf.row_pick
        );
    }
    let _ = writeln!(s, "    assign out_valid = rv_{r};");
    let _ = writeln!(s, "    assign out_row = rr_{r};");
    for j in 0..c {
        let _ = writeln!(s, "    assign c_out[{}:{}] = po_{r}_{j};", j * ab + ab - 1, j * ab);
    }
    let _ = writeln!(s, "endmodule // {name}");
    s
}
