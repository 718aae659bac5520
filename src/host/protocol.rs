//! The host protocol (docs/protocol.md): the start frame the host sends, the response stream
//! (ASCII characters, then one status record) and its incremental parser.
//!
//! Start frame, host -> unit (`13 + m` bytes, multi-byte fields little-endian):
//!
//! | byte        | field                                                     |
//! |-------------|-----------------------------------------------------------|
//! | 0           | magic `0xA5`                                              |
//! | 1           | version `1`                                               |
//! | 2..=5       | seed: the xorshift32 state, non-zero                      |
//! | 6..=7       | `temp_k` (`Temperature::k`, 0 = greedy)                   |
//! | 8..=9       | count (names or tokens, >= 1)                             |
//! | 10          | flags: bit 0 names (else tokens), bit 1 quiet, others 0   |
//! | 11          | prompt length `m`                                         |
//! | 12..12+m    | prompt token ids                                          |
//! | 12+m        | checksum: sum of bytes 0..12+m mod 256                    |
//!
//! Response, unit -> host: characters (bytes `0x00..=0x7F`), then a status record of
//! [`RECORD_LEN`] bytes: marker `0xFF` (never a character), code, tokens u32, names u16,
//! cycles u48, stall u48, checksum (sum of the 19 bytes after the marker mod 256).

use crate::error::{Error, Result};
use crate::model::tokenizer::Tokenizer;
use crate::numeric::{Temperature, XorShift32};

pub const MAGIC: u8 = 0xA5;
pub const VERSION: u8 = 1;
/// The first byte of a status record; never a character.
pub const MARKER: u8 = 0xFF;
/// Bytes of a start frame without prompt.
pub const FRAME_HEADER: usize = 12;
/// Bytes of a status record, marker and checksum included.
pub const RECORD_LEN: usize = 21;
/// Flag bits.
pub const FLAG_NAMES: u8 = 1;
pub const FLAG_QUIET: u8 = 2;

/// Sum of `bytes` mod 256, the checksum of frames and records.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b))
}

/// What the user asks for, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestParams<'a> {
    pub seed: u64,
    pub temperature: f64,
    pub count: u32,
    /// Count tokens (sampled steps) instead of names.
    pub tokens: bool,
    /// Count only: no characters, just the status.
    pub quiet: bool,
    pub prompt: &'a str,
}

/// A validated start request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The xorshift32 state, `XorShift32::new(seed).0` (never 0).
    pub seed: u32,
    pub temp_k: u16,
    pub count: u16,
    pub names: bool,
    pub quiet: bool,
    pub prompt: Vec<u8>,
}

impl Request {
    /// Validates `p` for a model with `tokenizer` and `block_size`: the seed is folded with
    /// `XorShift32::new`, the temperature goes through `Temperature`, the prompt text becomes
    /// token ids and must be shorter than the block size.
    pub fn new(p: &RequestParams, tokenizer: &Tokenizer, block_size: usize) -> Result<Self> {
        let t = Temperature::try_from(p.temperature)?;
        let count = crate::error::check_range(if p.tokens { "token count" } else { "name count" }, p.count, 1, 65535)?;
        let mut prompt = Vec::new();
        for c in p.prompt.chars() {
            let id = tokenizer.id(c).ok_or_else(|| {
                Error::invalid("prompt character", format!("{c:?} in {:?}", p.prompt), format!("allowed: one of {:?}", tokenizer.chars()))
            })?;
            prompt.push(id as u8);
        }
        let max = block_size.saturating_sub(1).min(255);
        if prompt.len() > max {
            return Err(Error::invalid(
                "prompt",
                format!("{:?} ({} tokens)", p.prompt, prompt.len()),
                format!("allowed: at most {max} tokens, shorter than the model's block size {block_size}"),
            ));
        }
        Ok(Request { seed: XorShift32::new(p.seed).0, temp_k: t.k, count: count as u16, names: !p.tokens, quiet: p.quiet, prompt })
    }

    /// The flags byte.
    pub fn flags(&self) -> u8 {
        (if self.names { FLAG_NAMES } else { 0 }) | (if self.quiet { FLAG_QUIET } else { 0 })
    }

