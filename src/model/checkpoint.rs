//! Checkpoints. Two formats are read, told apart by their content:
//! * **llmpu** (what `llmpu train` writes): `{"format": "llmpu-model", "version": 1, "config":
//!   {...}, "chars": "ab...", "train": {...}, "tensors": {name: rows}}`;
//! * **microgpt.py**'s `state_dict` as JSON: `{"wte": rows, "wpe": rows, "lm_head": rows,
//!   "layer{i}.attn_wq|attn_wk|attn_wv|attn_wo|mlp_fc1|mlp_fc2": rows}`, a row being one output
//!   feature. The config is inferred from the shapes; the head count is not visible in shapes,
//!   so it is microgpt's 4 unless given; the characters are `a`.. in order (BOS last).
//!
//! Float weights are stored; the int8 model is derived from them deterministically at load
//! ([`super::quant::QuantModel::from_float`]).

use super::config::{ModelConfig, ModelParams};
use super::float::FloatModel;
use super::tokenizer::Tokenizer;
use super::train::TrainOptions;
use crate::{Error, Result};
use serde_json::{Map, Value};
use std::path::Path;

pub const FORMAT: &str = "llmpu-model";
pub const VERSION: u64 = 1;

fn bad(path: &Path, msg: impl Into<String>) -> Error {
    Error::BadFile { path: path.into(), msg: msg.into() }
}

/// The shape of a list of rows of numbers; errors name `key`.
fn shape_of(path: &Path, key: &str, v: &Value) -> Result<(usize, usize)> {
    let rows = v.as_array().ok_or_else(|| bad(path, format!("\"{key}\" is not a list of rows")))?;
    let mut cols = None;
    for (i, r) in rows.iter().enumerate() {
        let r = r.as_array().ok_or_else(|| bad(path, format!("\"{key}\" row {i} is not a list of numbers")))?;
        match cols {
            None => cols = Some(r.len()),
            Some(c) if c != r.len() => {
                return Err(bad(path, format!("\"{key}\" is ragged: row {i} has {} values, row 0 has {c}", r.len())));
            }
            _ => {}
        }
    }
    Ok((rows.len(), cols.unwrap_or(0)))
}

/// Reads tensor `key` of shape `rows x cols` from `obj` into `out` (row-major).
fn read_tensor(path: &Path, obj: &Map<String, Value>, key: &str, rows: usize, cols: usize, out: &mut [f32]) -> Result<()> {
    let v = obj.get(key).ok_or_else(|| bad(path, format!("missing key \"{key}\" (expected a {rows}x{cols} list of rows)")))?;
    let (r, c) = shape_of(path, key, v)?;
    if (r, c) != (rows, cols) {
        return Err(bad(path, format!("\"{key}\" has shape {r}x{c}, expected {rows}x{cols}")));
    }
    for (i, row) in v.as_array().into_iter().flatten().enumerate() {
        for (j, x) in row.as_array().into_iter().flatten().enumerate() {
            let f = x.as_f64().filter(|f| f.is_finite()).ok_or_else(|| bad(path, format!("\"{key}\" row {i} column {j} is {x}, expected a finite number")))?;
            out[i * cols + j] = f as f32;
        }
    }
    Ok(())
}

fn read_all(path: &Path, obj: &Map<String, Value>, cfg: ModelConfig, tok: Tokenizer) -> Result<FloatModel> {
    let mut m = FloatModel::zeros(cfg, tok);
    for i in 0..m.slots.len() {
        let (name, rows, cols) = (m.slots[i].name.clone(), m.slots[i].rows, m.slots[i].cols);
        read_tensor(path, obj, &name, rows, cols, m.w_mut(i))?;
    }
    Ok(m)
}

/// Parses a checkpoint of either format; `path` is only used in messages. `n_head` overrides
/// the head count of a microgpt.py file (default 4) and must match an llmpu file's.
pub fn parse_model(text: &str, path: &Path, n_head: Option<usize>) -> Result<FloatModel> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad(path, format!("not JSON: {e}")))?;
    let obj = v.as_object().ok_or_else(|| bad(path, "expected a JSON object (an llmpu model or a microgpt.py state_dict)"))?;
    if let Some(f) = obj.get("format") {
        if f.as_str() != Some(FORMAT) {
            return Err(bad(path, format!("\"format\" is {f}, expected \"{FORMAT}\"")));
        }
        return parse_llmpu(path, obj, n_head);
    }
    if obj.contains_key("wte") {
        return parse_microgpt(path, obj, n_head);
    }
    Err(bad(path, "neither an llmpu model (key \"format\") nor a microgpt.py state_dict (key \"wte\")"))
}

