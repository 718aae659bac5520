//! The router's two rust-hdl leaves and the structural 5-port router built from them.
//!
//! ```text
//!              +------------------------------------------------+
//!  l/n/e/s/w   | InputUnit x5: D-flit FIFO + XY route of the    |  l/n/e/s/w
//!  _in_valid ->|   head at its front --> req (one-hot output)   |--> _out_valid
//!  _in_data  ->|                                                |--> _out_data
//!  _in_last  ->| OutputUnit x5: round-robin arbiter, wormhole   |--> _out_last
//!  _in_ready <-|   lock held from head to last flit, 5:1 mux    |<-- _out_ready
//!  my_x, my_y->|                                                |
//!              +------------------------------------------------+
//! ```
//!
//! Ports are numbered 0 = local (l), 1 = north (n, y - 1), 2 = east (e, x + 1), 3 = south
//! (s, y + 1), 4 = west (w, x - 1).
//!
//! Contract of the router (B data bits per flit, D flits of buffer per input):
//! 1. Every link is valid/ready: a flit moves on a rising edge where `valid && ready`.
//!    `_in_ready` is `!full` of that input's FIFO and `_out_valid` depends only on registers,
//!    so no combinational path runs from one router to the next.
//! 2. Routing is dimension-ordered (XY): a head goes east or west until its `dst_x` equals
//!    `my_x`, then north or south until `dst_y` equals `my_y`, then to the local port.
//! 3. Switching is wormhole: an output is locked to one input from the cycle after it grants
//!    that input's head until the flit with `last` = 1 crossed it; flits of one packet are
//!    never interleaved with another's on any link.
//! 4. Each output arbitrates round-robin among the inputs whose head requests it: the input
//!    granted last has the lowest priority next time, so no waiting head starves.
//! 5. At zero load a head spends 2 cycles per router (one to win the output, one to cross);
//!    the flits behind it follow one per cycle. An output that just released its lock
//!    grants again in the next cycle (one idle cycle between packets on a busy output).
//! 6. Turns XY routing never makes (Y to X, U-turns) are tied off in the structural router,
//!    so synthesis removes their multiplexer inputs.

use rust_hdl::prelude::*;
use std::fmt::Write;

/// One input port: a D-flit FIFO (front always in slot 0, so the read side needs no
/// multiplexer) and the XY route of the head flit at its front.
///
/// 1. `in_ready` = not full; a flit is written on an edge with `in_valid && in_ready`.
/// 2. `f_valid`, `f_data`, `f_last` show the oldest flit; it leaves on an edge where `f_valid`
///    and any bit of `pops` are high (the output units pop only the input they are locked to).
/// 3. `req` is the one-hot output the front flit wants when it is a head (the first flit after
///    reset or after a flit with `last`), else 0.
/// 4. `allowed` (a constant from the router) lists the outputs a head on this input can want
///    under XY routing (`turn_allowed`); the comparisons for the other directions are masked
///    off, so synthesis removes them (a flit on the north input already has `dst_x = my_x`).
#[derive(LogicBlock)]
pub struct InputUnit<const B: usize, const D: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_data: Signal<In, Bits<B>>,
    pub in_last: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub my_x: Signal<In, Bits<3>>,
    pub my_y: Signal<In, Bits<3>>,
    pub allowed: Signal<In, Bits<5>>,
    pub pops: Signal<In, Bits<5>>,
    pub req: Signal<Out, Bits<5>>,
    pub f_valid: Signal<Out, Bit>,
    pub f_data: Signal<Out, Bits<B>>,
    pub f_last: Signal<Out, Bit>,
    slot: Vec<DFF<Bits<B>>>,
    vld: DFF<Bits<D>>,
    lst: DFF<Bits<D>>,
    mid: DFF<Bit>,
    pop: Signal<Local, Bit>,
    push: Signal<Local, Bit>,
    kept: Signal<Local, Bits<D>>,
    kept_l: Signal<Local, Bits<D>>,
    wsel: Signal<Local, Bits<D>>,
    front: Signal<Local, Bits<B>>,
    dx: Signal<Local, Bits<3>>,
    dy: Signal<Local, Bits<3>>,
    xne: Signal<Local, Bit>,
    yne: Signal<Local, Bit>,
    go_n: Signal<Local, Bit>,
    go_e: Signal<Local, Bit>,
    go_s: Signal<Local, Bit>,
    go_w: Signal<Local, Bit>,
    route: Signal<Local, Bits<5>>,
}