    /// The start frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![MAGIC, VERSION];
        v.extend_from_slice(&self.seed.to_le_bytes());
        v.extend_from_slice(&self.temp_k.to_le_bytes());
        v.extend_from_slice(&self.count.to_le_bytes());
        v.push(self.flags());
        v.push(self.prompt.len() as u8);
        v.extend_from_slice(&self.prompt);
        v.push(checksum(&v));
        v
    }

    /// Decodes a whole start frame as the unit does; the error is the status the unit answers.
    pub fn decode(frame: &[u8]) -> std::result::Result<Request, StatusCode> {
        match frame.first() {
            Some(&MAGIC) => {}
            _ => return Err(StatusCode::BadMagic),
        }
        match frame.get(1) {
            Some(&VERSION) => {}
            Some(_) => return Err(StatusCode::BadVersion),
            None => return Err(StatusCode::Truncated),
        }
        if frame.len() < FRAME_HEADER + 1 {
            return Err(StatusCode::Truncated);
        }
        let m = frame[11] as usize;
        if frame.len() < FRAME_HEADER + m + 1 {
            return Err(StatusCode::Truncated);
        }
        if checksum(&frame[..FRAME_HEADER + m]) != frame[FRAME_HEADER + m] {
            return Err(StatusCode::BadChecksum);
        }
        let u16_at = |i: usize| u16::from_le_bytes([frame[i], frame[i + 1]]);
        Ok(Request {
            seed: u32::from_le_bytes([frame[2], frame[3], frame[4], frame[5]]),
            temp_k: u16_at(6),
            count: u16_at(8),
            names: frame[10] & FLAG_NAMES != 0,
            quiet: frame[10] & FLAG_QUIET != 0,
            prompt: frame[FRAME_HEADER..FRAME_HEADER + m].to_vec(),
        })
    }
}

/// The model of the unit's parser (docs/protocol.md, rules 1-3): what an idle unit with a
/// prompt memory of `max_prompt` tokens answers to `bytes` arriving back to back and followed by
/// silence, one entry per frame: `Ok` for a frame that starts a generation, else the status
/// code. A discarded frame (bad magic or version) swallows the rest of the burst. Frames after
/// an accepted one within the same burst are not modelled (they race the generation): the
/// model stops after the first `Ok`.
pub fn replies(bytes: &[u8], max_prompt: usize) -> Vec<std::result::Result<Request, StatusCode>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest[0] != MAGIC {
            out.push(Err(StatusCode::BadMagic));
            break;
        }
        if rest.len() >= 2 && rest[1] != VERSION {
            out.push(Err(StatusCode::BadVersion));
            break;
        }
        if rest.len() < FRAME_HEADER + 1 || rest.len() < FRAME_HEADER + rest[11] as usize + 1 {
            out.push(Err(StatusCode::Truncated));
            break;
        }
        let n = FRAME_HEADER + rest[11] as usize + 1;
        match Request::decode(&rest[..n]) {
            Ok(r) if r.prompt.len() > max_prompt => out.push(Err(StatusCode::PromptTooLong)),
            Ok(r) => {
                out.push(Ok(r));
                break;
            }
            Err(c) => out.push(Err(c)),
        }
        i += n;
    }
    out
}

/// The status code of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    Ok,
    /// A frame arrived while a generation was running.
    Busy,
    /// The first byte of a frame was not the magic.
    BadMagic,
    /// The version byte was not [`VERSION`].
    BadVersion,
    BadChecksum,
    /// The line went silent before the frame's checksum byte.
    Truncated,
    /// The prompt is longer than the unit's prompt memory.
    PromptTooLong,
    Unknown(u8),
}

impl StatusCode {
    pub fn from_byte(b: u8) -> Self {
        match b {
            0 => StatusCode::Ok,
            1 => StatusCode::Busy,
            2 => StatusCode::BadMagic,
            3 => StatusCode::BadVersion,
            4 => StatusCode::BadChecksum,
            5 => StatusCode::Truncated,
            6 => StatusCode::PromptTooLong,
            x => StatusCode::Unknown(x),
        }
    }
    pub fn to_byte(self) -> u8 {
        match self {
            StatusCode::Ok => 0,
            StatusCode::Busy => 1,
            StatusCode::BadMagic => 2,
            StatusCode::BadVersion => 3,
            StatusCode::BadChecksum => 4,
            StatusCode::Truncated => 5,
            StatusCode::PromptTooLong => 6,
            StatusCode::Unknown(x) => x,
        }
    }
    /// What the code means, for error messages.
    pub fn describe(self) -> String {
        match self {
            StatusCode::Ok => "ok".into(),
            StatusCode::Busy => "busy (a generation is running)".into(),
            StatusCode::BadMagic => "bad frame (wrong magic byte)".into(),
            StatusCode::BadVersion => format!("bad frame (protocol version is not {VERSION})"),
            StatusCode::BadChecksum => "bad frame (checksum)".into(),
            StatusCode::Truncated => "bad frame (truncated)".into(),
            StatusCode::PromptTooLong => "prompt too long for the unit".into(),
            StatusCode::Unknown(x) => format!("unknown status code {x}"),
        }
    }
}

