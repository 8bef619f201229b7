//! The redo journal that makes saving the flows file and the credentials
//! file one step. Each file is first written to its own temp file and
//! fsynced; then the journal — naming every target, its temp file and the
//! SHA-256 of the new content — is written atomically; only then are the temp
//! files renamed over their targets, and the journal removed. A process
//! killed at any moment therefore leaves either no journal (the targets are
//! all old; any temp files are garbage) or a complete journal from which the
//! next start finishes every rename ([`recover`]), so the flows always start
//! with the credentials saved with them.
//!
//! The journal is `.<flows file>.journal` beside the flows file, JSON:
//! `{"files": [{"path": P, "temp": T, "sha256": H}, ...]}`, `P` and `T` being
//! names in the journal's directory or absolute paths. Both data files keep
//! Node-RED's formats; the journal exists only while a save is under way.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::credentials::{self, commit, is_temp_of, parent_dir, sync_dir, write_atomic};

/// `dir/flows.json` → `dir/.flows.json.journal`.
pub fn journal_path(flows: &Path) -> PathBuf {
    parent_dir(flows).join(format!(
        ".{}.journal",
        flows
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ))
}

/// One staged file: its temp file is written and fsynced.
pub struct Staged {
    pub path: PathBuf,
    pub temp: PathBuf,
    pub data_sha256: String,
}

/// Why an interrupted save could not be completed on start.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "an interrupted save left {journal}, which cannot be completed: {problem}. The flows \
         and credentials files may not belong together, so flowgate will not start from them: \
         check them (the previous versions are the .<name>.backup files beside them), then \
         delete {journal} to start from the files as they are"
    )]
    Unfinishable { journal: String, problem: String },
}

/// SHA-256 of `data`, hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Record `staged` in the journal at `journal` (atomically, fsynced).
pub fn write(journal: &Path, staged: &[Staged]) -> std::io::Result<()> {
    let dir = parent_dir(journal);
    let files: Vec<Value> = staged
        .iter()
        .map(|s| {
            json!({
                "path": stored_name(dir, &s.path),
                "temp": stored_name(dir, &s.temp),
                "sha256": s.data_sha256,
            })
        })
        .collect();
    let doc = credentials::pretty_json(&json!({ "files": files }));
    write_atomic(journal, &doc, true)
}

/// Remove the journal once every rename is done.
pub fn finish(journal: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(journal) {
        Ok(()) => {
            sync_dir(parent_dir(journal));
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// A path as the journal stores it: the bare name when it is in the
/// journal's directory (so the directory may be moved), absolute otherwise.
fn stored_name(dir: &Path, path: &Path) -> String {
    if parent_dir(path) == dir {
        if let Some(name) = path.file_name() {
            return name.to_string_lossy().into_owned();
        }
    }
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// On start, before anything is read: finish the save a journal records
/// (renaming each temp file whose content matches it over its target), then
/// delete the temp files interrupted writes of `files` (and their backups and
/// the journal) left behind. Refuses, rather than guess, when the journal
/// cannot be completed.
pub fn recover(journal: &Path, files: &[&Path]) -> Result<(), RecoverError> {
    match std::fs::read(journal) {
        Ok(text) => {
            roll_forward(journal, &text)?;
            if let Err(e) = finish(journal) {
                tracing::warn!("cannot remove {}: {e}", journal.display());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(RecoverError::Io {
                path: journal.display().to_string(),
                source,
            })
        }
    }
    let mut targets: Vec<PathBuf> = vec![journal.to_owned()];
    for f in files {
        targets.push(f.to_path_buf());
        targets.push(super::persist::backup_path(f));
    }
    remove_leftover_temps(&targets);
    Ok(())
}

fn roll_forward(journal: &Path, text: &[u8]) -> Result<(), RecoverError> {
    let unfinishable = |problem: String| RecoverError::Unfinishable {
        journal: journal.display().to_string(),
        problem,
    };
    let doc: Value = serde_json::from_slice(text)
        .map_err(|e| unfinishable(format!("the journal is not valid JSON ({e})")))?;
    let entries = doc
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| unfinishable("the journal lists no files".into()))?;
    let dir = parent_dir(journal);
    let mut plan = Vec::new();
    for e in entries {
        let field = |k: &str| e.get(k).and_then(Value::as_str);
        let (Some(path), Some(temp), Some(sha)) = (field("path"), field("temp"), field("sha256"))
        else {
            return Err(unfinishable(format!("malformed entry {e}")));
        };
        let path = dir.join(path);
        let temp = dir.join(temp);
        let temp_name = temp.file_name().map(|n| n.to_string_lossy().into_owned());
        if parent_dir(&temp) != parent_dir(&path)
            || !temp_name.is_some_and(|n| is_temp_of(&path, &n))
        {
            return Err(unfinishable(format!(
                "{} is not a temp file of {}",
                temp.display(),
                path.display()
            )));
        }
        plan.push((path, temp, sha.to_owned()));
    }
    // Check everything before renaming anything.
    let mut renames = Vec::new();
    for (path, temp, sha) in &plan {
        if hash_of(temp)?.as_deref() == Some(sha.as_str()) {
            renames.push((temp, path));
        } else if hash_of(path)?.as_deref() != Some(sha.as_str()) {
            return Err(unfinishable(format!(
                "neither {} nor its temp file {} holds the content the journal records",
                path.display(),
                temp.display()
            )));
        }
    }
    for (temp, path) in renames {
        commit(temp, path).map_err(|source| RecoverError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    tracing::warn!(
        "completed the save interrupted earlier (recorded in {})",
        journal.display()
    );
    Ok(())
}

/// SHA-256 of a file's content; `None` when it does not exist.
fn hash_of(path: &Path) -> Result<Option<String>, RecoverError> {
    match std::fs::read(path) {
        Ok(data) => Ok(Some(sha256_hex(&data))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(RecoverError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Delete the `.<name>.<pid>.tmp` files of `targets`. Best effort: a
/// directory flowgate may not write keeps them, which is only untidy.
fn remove_leftover_temps(targets: &[PathBuf]) {
    for target in targets {
        let Ok(entries) = std::fs::read_dir(parent_dir(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_temp_of(target, &name) {
                continue;
            }
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(
                    "removed {}, left by an interrupted write",
                    entry.path().display()
                ),
                Err(e) => tracing::warn!("cannot remove {}: {e}", entry.path().display()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_name_sits_beside_the_flows() {
        assert_eq!(
            journal_path(Path::new("/d/flows.json")),
            PathBuf::from("/d/.flows.json.journal")
        );
    }

    #[test]
    fn recovery_finishes_the_renames_left() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        let b = dir.path().join("b.json");
        let journal = journal_path(&a);
        std::fs::write(&a, "A1").unwrap();
        std::fs::write(&b, "B1").unwrap();
        let staged: Vec<Staged> = [(&a, "A2"), (&b, "B2")]
            .into_iter()
            .map(|(p, d)| Staged {
                path: p.clone(),
                temp: credentials::stage(p, d.as_bytes(), false).unwrap(),
                data_sha256: sha256_hex(d.as_bytes()),
            })
            .collect();
        write(&journal, &staged).unwrap();
        // The first rename happened before the "crash".
        commit(&staged[0].temp, &a).unwrap();
        std::fs::write(dir.path().join(".b.json.77.tmp"), "junk").unwrap();
        recover(&journal, &[&a, &b]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"A2");
        assert_eq!(std::fs::read(&b).unwrap(), b"B2");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
    }
}
