//! Reading source files safely: the one way a source file (book.toml, Markdown, YAML, an
//! attachment) is opened.
//!
//! Only regular files are read: the file type is checked (following symbolic links) before the
//! file is opened, so a named pipe cannot block a build and a link to `/dev/zero` cannot fill
//! memory. A file larger than the size limit (`[build] max-source-size`, default 16 MB) is an
//! error, and the read itself stops at the limit in case the file grows meanwhile. Text is
//! UTF-8, with a leading byte-order mark accepted and stripped, so front matter after a BOM is
//! still front matter.

use crate::diagnostics::{Diagnostic, Pos};
use std::io::Read;
use std::path::Path;

/// The default size limit for one source file, in bytes (16 MB).
pub const DEFAULT_MAX_SIZE: u64 = 16 * 1024 * 1024;

/// The UTF-8 byte-order mark.
pub const BOM: char = '\u{feff}';

/// Reads a regular file of at most `limit` bytes (`u64::MAX`: no limit, for attachments).
pub fn read_bytes(file: &Path, limit: u64) -> Result<Vec<u8>, Diagnostic> {
    let io = |e: std::io::Error| Diagnostic::error("io-error", file, format!("cannot read: {e}"));
    let meta = std::fs::metadata(file).map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(file, &meta));
    }
    if meta.len() > limit {
        return Err(too_large(file, limit));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(file).map_err(io)?.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(file, limit));
    }
    Ok(bytes)
}

/// Reads a regular UTF-8 text file of at most `limit` bytes, without its byte-order mark.
pub fn read_text(file: &Path, limit: u64) -> Result<String, Diagnostic> {
    let bytes = read_bytes(file, limit)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let text = String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]).into_owned();
        Diagnostic::error("not-utf8", file, "the file is not valid UTF-8 text")
            .at_pos(Pos::of_offset(&text, text.len()))
            .hint("save the file with UTF-8 encoding")
    })?;
    Ok(strip_bom(text))
}

/// `text` without a leading byte-order mark.
pub fn strip_bom(text: String) -> String {
    match text.strip_prefix(BOM) {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// Why a file that is not a regular file is not read.
pub fn not_regular(file: &Path, meta: &std::fs::Metadata) -> Diagnostic {
    let kind = kind_of(meta);
    Diagnostic::error("not-a-file", file, format!("this is {kind}, not a regular file: not read"))
        .hint("only regular files are read as sources; remove it or move it out of the source folder")
}

/// A human name for what a non-regular file is.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() { "a folder" } else { "a special file" }
}

fn too_large(file: &Path, limit: u64) -> Diagnostic {
    Diagnostic::error(
        "source-too-large",
        file,
        format!("the file is larger than the {} limit for one source file", human_size(limit)),
    )
    .hint("split it, or raise [build] max-source-size in book.toml")
}

/// `16 MB`, `512 KB`, `100 bytes`.
pub fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Parses a size: a number of bytes, or a number followed by `KB`, `MB` or `GB` (powers of
/// 1024; `KiB`, `MiB`, `GiB` are accepted too).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let factor = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" | "KIB" | "K" => 1024,
        "MB" | "MIB" | "M" => 1024 * 1024,
        "GB" | "GIB" | "G" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// The SHA-256 of a source text, as handbook.json lists it.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().flat_map(|b| [DIGITS[usize::from(b >> 4)] as char, DIGITS[usize::from(b & 15)] as char]).collect()
}

/// A document's whole text: from memory while the loader still holds it, otherwise read
/// again, and refused (with a diagnostic) when the file changed since it was loaded, so every
/// stage of a build sees the same text.
pub fn document_text(doc: &crate::model::Document, limit: u64) -> Result<std::borrow::Cow<'_, str>, Diagnostic> {
    if doc.has_body() {
        return Ok(std::borrow::Cow::Borrowed(doc.source.as_str()));
    }
    let text = read_text(&doc.file, limit)?;
    if sha256_hex(&text) != doc.sha256 {
        return Err(Diagnostic::error("io-error", &doc.file, "the file changed while the build was running")
            .hint("build again"));
    }
    Ok(std::borrow::Cow::Owned(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16 MB"), Some(16 * 1024 * 1024));
        assert_eq!(parse_size("512KB"), Some(512 * 1024));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("1 PB"), None);
        assert_eq!(parse_size("MB"), None);
        assert_eq!(human_size(DEFAULT_MAX_SIZE), "16 MB");
    }

    #[test]
    fn bom_is_stripped() {
        assert_eq!(strip_bom("\u{feff}---\n".to_string()), "---\n");
        assert_eq!(strip_bom("x\u{feff}".to_string()), "x\u{feff}");
    }
}
