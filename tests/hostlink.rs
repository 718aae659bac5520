//! The generated host link in Verilator, driven through its UART pins by the host code
//! (`PinLink` + `UartPins` + `session`), with a fake core played here in Rust on its core-side
//! ports: every decoded field checked at `cmd_start`, characters pushed with and without gaps
//! (filling the TX buffer so `out_ready` falls and the core stalls), then `gen_done` with a
//! status that must come back exactly. Malformed frames, a busy core, quiet mode, divisors 4
//! and 13, and a check shown to fail on a corrupted expectation. One Verilator build per
//! configuration, shared by every check.

use llmpu::host::link::Link;
use llmpu::host::protocol::{checksum, Event, Request, Status, StatusCode, MAGIC};
use llmpu::host::{session, PinDevice, PinLink};
use llmpu::rtl::hostlink::{HostLinkConfig, HostLinkParams};
use llmpu::sim::{BuildOptions, Model, PortId, Sim};
use llmpu::Result;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::OnceLock;
use std::time::Duration;

const BAUD: u32 = 115_200;

/// Divisor 4, a 16-byte buffer (fills fast), prompts up to 15 tokens.
fn cfg4() -> HostLinkConfig {
    HostLinkConfig::try_from(HostLinkParams { clock_hz: 4 * BAUD as u64, baud: BAUD, buffer: 16, max_prompt: 15, timeout_bytes: 4 }).unwrap()
}

/// Divisor 13, a 32-byte buffer, prompts up to 7 tokens.
fn cfg13() -> HostLinkConfig {
    HostLinkConfig::try_from(HostLinkParams { clock_hz: 13 * BAUD as u64, baud: BAUD, buffer: 32, max_prompt: 7, timeout_bytes: 4 }).unwrap()
}

fn model(cfg: &HostLinkConfig) -> &'static Model {
    static M4: OnceLock<Model> = OnceLock::new();
    static M13: OnceLock<Model> = OnceLock::new();
    let cell = if cfg.divisor == 4 { &M4 } else { &M13 };
    cell.get_or_init(|| llmpu::sim::hostlink::build(cfg, &BuildOptions::default()).unwrap_or_else(|e| panic!("building the host link: {e}")))
}

/// What the fake core saw at a `cmd_start`.
#[derive(Debug, Clone, PartialEq)]
struct Decoded {
    req: Request,
}

/// How the fake core answers a command.
#[derive(Debug, Clone)]
struct Script {
    text: Vec<u8>,
    tokens: u32,
    names: u16,
    /// Probability of an idle cycle between two characters.
    gap: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Idle,
    Prompt { i: u8, n: u8 },
    Emit,
    Done,
}

struct FakeCore {
    sim: Sim,
    ids: Ids,
    rng: ChaCha8Rng,
    script: Script,
    phase: Phase,
    /// Force `core_busy` high (a core busy with something else).
    force_busy: bool,
    started: Vec<Decoded>,
    pending: Option<Request>,
    emitted: usize,
    cycles: u64,
    stall: u64,
    /// Cycles `out_valid` was offered while `out_ready` was low, over all commands.
    pub stalled_total: u64,
    st: (u32, u16, u64, u64),
    gen_done: bool,
}

struct Ids {
    uart_rx: PortId,
    uart_tx: PortId,
    reset: PortId,
    cmd_start: PortId,
    cmd_seed: PortId,
    cmd_temp_k: PortId,
    cmd_count: PortId,
    cmd_names: PortId,
    cmd_quiet: PortId,
    cmd_prompt_len: PortId,
    prompt_idx: PortId,
    prompt_tok: PortId,
    out_valid: PortId,
    out_byte: PortId,
    out_ready: PortId,
    gen_done: PortId,
    st_tokens: PortId,
    st_names: PortId,
    st_cycles: PortId,
    st_stall: PortId,
    core_busy: PortId,
}

