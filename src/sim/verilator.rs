//! The generic Verilator harness every block's tests and the `sim` commands drive.
//!
//! Contract:
//! - [`Design`] names the Verilog sources (as text), the top module and its ports
//!   ([`crate::manifest::Port`]); [`Design::shim`] generates a C++ shim with a C ABI around the
//!   Verilated model (create/destroy, set an input from `u32` words, get an output into `u32`
//!   words for ports of any width, eval, optional VCD trace open/dump/close).
//! - [`Design::build`] runs `verilator --cc --build --exe` once per distinct design into a shared
//!   library and loads it with `libloading`. Builds are cached in a folder keyed by the SHA-256
//!   of the Verilator version, the flags, the sources and the shim (default
//!   `target/verilator-cache/`, or `$LLMPU_VERILATOR_CACHE`). A build happens in a private
//!   temporary folder that is renamed into place at the end, so concurrent builds of the same
//!   design cannot collide; the loser of the race uses the winner's library.
//! - [`Model`] is a built library; [`Model::sim`] makes an independent instance, a [`Sim`]:
//!   `set`/`set_words` drive inputs, `eval` settles combinational logic, `get`/`get_words` read
//!   ports, `tick` applies one rising edge of the clock port and counts cycles, `trace` writes a
//!   VCD file (designs built with [`BuildOptions::trace`]).
//! - Every failure is an [`Error`]: a failed Verilator or C++ build is `Error::Tool` quoting the
//!   tool's output, an unknown port name or a value wider than its port is `Error::Invalid`.
//!
//! Models start with every register randomised (`--x-initial unique`, `randReset(2)`), so a
//! design that forgets a reset shows it in the first test rather than on the board.

use crate::error::{Error, Result};
use crate::manifest::{Direction, Port};
use sha2::{Digest, Sha256};
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// Bumped whenever the shim's ABI or the build recipe changes, so stale caches are not reused.
const RECIPE_VERSION: &str = "llmpu-verilator-2";

/// A Verilog design to simulate: sources as text, the top module and its ports.
#[derive(Debug, Clone)]
pub struct Design {
    pub top: String,
    /// `(file name, contents)`; file names are plain names such as `array.v`.
    pub sources: Vec<(String, String)>,
    pub ports: Vec<Port>,
    /// The clock input that [`Sim::tick`] toggles.
    pub clock: String,
}

/// How to build a [`Design`].
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Compile VCD tracing in (slower to build and run); needed for [`Sim::trace`].
    pub trace: bool,
    /// Show a spinner on stderr while Verilator and the C++ compiler run.
    pub progress: bool,
    /// Cache folder; `None` means `$LLMPU_VERILATOR_CACHE` or `target/verilator-cache`.
    pub cache_dir: Option<PathBuf>,
}