impl<const B: usize, const D: usize> Default for InputUnit<B, D> {
    fn default() -> Self {
        assert!(B >= 16 && (2..=8).contains(&D), "InputUnit<{B},{D}> is not a supported size");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            in_valid: Default::default(),
            in_data: Default::default(),
            in_last: Default::default(),
            in_ready: Default::default(),
            my_x: Default::default(),
            my_y: Default::default(),
            allowed: Default::default(),
            pops: Default::default(),
            req: Default::default(),
            f_valid: Default::default(),
            f_data: Default::default(),
            f_last: Default::default(),
            slot: (0..D).map(|_| Default::default()).collect(),
            vld: Default::default(),
            lst: Default::default(),
            mid: Default::default(),
            pop: Default::default(),
            push: Default::default(),
            kept: Default::default(),
            kept_l: Default::default(),
            wsel: Default::default(),
            front: Default::default(),
            dx: Default::default(),
            dy: Default::default(),
            xne: Default::default(),
            yne: Default::default(),
            go_n: Default::default(),
            go_e: Default::default(),
            go_s: Default::default(),
            go_w: Default::default(),
            route: Default::default(),
        }
    }
}

impl<const B: usize, const D: usize> Logic for InputUnit<B, D> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, vld, lst, mid);
        for k in 0..D {
            self.slot[k].clock.next = self.clock.val();
            self.slot[k].d.next = self.slot[k].q.val();
        }
        self.front.next = self.slot[0].q.val();
        self.f_data.next = self.front.val();
        self.f_valid.next = self.vld.q.val().get_bit(0);
        self.f_last.next = self.lst.q.val().get_bit(0);
        self.in_ready.next = !self.vld.q.val().all();
        self.pop.next = self.pops.val().any() & self.vld.q.val().get_bit(0);
        self.push.next = self.in_valid.val() & !self.vld.q.val().all();
        // The occupancy is a thermometer code (slots 0..count-1 full); a pop shifts everything
        // one slot towards the front, a push writes the first empty slot after the shift.
        self.kept.next = self.vld.q.val();
        self.kept_l.next = self.lst.q.val();
        if self.pop.val() {
            self.kept.next = self.vld.q.val() >> 1;
            self.kept_l.next = self.lst.q.val() >> 1;
            for k in 0..(D - 1) {
                self.slot[k].d.next = self.slot[k + 1].q.val();
            }
            self.mid.d.next = !self.lst.q.val().get_bit(0);
        }
        self.wsel.next = 0.into();
        if self.push.val() {
            self.wsel.next = !self.kept.val() & ((self.kept.val() << 1) | 1u64);
        }
        for k in 0..D {
            if self.wsel.val().get_bit(k) {
                self.slot[k].d.next = self.in_data.val();
            }
        }
        self.vld.d.next = self.kept.val() | self.wsel.val();
        self.lst.d.next = self.kept_l.val() & !self.wsel.val();
        if self.in_last.val() {
            self.lst.d.next = self.kept_l.val() | self.wsel.val();
        }
        // XY route of the front flit (meaningful when it is a head), only towards the outputs
        // this input can reach. Where a flit can only be on one side of this router (it keeps
        // travelling straight), "not equal" replaces the magnitude comparison: a flit on the east
        // input travels west, so a different column means west.
        self.dx.next = self.front.val().get_bits::<3>(0);
        self.dy.next = self.front.val().get_bits::<3>(3);
        self.xne.next = self.dx.val() != self.my_x.val();
        self.yne.next = self.dy.val() != self.my_y.val();
        self.go_w.next = self.xne.val() & self.allowed.val().get_bit(4);
        if self.allowed.val().get_bit(2) {
            self.go_w.next = (self.dx.val() < self.my_x.val()) & self.allowed.val().get_bit(4);
        }
        self.go_e.next = self.xne.val() & !self.go_w.val() & self.allowed.val().get_bit(2);
        self.go_n.next = self.yne.val() & self.allowed.val().get_bit(1);
        if self.allowed.val().get_bit(3) {
            self.go_n.next = (self.dy.val() < self.my_y.val()) & self.allowed.val().get_bit(1);
        }
        self.go_s.next = self.yne.val() & !self.go_n.val() & self.allowed.val().get_bit(3);
        // Later tests win: X before Y.
        self.route.next = 1.into();
        if self.go_n.val() {
            self.route.next = 2.into();
        }
        if self.go_s.val() {
            self.route.next = 8.into();
        }
        if self.go_e.val() {
            self.route.next = 4.into();
        }
        if self.go_w.val() {
            self.route.next = 16.into();
        }
        self.req.next = 0.into();
        if self.vld.q.val().get_bit(0) & !self.mid.q.val() {
            self.req.next = self.route.val() & self.allowed.val();
        }
        if self.reset.val() {
            self.vld.d.next = 0.into();
            self.mid.d.next = false;
        }
    }
}

