//! A file tree to read `/proc`, `/sys` and `/etc` from: `/` on a live machine, a recorded
//! fixture directory in tests.

use std::io;
use std::path::{Path, PathBuf};

/// The root that absolute paths such as `/proc/meminfo` are resolved under.
#[derive(Debug, Clone)]
pub struct Root {
    base: PathBuf,
}

impl Root {
    /// The live machine.
    pub fn system() -> Root {
        Root {
            base: PathBuf::from("/"),
        }
    }

    /// A recorded tree: `/proc/meminfo` is read from `<dir>/proc/meminfo`.
    pub fn at(dir: impl Into<PathBuf>) -> Root {
        Root { base: dir.into() }
    }

    /// Whether this is the live machine's `/`.
    pub fn is_system(&self) -> bool {
        self.base == Path::new("/")
    }

    /// The real path of `path` (absolute, as on the live machine).
    pub fn path(&self, path: &str) -> PathBuf {
        self.base.join(path.trim_start_matches('/'))
    }

    /// The file's text.
    pub fn read(&self, path: &str) -> io::Result<String> {
        std::fs::read_to_string(self.path(path))
    }

    /// The file's text, trimmed; `None` when absent, unreadable or empty.
    pub fn text(&self, path: &str) -> Option<String> {
        let s = self.read(path).ok()?;
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    }

    /// The file's content as an unsigned integer (decimal, or hex with `0x`).
    pub fn u64(&self, path: &str) -> Option<u64> {
        let s = self.text(path)?;
        match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        }
    }

    /// The file's content as a `u32` (see [`Root::u64`]); `None` also when it does not fit.
    pub fn u32(&self, path: &str) -> Option<u32> {
        u32::try_from(self.u64(path)?).ok()
    }

    /// Whether the path exists.
    pub fn exists(&self, path: &str) -> bool {
        self.path(path).exists()
    }

    /// Names in a directory, sorted; empty when it does not exist.
    pub fn list(&self, dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(dir))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Names in a directory as the live system has them, sorted: a recorded link `x.link` stands
    /// for the entry `x` (see [`Root::link`]), also next to a recorded directory `x`, and dot
    /// files (`.gitkeep`, which keeps an empty recorded directory) are not entries. Empty when
    /// the directory does not exist.
    pub fn entries(&self, dir: &str) -> Vec<String> {
        real_entries(self.list(dir))
    }

    /// The target of a symbolic link, as written (e.g. `../../devices/pci0000:00/0000:00:01.0/0000:01:00.0`).
    /// Fixtures record links as a file named `<name>.link` holding the target, since links do
    /// not survive every checkout.
    pub fn link(&self, path: &str) -> Option<String> {
        if let Ok(t) = std::fs::read_link(self.path(path)) {
            return Some(t.to_string_lossy().into_owned());
        }
        self.text(&format!("{path}.link"))
    }
}

/// The entries that `names`, as recorded, stand for (see [`Root::entries`]).
fn real_entries(names: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = names
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .map(|n| match n.strip_suffix(".link") {
            Some(base) => base.to_string(),
            None => n,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_links_and_dot_files() {
        let names = vec![
            "eth0".into(),
            "eth0.link".into(),
            "dm-0.link".into(),
            ".gitkeep".into(),
        ];
        assert_eq!(real_entries(names), ["dm-0", "eth0"]);
    }
}