fn words_for(width: u32) -> usize {
    width.div_ceil(32) as usize
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(x) if x.is_ascii_alphabetic() || x == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

impl Design {
    /// Reads sources from files (their base names become the source names).
    pub fn from_files(top: &str, files: &[PathBuf], ports: Vec<Port>, clock: &str) -> Result<Self> {
        let mut sources = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "design.v".into());
            sources.push((name, text));
        }
        Ok(Design { top: top.into(), sources, ports, clock: clock.into() })
    }

    fn validate(&self) -> Result<()> {
        if !is_ident(&self.top) {
            return Err(Error::invalid("top module", &self.top, "must be a plain Verilog identifier"));
        }
        if self.sources.is_empty() {
            return Err(Error::invalid("sources", 0, "at least one Verilog file is needed"));
        }
        for (name, _) in &self.sources {
            if name.is_empty() || name.contains('/') || name.starts_with('.') {
                return Err(Error::invalid("source name", name, "must be a plain file name such as array.v"));
            }
        }
        for (i, p) in self.ports.iter().enumerate() {
            if !is_ident(&p.name) || p.name.contains("__") {
                return Err(Error::invalid("port name", &p.name, "must be a plain Verilog identifier without `__`"));
            }
            if p.width == 0 || p.width > 1 << 16 {
                return Err(Error::invalid(format!("width of port {}", p.name), p.width, "allowed: 1..=65536"));
            }
            if self.ports[..i].iter().any(|q| q.name == p.name) {
                return Err(Error::invalid("port name", &p.name, "must be unique"));
            }
        }
        match self.ports.iter().find(|p| p.name == self.clock) {
            Some(p) if p.direction == Direction::Input && p.width == 1 => Ok(()),
            _ => Err(Error::invalid("clock port", &self.clock, "must be a 1-bit input among the ports")),
        }
    }

    /// The C++ shim with a C ABI around the Verilated model `V<top>`. Ports are addressed by
    /// their index in [`Design::ports`]; values travel as little-endian `u32` words.
    pub fn shim(&self, trace: bool) -> String {
        let top = &self.top;
        let mut s = String::new();
        s.push_str(&format!(
            "// Generated by llmpu: C ABI shim around the Verilated model of `{top}`.\n\
             // Ports are addressed by index; values are little-endian 32-bit words.\n\
             #include <cstdint>\n\
             #include \"verilated.h\"\n"
        ));
        if trace {
            s.push_str("#include \"verilated_vcd_c.h\"\n");
        }
        s.push_str(&format!("#include \"V{top}.h\"\n\nnamespace {{\nstruct Handle {{\n    VerilatedContext ctx;\n    V{top}* model = nullptr;\n"));
        if trace {
            s.push_str("    VerilatedVcdC* vcd = nullptr;\n");
        }
        s.push_str("};\n}  // namespace\n\nextern \"C\" {\n\n");
        s.push_str(&format!(
            "void* llmpu_sim_new(uint64_t seed) {{\n    Handle* h = new Handle;\n    h->ctx.randReset(2);\n    h->ctx.randSeed(static_cast<int>(seed & 0x7fffffffu));\n{}    h->model = new V{top}{{&h->ctx, \"top\"}};\n    return h;\n}}\n\n",
            if trace { "    h->ctx.traceEverOn(true);\n" } else { "" }
        ));
        s.push_str("void llmpu_sim_free(void* p) {\n    Handle* h = static_cast<Handle*>(p);\n");
        if trace {
            s.push_str("    if (h->vcd) {\n        h->vcd->close();\n        delete h->vcd;\n    }\n");
        }
        s.push_str("    h->model->final();\n    delete h->model;\n    delete h;\n}\n\n");
        s.push_str("void llmpu_sim_eval(void* p) { static_cast<Handle*>(p)->model->eval(); }\n\n");

        // set
        s.push_str("int llmpu_sim_set(void* p, uint32_t port, const uint32_t* w) {\n    V");
        s.push_str(top);
        s.push_str("* m = static_cast<Handle*>(p)->model;\n    switch (port) {\n");
        for (i, p) in self.ports.iter().enumerate() {
            if p.direction != Direction::Input {
                continue;
            }
            s.push_str(&format!("    case {i}:  // {} [{}]\n", p.name, p.width));
            s.push_str(&set_body(&p.name, p.width));
            s.push_str("        return 0;\n");
        }
        s.push_str("    default:\n        return -1;\n    }\n}\n\n");

        // get
        s.push_str("int llmpu_sim_get(void* p, uint32_t port, uint32_t* w) {\n    V");
        s.push_str(top);
        s.push_str("* m = static_cast<Handle*>(p)->model;\n    switch (port) {\n");
        for (i, p) in self.ports.iter().enumerate() {
            s.push_str(&format!("    case {i}:  // {} [{}]\n", p.name, p.width));
            s.push_str(&get_body(&p.name, p.width));
            s.push_str("        return 0;\n");
        }
        s.push_str("    default:\n        return -1;\n    }\n}\n\n");

        if trace {
            s.push_str(
                "int llmpu_sim_trace_open(void* p, const char* path) {\n    Handle* h = static_cast<Handle*>(p);\n    if (h->vcd) return -1;\n    h->vcd = new VerilatedVcdC;\n    h->model->trace(h->vcd, 99);\n    h->vcd->open(path);\n    return h->vcd->isOpen() ? 0 : -2;\n}\n\n\
                 void llmpu_sim_trace_dump(void* p, uint64_t time) {\n    Handle* h = static_cast<Handle*>(p);\n    if (h->vcd) h->vcd->dump(time);\n}\n\n\
                 void llmpu_sim_trace_close(void* p) {\n    Handle* h = static_cast<Handle*>(p);\n    if (h->vcd) {\n        h->vcd->close();\n        delete h->vcd;\n        h->vcd = nullptr;\n    }\n}\n\n",
            );
        } else {
            s.push_str(
                "int llmpu_sim_trace_open(void*, const char*) { return -3; }\n\
                 void llmpu_sim_trace_dump(void*, uint64_t) {}\n\
                 void llmpu_sim_trace_close(void*) {}\n\n",
            );
        }
        s.push_str("}  // extern \"C\"\n");
        s
    }

    /// Builds (or finds in the cache) the shared library and loads it.
    pub fn build(&self, opts: &BuildOptions) -> Result<Model> {
        self.build_with(opts, &[])
    }

    /// As [`Design::build`], but the C++ is compiled without optimisation (`-O0`) on both
    /// cores: for very large flat designs that run few cycles, such as a gate-level netlist
    /// (its default `-Os` build of 29k cells takes over 12 CPU minutes, `-O0` under 4).
    pub fn build_unoptimised(&self, opts: &BuildOptions) -> Result<Model> {
        self.build_with(opts, &["-j", "2", "-MAKEFLAGS", "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"])
    }

    fn build_with(&self, opts: &BuildOptions, extra: &[&str]) -> Result<Model> {
        self.validate()?;
        let shim = self.shim(opts.trace);
        let mut flags = verilator_flags(&self.top, opts.trace);
        flags.extend(extra.iter().map(|s| s.to_string()));
        let version = verilator_version()?;
        let mut h = Sha256::new();
        for part in [RECIPE_VERSION, &version, &flags.join(" "), &self.top, &shim] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        for (name, text) in &self.sources {
            h.update((name.len() as u64).to_le_bytes());
            h.update(name.as_bytes());
            h.update((text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let cache = opts.cache_dir.clone().unwrap_or_else(default_cache_dir);
        let dir = cache.join(format!("{}-{}", self.top, &key[..24]));
        let lib = dir.join("libsim.so");
        if !lib.is_file() {
            std::fs::create_dir_all(&cache).map_err(|e| Error::io(&cache, e))?;
            let spinner = opts.progress.then(|| {
                let pb = indicatif::ProgressBar::new_spinner();
                pb.set_message(format!("building {} in Verilator (cached after the first time)", self.top));
                pb.enable_steady_tick(std::time::Duration::from_millis(120));
                pb
            });
            let res = self.build_into(&cache, &dir, &shim, &flags);
            if let Some(pb) = spinner {
                pb.finish_and_clear();
            }
            res?;
        }
        Model::load(&lib, self)
    }

    fn build_into(&self, cache: &Path, dir: &Path, shim: &str, flags: &[String]) -> Result<()> {
        let tmp = tempfile::Builder::new().prefix(".build-").tempdir_in(cache).map_err(|e| Error::io(cache, e))?;
        let root = tmp.path().canonicalize().map_err(|e| Error::io(tmp.path(), e))?;
        let src = root.join("src");
        std::fs::create_dir_all(&src).map_err(|e| Error::io(&src, e))?;
        let mut files = Vec::new();
        for (name, text) in &self.sources {
            let p = src.join(name);
            std::fs::write(&p, text).map_err(|e| Error::io(&p, e))?;
            files.push(p);
        }
        let shim_path = root.join("shim.cpp");
        std::fs::write(&shim_path, shim).map_err(|e| Error::io(&shim_path, e))?;
        let obj = root.join("obj");
        let mut cmd = Command::new("verilator");
        cmd.args(flags).arg("--Mdir").arg(&obj).arg(&shim_path).args(&files);
        let out = cmd.output().map_err(|e| {
            Error::tool("verilator", format!("cannot run `verilator` ({e}); install it with scripts/setup.sh"))
        })?;
        let built = obj.join("libsim.so");
        if !out.status.success() || !built.is_file() {
            return Err(Error::tool("verilator", tool_output(&out)));
        }
        std::fs::rename(&built, root.join("libsim.so")).map_err(|e| Error::io(&built, e))?;
        std::fs::remove_dir_all(&obj).map_err(|e| Error::io(&obj, e))?;
        let kept = tmp.keep();
        if let Err(e) = std::fs::rename(&kept, dir) {
            // Another process finished the same build first: use its copy.
            let _ = std::fs::remove_dir_all(&kept);
            if !dir.join("libsim.so").is_file() {
                return Err(Error::io(dir, e));
            }
        }
        Ok(())
    }
}

fn set_body(name: &str, width: u32) -> String {
    if width <= 64 {
        let mask = if width == 64 { "~0ull".to_string() } else { format!("0x{:x}ull", (1u64 << width) - 1) };
        let val = if width <= 32 { "uint64_t(w[0])".to_string() } else { "(uint64_t(w[1]) << 32 | w[0])".to_string() };
        let ty = match width {
            1..=8 => "CData",
            9..=16 => "SData",
            17..=32 => "IData",
            _ => "QData",
        };
        format!("        m->{name} = static_cast<{ty}>({val} & {mask});\n")
    } else {
        let n = words_for(width);
        let top_mask = if width.is_multiple_of(32) { 0xffff_ffffu32 } else { (1u32 << (width % 32)) - 1 };
        format!(
            "        for (int i = 0; i < {}; ++i) m->{name}[i] = w[i];\n        m->{name}[{}] = w[{}] & 0x{top_mask:x}u;\n",
            n - 1,
            n - 1,
            n - 1
        )
    }
}

fn get_body(name: &str, width: u32) -> String {
    if width <= 32 {
        format!("        w[0] = static_cast<uint32_t>(m->{name});\n")
    } else if width <= 64 {
        format!(
            "        w[0] = static_cast<uint32_t>(m->{name});\n        w[1] = static_cast<uint32_t>(static_cast<uint64_t>(m->{name}) >> 32);\n"
        )
    } else {
        format!("        for (int i = 0; i < {}; ++i) w[i] = m->{name}[i];\n", words_for(width))
    }
}

/// The Verilator command line (without `--Mdir` and the file list).
fn verilator_flags(top: &str, trace: bool) -> Vec<String> {
    let mut f: Vec<String> = [
        "--cc", "--build", "--exe", "-j", "1", "-Wno-fatal", "--x-assign", "unique", "--x-initial", "unique",
        "-CFLAGS", "-fPIC", "-LDFLAGS", "-shared", "-LDFLAGS", "-Wl,-Bsymbolic", "-o",
        "libsim.so", "--top-module",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    f.push(top.to_string());
    if trace {
        f.push("--trace".into());
    }
    f
}

fn verilator_version() -> Result<String> {
    let out = Command::new("verilator").arg("--version").output().map_err(|e| {
        Error::tool("verilator", format!("cannot run `verilator --version` ({e}); install it with scripts/setup.sh"))
    })?;
    if !out.status.success() {
        return Err(Error::tool("verilator", tool_output(&out)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The last lines of a tool's output, errors first, for an `Error::Tool` message.
fn tool_output(out: &std::process::Output) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("%Error") || l.contains("error:")).take(20).collect();
    let picked = if errors.is_empty() {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    } else {
        errors.join("\n")
    };
    format!("exit status {}: {}", out.status, picked.trim())
}

/// `$LLMPU_VERILATOR_CACHE`, else `target/verilator-cache` of this crate when it exists (tests,
/// `cargo run`), else a folder in the system's temporary directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("LLMPU_VERILATOR_CACHE") {
        return PathBuf::from(p);
    }
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    if target.is_dir() {
        target.join("verilator-cache")
    } else {
        std::env::temp_dir().join("llmpu-verilator-cache")
    }
}

type NewFn = unsafe extern "C" fn(u64) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type EvalFn = unsafe extern "C" fn(*mut c_void);
type SetFn = unsafe extern "C" fn(*mut c_void, u32, *const u32) -> c_int;
type GetFn = unsafe extern "C" fn(*mut c_void, u32, *mut u32) -> c_int;
type TraceOpenFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;
type TraceDumpFn = unsafe extern "C" fn(*mut c_void, u64);
type TraceCloseFn = unsafe extern "C" fn(*mut c_void);

#[derive(Clone, Copy)]
struct Fns {
    new: NewFn,
    free: FreeFn,
    eval: EvalFn,
    set: SetFn,
    get: GetFn,
    trace_open: TraceOpenFn,
    trace_dump: TraceDumpFn,
    trace_close: TraceCloseFn,
}

/// A built and loaded design; makes independent [`Sim`] instances.
#[derive(Clone)]
pub struct Model {
    /// Keeps the library loaded while instances and function pointers exist.
    _lib: Arc<libloading::Library>,
    fns: Fns,
    ports: Arc<Vec<Port>>,
    clock: usize,
    path: PathBuf,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("path", &self.path).finish()
    }
}

impl Model {
    fn load(path: &Path, d: &Design) -> Result<Self> {
        let err = |e: libloading::Error| Error::tool("verilator", format!("cannot load {}: {e}", path.display()));
        // SAFETY: the library is one we built from our own shim; its symbols have the C
        // signatures declared above (the shim and these types are generated together).
        unsafe {
            let lib = libloading::Library::new(path).map_err(err)?;
            let fns = Fns {
                new: *lib.get::<NewFn>(b"llmpu_sim_new\0").map_err(err)?,
                free: *lib.get::<FreeFn>(b"llmpu_sim_free\0").map_err(err)?,
                eval: *lib.get::<EvalFn>(b"llmpu_sim_eval\0").map_err(err)?,
                set: *lib.get::<SetFn>(b"llmpu_sim_set\0").map_err(err)?,
                get: *lib.get::<GetFn>(b"llmpu_sim_get\0").map_err(err)?,
                trace_open: *lib.get::<TraceOpenFn>(b"llmpu_sim_trace_open\0").map_err(err)?,
                trace_dump: *lib.get::<TraceDumpFn>(b"llmpu_sim_trace_dump\0").map_err(err)?,
                trace_close: *lib.get::<TraceCloseFn>(b"llmpu_sim_trace_close\0").map_err(err)?,
            };
            let clock = d.ports.iter().position(|p| p.name == d.clock).unwrap_or(0);
            Ok(Model { _lib: Arc::new(lib), fns, ports: Arc::new(d.ports.clone()), clock, path: path.to_path_buf() })
        }
    }

    /// The cached shared library this model was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh instance; its registers start random (seeded by `seed`) until reset.
    pub fn sim(&self, seed: u64) -> Sim {
        // SAFETY: `new` returns an owned handle freed exactly once in `Sim::drop`.
        let handle = unsafe { (self.fns.new)(seed) };
        Sim { model: self.clone(), handle, cycle: 0, time: 0, tracing: false, buf: Vec::new() }
    }
}

/// A port looked up once by name, for drivers that touch the same ports every cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortId {
    index: u32,
    width: u32,
    input: bool,
}

impl PortId {
    pub fn width(&self) -> u32 {
        self.width
    }
}

/// One running instance of a [`Model`].
pub struct Sim {
    model: Model,
    handle: *mut c_void,
    cycle: u64,
    time: u64,
    tracing: bool,
    buf: Vec<u32>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        // SAFETY: the handle came from `new` of the same library, which `model` keeps loaded.
        unsafe { (self.model.fns.free)(self.handle) }
    }
}