/// A status record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub code: StatusCode,
    /// Forward passes run.
    pub tokens: u32,
    /// Names completed.
    pub names: u16,
    /// Clock cycles from `cmd_start` to `gen_done` (48 bits).
    pub cycles: u64,
    /// Cycles the core waited for TX buffer room (48 bits).
    pub stall: u64,
}

impl Status {
    /// An error record: the code and zero counters.
    pub fn error(code: StatusCode) -> Self {
        Status { code, tokens: 0, names: 0, cycles: 0, stall: 0 }
    }

    /// The [`RECORD_LEN`] bytes of the record (counters truncated to their field widths).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![MARKER, self.code.to_byte()];
        v.extend_from_slice(&self.tokens.to_le_bytes());
        v.extend_from_slice(&self.names.to_le_bytes());
        v.extend_from_slice(&self.cycles.to_le_bytes()[..6]);
        v.extend_from_slice(&self.stall.to_le_bytes()[..6]);
        let c = checksum(&v[1..]);
        v.push(c);
        v
    }

    /// `tokens * f_clk / cycles`, from the on-chip cycle count; `None` when no cycle was counted.
    pub fn tokens_per_second(&self, clock_hz: f64) -> Option<f64> {
        (self.cycles > 0).then(|| self.tokens as f64 * clock_hz / self.cycles as f64)
    }

    /// Cycles per forward pass; `None` when no token was run.
    pub fn cycles_per_token(&self) -> Option<f64> {
        (self.tokens > 0).then(|| self.cycles as f64 / self.tokens as f64)
    }
}

/// One thing the response stream delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A character (`\n` ends a name).
    Char(char),
    /// The status record; the stream of this request is complete.
    Status(Status),
    /// Bytes that are neither a character nor a valid record.
    Corrupt(String),
}

/// Incremental parser of the response stream.
#[derive(Debug, Clone, Default)]
pub struct ResponseParser {
    record: Option<Vec<u8>>,
}

