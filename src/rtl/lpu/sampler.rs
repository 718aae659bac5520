//! `Sampler`, the vector-unit leaf for [`crate::numeric::sample`] over `len` logits in the
//! scratchpad at `src`: argmax when `temp_k = 0`, otherwise temperature sampling with the
//! xorshift32 state it holds. Bit-exact model: [`model`] (which is `numeric::sample`).
//!
//! ```text
//!              +-------------------------------------------------------------+
//! start ------>| greedy: one pass, first largest logit                       |--> a_ren, a_raddr
//! src, len --->| temperature: pass 1  z_i = rshift_round(l_i k, frac + 4), zmax |<-- a_rdata (next cycle)
//! logit_frac ->|              pass 2  p_i = exp2_neg(zmax - z_i), cum_i -> RAM  |
//! temp_k ----->|   r = xorshift32() >> 16, target = (r * sum) >> 16          |--> token (from done)
//! seed_load -->|   binary search: first i with cum_i > target                |--> busy, done
//! seed ------->|                                                             |
//!              +-------------------------------------------------------------+
//! ```
//!
//! Contract (cycle 0 = the cycle `start` is high while idle; inputs stable until `done`):
//! 1. `len` is 1..=256 (the cumulative sums have 256 entries, in K banks); `len = 0`: no memory
//!    access, no random number, `done` in cycle 1 with `token = 0`.
//! 2. Greedy (`temp_k = 0`): reads `src + i` in cycle `i`; `done` in cycle `len + 1`; no random
//!    number is drawn.
//! 3. Temperature: reads `src + i` in cycle `i` (pass 1), then the second pass reads group `g`
//!    (elements `src + K g .. src + K g + K - 1`, `src` a multiple of `K`, `G = ceil(len / K)`
//!    groups, lanes past `len` ignored) in cycle `len + g`; one xorshift32 step in cycle
//!    `len + G + 6`; the search takes `ceil(log2 len)` cycles; `done` in cycle
//!    `len + G + 9 + ceil(log2 len)`. [`cycles`] gives both formulas. `busy` is high from cycle 1
//!    to `done`.
//! 4. `token` holds the result from `done` until the next `start`.
//! 5. `seed_load` (any cycle, the core uses it while idle) sets the state to `seed` (non-zero,
//!    `XorShift32::new(s).0`); `reset` sets it to `XorShift32::new(0).0` and returns to idle.
//!    `state` shows it; it changes only in the xorshift step of a temperature SAMPLE (before
//!    `done`), so a `seed_load` in a `start` cycle sets the state that SAMPLE draws from.
//! 6. While idle `a_ren` is low; a `start` while busy is ignored. `logit_frac` is at most 40.
//! 7. Snoop (the core wires the scratchpad's element write port to `sn_we`, `sn_addr`,
//!    `sn_data`, with K > 1 its chunk write port of K elements to `sk_we`, `sk_wm` (lane mask),
//!    `sk_addr`, `sk_data`, and pulses `sn_clear` with every unit's start): the sampler keeps
//!    the largest value written since the last `sn_clear` and the lowest address holding it
//!    (a chunk write's written lanes count as element writes in lane order; `sk_addr` is a
//!    multiple of K; the first write after a clear restarts both; a chunk write with an empty
//!    mask is no write; [`crate::rtl::lpu::snoop`]).
//! 8. With `pre` (the previous instruction wrote exactly the `len` logits, once each, its last
//!    write in cycle -1 or earlier): greedy reads nothing, `token` = that address - `src`,
//!    `done` in cycle 2; with a temperature the first pass is skipped (its maximum is the
//!    snooped one): reads group `g` in cycle `1 + g`, `done` in cycle `G + 10 + ceil(log2 len)`.
//!    [`cycles_pre`] gives both. The token and the random numbers are those of contract 2-3.
//!
//! `K` lanes compute pass 2 for `K` logits per cycle: lane 0 is the sampler's own pipeline,
//! lanes 1 .. K-1 each have a multiplier and rounding shift ([`ScoreLane`]); every lane has its
//! `exp2_neg` and bank of the cumulative sums ([`SumLane`]) (`p_i` of group `g`'s lane `j` summed
//! with those before it, at address `g` of bank `j`; the search reads entry `i` from bank
//! `i % K`). The pipeline's 16 x 16 multiplier is shared in time: `|l_i| * temp_k` in both
//! passes (lane 0 in pass 2) and the two halves of `r * sum` (`sum` has 32 bits). The module is
//! `llmpu_vu_sampler` for `K = 1`, `llmpu_vu_sampler_kK` else
//! ([`crate::rtl::lpu::vector::Leaf::SamplerWide`]).

use crate::numeric::{sample, Temperature, XorShift32};
use crate::rtl::arith::{Exp2, Rsr};
use crate::rtl::lpu::snoop::WriteSnoop;
use rust_hdl::prelude::*;

/// Entries of the cumulative sums (the longest `len`), spread over the `K` banks.
pub const CUM_ENTRIES: usize = 256;

/// Entries of each of the `k` banks: `CUM_ENTRIES / k` (entry `i` is word `i / k` of bank `i % k`).
pub fn bank_entries(k: usize) -> usize {
    CUM_ENTRIES / k
}

/// Cycles from `start` (cycle 0) to `done` of the sampler with `k` lanes: `len + 1` greedy,
/// `len + ceil(len / k) + 9 + ceil(log2 len)` with a temperature.
pub fn cycles(len: usize, temp_k: u16, k: usize) -> u64 {
    if len == 0 {
        1
    } else if temp_k == 0 {
        len as u64 + 1
    } else {
        (len + len.div_ceil(k)) as u64 + 9 + search_steps(len)
    }
}

