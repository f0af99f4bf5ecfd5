//! Files and folders that only the office's own user may read (finding 12
//! of SECURITY.md): the database and its `-wal`/`-shm` files, the data and
//! key directories, PDFs with names and photos, published lists and
//! template copies.
//!
//! Two layers: the binary sets its umask to `077` first thing
//! ([`restrict_umask`]), so whatever any library (SQLite included) creates
//! is `0600`/`0700`; and the places that create files say so explicitly
//! ([`create_private`], [`private_dir`], [`prepare_private_file`]), so the
//! library used from elsewhere (tests, another binary) keeps the rule too.
//! Files meant to be handed out (a trust list or `.pub` written with
//! `--out`, a desk export) are written with an explicit mode by their
//! commands. Nothing here is unsafe: the umask comes from `rustix`.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// The mode of every file the office writes for itself.
pub const FILE_MODE: u32 = 0o600;
/// The mode of the data and key directories (and folders below them).
pub const DIR_MODE: u32 = 0o700;

/// Sets the process's file creation mask to `077`: files and folders
/// created from now on are readable by this user only.
pub fn restrict_umask() {
    #[cfg(unix)]
    {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
}

/// Creates a file (or truncates an existing one) for writing with mode
/// `0600`; an existing file gets that mode as well.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

/// Writes a whole file with mode `0600` (see [`create_private`]).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = create_private(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Creates a folder and its missing parents, the new ones with mode
/// `0700`. An existing folder is left as it is.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)
}

/// Takes the group and other bits off an existing file or folder (`0600`
/// or `0700` at most); a missing one is fine. Whether it changed anything.
pub fn tighten(path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 == 0 {
            return Ok(false);
        }
        fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o700))?;
        Ok(true)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(false)
    }
}

/// Before SQLite opens its database file: creates it empty with mode
/// `0600` when missing (SQLite gives its `-wal` and `-shm` files the mode
/// of the main file), and tightens the main, `-wal` and `-shm` files when
/// they exist with a wider mode.
pub fn prepare_private_file(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    match options.open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        tighten(Path::new(&p))?;
    }
    Ok(())
}

/// Warns on stderr (naming the path, never its contents) when `what` at
/// `path` (a key file) can be read by other users than the office's own.
pub fn warn_if_readable_by_others(path: &Path, what: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                eprintln!(
                    "warning: {what} {} can be read by other users (mode {mode:04o}); \
                     fix it with: chmod 600 {}",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_folders_are_private_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        private_dir(&sub).unwrap();
        assert_eq!(mode(&sub), 0o700);
        let f = sub.join("x.pdf");
        fs::write(&f, b"old").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&f, b"new").unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(fs::read(&f).unwrap(), b"new");
        let db = sub.join("c.sqlite");
        prepare_private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        let wal = sub.join("c.sqlite-wal");
        fs::write(&wal, b"").unwrap();
        fs::set_permissions(&wal, fs::Permissions::from_mode(0o644)).unwrap();
        prepare_private_file(&db).unwrap();
        assert_eq!(mode(&wal), 0o600);
        assert!(!tighten(&sub.join("missing")).unwrap());
    }
}
