//! The top module: structural Verilog (only wiring and selection by chunk are generated here)
//! instantiating the controller, per lane and head element the query register, the key and value
//! memories, the value register and the `acc` and output registers, and per lane the E
//! dot-product steps (products added in pairs, the pairs registered and then summed in a balanced
//! adder tree), the chunk accumulator of the dot product (P > 1), the score rounding, the head
//! state and the E accumulator units. Element e = c*E + i is served by unit i in chunk c.
//!
//! ```text
//!                  +------------------------------------------------------+
//!   clock, reset ->|                                                      |
//!   clear -------->|  control (len[layer], busy, j, chunk, flag pipeline)  |--> cache_len
//!   kv_valid ----->|     |                                                |
//!   kv_ready <-----|     v  raddr = {layer, group, j}, waddr, chunk        |
//!   kv_last ------>|  lane 0 .. L-1:                                      |--> out_valid
//!   kv_group/layer>|    K mem[d], V mem[d] (16 bits each; V read 1 later)  |--> out_group
//!   kv_k, kv_v --->|    q_reg[chunk] . k[chunk] (E) -> score -> HeadState  |--> out [L*D*16]
//!   q_valid ------>|    AccUnit[i] <-> acc[c*E + i], out[c*E + i]           |
//!   q_ready <------|                                                      |
//!   q_group/layer >|                                                      |
//!   q_in --------->|                                                      |
//!                  +------------------------------------------------------+
//! ```

use super::{AttentionConfig, LeafNames};
use crate::manifest::{Direction, Port};
use std::fmt::Write;

/// The top module's ports, in declaration order (also written to the manifest).
pub fn ports(cfg: &AttentionConfig) -> Vec<Port> {
    let gb = cfg.group_bits();
    let yb = cfg.layer_bits();
    let layers = cfg.layers;
    let layer_doc = |what: &str| {
        if layers == 1 {
            format!("layer of the {what}; one layer: ignored")
        } else {
            format!("layer of the {what} (0..{})", layers - 1)
        }
    };
    let w = cfg.group_width();
    let (l, d) = (cfg.lanes, cfg.head_dim);
    let lay = format!("lane l, element e at bits [(l*{d} + e)*16 +: 16], signed 16-bit; head = group*{l} + l");
    vec![
        Port::input("clock", 1, "clock; everything changes on its rising edge"),
        Port::input("reset", 1, "synchronous, active high: empties the cache and cancels a running query"),
        if cfg.contexts == 1 {
            Port::input("clear", 1, "one-cycle pulse, any time: empties the cache (cache_len = 0) at the first edge with no query running; kv_ready and q_ready stay low until then")
        } else {
            Port::input("clear", cfg.contexts, "bit c a one-cycle pulse, any time: empties sequence c's caches (layers c * layers/contexts ..) at the first edge with no query running; kv_ready and q_ready stay low until then")
        },
        Port::input("kv_valid", 1, "a kv beat (one head group of the current token's k and v) is offered"),
        Port::output("kv_ready", 1, "a kv beat is accepted: no query running, clear low, cache_len < context"),
        Port::input("kv_last", 1, "this kv beat is the token's last group: cache_len advances after it"),
        Port::input("kv_group", gb, "head group of the kv beat (0..heads/lanes-1), written at position cache_len"),
        Port::input("kv_layer", yb, &layer_doc("kv beat: written at the length of that layer's cache, advances it with kv_last")),
        Port::input("kv_k", w, &format!("keys of the group: {lay}")),
        Port::input("kv_v", w, &format!("values of the group: {lay}")),
        Port::input("q_valid", 1, "a query beat (one head group) is offered"),
        Port::output("q_ready", 1, "a query beat is accepted: no query running and none ended in the previous cycle, clear and kv_valid low, cache_len > 0"),
        Port::input("q_group", gb, "head group of the query beat"),
        Port::input("q_layer", yb, &layer_doc("query: attends to that layer's cache; cache_len shows its length")),
        Port::input("q_in", w, &format!("queries of the group: {lay}")),
        Port::output("out_valid", 1, "one head group's attention output is on out this cycle (no back-pressure)"),
        Port::output("out_group", gb, "head group of out, valid with out_valid"),
        Port::output("out", w, &format!("attention outputs of the group (value format): {lay}")),
        Port::output("cache_len", cfg.len_bits(), "positions in the cache of layer q_layer (0..=context)"),
    ]
}