/// Cycles from `start` (cycle 0) to `done` with `pre` (contract 8) and `k` lanes: 2 greedy,
/// `ceil(len / k) + 10 + ceil(log2 len)` with a temperature.
pub fn cycles_pre(len: usize, temp_k: u16, k: usize) -> u64 {
    if len == 0 {
        1
    } else if temp_k == 0 {
        2
    } else {
        len.div_ceil(k) as u64 + 10 + search_steps(len)
    }
}

/// Steps of the binary search over `len` cumulative sums: `ceil(log2 len)`.
pub fn search_steps(len: usize) -> u64 {
    if len <= 1 {
        0
    } else {
        (usize::BITS - (len - 1).leading_zeros()) as u64
    }
}

/// The bit-exact model: `numeric::sample` (the state advances only with a temperature).
pub fn model(logits: &[i16], logit_frac: u32, temp_k: u16, rng: &mut XorShift32) -> usize {
    sample(logits, logit_frac, Temperature { value: if temp_k == 0 { 0.0 } else { 1.0 }, k: temp_k }, rng)
}

/// The bit-exact model with `pre` (contract 8): the maximum and, greedy, the token come from the
/// snooped writes `w` (`(address, value)`, in order since the clear) instead of a first pass;
/// equal to [`model`] when `w` wrote exactly the logits at `src`.
pub fn model_pre(logits: &[i16], src: u16, w: &[(u16, i16)], logit_frac: u32, temp_k: u16, rng: &mut XorShift32) -> usize {
    let mut best: Option<(i16, u16)> = None;
    for &(a, v) in w {
        if best.is_none_or(|(m, ma)| v > m || (v == m && a < ma)) {
            best = Some((v, a));
        }
    }
    let (lmax, at) = best.unwrap_or((0, src));
    if temp_k == 0 {
        return at.wrapping_sub(src) as usize & 0xff;
    }
    crate::numeric::sample_with_max(logits, lmax, logit_frac, Temperature { value: 1.0, k: temp_k }, rng)
}

/// A bank of cumulative sums: `2^A` x 32 bits, one synchronous write port, one synchronous
/// read port (`rdata <= mem[raddr]` at every edge), no reset. The Sampler with `K` lanes has `K`
/// banks of `256 / K` entries (`A = 8 - log2 K`): entry `i` of the 256 is word `i / K` of bank
/// `i % K`. Small banks (K >= 4) become LUT RAM on ECP5 instead of block RAM: the search reads a
/// bank and compares its word with the target in one cycle, and a block RAM's clock-to-output
/// (5.6 ns on ECP5) was most of the 4x4 core's critical path.
pub type CumRam<const A: usize> = crate::rtl::sdp_ram::SdpRam<32, A>;

/// The score of lane `j >= 1` of the temperature pass 2 (lane 0 is the sampler's own pipeline,
/// not a `ScoreLane`: its multiplier also forms the two halves of `r * sum` for the target, so
/// one multiplier serves both and a one-lane sampler needs only one), in step with it: stage Q registers the logit `x` (as it arrives from the scratchpad, as magnitude and sign: the absolute value's carry chain is before the register), stage P
/// `pr = l * k` (signed), stage Z `zr = rshift_round(pr, sh)` (the output, registered).
#[derive(LogicBlock)]
pub struct ScoreLane {
    pub clock: Signal<In, Clock>,
    pub x: Signal<In, Bits<16>>,
    pub temp_k: Signal<In, Bits<16>>,
    pub sh: Signal<In, Bits<8>>,
    pub zr: Signal<Out, Bits<32>>,
    xa: DFF<Bits<16>>,
    xs: DFF<Bit>,
    pr: DFF<Bits<32>>,
    z: DFF<Bits<32>>,
    rsr: Rsr,
    absx: Signal<Local, Bits<16>>,
    mp: Signal<Local, Bits<32>>,
    p48: Signal<Local, Bits<48>>,
    hi48: Constant<Bits<48>>,
}

impl Default for ScoreLane {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            x: Default::default(),
            temp_k: Default::default(),
            sh: Default::default(),
            zr: Default::default(),
            xa: Default::default(),
            xs: Default::default(),
            pr: Default::default(),
            z: Default::default(),
            rsr: Default::default(),
            absx: Default::default(),
            mp: Default::default(),
            p48: Default::default(),
            hi48: Constant::new(0xffff_0000_0000u64.to_bits()),
        }
    }
}

impl Logic for ScoreLane {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, xa, xs, pr, z);
        self.absx.next = self.x.val();
        if self.x.val().get_bit(15) {
            self.absx.next = !self.x.val() + 1;
        }
        self.xa.d.next = self.absx.val();
        self.xs.d.next = self.x.val().get_bit(15);
        self.mp.next = self.xa.q.val() * self.temp_k.val();
        self.pr.d.next = self.mp.val();
        if self.xs.q.val() {
            self.pr.d.next = !self.mp.val() + 1;
        }
        self.p48.next = bit_cast::<48, 32>(self.pr.q.val());
        if self.pr.q.val().get_bit(31) {
            self.p48.next = bit_cast::<48, 32>(self.pr.q.val()) | self.hi48.val();
        }
        self.rsr.x.next = self.p48.val();
        self.rsr.s.next = self.sh.val();
        self.z.d.next = self.rsr.y.val().get_bits::<32>(0);
        self.zr.next = self.z.q.val();
    }
}

