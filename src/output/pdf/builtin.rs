//! The card templates that ship inside the binary (`card-templates/` of the
//! source tree), so that an office started outside a checkout — a binary
//! on the PATH, a package, a container — can still print and enrol.
//!
//! When `templates_dir` is left at its default (`card-templates`, relative
//! to the working directory) and that folder does not exist, the office
//! writes these templates once into `<data_dir>/card-templates` and uses
//! them from there ([`crate::config::Config::resolve_card_templates`]); a
//! city edits its copy there. Files that exist are never overwritten.

use std::io;
use std::path::Path;

/// Each built-in file: its path below the templates folder and its bytes.
pub const FILES: &[(&str, &[u8])] = &[
    (
        "bilingual-photo/template.toml",
        include_bytes!("../../../card-templates/bilingual-photo/template.toml"),
    ),
    (
        "bilingual-photo/logo.svg",
        include_bytes!("../../../card-templates/bilingual-photo/logo.svg"),
    ),
    (
        "no-photo/template.toml",
        include_bytes!("../../../card-templates/no-photo/template.toml"),
    ),
    (
        "no-photo/logo.svg",
        include_bytes!("../../../card-templates/no-photo/logo.svg"),
    ),
];

/// Writes the built-in templates below `dir`, leaving every file that is
/// already there as it is. Returns how many files were written.
pub fn install(dir: &Path) -> io::Result<usize> {
    let mut written = 0;
    for (name, bytes) in FILES {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            crate::private_files::private_dir(parent)?;
        }
        crate::private_files::write_private(&path, bytes)?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the source tree's `card-templates/` is built in, so a
    /// new template or logo cannot be forgotten here.
    #[test]
    fn every_file_of_the_source_templates_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-templates");
        let mut on_disk = Vec::new();
        for entry in std::fs::read_dir(&root).unwrap() {
            let dir = entry.unwrap().path();
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                let rel = file
                    .strip_prefix(&root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                on_disk.push(rel);
            }
        }
        on_disk.sort();
        let mut built_in: Vec<String> = FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
        built_in.sort();
        assert_eq!(on_disk, built_in);
    }

    #[test]
    fn install_writes_once_and_keeps_edits() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(install(dir.path()).unwrap(), FILES.len());
        let toml = dir.path().join("no-photo/template.toml");
        std::fs::write(&toml, "edited").unwrap();
        assert_eq!(install(dir.path()).unwrap(), 0);
        assert_eq!(std::fs::read_to_string(&toml).unwrap(), "edited");
    }
}
