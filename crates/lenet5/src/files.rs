//! Writing files so that a crash never leaves half of one: checkpoints, metrics logs,
//! exported models.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` through a temporary file in the same folder + fsync +
/// rename, so readers only ever see a complete file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{}: not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        test_pause_before_rename();
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Environment variable read by [`write_atomic`] for crash tests only: when it holds a
/// number of milliseconds, every atomic write sleeps that long between writing (and
/// syncing) the temporary file and renaming it, so a test can kill the process exactly
/// there (`tests/crash_resume.rs`). Unset in normal use.
pub const TEST_PAUSE_ENV: &str = "LENET5_TEST_PAUSE_IN_SAVE";

fn test_pause_before_rename() {
    if let Some(ms) = std::env::var_os(TEST_PAUSE_ENV)
        .and_then(|v| v.to_str().and_then(|s| s.trim().parse::<u64>().ok()))
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
