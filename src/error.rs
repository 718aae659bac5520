//! The library's typed error. Every message names the offending value and what is allowed, on
//! one line, so the CLI can print it as is. `is_usage()` tells the CLI which errors are the
//! user's input (exit code 2) and which are failures of the run (exit code 1).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter outside its allowed set, e.g. `rows 0 is out of range (allowed: 1..=64)`.
    #[error("{name} {value} is not allowed ({allowed})")]
    Invalid { name: String, value: String, allowed: String },

    /// A user-supplied file that cannot be used (missing key, ragged rows, wrong shape, ...).
    #[error("{path}: {msg}")]
    BadFile { path: PathBuf, msg: String },

    /// The design does not fit the chosen target; the message carries the numbers.
    #[error("{0}")]
    DoesNotFit(String),

    /// An I/O failure on a path.
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },

    /// An external tool (verilator, yosys, nextpnr, ...) failed or is missing.
    #[error("{tool} failed: {msg}")]
    Tool { tool: String, msg: String },

    /// The host link to a board or a simulated unit failed: no port, no answer, an error status.
    #[error("{0}")]
    Link(String),

    /// A simulation disagreed with its model, or hung.
    #[error("simulation mismatch: {0}")]
    Mismatch(String),
}

impl Error {
    pub fn invalid(name: impl Into<String>, value: impl ToString, allowed: impl Into<String>) -> Self {
        Error::Invalid { name: name.into(), value: value.to_string(), allowed: allowed.into() }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), err: source }
    }

    pub fn tool(tool: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Tool { tool: tool.into(), msg: msg.into() }
    }

    /// Errors caused by what the user asked for (exit code 2) rather than by the run itself.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Invalid { .. } | Error::BadFile { .. } | Error::DoesNotFit(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks `lo <= value <= hi` and names the parameter and range otherwise.
pub fn check_range<T: PartialOrd + std::fmt::Display>(name: &str, value: T, lo: T, hi: T) -> Result<T> {
    if value < lo || value > hi {
        Err(Error::invalid(name, &value, format!("allowed: {lo}..={hi}")))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_message_names_value_and_range() {
        let e = check_range("rows", 0u32, 1, 64).unwrap_err();
        assert_eq!(e.to_string(), "rows 0 is not allowed (allowed: 1..=64)");
        assert!(e.is_usage());
        assert_eq!(check_range("cols", 64u32, 1, 64).unwrap(), 64);
    }
}

/// An enum of keywords a user types (`--engine compact`, `--traffic hotspot`): `FromStr` with the
/// one-line error naming the value and every keyword, `Display` giving the keyword back, and
/// `KEYWORDS` in declaration order. `what` is the name the error uses (`engine`).
macro_rules! keyword_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident as $what:literal { $($(#[$vmeta:meta])* $var:ident => $kw:literal),+ $(,)? }) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$vmeta])* $var),+
        }

        impl $name {
            /// Every keyword, in declaration order.
            pub const KEYWORDS: &'static [&'static str] = &[$($kw),+];
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                match s {
                    $($kw => Ok($name::$var),)+
                    _ => Err($crate::error::Error::invalid($what, format!("'{s}'"), format!("allowed: {}", Self::KEYWORDS.join(", ")))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $($name::$var => $kw),+
                })
            }
        }
    };
}
pub(crate) use keyword_enum;
