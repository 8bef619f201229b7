//! `--file-root`: every path a storage node touches must resolve inside
//! the root directory once `..` and symbolic links are followed, so a flow
//! (deployed through the admin API, or fed filenames by a request) cannot
//! read or write elsewhere on the host. Without a root, paths are used as
//! given, as Node-RED does.

use std::path::{Component, Path, PathBuf};

/// Why a path may not be used.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("\"{path}\" is outside the file root {root} (--file-root)")]
    Outside { path: String, root: String },
    #[error("\"{path}\" cannot be resolved inside the file root: {reason}")]
    Unresolvable { path: String, reason: String },
}

/// Where the storage nodes may go: anywhere, or inside one directory.
#[derive(Debug, Clone, Default)]
pub struct FileRoot {
    root: Option<PathBuf>,
}

impl FileRoot {
    pub fn new(root: Option<&Path>) -> Self {
        FileRoot {
            root: root.map(Path::to_path_buf),
        }
    }

    /// Check `path` (as the flow gave it; relative to the working directory)
    /// against the root. The path is used as given afterwards: the check
    /// resolves it only to decide.
    pub fn check(&self, path: &str) -> Result<(), PathError> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let unresolvable = |reason: String| PathError::Unresolvable {
            path: path.to_owned(),
            reason,
        };
        let root = root
            .canonicalize()
            .map_err(|e| unresolvable(format!("the root {}: {e}", root.display())))?;
        let resolved = resolve(Path::new(path)).map_err(unresolvable)?;
        if resolved.starts_with(&root) {
            Ok(())
        } else {
            Err(PathError::Outside {
                path: path.to_owned(),
                root: root.display().to_string(),
            })
        }
    }
}

/// `path` made absolute with its existing part's symbolic links and `..`
/// resolved by the file system, and the rest (which does not exist yet)
/// resolved by name.
fn resolve(path: &Path) -> Result<PathBuf, String> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("the working directory: {e}"))?
            .join(path)
    };
    let parts: Vec<Component<'_>> = abs.components().collect();
    for split in (1..=parts.len()).rev() {
        let head: PathBuf = parts[..split].iter().collect();
        match head.canonicalize() {
            Ok(mut base) => {
                for c in &parts[split..] {
                    match c {
                        Component::ParentDir => {
                            base.pop();
                        }
                        Component::Normal(name) => base.push(name),
                        _ => {}
                    }
                }
                return Ok(base);
            }
            // A link whose target is missing would be followed by a write.
            Err(_)
                if head
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink()) =>
            {
                return Err(format!("{} is a link to a missing target", head.display()));
            }
            Err(_) => {}
        }
    }
    Err("no part of it exists".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_inside_or_outside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root_dir = dir.path().join("root");
        std::fs::create_dir_all(root_dir.join("sub")).unwrap();
        std::os::unix::fs::symlink("/etc", root_dir.join("out")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("gone"), root_dir.join("dangling")).unwrap();
        let root = FileRoot::new(Some(&root_dir));
        let p = |s: &str| root_dir.join(s).display().to_string();
        assert!(root.check(&p("a.txt")).is_ok());
        assert!(root.check(&p("sub/new/deeper/b.txt")).is_ok());
        assert!(root.check(&p("sub/../c.txt")).is_ok());
        assert!(root.check(&p("new/../../x.txt")).is_err());
        assert!(root.check(&p("../x.txt")).is_err());
        assert!(root.check(&p("out/passwd")).is_err());
        assert!(root.check(&p("dangling")).is_err());
        assert!(root.check("/etc/passwd").is_err());
        assert!(FileRoot::new(None).check("/etc/passwd").is_ok());
    }
}
