//! One error type for the whole crate. Every message names the file (or URL, or
//! option) it is about and says what is wrong, so the CLI can print it as one line.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in `lenet5`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system error while reading or writing `path`.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A data file (IDX, image) whose content is not what it should be.
    #[error("{}: {msg}", path.display())]
    Format { path: PathBuf, msg: String },
    /// A checkpoint that cannot be used: corrupt, truncated, wrong architecture or shape.
    #[error("{}: bad checkpoint: {msg}", path.display())]
    Checkpoint { path: PathBuf, msg: String },
    /// The dataset could not be found or fetched.
    #[error("{0}")]
    Data(String),
    /// A download failed (every mirror was tried).
    #[error("download failed: {0}")]
    Download(String),
    /// A bad argument or combination of arguments.
    #[error("{0}")]
    Usage(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error about `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
    /// A content error about `path`.
    pub fn format(path: impl AsRef<Path>, msg: impl Into<String>) -> Self {
        Error::Format {
            path: path.as_ref().to_path_buf(),
            msg: msg.into(),
        }
    }
    /// A checkpoint error about `path`.
    pub fn checkpoint(path: impl AsRef<Path>, msg: impl Into<String>) -> Self {
        Error::Checkpoint {
            path: path.as_ref().to_path_buf(),
            msg: msg.into(),
        }
    }
}