impl ResponseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one byte; returns an event when one is complete.
    pub fn feed(&mut self, b: u8) -> Option<Event> {
        if let Some(r) = &mut self.record {
            r.push(b);
            if r.len() < RECORD_LEN {
                return None;
            }
            let r = self.record.take().unwrap_or_default();
            if checksum(&r[1..RECORD_LEN - 1]) != r[RECORD_LEN - 1] {
                return Some(Event::Corrupt(format!("status record with a wrong checksum: {}", hex(&r))));
            }
            let mut w = [0u8; 8];
            w[..6].copy_from_slice(&r[8..14]);
            let cycles = u64::from_le_bytes(w);
            w[..6].copy_from_slice(&r[14..20]);
            let stall = u64::from_le_bytes(w);
            return Some(Event::Status(Status {
                code: StatusCode::from_byte(r[1]),
                tokens: u32::from_le_bytes([r[2], r[3], r[4], r[5]]),
                names: u16::from_le_bytes([r[6], r[7]]),
                cycles,
                stall,
            }));
        }
        match b {
            MARKER => {
                self.record = Some(vec![b]);
                None
            }
            0..=0x7F => Some(Event::Char(b as char)),
            _ => Some(Event::Corrupt(format!("byte 0x{b:02x} is neither a character nor a status marker"))),
        }
    }

    /// True while inside a status record.
    pub fn in_record(&self) -> bool {
        self.record.is_some()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(prompt: &str) -> RequestParams<'_> {
        RequestParams { seed: 42, temperature: 0.5, count: 20, tokens: false, quiet: false, prompt }
    }

    #[test]
    fn request_round_trip_and_layout() {
        let tok = Tokenizer::letters(26);
        let r = Request::new(&params("em"), &tok, 16).unwrap();
        assert_eq!(r.seed, 42);
        assert_eq!(r.temp_k, Temperature::try_from(0.5).unwrap().k);
        assert_eq!(r.prompt, vec![4, 12]);
        let f = r.encode();
        assert_eq!(f.len(), 15);
        assert_eq!(&f[..2], &[MAGIC, VERSION]);
        assert_eq!(&f[2..6], &42u32.to_le_bytes());
        assert_eq!(&f[8..10], &[20, 0]);
        assert_eq!((f[10], f[11]), (FLAG_NAMES, 2));
        assert_eq!(f[14], checksum(&f[..14]));
        assert_eq!(Request::decode(&f), Ok(r.clone()));
        // Every malformation decodes to the status the unit answers.
        let mut bad = f.clone();
        bad[14] ^= 1;
        assert_eq!(Request::decode(&bad), Err(StatusCode::BadChecksum));
        assert_eq!(Request::decode(&f[..14]), Err(StatusCode::Truncated));
        bad = f.clone();
        bad[0] = 0x41;
        assert_eq!(Request::decode(&bad), Err(StatusCode::BadMagic));
        bad = f;
        bad[1] = 2;
        assert_eq!(Request::decode(&bad), Err(StatusCode::BadVersion));
        // Seed 0 folds to the non-zero xorshift32 state; tokens + quiet flags.
        let p = RequestParams { seed: 0, temperature: 0.0, count: 200, tokens: true, quiet: true, prompt: "" };
        let r = Request::new(&p, &tok, 16).unwrap();
        assert_eq!((r.seed, r.temp_k, r.flags()), (0x9E37_79B9, 0, FLAG_QUIET));
        assert_eq!(Request::decode(&r.encode()), Ok(r));
    }

    #[test]
    fn request_errors_are_one_line_and_name_the_value() {
        let tok = Tokenizer::letters(26);
        let e = |p: RequestParams| Request::new(&p, &tok, 16).unwrap_err().to_string();
        assert_eq!(
            e(params("abcdefghijklmnop")),
            "prompt \"abcdefghijklmnop\" (16 tokens) is not allowed (allowed: at most 15 tokens, shorter than the model's block size 16)"
        );
        assert_eq!(
            e(params("Ann")),
            "prompt character 'A' in \"Ann\" is not allowed (allowed: one of \"abcdefghijklmnopqrstuvwxyz\")"
        );
        assert_eq!(e(RequestParams { count: 0, ..params("") }), "name count 0 is not allowed (allowed: 1..=65535)");
        assert_eq!(
            e(RequestParams { count: 70000, tokens: true, ..params("") }),
            "token count 70000 is not allowed (allowed: 1..=65535)"
        );
        assert_eq!(e(RequestParams { temperature: 20.0, ..params("") }), "temperature 20 is not allowed (allowed: 0 (greedy) or 0.1..=10)");
    }

    #[test]
    fn parser_model_follows_the_rules() {
        let tok = Tokenizer::letters(26);
        let good = Request::new(&params("ab"), &tok, 16).unwrap();
        let f = good.encode();
        let mut bad = f.clone();
        bad[3] ^= 1;
        let burst = [bad.clone(), f.clone(), f.clone()].concat();
        assert_eq!(replies(&burst, 15), vec![Err(StatusCode::BadChecksum), Ok(good.clone())]);
        assert_eq!(replies(&f, 1), vec![Err(StatusCode::PromptTooLong)]);
        assert_eq!(replies(&[&f[..], &[0x41, 0xA5], &f[..]].concat(), 1), vec![Err(StatusCode::PromptTooLong), Err(StatusCode::BadMagic)]);
        assert_eq!(replies(&[MAGIC, 7, 1], 15), vec![Err(StatusCode::BadVersion)]);
        assert_eq!(replies(&[MAGIC], 15), vec![Err(StatusCode::Truncated)]);
        assert_eq!(replies(&f[..f.len() - 1], 15), vec![Err(StatusCode::Truncated)]);
        assert_eq!(replies(&[], 15), vec![]);
    }

    #[test]
    fn response_stream_round_trip() {
        let st = Status { code: StatusCode::Ok, tokens: 0x0102_0304, names: 513, cycles: (1 << 47) + 5, stall: 0x0000_ABCD_EF01_2345 };
        let mut bytes = b"anna\nbo".to_vec();
        bytes.extend(st.encode());
        assert_eq!(st.encode().len(), RECORD_LEN);
        let mut p = ResponseParser::new();
        let ev: Vec<Event> = bytes.iter().filter_map(|&b| p.feed(b)).collect();
        let mut want: Vec<Event> = "anna\nbo".chars().map(Event::Char).collect();
        want.push(Event::Status(st));
        assert_eq!(ev, want);
        assert!((st.tokens_per_second(1e8).unwrap() - 0x0102_0304 as f64 * 1e8 / ((1u64 << 47) + 5) as f64).abs() < 1e-9);
        assert_eq!(Status::error(StatusCode::Busy).tokens_per_second(1e8), None);
        // A record with a flipped byte is reported, not believed.
        let mut bad = st.encode();
        bad[9] ^= 0x10;
        let ev: Vec<Event> = bad.iter().filter_map(|&b| p.feed(b)).collect();
        assert!(matches!(&ev[..], [Event::Corrupt(m)] if m.starts_with("status record with a wrong checksum")), "{ev:?}");
        assert!(matches!(p.feed(0x80), Some(Event::Corrupt(m)) if m == "byte 0x80 is neither a character nor a status marker"));
        for c in 0..=6u8 {
            assert_eq!(StatusCode::from_byte(c).to_byte(), c);
        }
    }
}