fn parse_llmpu(path: &Path, obj: &Map<String, Value>, n_head: Option<usize>) -> Result<FloatModel> {
    let ver = obj.get("version").and_then(Value::as_u64);
    if ver != Some(VERSION) {
        return Err(bad(path, format!("\"version\" is {}, expected {VERSION}", obj.get("version").map(|v| v.to_string()).unwrap_or("missing".into()))));
    }
    let p: ModelParams = serde_json::from_value(obj.get("config").cloned().unwrap_or(Value::Null))
        .map_err(|e| bad(path, format!("\"config\" is not a model config ({e})")))?;
    if let Some(h) = n_head.filter(|&h| h != p.n_head) {
        return Err(Error::invalid("n_head", h, format!("allowed: {} (stored in {})", p.n_head, path.display())));
    }
    let cfg = ModelConfig::try_from(p)?;
    let chars = obj.get("chars").and_then(Value::as_str).ok_or_else(|| bad(path, "missing key \"chars\" (expected the token characters as a string)"))?;
    let tok = Tokenizer::from_chars(chars)?;
    if tok.vocab() != cfg.vocab {
        return Err(bad(path, format!("\"chars\" has {} characters, expected {} (vocab {} minus BOS)", tok.vocab() - 1, cfg.vocab - 1, cfg.vocab)));
    }
    let t = obj.get("tensors").and_then(Value::as_object).ok_or_else(|| bad(path, "missing key \"tensors\" (expected an object of weight matrices)"))?;
    read_all(path, t, cfg, tok)
}

fn parse_microgpt(path: &Path, obj: &Map<String, Value>, n_head: Option<usize>) -> Result<FloatModel> {
    let (vocab, n_embd) = shape_of(path, "wte", &obj["wte"])?;
    let block_size = match obj.get("wpe") {
        Some(v) => shape_of(path, "wpe", v)?.0,
        None => return Err(bad(path, format!("missing key \"wpe\" (expected a block_size x {n_embd} list of rows)"))),
    };
    let mut n_layer = 0;
    while obj.contains_key(&format!("layer{n_layer}.attn_wq")) {
        n_layer += 1;
    }
    if n_layer == 0 {
        return Err(bad(path, format!("missing key \"layer0.attn_wq\" (expected a {n_embd}x{n_embd} list of rows)")));
    }
    let mlp_hidden = match obj.get("layer0.mlp_fc1") {
        Some(v) => shape_of(path, "layer0.mlp_fc1", v)?.0,
        None => return Err(bad(path, format!("missing key \"layer0.mlp_fc1\" (expected a hidden x {n_embd} list of rows)"))),
    };
    let cfg = ModelConfig::try_from(ModelParams { vocab, n_embd, n_head: n_head.unwrap_or(4), n_layer, block_size, mlp_hidden })?;
    let names: Vec<String> = cfg.tensors().into_iter().map(|t| t.0).collect();
    if let Some(k) = obj.keys().find(|k| !names.contains(k)) {
        return Err(bad(path, format!("unexpected key \"{k}\" (a {n_layer}-layer state_dict has: wte, wpe, lm_head, layer{{i}}.attn_wq|attn_wk|attn_wv|attn_wo|mlp_fc1|mlp_fc2)")));
    }
    if vocab - 1 > 26 {
        return Err(bad(path, format!("vocab {vocab} has more than 26 characters; only a-z plus BOS can be inferred")));
    }
    read_all(path, obj, cfg, Tokenizer::letters(vocab - 1))
}

/// Reads a checkpoint of either format.
pub fn load_model(path: &Path, n_head: Option<usize>) -> Result<FloatModel> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_model(&text, path, n_head)
}

fn rows(m: &FloatModel, i: usize) -> Value {
    let s = &m.slots[i];
    Value::Array(m.w(i).chunks(s.cols).map(|r| Value::Array(r.iter().map(|&x| Value::from(x as f64)).collect())).collect())
}

/// The model in the llmpu format (pretty enough to diff: one row per line).
pub fn model_json(m: &FloatModel, train: Option<&TrainOptions>) -> String {
    let mut s = String::new();
    s.push_str(&format!("{{\n\"format\": \"{FORMAT}\",\n\"version\": {VERSION},\n"));
    s.push_str(&format!("\"config\": {},\n", serde_json::to_string(&m.cfg.params()).unwrap_or_default()));
    s.push_str(&format!("\"chars\": {},\n", Value::from(m.tok.chars())));
    if let Some(t) = train {
        s.push_str(&format!("\"train\": {},\n", serde_json::to_string(t).unwrap_or_default()));
    }
    s.push_str("\"tensors\": {\n");
    for i in 0..m.slots.len() {
        s.push_str(&format!("\"{}\": [\n", m.slots[i].name));
        let r = rows(m, i);
        let n = r.as_array().map(|a| a.len()).unwrap_or(0);
        for (j, row) in r.as_array().into_iter().flatten().enumerate() {
            s.push_str(&format!("  {}{}\n", row, if j + 1 < n { "," } else { "" }));
        }
        s.push_str(if i + 1 < m.slots.len() { "],\n" } else { "]\n" });
    }
    s.push_str("}\n}\n");
    s
}

/// microgpt.py's state_dict JSON of `m` (for interchange and tests).
pub fn state_dict_json(m: &FloatModel) -> String {
    let mut o = Map::new();
    for i in 0..m.slots.len() {
        o.insert(m.slots[i].name.clone(), rows(m, i));
    }
    Value::Object(o).to_string()
}

/// Writes the llmpu format atomically (a temporary file renamed into place).
pub fn save_model(m: &FloatModel, train: Option<&TrainOptions>, path: &Path) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, model_json(m, train)).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
