//! Character tokenizer as in microgpt.py: the sorted set of characters of the training data get
//! ids `0..n`, and BOS (`n`, the last id) starts and ends every name.

use crate::{Error, Result};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenizer {
    chars: Vec<char>,
}

impl Tokenizer {
    /// The tokenizer of `docs` (sorted unique characters).
    pub fn from_docs(docs: &[String]) -> Self {
        let mut chars: Vec<char> = docs.iter().flat_map(|d| d.chars()).collect();
        chars.sort_unstable();
        chars.dedup();
        Tokenizer { chars }
    }
    /// `chars` in id order (must be unique).
    pub fn from_chars(chars: &str) -> Result<Self> {
        let v: Vec<char> = chars.chars().collect();
        let mut s = v.clone();
        s.sort_unstable();
        s.dedup();
        if s.len() != v.len() || v.is_empty() {
            return Err(Error::invalid("chars", format!("{chars:?}"), "allowed: a non-empty string of distinct characters"));
        }
        Ok(Tokenizer { chars: v })
    }
    /// `a`..`z` for the names data (vocabulary 27 with BOS).
    pub fn letters(n: usize) -> Self {
        Tokenizer { chars: ('a'..='z').take(n).collect() }
    }
    pub fn chars(&self) -> String {
        self.chars.iter().collect()
    }
    /// Vocabulary size including BOS.
    pub fn vocab(&self) -> usize {
        self.chars.len() + 1
    }
    pub fn bos(&self) -> usize {
        self.chars.len()
    }
    pub fn id(&self, c: char) -> Option<usize> {
        self.chars.iter().position(|&x| x == c)
    }
    pub fn char(&self, id: usize) -> Option<char> {
        self.chars.get(id).copied()
    }
    /// `[BOS, c..., BOS]`; an unknown character is an error naming it.
    pub fn encode(&self, doc: &str) -> Result<Vec<usize>> {
        let mut t = vec![self.bos()];
        for c in doc.chars() {
            t.push(self.id(c).ok_or_else(|| Error::invalid("character", format!("{c:?} in {doc:?}"), format!("allowed: one of {:?}", self.chars())))?);
        }
        t.push(self.bos());
        Ok(t)
    }
}

/// The non-empty trimmed lines of a text file.
pub fn read_docs(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let docs: Vec<String> = text.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
    if docs.is_empty() {
        return Err(Error::BadFile { path: path.into(), msg: "no non-empty lines (expected one document per line)".into() });
    }
    Ok(docs)
}