/// The top module text.
pub fn top_verilog(cfg: &AttentionConfig, leaf: &LeafNames) -> String {
    let name = cfg.top_name();
    let ports = ports(cfg);
    let (l, d, a, gb, lb) = (cfg.lanes, cfg.head_dim, cfg.addr_bits(), cfg.group_bits(), cfg.len_bits());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// Online-softmax attention: head_dim {d}, {} heads, context {}, {l} lane(s){}, generated by llmpu.",
        cfg.heads,
        cfg.context,
        if cfg.layers == 1 { String::new() } else { format!(", {} layers", cfg.layers) }
    );
    let _ = writeln!(s, "// Interface rules: docs/attention.md. Query accepted at cycle a -> out_valid at a + cache_len * {} + {}.", cfg.chunks(), cfg.pipeline());
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
    s.push_str("\n    // Controller. Unused: the bits of its 8-bit layer, group, position, chunk and length fields above this configuration's widths.\n");
    s.push_str("    /* verilator lint_off UNUSED */\n");
    s.push_str("    wire we, q_en, d_ck0, d_end, v_end, s_valid, s_first, h_upd, h_first, h_l, fin, dfin, rec_en;\n");
    s.push_str("    wire [7:0] wpos, rlay, rgrp, rpos, d_ck8, a_ck8, f_ck8, df_ck8, out_group8, len8;\n");
    s.push_str("    /* verilator lint_on UNUSED */\n");
    let pad = |x: &str| if gb == 8 { x.to_string() } else { format!("{{{}'d0, {x}}}", 8 - gb) };
    let (kv_layer, q_layer) = if cfg.layers == 1 {
        s.push_str("    // One layer: the layer inputs are ignored.\n    /* verilator lint_off UNUSED */\n    wire unused_layer = kv_layer ^ q_layer;\n    /* verilator lint_on UNUSED */\n");
        ("8'd0".to_string(), "8'd0".to_string())
    } else {
        let yb = cfg.layer_bits();
        (format!("{{{}'d0, kv_layer}}", 8 - yb), format!("{{{}'d0, q_layer}}", 8 - yb))
    };
    // The control's clear mask: every layer for the one-bit clear; with several sequences,
    // clear bit c empties sequence c's layers.
    let mask: Vec<String> = (0..crate::rtl::attention::control::MAX_LAYERS as u32)
        .rev()
        .map(|y| if y < cfg.layers { if cfg.contexts == 1 { "clear".to_string() } else { format!("clear[{}]", y / cfg.layers_per_context()) } } else { "1'b0".to_string() })
        .collect();
    let _ = writeln!(s, "    wire [{}:0] clear_mask = {{{}}};", crate::rtl::attention::control::MAX_LAYERS - 1, mask.join(", "));
    let _ = writeln!(
        s,
        "    {} control(.clock(clock), .reset(reset), .clear(clear_mask), .kv_valid(kv_valid), .kv_last(kv_last), .q_valid(q_valid), .q_group({}), .kv_layer({kv_layer}), .q_layer({q_layer}), .t_max(8'd{}), .p_last(8'd{}), .kv_ready(kv_ready), .q_ready(q_ready), .we(we), .wpos(wpos), .rlay(rlay), .rgrp(rgrp), .rpos(rpos), .q_en(q_en), .d_ck(d_ck8), .d_ck0(d_ck0), .d_end(d_end), .v_end(v_end), .s_valid(s_valid), .s_first(s_first), .a_ck(a_ck8), .h_upd(h_upd), .h_first(h_first), .h_l(h_l), .fin(fin), .f_ck(f_ck8), .dfin(dfin), .df_ck(df_ck8), .rec_en(rec_en), .out_valid(out_valid), .out_group(out_group8), .len_out(len8));",
        leaf.control,
        pad("q_group"),
        cfg.context,
        cfg.chunks() - 1,
    );
    // Memory addresses: {layer, group, position}.
    let pb = cfg.pos_bits();
    let (wl, rl) = if cfg.layers == 1 {
        (String::new(), String::new())
    } else {
        ("kv_layer, ".to_string(), format!("rlay[{}:0], ", cfg.layer_bits() - 1))
    };
    let _ = writeln!(s, "    wire [{}:0] waddr = {{{wl}kv_group, wpos[{}:0]}};", a - 1, pb - 1);
    let _ = writeln!(s, "    wire [{}:0] raddr = {{{rl}rgrp[{}:0], rpos[{}:0]}};", a - 1, gb - 1, pb - 1);
    // The value memories are read two cycles after the key memories (the pair products and
    // the exp are registered between the key data and the updates that weigh the values).
    s.push_str("    /* verilator lint_off UNUSED */\n    wire [15:0] vraddr1, vraddr16;\n    /* verilator lint_on UNUSED */\n");
    let pad16 = if a == 16 { "raddr".to_string() } else { format!("{{{}'d0, raddr}}", 16 - a) };
    let _ = writeln!(s, "    {} vraddr_reg1(.clock(clock), .en(1'b1), .d({pad16}), .q(vraddr1));", leaf.hold);
    let _ = writeln!(s, "    {} vraddr_reg(.clock(clock), .en(1'b1), .d(vraddr1), .q(vraddr16));", leaf.hold);
    let _ = writeln!(s, "    wire [{m}:0] vraddr = vraddr16[{m}:0];", m = a - 1);
    let _ = writeln!(s, "    assign out_group = out_group8[{}:0];", gb - 1);
    let _ = writeln!(s, "    assign cache_len = len8[{}:0];", lb - 1);
    // Chunks: element e = c * E + i is handled by unit i in chunk c.
    let (ep, chunks, cw) = (cfg.elements_per_cycle, cfg.chunks(), cfg.chunk_bits());
    let _ = writeln!(s, "    // Chunk of the key data, of the update and of the division ({chunks} chunk(s) of {ep} element(s)).");
    let _ = writeln!(s, "    wire [{m}:0] d_ck = d_ck8[{m}:0];\n    wire [{m}:0] a_ck = a_ck8[{m}:0];\n    wire [{m}:0] f_ck = f_ck8[{m}:0];\n    wire [{m}:0] df_ck = df_ck8[{m}:0];", m = cw - 1);
    if chunks == 1 {
        s.push_str("    /* verilator lint_off UNUSED */\n    wire unused_chunks = ^{d_ck, f_ck, df_ck, d_ck0};\n    /* verilator lint_on UNUSED */\n");
    }
    // `items[c]` chosen by `sel` (exact-width comparisons; chunk 0 is the default).
    let mux = |sel: &str, items: &[String]| -> String {
        let mut x = items[0].clone();
        for (c, it) in items.iter().enumerate().skip(1).rev() {
            x = format!("({sel} == {cw}'d{c}) ? {it} : {x}");
        }
        x
    };
    for ln in 0..l {
        let _ = writeln!(s, "\n    // Lane {ln}: heads {ln}, {ln} + {l}, ... (one per group).");
        for e in 0..d {
            let lo = (ln * d + e) * 16;
            let bits = format!("[{}:{}]", lo + 15, lo);
            let _ = writeln!(s, "    wire [15:0] qr_{ln}_{e}, kr_{ln}_{e}, vr_{ln}_{e}, vs_{ln}_{e};");
            let _ = writeln!(s, "    wire [31:0] acc_{ln}_{e};");
            let _ = writeln!(s, "    {} q_{ln}_{e}(.clock(clock), .en(q_en), .d(q_in{bits}), .q(qr_{ln}_{e}));", leaf.hold);
            let _ = writeln!(
                s,
                "    {} kmem_{ln}_{e}(.clock(clock), .we(we), .waddr(waddr), .wdata(kv_k{bits}), .raddr(raddr), .rdata(kr_{ln}_{e}));",
                leaf.kvram
            );
            let _ = writeln!(
                s,
                "    {} vmem_{ln}_{e}(.clock(clock), .we(we), .waddr(waddr), .wdata(kv_v{bits}), .raddr(vraddr), .rdata(vr_{ln}_{e}));",
                leaf.kvram
            );
            let _ = writeln!(s, "    {} vreg_{ln}_{e}(.clock(clock), .en(v_end), .d(vr_{ln}_{e}), .q(vs_{ln}_{e}));", leaf.hold);
        }
        for i in 0..ep {
            let qs: Vec<String> = (0..chunks).map(|c| format!("qr_{ln}_{}", c * ep + i)).collect();
            let ks: Vec<String> = (0..chunks).map(|c| format!("kr_{ln}_{}", c * ep + i)).collect();
            let _ = writeln!(s, "    wire [15:0] qm_{ln}_{i} = {};", mux("d_ck", &qs));
            let _ = writeln!(s, "    wire [15:0] km_{ln}_{i} = {};", mux("d_ck", &ks));
            // Products in pairs: an even element starts a pair, the odd one adds to it.
            let sin = if i % 2 == 0 { "48'd0".to_string() } else { format!("pr_{ln}_{}", i - 1) };
            let _ = writeln!(s, "    wire [47:0] pr_{ln}_{i};");
            let _ = writeln!(s, "    {} mac_{ln}_{i}(.q(qm_{ln}_{i}), .k(km_{ln}_{i}), .sin({sin}), .sout(pr_{ln}_{i}));", leaf.mac);
        }
        // The pairs' sums (and an odd last product) registered, then added in a balanced tree.
        let mut terms: Vec<String> = Vec::new();
        for i in (0..ep).filter(|i| i % 2 == 1 || *i == ep - 1) {
            let _ = writeln!(s, "    wire [47:0] prr_{ln}_{i};");
            let _ = writeln!(s, "    {} prg_{ln}_{i}(.clock(clock), .d(pr_{ln}_{i}), .q(prr_{ln}_{i}));", leaf.pair);
            terms.push(format!("prr_{ln}_{i}"));
        }
        let mut level = 0;
        while terms.len() > 1 {
            let mut next = Vec::new();
            for (j, pair) in terms.chunks(2).enumerate() {
                if let [a, b] = pair {
                    let t = format!("ps_{ln}_{level}_{j}");
                    let _ = writeln!(s, "    wire [47:0] {t};");
                    let _ = writeln!(s, "    {} add_{ln}_{level}_{j}(.a({a}), .b({b}), .s({t}));", leaf.add);
                    next.push(t);
                } else {
                    next.push(pair[0].clone());
                }
            }
            terms = next;
            level += 1;
        }
        let sum = terms[0].clone();
        let dot = if chunks == 1 {
            sum
        } else {
            let _ = writeln!(s, "    wire [47:0] dot_{ln};");
            let _ = writeln!(s, "    {} dacc_{ln}(.clock(clock), .first(d_ck0), .x({sum}), .full(dot_{ln}));", leaf.dot);
            format!("dot_{ln}")
        };
        let _ = writeln!(s, "    wire [15:0] sc_{ln}, ss_{ln}, alpha_{ln}, p_{ln}, mant_{ln};");
        let _ = writeln!(s, "    wire [7:0] shift_{ln};");
        let _ = writeln!(s, "    wire gt_{ln};");
        let _ = writeln!(s, "    /* verilator lint_off UNUSED */\n    wire [47:0] sy_{ln};\n    /* verilator lint_on UNUSED */");
        let _ = writeln!(s, "    {} score_{ln}(.x({dot}), .s(8'd{}), .y(sy_{ln}), .sat(sc_{ln}));", leaf.rsr, cfg.score_shift());
        let _ = writeln!(s, "    {} sreg_{ln}(.clock(clock), .en(d_end), .d(sc_{ln}), .q(ss_{ln}));", leaf.hold);
        let _ = writeln!(
            s,
            "    {} head_{ln}(.clock(clock), .valid(h_upd), .first(h_first), .s(ss_{ln}), .lupd(h_l), .rec_en(rec_en), .gt(gt_{ln}), .alpha(alpha_{ln}), .p(p_{ln}), .mant(mant_{ln}), .shift(shift_{ln}));",
            leaf.head
        );
        for i in 0..ep {
            let accs: Vec<String> = (0..chunks).map(|c| format!("acc_{ln}_{}", c * ep + i)).collect();
            let vs: Vec<String> = (0..chunks).map(|c| format!("vs_{ln}_{}", c * ep + i)).collect();
            let _ = writeln!(s, "    wire [31:0] au_{ln}_{i} = {};", mux("a_ck", &accs));
            let _ = writeln!(s, "    wire [31:0] af_{ln}_{i} = {};", mux("f_ck", &accs));
            let _ = writeln!(s, "    wire [15:0] vm_{ln}_{i} = {};", mux("a_ck", &vs));
            let _ = writeln!(s, "    wire [31:0] na_{ln}_{i};\n    wire [15:0] dv_{ln}_{i};");
            let _ = writeln!(
                s,
                "    {} unit_{ln}_{i}(.clock(clock), .gt(gt_{ln}), .first(s_first), .alpha(alpha_{ln}), .p(p_{ln}), .v(vm_{ln}_{i}), .fin(fin), .mant(mant_{ln}), .shift(shift_{ln}), .acc_u(au_{ln}_{i}), .acc_f(af_{ln}_{i}), .new_acc(na_{ln}_{i}), .div(dv_{ln}_{i}));",
                leaf.acc
            );
        }
        for e in 0..d {
            let (c, i) = (e / ep, e % ep);
            let lo = (ln * d + e) * 16;
            let _ = writeln!(s, "    {} accr_{ln}_{e}(.clock(clock), .en(s_valid & (a_ck == {cw}'d{c})), .d(na_{ln}_{i}), .q(acc_{ln}_{e}));", leaf.hold32);
            let _ = writeln!(s, "    {} outr_{ln}_{e}(.clock(clock), .en(dfin & (df_ck == {cw}'d{c})), .d(dv_{ln}_{i}), .q(out[{}:{lo}]));", leaf.hold, lo + 15);
        }
    }
    let _ = writeln!(s, "endmodule // {name}");
    s
}