/// Stages D and E of one lane of the temperature pass 2: `ez = min(zmax - zr, 0xffff)`
/// registered, then `e32 = exp2_neg(ez)` (0 unless `m`: the lane holds a logit) registered (so
/// the running sum of stage F starts from registers), and the lane's
/// bank of the cumulative sums (`CumRam`: group `g`'s running sum through this lane at address
/// `g`), written through `we`, `waddr`, `wdata` (registered: the bank takes the write one edge
/// later; the search's first read comes three cycles after the last write, `t1`, `t2`, `prime`)
/// and read through `raddr` -> `rdata`.
#[derive(LogicBlock)]
pub struct SumLane<const A: usize> {
    pub clock: Signal<In, Clock>,
    pub zr: Signal<In, Bits<32>>,
    pub zmax: Signal<In, Bits<32>>,
    pub m: Signal<In, Bit>,
    pub e32: Signal<Out, Bits<32>>,
    pub we: Signal<In, Bit>,
    pub waddr: Signal<In, Bits<A>>,
    pub wdata: Signal<In, Bits<32>>,
    pub raddr: Signal<In, Bits<A>>,
    pub rdata: Signal<Out, Bits<32>>,
    ez: DFF<Bits<16>>,
    er: DFF<Bits<32>>,
    /// The write, registered before the bank (the running sum's chain ends at these
    /// registers, not at the banks spread over the chip).
    wq: DFF<Bit>,
    wa: DFF<Bits<A>>,
    wd: DFF<Bits<32>>,
    ram: CumRam<A>,
    exp: Exp2,
    dz: Signal<Local, Bits<32>>,
    ones16: Constant<Bits<16>>,
}

impl<const A: usize> Default for SumLane<A> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            zr: Default::default(),
            zmax: Default::default(),
            m: Default::default(),
            e32: Default::default(),
            we: Default::default(),
            waddr: Default::default(),
            wdata: Default::default(),
            raddr: Default::default(),
            rdata: Default::default(),
            ez: Default::default(),
            er: Default::default(),
            wq: Default::default(),
            wa: Default::default(),
            wd: Default::default(),
            ram: Default::default(),
            exp: Default::default(),
            dz: Default::default(),
            ones16: Constant::new(0xffffu64.to_bits()),
        }
    }
}

impl<const A: usize> Logic for SumLane<A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, ez, er, wq, wa, wd);
        self.dz.next = self.zmax.val() - self.zr.val();
        self.ez.d.next = self.dz.val().get_bits::<16>(0);
        if self.dz.val().get_bits::<16>(16) != 0 {
            self.ez.d.next = self.ones16.val();
        }
        self.exp.d.next = self.ez.q.val();
        self.er.d.next = 0.into();
        if self.m.val() {
            self.er.d.next = bit_cast::<32, 16>(self.exp.e.val());
        }
        self.e32.next = self.er.q.val();
        self.ram.clock.next = self.clock.val();
        self.wq.d.next = self.we.val();
        self.wa.d.next = self.waddr.val();
        self.wd.d.next = self.wdata.val();
        self.ram.we.next = self.wq.q.val();
        self.ram.waddr.next = self.wa.q.val();
        self.ram.wdata.next = self.wd.q.val();
        self.ram.raddr.next = self.raddr.val();
        self.rdata.next = self.ram.rdata.val();
    }
}