/// One output port: round-robin arbiter over the five inputs' requests, the wormhole lock and
/// the 5:1 flit multiplexer.
///
/// 1. While unlocked, if any `req` bit is set, the lock is taken for the granted input (the
///    first requester above the last grant, wrapping around) on the next edge.
/// 2. While locked, `out_valid` is the owner's `valid` bit and `out_data`/`out_last` its flit;
///    `pops` is the owner while locked and `out_ready` (the owner pops only if it has a flit,
///    i.e. exactly on an edge with `out_valid && out_ready`) and, if the flit had `last`, the
///    lock is released on that edge.
///
/// The owner is one-hot and kept after the release: it is the last grant, and the round-robin
/// mask (the inputs above it) is derived from it instead of being stored. The multiplexer is an
/// AND-OR over the one-hot owner, so an input tied to zero by the router costs nothing.
#[derive(LogicBlock)]
pub struct OutputUnit<const B: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub req: Signal<In, Bits<5>>,
    pub valid: Signal<In, Bits<5>>,
    pub lasts: Signal<In, Bits<5>>,
    pub d0: Signal<In, Bits<B>>,
    pub d1: Signal<In, Bits<B>>,
    pub d2: Signal<In, Bits<B>>,
    pub d3: Signal<In, Bits<B>>,
    pub d4: Signal<In, Bits<B>>,
    pub out_ready: Signal<In, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<B>>,
    pub out_last: Signal<Out, Bit>,
    pub pops: Signal<Out, Bits<5>>,
    lock: DFF<Bit>,
    owner: DFF<Bits<5>>,
    above: Signal<Local, Bits<5>>,
    masked: Signal<Local, Bits<5>>,
    pick: Signal<Local, Bits<5>>,
    grant: Signal<Local, Bits<5>>,
    fire: Signal<Local, Bit>,
    x0: Signal<Local, Bits<B>>,
    x1: Signal<Local, Bits<B>>,
    x2: Signal<Local, Bits<B>>,
    x3: Signal<Local, Bits<B>>,
    x4: Signal<Local, Bits<B>>,
}

impl<const B: usize> Default for OutputUnit<B> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            req: Default::default(),
            valid: Default::default(),
            lasts: Default::default(),
            d0: Default::default(),
            d1: Default::default(),
            d2: Default::default(),
            d3: Default::default(),
            d4: Default::default(),
            out_ready: Default::default(),
            out_valid: Default::default(),
            out_data: Default::default(),
            out_last: Default::default(),
            pops: Default::default(),
            lock: Default::default(),
            owner: Default::default(),
            above: Default::default(),
            masked: Default::default(),
            pick: Default::default(),
            grant: Default::default(),
            fire: Default::default(),
            x0: Default::default(),
            x1: Default::default(),
            x2: Default::default(),
            x3: Default::default(),
            x4: Default::default(),
        }
    }
}

