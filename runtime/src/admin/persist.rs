//! Saving a deploy: the flows file and the credentials file, each written
//! atomically (temp file in the same directory, fsync, rename) with the
//! previous version kept as `.<name>.backup` (Node-RED's convention). If any
//! write fails, every file already written is put back, so a failed deploy
//! leaves the files as they were.

use std::path::{Path, PathBuf};

use crate::credentials::write_atomic;

/// One file to write.
pub struct FileWrite {
    pub path: PathBuf,
    pub data: Vec<u8>,
    /// Mode 0600 (credentials and their backup).
    pub private: bool,
}

/// Why saving failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot save {path}: {source}")]
pub struct PersistError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// `dir/flows.json` → `dir/.flows.json.backup`.
pub fn backup_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.backup"))
}

/// What a file held before (`None`: it did not exist).
struct Before {
    path: PathBuf,
    content: Option<Vec<u8>>,
    private: bool,
}

impl Before {
    fn read(path: &Path, private: bool) -> Result<Self, PersistError> {
        let content = match std::fs::read(path) {
            Ok(c) => Some(c),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(PersistError {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        Ok(Before {
            path: path.to_owned(),
            content,
            private,
        })
    }

    fn restore(&self) {
        let result = match &self.content {
            Some(c) => write_atomic(&self.path, c, self.private),
            None => match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        };
        if let Err(e) = result {
            tracing::error!(path = %self.path.display(), "could not restore after a failed save: {e}");
        }
    }
}

/// Write every file (with its backup), all or nothing.
pub fn save_all(files: &[FileWrite]) -> Result<(), PersistError> {
    let mut before = Vec::new();
    for f in files {
        before.push(Before::read(&f.path, f.private)?);
        before.push(Before::read(&backup_path(&f.path), f.private)?);
    }
    let mut touched = 0;
    let result = (|| {
        for (i, f) in files.iter().enumerate() {
            // From here on, this file and its backup may change.
            touched = 2 * i + 2;
            if let Some(old_content) = &before[2 * i].content {
                let backup = backup_path(&f.path);
                write_atomic(&backup, old_content, f.private).map_err(|source| PersistError {
                    path: backup.display().to_string(),
                    source,
                })?;
            }
            write_atomic(&f.path, &f.data, f.private).map_err(|source| PersistError {
                path: f.path.display().to_string(),
                source,
            })?;
        }
        Ok(())
    })();
    if result.is_err() {
        for b in before.iter().take(touched).rev() {
            b.restore();
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_name_follows_node_red() {
        assert_eq!(
            backup_path(Path::new("/d/flows.json")),
            PathBuf::from("/d/.flows.json.backup")
        );
    }

    #[test]
    fn writes_with_backup_and_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        let b = dir.path().join("b.json");
        std::fs::write(&a, "A1").unwrap();
        save_all(&[FileWrite {
            path: a.clone(),
            data: b"A2".to_vec(),
            private: true,
        }])
        .unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"A2");
        assert_eq!(std::fs::read(backup_path(&a)).unwrap(), b"A1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for p in [&a, &backup_path(&a)] {
                let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", p.display());
            }
        }
        // b's backup path is a directory: b cannot get a backup, so the
        // whole save fails and a is put back.
        std::fs::write(&b, "B1").unwrap();
        std::fs::create_dir(backup_path(&b)).unwrap();
        let err = save_all(&[
            FileWrite {
                path: a.clone(),
                data: b"A3".to_vec(),
                private: true,
            },
            FileWrite {
                path: b.clone(),
                data: b"B2".to_vec(),
                private: false,
            },
        ])
        .unwrap_err();
        assert!(err.path.ends_with(".b.json.backup"), "{err}");
        assert_eq!(std::fs::read(&a).unwrap(), b"A2");
        assert_eq!(std::fs::read(backup_path(&a)).unwrap(), b"A1");
        assert_eq!(std::fs::read(&b).unwrap(), b"B1");
    }
}