impl Sim {
    /// Looks a port up by name.
    pub fn port(&self, name: &str) -> Result<PortId> {
        match self.model.ports.iter().position(|p| p.name == name) {
            Some(i) => {
                let p = &self.model.ports[i];
                Ok(PortId { index: i as u32, width: p.width, input: p.direction == Direction::Input })
            }
            None => {
                let names: Vec<&str> = self.model.ports.iter().map(|p| p.name.as_str()).collect();
                Err(Error::invalid("port", name, format!("allowed: {}", names.join(", "))))
            }
        }
    }

    /// Sets an input of up to 64 bits; the value must fit the port's width.
    pub fn set(&mut self, name: &str, value: u64) -> Result<()> {
        let id = self.port(name)?;
        self.set_id(id, value)
    }

    pub fn set_id(&mut self, id: PortId, value: u64) -> Result<()> {
        if id.width < 64 && value >> id.width != 0 {
            let name = &self.model.ports[id.index as usize].name;
            return Err(Error::invalid(format!("value for {name}"), value, format!("must fit in {} bits", id.width)));
        }
        let w = [value as u32, (value >> 32) as u32];
        if id.width > 64 {
            let mut words = vec![0u32; words_for(id.width)];
            words[..2].copy_from_slice(&w);
            return self.set_words_id(id, &words);
        }
        self.set_words_id(id, &w[..words_for(id.width)])
    }