impl FakeCore {
    fn new(model: &Model, seed: u64, script: Script) -> Result<Self> {
        let sim = model.sim(seed);
        let p = |n: &str| sim.port(n);
        let ids = Ids {
            uart_rx: p("uart_rx")?,
            uart_tx: p("uart_tx")?,
            reset: p("reset")?,
            cmd_start: p("cmd_start")?,
            cmd_seed: p("cmd_seed")?,
            cmd_temp_k: p("cmd_temp_k")?,
            cmd_count: p("cmd_count")?,
            cmd_names: p("cmd_names")?,
            cmd_quiet: p("cmd_quiet")?,
            cmd_prompt_len: p("cmd_prompt_len")?,
            prompt_idx: p("prompt_idx")?,
            prompt_tok: p("prompt_tok")?,
            out_valid: p("out_valid")?,
            out_byte: p("out_byte")?,
            out_ready: p("out_ready")?,
            gen_done: p("gen_done")?,
            st_tokens: p("st_tokens")?,
            st_names: p("st_names")?,
            st_cycles: p("st_cycles")?,
            st_stall: p("st_stall")?,
            core_busy: p("core_busy")?,
        };
        let mut c = FakeCore {
            sim,
            ids,
            rng: ChaCha8Rng::seed_from_u64(seed),
            script,
            phase: Phase::Idle,
            force_busy: false,
            started: Vec::new(),
            pending: None,
            emitted: 0,
            cycles: 0,
            stall: 0,
            stalled_total: 0,
            st: (0, 0, 0, 0),
            gen_done: false,
        };
        // Reset with every input at a defined level.
        for id in [c.ids.out_valid, c.ids.gen_done, c.ids.core_busy, c.ids.prompt_idx, c.ids.out_byte] {
            c.sim.set_id(id, 0)?;
        }
        c.sim.set_id(c.ids.uart_rx, 1)?;
        c.sim.set_id(c.ids.reset, 1)?;
        for _ in 0..3 {
            c.sim.tick();
        }
        c.sim.set_id(c.ids.reset, 0)?;
        Ok(c)
    }
}

impl PinDevice for FakeCore {
    fn clock(&mut self, rx: bool) -> Result<bool> {
        let s = &mut self.sim;
        let id = &self.ids;
        s.set_id(id.uart_rx, rx as u64)?;
        s.set_id(id.gen_done, 0)?;
        s.set_id(id.out_valid, 0)?;
        let running = !matches!(self.phase, Phase::Idle | Phase::Done);
        if running {
            self.cycles += 1;
        }
        match self.phase {
            Phase::Idle | Phase::Done => {
                if s.get_id(id.cmd_start)? == 1 {
                    let plen = s.get_id(id.cmd_prompt_len)? as u8;
                    self.pending = Some(Request {
                        seed: s.get_id(id.cmd_seed)? as u32,
                        temp_k: s.get_id(id.cmd_temp_k)? as u16,
                        count: s.get_id(id.cmd_count)? as u16,
                        names: s.get_id(id.cmd_names)? == 1,
                        quiet: s.get_id(id.cmd_quiet)? == 1,
                        prompt: Vec::new(),
                    });
                    self.phase = Phase::Prompt { i: 0, n: plen };
                    self.cycles = 1;
                    self.stall = 0;
                    self.emitted = 0;
                    self.gen_done = false;
                    s.set_id(id.prompt_idx, 0)?;
                }
            }
            Phase::Prompt { i, n } => {
                // prompt_tok shows the token of the index set in the previous cycle.
                if i < n {
                    let t = s.get_id(id.prompt_tok)? as u8;
                    if let Some(r) = &mut self.pending {
                        r.prompt.push(t);
                    }
                }
                if i + 1 >= n {
                    self.phase = Phase::Emit;
                    if let Some(r) = self.pending.take() {
                        self.started.push(Decoded { req: r });
                    }
                } else {
                    s.set_id(id.prompt_idx, u64::from(i) + 1)?;
                    self.phase = Phase::Prompt { i: i + 1, n };
                }
            }
            Phase::Emit => {
                let quiet = self.started.last().map(|d| d.req.quiet).unwrap_or(false);
                let text = if quiet { &[][..] } else { &self.script.text[..] };
                if self.emitted < text.len() {
                    if self.rng.random::<f64>() >= self.script.gap {
                        s.set_id(id.out_valid, 1)?;
                        s.set_id(id.out_byte, u64::from(text[self.emitted]))?;
                        if s.get_id(id.out_ready)? == 1 {
                            self.emitted += 1;
                        } else {
                            self.stall += 1;
                            self.stalled_total += 1;
                        }
                    }
                } else {
                    // gen_done: the status counts, cycles from cmd_start to this cycle inclusive.
                    self.st = (self.script.tokens, self.script.names, cycles_field(self.cycles), stall_field(self.stall));
                    s.set_id(id.gen_done, 1)?;
                    self.phase = Phase::Done;
                    self.gen_done = true;
                }
            }
        }
        s.set_id(id.st_tokens, u64::from(self.st.0))?;
        s.set_id(id.st_names, u64::from(self.st.1))?;
        s.set_id(id.st_cycles, self.st.2)?;
        s.set_id(id.st_stall, self.st.3)?;
        let busy = self.force_busy || matches!(self.phase, Phase::Prompt { .. } | Phase::Emit);
        s.set_id(id.core_busy, busy as u64)?;
        s.tick();
        Ok(s.get_id(id.uart_tx)? == 1)
    }
}

