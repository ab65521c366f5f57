//! secretops: find out, during an outage, which copy of a shared service secret is wrong.
//!
//! The library holds everything; `main.rs` only calls [`cli::main`]. Tests drive the same code.

pub mod audit;
pub mod cli;
pub mod demo;
pub mod dotenv;
pub mod envwrite;
pub mod findings;
pub mod fingerprint;
pub mod interpolate;
pub mod inventory;
pub mod live;
pub mod logging;
pub mod paths;
pub mod redact;
pub mod report;
pub mod runbook;
pub mod scan;
pub mod snapshot;
pub mod sources;
pub mod tui;

use std::path::Path;

/// Largest config or env file secretops reads: anything bigger is not a config file.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Shows `path` relative to `base` when it lies below it, else as given.
pub fn display_path(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let rel = rel.strip_prefix(".").unwrap_or(rel);
    rel.display().to_string()
}

/// An I/O error in words, without the "(os error N)" noise.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

/// Replaces every quoted part of a third-party error message with `…`.
///
/// Parser errors like serde's "invalid type: string \"abc\"" quote the offending input, which
/// may be a secret; this keeps the structure of the message and drops the content.
pub fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None if matches!(c, '"' | '`' | '\'') => {
                out.push(c);
                open = Some(c);
            }
            None => out.push(c),
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
}

/// Characters that must never reach a terminal from data: control characters (escape
/// sequences, carriage returns that forge lines) and bidirectional overrides that reorder
/// what is shown.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text with every [`is_unsafe_char`] removed, for names and messages printed on a terminal.
pub fn clean_text(text: &str) -> String {
    text.chars().filter(|c| !is_unsafe_char(*c)).collect()
}

/// Why a small file could not be read.
#[derive(Debug)]
pub enum SmallFileError {
    /// Not a regular file: a folder, FIFO, device or socket (reading one could block forever
    /// or never end).
    NotAFile(&'static str),
    TooLarge,
    Io(std::io::Error),
}

impl std::fmt::Display for SmallFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAFile(kind) => write!(f, "is a {kind}, not a regular file"),
            Self::TooLarge => f.write_str("is larger than 1 MiB"),
            Self::Io(e) => f.write_str(&io_reason(e)),
        }
    }
}

/// Reads a config-sized file: only regular files (symlinks followed), at most
/// [`MAX_FILE_BYTES`], so a FIFO, `/dev/zero` or a runaway file can neither hang nor exhaust
/// memory.
pub fn read_small_file(path: &Path) -> Result<Vec<u8>, SmallFileError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(SmallFileError::Io)?;
    let kind = meta.file_type();
    if !kind.is_file() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if kind.is_fifo() {
                return Err(SmallFileError::NotAFile("FIFO"));
            }
            if kind.is_char_device() || kind.is_block_device() {
                return Err(SmallFileError::NotAFile("device"));
            }
            if kind.is_socket() {
                return Err(SmallFileError::NotAFile("socket"));
            }
        }
        if kind.is_dir() {
            return Err(SmallFileError::NotAFile("directory"));
        }
        return Err(SmallFileError::NotAFile("special file"));
    }
    let file = std::fs::File::open(path).map_err(SmallFileError::Io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(SmallFileError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bytes.fill(0);
        return Err(SmallFileError::TooLarge);
    }
    Ok(bytes)
}

/// Makes text from a remote endpoint safe to show: control characters dropped (no terminal
/// escapes), cut to `max` characters with `…`.
pub fn view_text(text: &str, max: usize) -> String {
    let clean = clean_text(text);
    if clean.chars().count() <= max {
        return clean;
    }
    let mut out: String = clean.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_quoted_drops_quoted_content() {
        assert_eq!(
            redact_quoted("invalid type: string \"hunter2\", expected a map"),
            "invalid type: string \"…\", expected a map"
        );
        assert_eq!(redact_quoted("unterminated `abc"), "unterminated `…");
    }
}