    /// Sets an input of any width from little-endian 32-bit words (exactly ceil(width/32) words;
    /// bits above the width must be zero).
    pub fn set_words(&mut self, name: &str, words: &[u32]) -> Result<()> {
        let id = self.port(name)?;
        self.set_words_id(id, words)
    }

    pub fn set_words_id(&mut self, id: PortId, words: &[u32]) -> Result<()> {
        let name = &self.model.ports[id.index as usize].name;
        if !id.input {
            return Err(Error::invalid("port", name, "is an output and cannot be set"));
        }
        let n = words_for(id.width);
        if words.len() != n {
            return Err(Error::invalid(format!("word count for {name}"), words.len(), format!("must be {n} for {} bits", id.width)));
        }
        let spare = (n as u32) * 32 - id.width;
        if spare > 0 && words[n - 1] >> (32 - spare) != 0 {
            return Err(Error::invalid(format!("value for {name}"), format!("{:#x} (top word)", words[n - 1]), format!("must fit in {} bits", id.width)));
        }
        // SAFETY: `words` holds ceil(width/32) words as the shim's case for this port reads.
        let rc = unsafe { (self.model.fns.set)(self.handle, id.index, words.as_ptr()) };
        if rc != 0 {
            return Err(Error::tool("verilator", format!("shim refused to set port {name} (code {rc})")));
        }
        Ok(())
    }