#[derive(LogicBlock)]
pub struct Sampler<const K: usize, const KW: usize, const KM: usize, const A: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub src: Signal<In, Bits<16>>,
    pub len: Signal<In, Bits<16>>,
    pub logit_frac: Signal<In, Bits<8>>,
    pub temp_k: Signal<In, Bits<16>>,
    pub seed_load: Signal<In, Bit>,
    pub seed: Signal<In, Bits<32>>,
    /// The xorshift32 state (contract 5): the batched core saves it per sequence after each
    /// SAMPLE and loads it back with `seed_load` in the start cycle of that sequence's next one.
    pub state: Signal<Out, Bits<32>>,
    /// Take the maximum (greedy: the token) from the snooped writes (contract 8).
    pub pre: Signal<In, Bit>,
    /// Snoop: pulsed with every unit's start; the next write restarts the maximum.
    pub sn_clear: Signal<In, Bit>,
    /// Snoop: the scratchpad's write enable, address and data (every writer's).
    pub sn_we: Signal<In, Bit>,
    pub sn_addr: Signal<In, Bits<16>>,
    pub sn_data: Signal<In, Bits<16>>,
    /// Snoop: the scratchpad's chunk write enable, lane mask (bit `j`: lane `j` written),
    /// address and data (K elements; tied low with K = 1).
    pub sk_we: Signal<In, Bit>,
    pub sk_wm: Signal<In, Bits<16>>,
    pub sk_addr: Signal<In, Bits<16>>,
    pub sk_data: Signal<In, Bits<KW>>,
    pub a_ren: Signal<Out, Bit>,
    pub a_raddr: Signal<Out, Bits<16>>,
    /// Elements `a_raddr + j` at bits `[16j +: 16]` (lanes `j >= 1` are read only in the
    /// temperature pass 2, at addresses that are multiples of `K`).
    pub a_rdata: Signal<In, Bits<KW>>,
    pub token: Signal<Out, Bits<8>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    act: DFF<Bit>,
    zdone: DFF<Bit>,
    rd: DFF<Bit>,
    pass2: DFF<Bit>,
    cnt: DFF<Bits<16>>,
    dv: DFF<Bit>,
    dp2: DFF<Bit>,
    dl: DFF<Bit>,
    di: DFF<Bits<16>>,
    best: DFF<Bits<16>>,
    gdone: DFF<Bit>,
    qv: DFF<Bit>,
    qp2: DFF<Bit>,
    ql: DFF<Bit>,
    qi: DFF<Bits<16>>,
    qx: DFF<Bits<16>>,
    pv: DFF<Bit>,
    pp2: DFF<Bit>,
    pl: DFF<Bit>,
    pi: DFF<Bits<16>>,
    pr: DFF<Bits<32>>,
    zv: DFF<Bit>,
    zp2: DFF<Bit>,
    zl: DFF<Bit>,
    zi: DFF<Bits<16>>,
    zr: DFF<Bits<32>>,
    zmax: DFF<Bits<32>>,
    ev: DFF<Bit>,
    el: DFF<Bit>,
    ei: DFF<Bits<16>>,
    fv: DFF<Bit>,
    fl: DFF<Bit>,
    fi: DFF<Bits<16>>,
    rl: DFF<Bits<8>>,
    sum: DFF<Bits<32>>,
    t1: DFF<Bit>,
    t2: DFF<Bit>,
    rr: DFF<Bits<16>>,
    lo: DFF<Bits<32>>,
    target: DFF<Bits<32>>,
    prime: DFF<Bit>,
    srch: DFF<Bit>,
    st: DFF<Bits<16>>,
    step: DFF<Bits<16>>,
    pos: DFF<Bits<16>>,
    inr: DFF<Bit>,
    rng: DFF<Bits<32>>,
    snoop: WriteSnoop<KW>,
    mx: DFF<Bits<16>>,
    mxa: DFF<Bits<16>>,
    pg: DFF<Bit>,
    inj: DFF<Bit>,
    /// Lane 0's stages D, E and bank (its score is this pipeline's), lanes `1 + j`'s score and
    /// stages D, E and bank (`KM = K - 1` of each).
    head: SumLane<A>,
    score: Vec<ScoreLane>,
    tail: Vec<SumLane<A>>,
    rsr: Rsr,
    greedy: Signal<Local, Bit>,
    go: Signal<Local, Bit>,
    fin: Signal<Local, Bit>,
    rcur: Signal<Local, Bit>,
    icur: Signal<Local, Bits<16>>,
    pcur: Signal<Local, Bit>,
    lastr: Signal<Local, Bit>,
    absx: Signal<Local, Bits<16>>,
    ma: Signal<Local, Bits<16>>,
    mb: Signal<Local, Bits<16>>,
    mp: Signal<Local, Bits<32>>,
    p48: Signal<Local, Bits<48>>,
    /// Stage F's prefix sums of the group (levels at distance 1, 2, 4 and 8 lanes; `pf4[j]` is
    /// `p` of lanes 0 ..= 1 + j), the window of the previous lanes' values, the carried base
    /// and the group's total.
    pf1: Vec<Signal<Local, Bits<32>>>,
    pf2: Vec<Signal<Local, Bits<32>>>,
    pf3: Vec<Signal<Local, Bits<32>>>,
    pf4: Vec<Signal<Local, Bits<32>>>,
    w1: Signal<Local, Bits<32>>,
    w2: Signal<Local, Bits<32>>,
    w3: Signal<Local, Bits<32>>,
    w4: Signal<Local, Bits<32>>,
    w5: Signal<Local, Bits<32>>,
    w6: Signal<Local, Bits<32>>,
    w7: Signal<Local, Bits<32>>,
    w8: Signal<Local, Bits<32>>,
    base: Signal<Local, Bits<32>>,
    last: Signal<Local, Bits<32>>,
    pword: Signal<Local, Bits<16>>,
    plane: Signal<Local, Bits<16>>,
    rsel: Signal<Local, Bits<32>>,
    x0: Signal<Local, Bits<16>>,
    x1: Signal<Local, Bits<32>>,
    x2: Signal<Local, Bits<32>>,
    x3: Signal<Local, Bits<32>>,
    adv: Signal<Local, Bit>,
    npos: Signal<Local, Bits<16>>,
    pstep: Signal<Local, Bits<16>>,
    nstep: Signal<Local, Bits<16>>,
    probe: Signal<Local, Bits<16>>,
    c0: Signal<Local, Bits<16>>,
    c1: Signal<Local, Bits<16>>,
    pin: Signal<Local, Bit>,
    lm1: Signal<Local, Bits<17>>,
    ld: Signal<Local, Bits<16>>,
    take: Signal<Local, Bit>,
    /// The snooped chunk: lane `j` is the largest written lane (lowest lane on ties) (`win`),
    /// its value and lane (`gv`, `gl`); the candidate of this cycle's write, chunk or element
    /// (`cv`, `ca`, `cok`).
    win: Vec<Signal<Local, Bit>>,
    gv: Signal<Local, Bits<16>>,
    gl: Signal<Local, Bits<16>>,
    cv: Signal<Local, Bits<16>>,
    ca: Signal<Local, Bits<16>>,
    cok: Signal<Local, Bit>,
    sign16: Constant<Bits<16>>,
    sign32: Constant<Bits<32>>,
    hi48: Constant<Bits<48>>,
    seed0: Constant<Bits<32>>,
    /// `log2 K`, `K - 1` and the index `1 + j` of tail lane `j` (16 and 8 bits).
    lgk: Constant<Bits<8>>,
    kmask: Constant<Bits<16>>,
    lane16: Vec<Constant<Bits<16>>>,
    lane8: Vec<Constant<Bits<8>>>,
    /// The index `j` of chunk lane `j`.
    lidx: Vec<Constant<Bits<16>>>,
}

