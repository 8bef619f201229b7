//! Reading a file a flow names (a key file): only a regular file, and never
//! more than a limit.
//!
//! A path is configuration anyone who can deploy may set. `/dev/zero` read
//! to its end grows the process without bound, and a FIFO blocks the deploy
//! until something writes to it; both take the whole service down. So the
//! file is opened without blocking, refused unless the opened handle is a
//! regular file, and read only up to the limit.

use std::io::Read;
use std::path::Path;

/// The most a key file may hold: PEM and JWK keys are a few kilobytes.
pub const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// Why a named file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadFileError {
    #[error("{path} is {kind}, not a regular file; only regular files are read")]
    NotRegular { path: String, kind: &'static str },
    #[error("{path} is larger than {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    #[error("{path} is not UTF-8 text")]
    NotText { path: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl ReadFileError {
    /// Whether the file does not exist (yet).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadFileError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// What a file that is not a regular file is, for the error message.
fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadFileError> {
    let shown = || path.display().to_string();
    let io = |source| ReadFileError::Io {
        path: shown(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Opening a FIFO for reading would wait for a writer; non-blocking,
        // it returns at once and the type check below refuses it.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    // The type of what was opened, not of what the path named a moment ago.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadFileError::NotRegular {
            path: shown(),
            kind: kind_of(meta.file_type()),
        });
    }
    let too_large = || ReadFileError::TooLarge {
        path: shown(),
        limit,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte more than the limit tells a file that grew since from one
    // that is exactly at it.
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// [`read_regular`] for a text file.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<String, ReadFileError> {
    String::from_utf8(read_regular(path, limit)?).map_err(|_| ReadFileError::NotText {
        path: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_fifos_are_refused_without_reading() {
        let err = read_regular(Path::new("/dev/zero"), MAX_KEY_FILE_BYTES).unwrap_err();
        assert!(
            matches!(
                err,
                ReadFileError::NotRegular {
                    kind: "a character device",
                    ..
                }
            ),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular(dir.path(), 10).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_regular(&fifo, 10).unwrap_err();
        assert!(err.to_string().contains("a FIFO"), "{err}");
    }

    #[test]
    fn regular_files_are_read_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.pem");
        std::fs::write(&p, "0123456789").unwrap();
        assert_eq!(read_regular_text(&p, 10).unwrap(), "0123456789");
        assert!(matches!(
            read_regular(&p, 9),
            Err(ReadFileError::TooLarge { limit: 9, .. })
        ));
        let missing = read_regular(&dir.path().join("none"), 10).unwrap_err();
        assert!(missing.is_not_found());
    }
}