    /// Reads a port of up to 64 bits.
    pub fn get(&mut self, name: &str) -> Result<u64> {
        let id = self.port(name)?;
        self.get_id(id)
    }

    pub fn get_id(&mut self, id: PortId) -> Result<u64> {
        if id.width > 64 {
            let name = &self.model.ports[id.index as usize].name;
            return Err(Error::invalid("port", name, format!("is {} bits wide; read it with get_words", id.width)));
        }
        let w = self.read(id);
        Ok(w[0] as u64 | w.get(1).map(|&x| (x as u64) << 32).unwrap_or(0))
    }

    /// Reads a port of any width into little-endian 32-bit words.
    pub fn get_words(&mut self, name: &str) -> Result<Vec<u32>> {
        let id = self.port(name)?;
        Ok(self.read(id).to_vec())
    }

    pub fn get_words_id(&mut self, id: PortId) -> &[u32] {
        self.read(id)
    }

    fn read(&mut self, id: PortId) -> &[u32] {
        let n = words_for(id.width);
        self.buf.clear();
        self.buf.resize(n, 0);
        // SAFETY: the buffer holds ceil(width/32) words, as the shim's case for this port writes.
        unsafe { (self.model.fns.get)(self.handle, id.index, self.buf.as_mut_ptr()) };
        &self.buf
    }

