//! Saving a deploy: the flows file and the credentials file, as one step.
//! The previous version of each is kept as `.<name>.backup` (Node-RED's
//! convention); the new contents and backups are staged in fsynced temp
//! files and committed through the redo journal ([`super::journal`]), so a
//! process killed at any moment leaves the old pair or (after the next start
//! finishes the journal) the new pair, never flows of one deploy with
//! credentials of another. A write that fails before the journal changes
//! nothing; after it, every file already renamed is put back, so a failed
//! deploy leaves the files as they were.

use std::path::{Path, PathBuf};

use super::journal::{self, Staged};
use crate::credentials::{parent_dir, stage, sync_dir, write_atomic};

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

    /// Put the file back as it was, if it changed (so a directory that
    /// cannot be written is not written again).
    fn restore_if_changed(&self) {
        let now = std::fs::read(&self.path).ok();
        if now == self.content {
            return;
        }
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

/// Write every file (with its backup), all or nothing, committing through
/// the journal at `journal`. The backups are staged and renamed with the
/// files, so they too change in the one step; the directories are synced
/// once, after every rename, since the journal already makes the step
/// redoable.
pub fn save_all(journal: &Path, files: &[FileWrite]) -> Result<(), PersistError> {
    if files.is_empty() {
        return Ok(());
    }
    let mut before = Vec::new();
    for f in files {
        before.push(Before::read(&backup_path(&f.path), f.private)?);
        before.push(Before::read(&f.path, f.private)?);
    }
    let mut writes: Vec<(PathBuf, &[u8], bool)> = Vec::new();
    for (f, old) in files.iter().zip(before.iter().skip(1).step_by(2)) {
        if let Some(c) = &old.content {
            writes.push((backup_path(&f.path), c, f.private));
        }
        writes.push((f.path.clone(), &f.data, f.private));
    }
    let error = |path: &Path| {
        let path = path.display().to_string();
        move |source| PersistError { path, source }
    };
    let mut staged: Vec<Staged> = Vec::new();
    let mut journaled = false;
    let result = (|| {
        for (path, data, private) in &writes {
            let temp = stage(path, data, *private).map_err(error(path))?;
            staged.push(Staged {
                path: path.clone(),
                temp,
                data_sha256: journal::sha256_hex(data),
            });
        }
        journal::write(journal, &staged).map_err(error(journal))?;
        journaled = true;
        let mut dirs: Vec<&Path> = Vec::new();
        for s in &staged {
            std::fs::rename(&s.temp, &s.path).map_err(error(&s.path))?;
            let dir = parent_dir(&s.path);
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        dirs.into_iter().for_each(sync_dir);
        Ok(())
    })();
    if result.is_err() && journaled {
        // A rename failed: put back the files already renamed. A crash
        // during this leaves the journal naming contents that are no longer
        // all there, so the next start refuses with an error naming the
        // files instead of starting from a mixed set.
        for b in before.iter().rev() {
            b.restore_if_changed();
        }
    }
    // Done, or undone: either way the journal has nothing left to redo.
    if let Err(e) = journal::finish(journal) {
        tracing::warn!("cannot remove {}: {e}", journal.display());
    }
    if result.is_err() {
        for s in &staged {
            let _ = std::fs::remove_file(&s.temp);
        }
    }
    result
}

/// Whether an existing file is readable by its owner only (so a rewrite
/// keeps it that way).
pub fn is_private(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
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
        let journal = journal::journal_path(&a);
        save_all(
            &journal,
            &[FileWrite {
                path: a.clone(),
                data: b"A2".to_vec(),
                private: true,
            }],
        )
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
        let err = save_all(
            &journal,
            &[
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
            ],
        )
        .unwrap_err();
        assert!(err.path.ends_with(".b.json.backup"), "{err}");
        assert_eq!(std::fs::read(&a).unwrap(), b"A2");
        assert_eq!(std::fs::read(backup_path(&a)).unwrap(), b"A1");
        assert_eq!(std::fs::read(&b).unwrap(), b"B1");
        assert!(!journal.exists());
    }
}