const TIMEOUT: Duration = Duration::from_millis(50);

fn link(cfg: &HostLinkConfig, seed: u64, script: Script) -> PinLink<FakeCore> {
    let core = FakeCore::new(model(cfg), seed, script).unwrap();
    let mut l = PinLink::new(core, cfg.divisor, cfg.clock_hz as f64).unwrap();
    l.idle(20).unwrap();
    l
}

/// Runs a request; returns the characters and the status record (also for error statuses).
fn exchange(l: &mut PinLink<FakeCore>, frame: &[u8]) -> (String, Result<Status>, Option<Status>) {
    l.write_all(frame).unwrap();
    let mut text = String::new();
    let mut rec = None;
    let r = session::receive(l, TIMEOUT, &mut |e| match e {
        Event::Char(c) => text.push(*c),
        Event::Status(s) => rec = Some(*s),
        Event::Corrupt(_) => {}
    });
    (text, r, rec)
}

/// The comparison every test uses: characters and status exactly as expected.
fn check(want_text: &str, want: &Status, text: &str, got: &Option<Status>) -> std::result::Result<(), String> {
    if text != want_text {
        return Err(format!("characters {text:?}, expected {want_text:?}"));
    }
    match got {
        Some(s) if s == want => Ok(()),
        other => Err(format!("status {other:?}, expected {want:?}")),
    }
}

/// The 48-bit cycles value the fake core reports: the measured count in bytes 2..=4 between
/// fixed, distinct, non-zero bytes (0, 1 and 5), so a record byte sent in the wrong place
/// shows even when the count is small.
fn cycles_field(measured: u64) -> u64 {
    0x8A00_0000_CEDF | (measured & 0xFF_FFFF) << 16
}

/// The stall value reported, built like [`cycles_field`] with other fixed bytes.
fn stall_field(measured: u64) -> u64 {
    0x1500_0000_3748 | (measured & 0xFF_FFFF) << 16
}

/// The token count the fake core reports: its top three bytes fixed and non-zero.
fn tokens(text: &str) -> u32 {
    0x5A6B_7C00 + text.len() as u32
}

/// The name count the fake core reports (the number of newlines) with a non-zero high byte.
fn names(text: &str) -> u16 {
    0x4300 + text.matches('\n').count() as u16
}

fn script(text: &str, gap: f64) -> Script {
    Script { text: text.as_bytes().to_vec(), tokens: tokens(text), names: names(text), gap }
}

fn req(seed: u32, prompt: &[u8], quiet: bool) -> Request {
    Request { seed, temp_k: 2955, count: 7, names: true, quiet, prompt: prompt.to_vec() }
}