impl<const K: usize, const KW: usize, const KM: usize, const A: usize> Default for Sampler<K, KW, KM, A> {
    fn default() -> Self {
        assert!(
            K.is_power_of_two() && K <= 16 && KW == 16 * K && KM + 1 == K && (1 << A) == bank_entries(K),
            "Sampler<K, 16 K, K - 1, 8 - log2 K> with K a power of two up to 16"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            src: Default::default(),
            len: Default::default(),
            logit_frac: Default::default(),
            temp_k: Default::default(),
            seed_load: Default::default(),
            seed: Default::default(),
            state: Default::default(),
            pre: Default::default(),
            sn_clear: Default::default(),
            sn_we: Default::default(),
            sn_addr: Default::default(),
            sn_data: Default::default(),
            sk_we: Default::default(),
            sk_wm: Default::default(),
            sk_addr: Default::default(),
            sk_data: Default::default(),
            a_ren: Default::default(),
            a_raddr: Default::default(),
            a_rdata: Default::default(),
            token: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            act: Default::default(),
            zdone: Default::default(),
            rd: Default::default(),
            pass2: Default::default(),
            cnt: Default::default(),
            dv: Default::default(),
            dp2: Default::default(),
            dl: Default::default(),
            di: Default::default(),
            best: Default::default(),
            gdone: Default::default(),
            qv: Default::default(),
            qp2: Default::default(),
            ql: Default::default(),
            qi: Default::default(),
            qx: Default::default(),
            pv: Default::default(),
            pp2: Default::default(),
            pl: Default::default(),
            pi: Default::default(),
            pr: Default::default(),
            zv: Default::default(),
            zp2: Default::default(),
            zl: Default::default(),
            zi: Default::default(),
            zr: Default::default(),
            zmax: Default::default(),
            ev: Default::default(),
            el: Default::default(),
            ei: Default::default(),
            fv: Default::default(),
            fl: Default::default(),
            fi: Default::default(),
            rl: Default::default(),
            sum: Default::default(),
            t1: Default::default(),
            t2: Default::default(),
            rr: Default::default(),
            lo: Default::default(),
            target: Default::default(),
            prime: Default::default(),
            srch: Default::default(),
            st: Default::default(),
            step: Default::default(),
            pos: Default::default(),
            inr: Default::default(),
            rng: Default::default(),
            snoop: Default::default(),
            mx: Default::default(),
            mxa: Default::default(),
            pg: Default::default(),
            inj: Default::default(),
            head: Default::default(),
            score: (0..KM).map(|_| ScoreLane::default()).collect(),
            tail: (0..KM).map(|_| SumLane::<A>::default()).collect(),
            rsr: Default::default(),
            greedy: Default::default(),
            go: Default::default(),
            fin: Default::default(),
            rcur: Default::default(),
            icur: Default::default(),
            pcur: Default::default(),
            lastr: Default::default(),
            absx: Default::default(),
            ma: Default::default(),
            mb: Default::default(),
            mp: Default::default(),
            p48: Default::default(),
            pf1: (0..KM).map(|_| Default::default()).collect(),
            pf2: (0..KM).map(|_| Default::default()).collect(),
            pf3: (0..KM).map(|_| Default::default()).collect(),
            pf4: (0..KM).map(|_| Default::default()).collect(),
            w1: Default::default(),
            w2: Default::default(),
            w3: Default::default(),
            w4: Default::default(),
            w5: Default::default(),
            w6: Default::default(),
            w7: Default::default(),
            w8: Default::default(),
            base: Default::default(),
            last: Default::default(),
            pword: Default::default(),
            plane: Default::default(),
            rsel: Default::default(),
            x0: Default::default(),
            x1: Default::default(),
            x2: Default::default(),
            x3: Default::default(),
            adv: Default::default(),
            npos: Default::default(),
            pstep: Default::default(),
            nstep: Default::default(),
            probe: Default::default(),
            c0: Default::default(),
            c1: Default::default(),
            pin: Default::default(),
            lm1: Default::default(),
            ld: Default::default(),
            take: Default::default(),
            win: (0..K).map(|_| Default::default()).collect(),
            gv: Default::default(),
            gl: Default::default(),
            cv: Default::default(),
            ca: Default::default(),
            cok: Default::default(),
            sign16: Constant::new(0x8000u64.to_bits()),
            sign32: Constant::new(0x8000_0000u64.to_bits()),
            hi48: Constant::new(0xffff_0000_0000u64.to_bits()),
            seed0: Constant::new((XorShift32::new(0).0 as u64).to_bits()),
            lgk: Constant::new((K.trailing_zeros() as u64).to_bits()),
            kmask: Constant::new(((K - 1) as u64).to_bits()),
            lane16: (0..KM).map(|j| Constant::new((j as u64 + 1).to_bits())).collect(),
            lane8: (0..KM).map(|j| Constant::new((j as u64 + 1).to_bits())).collect(),
            lidx: (0..K).map(|j| Constant::new((j as u64).to_bits())).collect(),
        }
    }
}