impl<const B: usize> Logic for OutputUnit<B> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, lock, owner);
        // Round robin: prefer requesters above the last grant, else the lowest one. For a
        // one-hot owner, `above` has the bits strictly above it (0 after reset).
        self.above.next = (self.owner.q.val() << 1) | (self.owner.q.val() << 2) | (self.owner.q.val() << 3) | (self.owner.q.val() << 4);
        self.masked.next = self.req.val() & self.above.val();
        self.pick.next = self.req.val();
        if self.masked.val().any() {
            self.pick.next = self.masked.val();
        }
        // Lowest set bit of pick.
        self.grant.next = self.pick.val() & !((self.pick.val() << 1) | (self.pick.val() << 2) | (self.pick.val() << 3) | (self.pick.val() << 4));
        if !self.lock.q.val() & self.req.val().any() {
            self.lock.d.next = true;
            self.owner.d.next = self.grant.val();
        }
        self.out_valid.next = self.lock.q.val() & (self.valid.val() & self.owner.q.val()).any();
        self.out_last.next = (self.lasts.val() & self.owner.q.val()).any();
        self.x0.next = 0.into();
        if self.owner.q.val().get_bit(0) {
            self.x0.next = self.d0.val();
        }
        self.x1.next = 0.into();
        if self.owner.q.val().get_bit(1) {
            self.x1.next = self.d1.val();
        }
        self.x2.next = 0.into();
        if self.owner.q.val().get_bit(2) {
            self.x2.next = self.d2.val();
        }
        self.x3.next = 0.into();
        if self.owner.q.val().get_bit(3) {
            self.x3.next = self.d3.val();
        }
        self.x4.next = 0.into();
        if self.owner.q.val().get_bit(4) {
            self.x4.next = self.d4.val();
        }
        self.out_data.next = self.x0.val() | self.x1.val() | self.x2.val() | self.x3.val() | self.x4.val();
        // The owner pops when it has a flit (its `f_valid`, checked by the input unit), so
        // `pops` does not wait for the 5:1 valid multiplexer.
        self.pops.next = 0.into();
        if self.lock.q.val() & self.out_ready.val() {
            self.pops.next = self.owner.q.val();
        }
        self.fire.next = self.out_valid.val() & self.out_ready.val();
        if self.fire.val() & self.out_last.val() {
            self.lock.d.next = false;
        }
        if self.reset.val() {
            self.lock.d.next = false;
            self.owner.d.next = 0.into();
        }
    }
}

/// Port letters in port-number order.
pub const PORTS: [&str; 5] = ["l", "n", "e", "s", "w"];

/// Whether XY routing can send a flit arriving on input `i` out of output `o`.
pub fn turn_allowed(i: usize, o: usize) -> bool {
    const L: usize = 0;
    const N: usize = 1;
    const E: usize = 2;
    const S: usize = 3;
    const W: usize = 4;
    o == L || i == L || (o == E && i == W) || (o == W && i == E) || ((o == N || o == S) && i != o)
}

/// Module names of the router's leaves.
pub struct RouterNames {
    pub input_unit: String,
    pub output_unit: String,
    pub router: String,
}