/// A full generation: fields decoded, characters (many more than the buffer holds) and the
/// status back exactly, the core stalled by back-pressure; then a second request on the same
/// link with other fields.
fn full_generation(cfg: &HostLinkConfig, gap: f64, seed: u64) {
    let text = "emma\nolivia\nava\nisabella\nsophia\nmia\ncharlotte\namelia\nharper\nevelyn\nabigail\nemily\n";
    let mut l = link(cfg, seed, script(text, gap));
    let r = req(0xDEAD_BEEF, &[4, 12, 12], false);
    let (got_text, res, rec) = exchange(&mut l, &r.encode());
    let st = res.unwrap_or_else(|e| panic!("divisor {}: {e}", cfg.divisor));
    assert_eq!(l.dev.started, vec![Decoded { req: r.clone() }], "divisor {}", cfg.divisor);
    let want = Status { code: StatusCode::Ok, tokens: tokens(text), names: names(text), cycles: cycles_field(l.dev.cycles), stall: stall_field(l.dev.stall) };
    check(text, &want, &got_text, &rec).unwrap_or_else(|e| panic!("divisor {}: {e}", cfg.divisor));
    assert_eq!(st, want);
    assert!(l.dev.stall > 0, "the {}-byte buffer must have filled ({} characters)", cfg.buffer, text.len());
    // The core ran ahead by the buffer: it finished long before the last character left.
    assert!(l.dev.cycles < (text.len() as u64) * cfg.byte_clocks(), "{} cycles", l.dev.cycles);
    // A second request on the same link, greedy, tokens mode, no prompt.
    let r2 = Request { seed: 1, temp_k: 0, count: 300, names: false, quiet: false, prompt: vec![] };
    let (t2, res2, _) = exchange(&mut l, &r2.encode());
    res2.unwrap();
    assert_eq!(t2, text);
    assert_eq!(l.dev.started.last(), Some(&Decoded { req: r2 }));
    assert_eq!(l.pins.framing_errors, 0);
}

#[test]
fn generation_divisor_4_back_to_back_and_with_gaps() {
    full_generation(&cfg4(), 0.0, 1);
    full_generation(&cfg4(), 0.5, 2);
}

#[test]
fn generation_divisor_13() {
    full_generation(&cfg13(), 0.0, 3);
    full_generation(&cfg13(), 0.3, 4);
}

#[test]
fn quiet_mode_sends_only_the_status() {
    for cfg in [cfg4(), cfg13()] {
        let mut l = link(&cfg, 5, script("anna\nbob\n", 0.0));
        let r = req(77, &[], true);
        let (text, res, rec) = exchange(&mut l, &r.encode());
        res.unwrap();
        assert_eq!(l.dev.started, vec![Decoded { req: r }]);
        let want = Status { code: StatusCode::Ok, tokens: tokens("anna\nbob\n"), names: names("anna\nbob\n"), cycles: cycles_field(l.dev.cycles), stall: stall_field(0) };
        check("", &want, &text, &rec).unwrap();
    }
}

/// Every malformation gets its error status (never a hang), starts nothing, and the link
/// accepts a good frame afterwards.
#[test]
fn malformed_frames_get_error_statuses() {
    for cfg in [cfg4(), cfg13()] {
        let mut l = link(&cfg, 6, script("x\n", 0.0));
        let good = req(9, &[1, 2], false).encode();
        let mut bad_sum = good.clone();
        *bad_sum.last_mut().unwrap() ^= 0x55;
        let mut bad_magic = good.clone();
        bad_magic[0] = b'h';
        let mut bad_version = good.clone();
        bad_version[1] = 2;
        let fix = |f: &mut Vec<u8>| {
            f.pop();
            let c = checksum(f);
            f.push(c);
        };
        fix(&mut bad_version);
        let too_long = req(9, &vec![3; cfg.max_prompt as usize + 1], false).encode();
        let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
            ("bad checksum", bad_sum, StatusCode::BadChecksum),
            ("bad magic", bad_magic, StatusCode::BadMagic),
            ("bad version", bad_version, StatusCode::BadVersion),
            ("truncated", good[..good.len() - 3].to_vec(), StatusCode::Truncated),
            ("truncated header", vec![MAGIC, 1, 0, 0], StatusCode::Truncated),
            ("prompt too long", too_long, StatusCode::PromptTooLong),
        ];
        for (what, frame, code) in cases {
            let (text, res, rec) = exchange(&mut l, &frame);
            check("", &Status::error(code), &text, &rec).unwrap_or_else(|e| panic!("divisor {} {what}: {e}", cfg.divisor));
            assert_eq!(res.unwrap_err().to_string(), format!("the unit refused the request: {}", code.describe()));
            assert!(l.dev.started.is_empty(), "{what} started the core");
        }
        let (text, res, _) = exchange(&mut l, &good);
        res.unwrap();
        assert_eq!(text, "x\n");
        assert_eq!(l.dev.started.len(), 1);
    }
    // The error messages the CLI prints.
    assert_eq!(StatusCode::BadChecksum.describe(), "bad frame (checksum)");
    assert_eq!(StatusCode::PromptTooLong.describe(), "prompt too long for the unit");
}