impl<const K: usize, const KW: usize, const KM: usize, const A: usize> Logic for Sampler<K, KW, KM, A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, act, zdone, rd, pass2, cnt, dv, dp2, dl, di, best, gdone, qv, qp2, ql, qi, qx, pv, pp2, pl, pi, pr, zv, zp2, zl, zi, zr, zmax, ev, el, ei,
            fv, fl, fi, sum, t1, t2, rr, lo, target, prime, srch, st, step, pos, inr, rng, mx, mxa, pg, inj, rl
        );
        // Snoop: the largest written value and the lowest address holding it. A chunk write
        // (registered beside the snoop's) offers its largest written lane, the lowest on ties:
        // lane j wins when it beats every written lane before it and is not below one after it
        // (all pairs compared at once, one comparison deep).
        self.snoop.clock.next = self.clock.val();
        self.snoop.reset.next = self.reset.val();
        self.snoop.clear.next = self.sn_clear.val();
        self.snoop.we.next = self.sn_we.val();
        self.snoop.waddr.next = self.sn_addr.val();
        self.snoop.wdata.next = self.sn_data.val();
        self.snoop.kwe.next = self.sk_we.val();
        self.snoop.kwm.next = self.sk_wm.val();
        self.snoop.kaddr.next = self.sk_addr.val();
        self.snoop.kdata.next = self.sk_data.val();
        self.gv.next = 0.into();
        self.gl.next = 0.into();
        for j in 0..K {
            self.win[j].next = self.snoop.km.val().get_bit(j);
            for i in 0..K {
                if i < j {
                    if self.snoop.km.val().get_bit(i)
                        & ((self.snoop.kd.val().get_bits::<16>(16 * j) ^ self.sign16.val()) <= (self.snoop.kd.val().get_bits::<16>(16 * i) ^ self.sign16.val()))
                    {
                        self.win[j].next = false;
                    }
                }
                if i > j {
                    if self.snoop.km.val().get_bit(i)
                        & ((self.snoop.kd.val().get_bits::<16>(16 * i) ^ self.sign16.val()) > (self.snoop.kd.val().get_bits::<16>(16 * j) ^ self.sign16.val()))
                    {
                        self.win[j].next = false;
                    }
                }
            }
            if self.win[j].val() {
                self.gv.next = self.snoop.kd.val().get_bits::<16>(16 * j);
                self.gl.next = self.lidx[j].val();
            }
        }
        self.cv.next = self.snoop.data.val();
        self.ca.next = self.snoop.addr.val();
        // Every write the snoop shows writes a value: a chunk write has a lane, so one wins.
        self.cok.next = self.snoop.v.val();
        if self.snoop.kv.val() {
            self.cv.next = self.gv.val();
            // The chunk's address is a multiple of K (the scratchpad's chunk port): its lane
            // index fills the low bits, no add (the add was on the 8x8 two-lane core's path
            // at c5b3970: the lane select -> ska + gl -> the tie compare -> mxa, 22.20 ns).
            self.ca.next = self.snoop.ka.val() | self.gl.val();
        }
        self.take.next = self.snoop.first.val()
            | ((self.cv.val() ^ self.sign16.val()) > (self.mx.q.val() ^ self.sign16.val()))
            | ((self.cv.val() == self.mx.q.val()) & (self.ca.val() < self.mxa.q.val()));
        if self.cok.val() & self.take.val() {
            self.mx.d.next = self.cv.val();
            self.mxa.d.next = self.ca.val();
        }
        self.greedy.next = self.temp_k.val() == 0;
        self.go.next = self.start.val() & !self.act.q.val() & !self.zdone.q.val();
        self.zdone.d.next = self.go.val() & (self.len.val() == 0);
        if self.go.val() {
            self.pos.d.next = 0.into();
        }
        // Read stream: pass 1 from the start cycle, pass 2 (temperature only) right after it.
        self.rcur.next = self.rd.q.val();
        self.icur.next = self.cnt.q.val();
        self.pcur.next = self.pass2.q.val();
        self.pg.d.next = false;
        if self.go.val() & (self.len.val() != 0) & self.pre.val() & self.greedy.val() {
            self.act.d.next = true;
            self.pg.d.next = true;
        }
        if self.go.val() & (self.len.val() != 0) & self.pre.val() & !self.greedy.val() {
            // Only the second pass reads, from cycle 1.
            self.act.d.next = true;
            self.rd.d.next = true;
            self.pass2.d.next = true;
            self.cnt.d.next = 0.into();
            self.st.d.next = 0.into();
            if self.len.val() > 1 {
                self.st.d.next = 1.into();
            }
        }
        if self.go.val() & (self.len.val() != 0) & !self.pre.val() {
            self.rcur.next = true;
            self.icur.next = 0.into();
            self.pcur.next = false;
            self.act.d.next = true;
            self.st.d.next = 0.into();
            if self.len.val() > 1 {
                self.st.d.next = 1.into();
            }
        }
        // Pass 1 (and greedy) reads element `icur`; pass 2 reads group `icur` (elements
        // `K icur ..`), the last group possibly partial.
        self.lastr.next = (self.icur.val() + 1) == self.len.val();
        self.a_raddr.next = self.src.val() + self.icur.val();
        if self.pcur.val() {
            self.lastr.next = ((self.icur.val() + 1) << self.lgk.val()) >= self.len.val();
            self.a_raddr.next = self.src.val() + (self.icur.val() << self.lgk.val());
        }
        self.a_ren.next = self.rcur.val();
        if self.rcur.val() {
            self.cnt.d.next = self.icur.val() + 1;
            self.rd.d.next = true;
            self.pass2.d.next = self.pcur.val();
            if self.lastr.val() {
                self.cnt.d.next = 0.into();
                self.pass2.d.next = true;
                if self.pcur.val() | self.greedy.val() {
                    self.rd.d.next = false;
                }
            }
        }
        self.dv.d.next = self.rcur.val();
        self.dp2.d.next = self.pcur.val();
        self.dl.d.next = self.lastr.val();
        self.di.d.next = self.icur.val();
        // With `pre` and a temperature, the snooped maximum enters the first pass's pipeline in
        // cycle 1 as its only (and last) element.
        self.inj.d.next = false;
        if self.go.val() & (self.len.val() != 0) & self.pre.val() & !self.greedy.val() {
            self.inj.d.next = true;
            self.dv.d.next = true;
            self.dp2.d.next = false;
            self.dl.d.next = true;
            self.di.d.next = 0.into();
        }
        self.x0.next = self.a_rdata.val().get_bits::<16>(0);
        self.ld.next = self.x0.val();
        if self.inj.q.val() {
            self.ld.next = self.mx.q.val();
        }
        // The step of the search, found while the passes run: the largest power of two <= len - 1.
        self.lm1.next = bit_cast::<17, 16>(self.len.val()) - 1;
        if (self.st.q.val() != 0) & ((bit_cast::<17, 16>(self.st.q.val()) << 1) <= self.lm1.val()) {
            self.st.d.next = self.st.q.val() << 1;
        }
        // Greedy: the first largest logit.
        self.gdone.d.next = false;
        if self.dv.q.val() & self.greedy.val() {
            if (self.di.q.val() == 0) | ((self.x0.val() ^ self.sign16.val()) > (self.best.q.val() ^ self.sign16.val())) {
                self.best.d.next = self.x0.val();
                self.pos.d.next = self.di.q.val();
            }
            self.gdone.d.next = self.dl.q.val();
        }
        if self.pg.q.val() {
            self.pos.d.next = self.mxa.q.val() - self.src.val();
            self.gdone.d.next = true;
        }
        // Stage Q: the logit registered (a block RAM's output does not reach the multiplier).
        self.qv.d.next = self.dv.q.val() & !self.greedy.val();
        self.qp2.d.next = self.dp2.q.val();
        self.ql.d.next = self.dl.q.val();
        self.qi.d.next = self.di.q.val();
        self.qx.d.next = self.ld.val();
        // The shared multiplier.
        self.absx.next = self.qx.q.val();
        if self.qx.q.val().get_bit(15) {
            self.absx.next = !self.qx.q.val() + 1;
        }
        self.x1.next = self.rng.q.val() ^ (self.rng.q.val() << 13);
        self.x2.next = self.x1.val() ^ (self.x1.val() >> 17);
        self.x3.next = self.x2.val() ^ (self.x2.val() << 5);
        self.ma.next = self.absx.val();
        self.mb.next = self.temp_k.val();
        if self.t1.q.val() {
            self.ma.next = self.x3.val().get_bits::<16>(16);
            self.mb.next = self.sum.q.val().get_bits::<16>(0);
        }
        if self.t2.q.val() {
            self.ma.next = self.rr.q.val();
            self.mb.next = self.sum.q.val().get_bits::<16>(16);
        }
        self.mp.next = self.ma.val() * self.mb.val();
        // Stage P: the signed product l_i * k.
        self.pv.d.next = self.qv.q.val();
        self.pp2.d.next = self.qp2.q.val();
        self.pl.d.next = self.ql.q.val();
        self.pi.d.next = self.qi.q.val();
        self.pr.d.next = self.mp.val();
        if self.qx.q.val().get_bit(15) {
            self.pr.d.next = !self.mp.val() + 1;
        }
        // Stage Z: the score z_i.
        self.p48.next = bit_cast::<48, 32>(self.pr.q.val());
        if self.pr.q.val().get_bit(31) {
            self.p48.next = bit_cast::<48, 32>(self.pr.q.val()) | self.hi48.val();
        }
        self.rsr.x.next = self.p48.val();
        self.rsr.s.next = self.logit_frac.val() + 4;
        self.zv.d.next = self.pv.q.val();
        self.zp2.d.next = self.pp2.q.val();
        self.zl.d.next = self.pl.q.val();
        self.zi.d.next = self.pi.q.val();
        self.zr.d.next = self.rsr.y.val().get_bits::<32>(0);
        // The lanes of pass 2: lane 0's score is this pipeline's; lanes 1 .. K-1 score their
        // logits in step with it; every lane's stage D from its score and the pass-1 maximum.
        self.head.clock.next = self.clock.val();
        self.head.zr.next = self.zr.q.val();
        self.head.zmax.next = self.zmax.q.val();
        for j in 0..KM {
            self.score[j].clock.next = self.clock.val();
            self.score[j].x.next = self.a_rdata.val().get_bits::<16>(16 * j + 16);
            self.score[j].temp_k.next = self.temp_k.val();
            self.score[j].sh.next = self.logit_frac.val() + 4;
            self.tail[j].clock.next = self.clock.val();
            self.tail[j].zr.next = self.score[j].zr.val();
            self.tail[j].zmax.next = self.zmax.q.val();
        }
        // Stage D: pass 2's flags, registered (the pass-1 maximum is final when pass 2's first
        // scores get here).
        self.ev.d.next = self.zv.q.val() & self.zp2.q.val();
        self.el.d.next = self.zl.q.val();
        self.ei.d.next = self.zi.q.val();
        // Stage E: each lane's p_i (0 past len), registered. Stage F: their running sums into
        // the lanes' banks at the group's address; the sum of the group carried on. The group's
        // own prefix sums are a tree (Hillis-Steele: level d adds the value 2^(d-1) lanes back,
        // kept in a window of locals since a lane's neighbours cannot be indexed; lanes before
        // 0 count 0, and an add of 0 is no adder after synthesis), so each lane's sum is
        // log2 K + 1 adds deep, not K.
        self.head.m.next = (self.ei.q.val() << self.lgk.val()) < self.len.val();
        for j in 0..KM {
            self.tail[j].m.next = ((self.ei.q.val() << self.lgk.val()) + self.lane16[j].val()) < self.len.val();
        }
        self.fv.d.next = self.ev.q.val();
        self.fl.d.next = self.el.q.val();
        self.fi.d.next = self.ei.q.val();
        self.w1.next = self.head.e32.val();
        for j in 0..KM {
            self.pf1[j].next = self.tail[j].e32.val() + self.w1.val();
            self.w1.next = self.tail[j].e32.val();
        }
        self.w1.next = self.head.e32.val();
        self.w2.next = 0.into();
        for j in 0..KM {
            self.pf2[j].next = self.pf1[j].val() + self.w2.val();
            self.w2.next = self.w1.val();
            self.w1.next = self.pf1[j].val();
        }
        self.w1.next = self.head.e32.val();
        self.w2.next = 0.into();
        self.w3.next = 0.into();
        self.w4.next = 0.into();
        for j in 0..KM {
            self.pf3[j].next = self.pf2[j].val() + self.w4.val();
            self.w4.next = self.w3.val();
            self.w3.next = self.w2.val();
            self.w2.next = self.w1.val();
            self.w1.next = self.pf2[j].val();
        }
        self.w1.next = self.head.e32.val();
        self.w2.next = 0.into();
        self.w3.next = 0.into();
        self.w4.next = 0.into();
        self.w5.next = 0.into();
        self.w6.next = 0.into();
        self.w7.next = 0.into();
        self.w8.next = 0.into();
        for j in 0..KM {
            self.pf4[j].next = self.pf3[j].val() + self.w8.val();
            self.w8.next = self.w7.val();
            self.w7.next = self.w6.val();
            self.w6.next = self.w5.val();
            self.w5.next = self.w4.val();
            self.w4.next = self.w3.val();
            self.w3.next = self.w2.val();
            self.w2.next = self.w1.val();
            self.w1.next = self.pf3[j].val();
        }
        self.base.next = self.sum.q.val();
        if self.fi.q.val() == 0 {
            self.base.next = 0.into();
        }
        self.head.we.next = self.fv.q.val();
        self.head.waddr.next = self.fi.q.val().get_bits::<A>(0);
        self.head.wdata.next = self.base.val() + self.head.e32.val();
        self.last.next = self.head.e32.val();
        for j in 0..KM {
            self.tail[j].we.next = self.fv.q.val();
            self.tail[j].waddr.next = self.fi.q.val().get_bits::<A>(0);
            self.tail[j].wdata.next = self.base.val() + self.pf4[j].val();
            self.last.next = self.pf4[j].val();
        }
        if self.zv.q.val()
            & !self.zp2.q.val()
            & ((self.zi.q.val() == 0) | ((self.zr.q.val() ^ self.sign32.val()) > (self.zmax.q.val() ^ self.sign32.val())))
        {
            self.zmax.d.next = self.zr.q.val();
        }
        if self.fv.q.val() {
            self.sum.d.next = self.base.val() + self.last.val();
        }
        // The random number and the target: lo half, then hi half of r * sum.
        self.t1.d.next = self.fv.q.val() & self.fl.q.val();
        self.t2.d.next = self.t1.q.val();
        if self.t1.q.val() {
            self.rng.d.next = self.x3.val();
            self.rr.d.next = self.x3.val().get_bits::<16>(16);
            self.lo.d.next = self.mp.val();
        }
        if self.t2.q.val() {
            self.target.d.next = self.mp.val() + (self.lo.q.val() >> 16);
        }
        // Binary search for the first cumulative sum above the target, one step per cycle.
        self.prime.d.next = self.t2.q.val();
        self.rsel.next = self.head.rdata.val();
        for j in 0..KM {
            if self.rl.q.val() == self.lane8[j].val() {
                self.rsel.next = self.tail[j].rdata.val();
            }
        }
        // Both next probes are found from the registers while the bank is read; the comparison
        // only picks one (the bank's read address is not behind an adder).
        self.nstep.next = self.step.q.val() >> 1;
        self.pstep.next = self.pos.q.val() + self.step.q.val();
        self.c0.next = self.pos.q.val() + self.nstep.val() - 1;
        self.c1.next = self.pstep.val() + self.nstep.val() - 1;
        self.adv.next = self.inr.q.val() & (self.rsel.val() <= self.target.q.val());
        self.npos.next = self.pos.q.val();
        self.probe.next = self.c0.val();
        self.pin.next = self.c0.val() < self.len.val();
        if self.adv.val() {
            self.npos.next = self.pstep.val();
            self.probe.next = self.c1.val();
            self.pin.next = self.c1.val() < self.len.val();
        }
        if self.prime.q.val() {
            self.probe.next = self.st.q.val() - 1;
            self.pin.next = (self.st.q.val() - 1) < self.len.val();
            self.pos.d.next = 0.into();
            self.step.d.next = self.st.q.val();
            self.srch.d.next = true;
        }
        self.pword.next = self.probe.val() >> self.lgk.val();
        self.plane.next = self.probe.val() & self.kmask.val();
        self.head.raddr.next = self.pword.val().get_bits::<A>(0);
        for j in 0..KM {
            self.tail[j].raddr.next = self.pword.val().get_bits::<A>(0);
        }
        self.rl.d.next = self.plane.val().get_bits::<8>(0);
        self.inr.d.next = self.pin.val();
        self.fin.next = self.gdone.q.val() | self.zdone.q.val();
        if self.srch.q.val() {
            if self.step.q.val() == 0 {
                self.fin.next = true;
                self.srch.d.next = false;
            } else {
                self.pos.d.next = self.npos.val();
                self.step.d.next = self.nstep.val();
            }
        }
        if self.fin.val() {
            self.act.d.next = false;
        }
        self.done.next = self.fin.val();
        self.token.next = self.pos.q.val().get_bits::<8>(0);
        self.busy.next = self.act.q.val();
        self.state.next = self.rng.q.val();
        if self.seed_load.val() {
            self.rng.d.next = self.seed.val();
        }
        if self.reset.val() {
            self.act.d.next = false;
            self.zdone.d.next = false;
            self.rd.d.next = false;
            self.dv.d.next = false;
            self.gdone.d.next = false;
            self.qv.d.next = false;
            self.pv.d.next = false;
            self.zv.d.next = false;
            self.ev.d.next = false;
            self.fv.d.next = false;
            self.t1.d.next = false;
            self.t2.d.next = false;
            self.prime.d.next = false;
            self.srch.d.next = false;
            self.pg.d.next = false;
            self.inj.d.next = false;
            self.rng.d.next = self.seed0.val();
        }
    }
}