    /// Settles combinational logic after inputs changed.
    pub fn eval(&mut self) {
        // SAFETY: valid handle (see `Drop`).
        unsafe { (self.model.fns.eval)(self.handle) }
    }

    /// One clock cycle: clock low, settle, clock high (the rising edge), settle. Inputs set
    /// before `tick` are sampled by the edge; afterwards outputs show the new state.
    pub fn tick(&mut self) {
        let clk = self.model.clock as u32;
        let lo = [0u32];
        let hi = [1u32];
        // SAFETY: valid handle; the clock is a 1-bit input (checked in `Design::validate`).
        unsafe {
            (self.model.fns.set)(self.handle, clk, lo.as_ptr());
            (self.model.fns.eval)(self.handle);
            if self.tracing {
                (self.model.fns.trace_dump)(self.handle, self.time);
            }
            (self.model.fns.set)(self.handle, clk, hi.as_ptr());
            (self.model.fns.eval)(self.handle);
            if self.tracing {
                (self.model.fns.trace_dump)(self.handle, self.time + 5);
            }
        }
        self.time += 10;
        self.cycle += 1;
    }

    /// Rising edges applied so far.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// Starts writing a VCD file (one time unit = 1/10 cycle). Needs a design built with
    /// [`BuildOptions::trace`].
    pub fn trace(&mut self, path: &Path) -> Result<()> {
        let c = CString::new(path.as_os_str().to_string_lossy().as_bytes())
            .map_err(|_| Error::invalid("VCD path", path.display(), "must not contain NUL bytes"))?;
        // SAFETY: valid handle and a NUL-terminated path.
        let rc = unsafe { (self.model.fns.trace_open)(self.handle, c.as_ptr()) };
        match rc {
            0 => {
                self.tracing = true;
                Ok(())
            }
            -3 => Err(Error::invalid("--vcd", path.display(), "needs a model built with tracing enabled")),
            -1 => Err(Error::invalid("--vcd", path.display(), "a trace is already open for this simulation")),
            _ => Err(Error::invalid("--vcd", path.display(), "cannot be opened for writing (does its folder exist?)")),
        }
    }

    /// Flushes and closes the VCD file, if one is open.
    pub fn close_trace(&mut self) {
        if self.tracing {
            // SAFETY: valid handle.
            unsafe { (self.model.fns.trace_close)(self.handle) }
            self.tracing = false;
        }
    }
}