#[test]
fn a_busy_core_answers_busy() {
    let cfg = cfg4();
    // A core busy with something else.
    let mut l = link(&cfg, 7, script("abc\n", 0.0));
    l.dev.force_busy = true;
    let (text, res, rec) = exchange(&mut l, &req(3, &[5], false).encode());
    check("", &Status::error(StatusCode::Busy), &text, &rec).unwrap();
    assert_eq!(res.unwrap_err().to_string(), "the unit refused the request: busy (a generation is running)");
    assert!(l.dev.started.is_empty());
    l.dev.force_busy = false;
    // A second frame during a running generation: busy in the stream, the first one completes.
    let long: String = "abcdefghij\n".repeat(8);
    let mut l = link(&cfg, 8, script(&long, 0.0));
    let first = req(11, &[], false);
    let second = req(22, &[1], false);
    let mut frames = first.encode();
    frames.extend(second.encode());
    l.write_all(&frames).unwrap();
    let mut p = llmpu::host::ResponseParser::new();
    let mut text = String::new();
    let mut statuses = Vec::new();
    while statuses.len() < 2 {
        let Some(b) = l.read(TIMEOUT).unwrap() else { panic!("no answer; statuses so far: {statuses:?}") };
        match p.feed(b) {
            Some(Event::Char(c)) => text.push(c),
            Some(Event::Status(s)) => statuses.push(s),
            Some(Event::Corrupt(m)) => panic!("{m}"),
            None => {}
        }
    }
    assert_eq!(text, long);
    assert_eq!(statuses[0].code, StatusCode::Busy, "{statuses:?}");
    assert_eq!(statuses[1].code, StatusCode::Ok);
    assert_eq!(l.dev.started, vec![Decoded { req: first }]);
}

/// The check catches a corrupted expectation: one character, or one status field.
#[test]
fn a_corrupted_expected_value_is_caught() {
    let cfg = cfg4();
    let text = "liam\nnoah\n";
    let mut l = link(&cfg, 9, script(text, 0.2));
    let (got, res, rec) = exchange(&mut l, &req(5, &[], false).encode());
    res.unwrap();
    let want = Status { code: StatusCode::Ok, tokens: tokens(text), names: names(text), cycles: cycles_field(l.dev.cycles), stall: stall_field(l.dev.stall) };
    check(text, &want, &got, &rec).unwrap();
    let e = check("liam\nnoai\n", &want, &got, &rec).unwrap_err();
    assert_eq!(e, "characters \"liam\\nnoah\\n\", expected \"liam\\nnoai\\n\"");
    let e = check(text, &Status { cycles: want.cycles + 1, ..want }, &got, &rec).unwrap_err();
    assert!(e.starts_with("status Some(Status { code: Ok"), "{e}");
}

/// Silence from the unit is a one-line timeout error, not a hang.
#[test]
fn no_answer_is_a_timeout() {
    let cfg = cfg4();
    let mut l = link(&cfg, 10, script("a\n", 0.0));
    // Nothing sent: nothing comes back.
    let e = session::receive(&mut l, Duration::from_millis(1), &mut |_| {}).unwrap_err().to_string();
    assert_eq!(
        e,
        "no answer from the unit within 1ms (0 characters received); check the port, the baud rate and that the board runs an llmpu bitstream"
    );
}

/// Once the status record starts, the host link's bytes leave back to back: each arrives
/// exactly `10 * divisor` clocks after the previous one; characters too while the buffer is
/// not empty.
#[test]
fn bytes_leave_back_to_back() {
    for cfg in [cfg4(), cfg13()] {
        let text = "sophia\nisabella\n";
        let mut l = link(&cfg, 11, script(text, 0.0));
        l.write_all(&req(5, &[], false).encode()).unwrap();
        let mut at = Vec::new();
        let mut p = llmpu::host::ResponseParser::new();
        let mut done = false;
        while !done {
            let b = l.read(TIMEOUT).unwrap().expect("an answer");
            at.push(l.cycles);
            done = matches!(p.feed(b), Some(Event::Status(_)));
        }
        assert_eq!(at.len(), text.len() + llmpu::host::protocol::RECORD_LEN);
        let gaps: Vec<u64> = at.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g == cfg.byte_clocks()), "divisor {}: gaps {gaps:?}", cfg.divisor);
    }
}