/// The structural router module: five input units, five output units, XY-impossible turns
/// tied to zero.
pub fn router_verilog(b: u32, names: &RouterNames) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "// 5-port wormhole XY router, {b}-bit flits (structural; leaf logic from rust-hdl).");
    let mut list = vec!["clock".to_string(), "reset".into(), "my_x".into(), "my_y".into()];
    for p in PORTS {
        for sig in ["in_valid", "in_data", "in_last", "in_ready", "out_valid", "out_data", "out_last", "out_ready"] {
            list.push(format!("{p}_{sig}"));
        }
    }
    let _ = writeln!(s, "module {}({});", names.router, list.join(", "));
    let _ = writeln!(s, "    input wire clock;\n    input wire reset;\n    input wire [2:0] my_x;\n    input wire [2:0] my_y;");
    for p in PORTS {
        let _ = writeln!(s, "    input wire {p}_in_valid;");
        let _ = writeln!(s, "    input wire [{}:0] {p}_in_data;", b - 1);
        let _ = writeln!(s, "    input wire {p}_in_last;");
        let _ = writeln!(s, "    output wire {p}_in_ready;");
        let _ = writeln!(s, "    output wire {p}_out_valid;");
        let _ = writeln!(s, "    output wire [{}:0] {p}_out_data;", b - 1);
        let _ = writeln!(s, "    output wire {p}_out_last;");
        let _ = writeln!(s, "    input wire {p}_out_ready;");
    }
    s.push_str("    // Request bits of turns XY routing never makes, and pop bits of outputs that can\n");
    s.push_str("    // never own an input, stay unread.\n    /* verilator lint_off UNUSED */\n");
    for i in 0..5 {
        let _ = writeln!(s, "    wire [4:0] req_{i};\n    wire [4:0] pops_{i};\n    wire fv_{i};\n    wire fl_{i};\n    wire [{}:0] fd_{i};", b - 1);
    }
    s.push_str("    /* verilator lint_on UNUSED */\n");
    for (i, p) in PORTS.iter().enumerate() {
        let pops: Vec<String> = (0..5).rev().map(|o| if turn_allowed(i, o) { format!("pops_{o}[{i}]") } else { "1'b0".into() }).collect();
        let allowed: String = (0..5).rev().map(|o| if turn_allowed(i, o) { '1' } else { '0' }).collect();
        let _ = writeln!(
            s,
            "    {} iu_{p}(.clock(clock), .reset(reset), .in_valid({p}_in_valid), .in_data({p}_in_data), .in_last({p}_in_last), .in_ready({p}_in_ready), .my_x(my_x), .my_y(my_y), .allowed(5'b{allowed}), .pops({{{}}}), .req(req_{i}), .f_valid(fv_{i}), .f_data(fd_{i}), .f_last(fl_{i}));",
            names.input_unit,
            pops.join(", ")
        );
    }
    for (o, p) in PORTS.iter().enumerate() {
        let bit = |f: &dyn Fn(usize) -> String| -> String {
            let v: Vec<String> = (0..5).rev().map(|i| if turn_allowed(i, o) { f(i) } else { "1'b0".into() }).collect();
            format!("{{{}}}", v.join(", "))
        };
        let req = bit(&|i| format!("req_{i}[{o}]"));
        let valid = bit(&|i| format!("fv_{i}"));
        let lasts = bit(&|i| format!("fl_{i}"));
        let data: Vec<String> = (0..5).map(|i| if turn_allowed(i, o) { format!(".d{i}(fd_{i})") } else { format!(".d{i}({b}'d0)") }).collect();
        let _ = writeln!(
            s,
            "    {} ou_{p}(.clock(clock), .reset(reset), .req({req}), .valid({valid}), .lasts({lasts}), {}, .out_ready({p}_out_ready), .out_valid({p}_out_valid), .out_data({p}_out_data), .out_last({p}_out_last), .pops(pops_{o}));",
            names.output_unit,
            data.join(", ")
        );
    }
    let _ = writeln!(s, "endmodule // {}", names.router);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xy_turns() {
        // 5 + 4 + 2 + 4 + 2 allowed (output L from all, N/S from all but themselves, E/W from L and the opposite side).
        let n: usize = (0..5).map(|o| (0..5).filter(|&i| turn_allowed(i, o)).count()).sum();
        assert_eq!(n, 17);
        assert!(!turn_allowed(1, 2), "north input (travelling south) must not turn east");
        assert!(turn_allowed(4, 1), "west input (travelling east) may turn north");
    }
}
