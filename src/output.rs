//! Writing a generated artefact set as a whole or not at all.
//!
//! Generators build every file in memory first ([`FileSet`]), then [`FileSet::write_to`] stages
//! them in a hidden sibling folder and moves them into place only once all were written, so an
//! error (unwritable folder, full disk) never leaves half an output behind.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Clone)]
pub struct FileSet {
    files: Vec<(String, Vec<u8>)>,
}

impl FileSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// The usual output of a generator: one Verilog file and its manifest (`manifest.json`).
    pub fn design(verilog_file: String, verilog: String, manifest: &crate::manifest::Manifest) -> Self {
        let mut fs = Self::new();
        fs.add(verilog_file, verilog);
        fs.add(crate::manifest::MANIFEST_FILE, manifest.to_json());
        fs
    }

    /// Adds a file by its name relative to the output folder (no `..`, no absolute paths).
    pub fn add(&mut self, name: impl Into<String>, contents: impl Into<Vec<u8>>) {
        let name = name.into();
        assert!(!name.starts_with('/') && !name.split('/').any(|c| c == ".."), "bad file name {name}");
        self.files.push((name, contents.into()));
    }

    pub fn names(&self) -> Vec<String> {
        self.files.iter().map(|(n, _)| n.clone()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.iter().find(|(n, _)| n == name).map(|(_, c)| c.as_slice())
    }

    /// Writes every file under `dir` (created if missing) atomically per set: all files are
    /// written to a staging folder beside `dir` first and renamed into place at the end.
    pub fn write_to(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if dir.exists() && !dir.is_dir() {
            return Err(Error::invalid("--out", dir.display(), "must be a folder, not a file"));
        }
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let stage = tempfile::Builder::new()
            .prefix(".llmpu-staging-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        for (name, contents) in &self.files {
            let p = stage.path().join(name);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
            }
            std::fs::write(&p, contents).map_err(|e| Error::io(&p, e))?;
        }
        let created = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut written = Vec::new();
        for (name, _) in &self.files {
            let to = dir.join(name);
            let res = (|| {
                if let Some(d) = to.parent() {
                    std::fs::create_dir_all(d)?;
                }
                std::fs::rename(stage.path().join(name), &to)
            })();
            if let Err(e) = res {
                for w in &written {
                    let _ = std::fs::remove_file(w);
                }
                if created {
                    let _ = std::fs::remove_dir_all(dir);
                }
                return Err(Error::io(&to, e));
            }
            written.push(to);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_all_files_and_leaves_no_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("a/b");
        let mut fs = FileSet::new();
        fs.add("x.v", "module x; endmodule\n");
        fs.add("sub/m.json", "{}");
        let w = fs.write_to(&out).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(std::fs::read_to_string(out.join("x.v")).unwrap(), "module x; endmodule\n");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("a")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "staging folder left behind");
    }

    #[test]
    fn unwritable_parent_is_an_error_and_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("plain-file");
        std::fs::write(&file, "x").unwrap();
        let mut fs = FileSet::new();
        fs.add("x.v", "x");
        assert!(fs.write_to(&file.join("out")).is_err());
        assert!(fs.write_to(&file).is_err());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    }
}