/// The generated file passes `verilator --lint-only -Wall` and the Yosys elaboration check, and
/// its text is pinned (12 MHz, 115200 baud, the defaults).
#[test]
fn verilog_is_lint_clean_and_pinned() {
    use llmpu::rtl::lint::{lint_verilator, lint_yosys};
    let dflt = HostLinkConfig::try_from(HostLinkParams::new(12_000_000, 115_200)).unwrap();
    for cfg in [cfg4(), cfg13(), dflt] {
        let tmp = tempfile::tempdir().unwrap();
        let (files, m) = llmpu::rtl::hostlink::generate(&cfg).unwrap();
        files.write_to(tmp.path()).unwrap();
        let v: Vec<std::path::PathBuf> = m.files.iter().filter(|f| f.ends_with(".v")).map(|f| tmp.path().join(f)).collect();
        lint_verilator(&v, &m.top).unwrap_or_else(|e| panic!("divisor {}: {e}", cfg.divisor));
        lint_yosys(&v, &m.top).unwrap_or_else(|e| panic!("divisor {}: {e}", cfg.divisor));
    }
    let text = llmpu::rtl::hostlink::verilog(&dflt).unwrap().text;
    assert!(text.contains("module llmpu_hl_ram_a9(") && text.contains("module llmpu_hl_ram_a4("), "both memories");
    assert!(text.contains(".divisor(16'd104)"));
    insta::assert_snapshot!("llmpu_hostlink_12mhz_115200", text);
}

/// Random bursts (mutated, truncated and concatenated frames, and plain noise) get exactly the
/// statuses the parser model (`protocol::replies`) predicts, in order, and the link always
/// accepts a good frame afterwards.
#[test]
fn random_bursts_match_the_parser_model() {
    use llmpu::host::protocol::replies;
    let cfg = cfg4();
    let mut l = link(&cfg, 12, script("x\n", 0.0));
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let (mut cases, mut skipped, mut statuses) = (0, 0, 0);
    while cases < 150 {
        let mut burst = Vec::new();
        for _ in 0..rng.random_range(1..=3) {
            let plen = rng.random_range(0..=cfg.max_prompt as usize + 2);
            let prompt: Vec<u8> = (0..plen).map(|_| rng.random_range(0..27)).collect();
            let mut f = Request { seed: rng.random(), temp_k: rng.random(), count: rng.random(), names: rng.random(), quiet: false, prompt }.encode();
            match rng.random_range(0..5) {
                0 => {
                    let i = rng.random_range(0..f.len());
                    f[i] ^= 1 << rng.random_range(0..8);
                }
                1 => f.truncate(rng.random_range(1..f.len())),
                2 => f = (0..rng.random_range(1..20)).map(|_| rng.random()).collect(),
                _ => {}
            }
            burst.extend(f);
        }
        let want = replies(&burst, cfg.max_prompt as usize);
        if want.iter().any(|r| r.is_ok()) {
            skipped += 1;
            continue;
        }
        cases += 1;
        l.write_all(&burst).unwrap();
        while l.pins.sending() {
            l.step().unwrap();
        }
        let mut p = llmpu::host::ResponseParser::new();
        let mut got = Vec::new();
        // Until the line has been quiet for longer than the frame timeout plus a record.
        while let Some(b) = l.read(Duration::from_secs_f64(40.0 * cfg.byte_clocks() as f64 / cfg.clock_hz as f64)).unwrap() {
            match p.feed(b) {
                Some(Event::Status(s)) => got.push(Err(s.code)),
                Some(e) => panic!("case {cases}: unexpected {e:?}"),
                None => {}
            }
        }
        assert_eq!(got, want, "case {cases}, burst {burst:02x?}");
        statuses += got.len();
        assert!(l.dev.started.is_empty(), "case {cases} started the core");
    }
    let (text, res, _) = exchange(&mut l, &req(1, &[2], false).encode());
    res.unwrap();
    assert_eq!(text, "x\n");
    eprintln!("{cases} bursts, {statuses} statuses, {skipped} bursts skipped (a frame the model accepts)");
    // The run covered more than one status per burst on average and skipped few bursts.
    assert!(statuses > cases && skipped < cases, "{statuses} statuses, {skipped} skipped");
}

/// A frame with a low stop bit is dropped and counted once, a line held low (a break) counts
/// once, a one-cycle glitch is nothing; the link works afterwards.
#[test]
fn framing_errors_are_counted_and_dropped() {
    for cfg in [cfg4(), cfg13()] {
        let mut l = link(&cfg, 13, script("ok\n", 0.0));
        let d = cfg.divisor as usize;
        let mut level = Vec::new();
        // Each level held for `n` clocks.
        let mut bits = |b: &[bool], n: usize| level.extend(b.iter().flat_map(|&x| std::iter::repeat_n(x, n)));
        // 0xA5 with its stop bit low, then idle for three byte times.
        bits(&[false, true, false, true, false, false, true, false, true, false], d);
        bits(&[true], 30 * d);
        // A break: low for five byte times, then idle.
        bits(&[false], 50 * d);
        bits(&[true], 30 * d);
        // A one-clock glitch.
        bits(&[false], 1);
        bits(&[true], 30 * d);
        for x in level {
            l.dev.clock(x).unwrap();
        }
        let errors = l.dev.sim.get("rx_errors").unwrap();
        assert_eq!(errors, 2, "divisor {}", cfg.divisor);
        // Nothing was taken as a byte, so no frame is open: a good request works at once.
        let (text, res, _) = exchange(&mut l, &req(1, &[], false).encode());
        res.unwrap_or_else(|e| panic!("divisor {}: {e}", cfg.divisor));
        assert_eq!(text, "ok\n");
    }
}

/// The serial transport end to end: `SerialLink` (the serialport crate, as `llmpu run` uses it)
/// on a pseudo-terminal whose other end is bridged to the simulated host link's UART pins.
#[test]
fn serial_link_over_a_pty_to_the_simulated_link() {
    use llmpu::host::SerialLink;
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    let (mut master, slave) = unsafe {
        let (mut m, mut s) = (0, 0);
        assert_eq!(libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()), 0, "openpty");
        let name = std::ffi::CStr::from_ptr(libc::ttyname(s)).to_string_lossy().into_owned();
        assert_eq!(libc::fcntl(m, libc::F_SETFL, libc::fcntl(m, libc::F_GETFL) | libc::O_NONBLOCK), 0);
        // The slave stays open (serialport opens it again by name).
        std::mem::forget(std::fs::File::from_raw_fd(s));
        (std::fs::File::from_raw_fd(m), name)
    };
    let text = "olivia\nemma\n";
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let bridge = std::thread::spawn(move || {
        let cfg = cfg13();
        let mut l = link(&cfg, 14, script(text, 0.0));
        let mut buf = [0u8; 64];
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(n) = master.read(&mut buf) {
                l.write_all(&buf[..n]).unwrap();
            }
            for _ in 0..2000 {
                l.step().unwrap();
            }
            while let Some(b) = l.pins.pop() {
                master.write_all(&[b]).unwrap();
            }
        }
        l.dev.started.clone()
    });
    let r = req(0x1234_5678, &[7, 8], false);
    let mut port = SerialLink::open(&slave, 115_200).unwrap();
    let mut got = String::new();
    let st = session::run(&mut port, &r, Duration::from_secs(20), &mut |e| {
        if let Event::Char(c) = e {
            got.push(*c)
        }
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let started = bridge.join().unwrap();
    let st = st.unwrap();
    assert_eq!(got, text);
    assert_eq!((st.code, st.tokens, st.names), (StatusCode::Ok, tokens(text), names(text)));
    assert_eq!(st.stall, stall_field(0));
    assert!(st.cycles > cycles_field(0), "{st:?}");
    assert_eq!(started, vec![Decoded { req: r }]);
}
