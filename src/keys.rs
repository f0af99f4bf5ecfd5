//! The key store on disk: reading and writing key files, passphrases.
//!
//! Formats (all readable by `openssl`):
//! - private keys: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), or encrypted
//!   PKCS#8 PEM (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, PBES2 with scrypt
//!   N=2^14, r=8, p=1 and AES-256-CBC), always written with mode 0600;
//! - public keys: SPKI PEM (`-----BEGIN PUBLIC KEY-----`).

use citycard_credential::keys as ckeys;
use citycard_credential::{SigningKey, VerifyingKey};
use pkcs8::pkcs5::{pbes2, scrypt};
use pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding, PrivateKeyInfo};
use rand_core::{OsRng, RngCore};
use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The environment variable that may hold the passphrase of an encrypted key.
pub const PASSPHRASE_ENV: &str = "CITYCARD_ROOT_PASSPHRASE";

/// Largest key file we read (a PEM key is a few hundred bytes).
const MAX_KEY_FILE: u64 = 64 * 1024;

/// scrypt cost: log2(N) = 14, r = 8, p = 1 (16 MiB), the parameters of
/// `openssl pkcs8 -topk8 -scrypt`. OpenSSL refuses to decrypt keys that need
/// more than 32 MiB, so the RustCrypto default (N = 2^15) is not used.
const SCRYPT_LOG_N: u8 = 14;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

/// What went wrong with a key file or passphrase. Messages name files,
/// never a key or a passphrase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// A file (or the terminal) could not be read, created, written or
    /// replaced; `doing` says which.
    #[error("{doing}")]
    Io {
        /// What was being done, with the file.
        doing: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The card-format crate could not encode or decode a key.
    #[error("{doing}")]
    Key {
        /// What was being done, with the file.
        doing: String,
        /// Why it failed.
        #[source]
        source: citycard_credential::Error,
    },
    /// Encoding a key failed in the credential crate.
    #[error(transparent)]
    Encode(#[from] citycard_credential::Error),
    /// A file is not what was expected, may not be overwritten, or a
    /// passphrase is missing, wrong or too short: the message says which.
    #[error("{0}")]
    Refused(String),
}

/// The result of the key store's functions.
pub type Result<T, E = KeyFileError> = std::result::Result<T, E>;

fn io(doing: String) -> impl FnOnce(std::io::Error) -> KeyFileError {
    move |source| KeyFileError::Io { doing, source }
}

fn key(doing: String) -> impl FnOnce(citycard_credential::Error) -> KeyFileError {
    move |source| KeyFileError::Key { doing, source }
}

fn refused(message: impl Into<String>) -> KeyFileError {
    KeyFileError::Refused(message.into())
}

/// A passphrase, wiped from memory when dropped.
pub type Passphrase = Zeroizing<String>;

/// Where a passphrase may come from, in this order: a file, the environment
/// variable [`PASSPHRASE_ENV`], or a prompt when stdin is a terminal.
#[derive(Debug, Clone, Default)]
pub struct PassphraseSource {
    /// `--passphrase-file`.
    pub file: Option<PathBuf>,
    /// Whether [`PASSPHRASE_ENV`] may be used.
    pub use_env: bool,
}

impl PassphraseSource {
    /// A passphrase given without asking: from the file or the environment.
    pub fn given(&self) -> Result<Option<Passphrase>> {
        if let Some(path) = &self.file {
            let text = Zeroizing::new(read_limited(path, MAX_KEY_FILE).map_err(io(format!(
                "could not read the passphrase file {}",
                path.display()
            )))?);
            let text = Zeroizing::new(String::from_utf8(text.to_vec()).map_err(|_| {
                refused(format!(
                    "the passphrase file {} is not UTF-8 text",
                    path.display()
                ))
            })?);
            let line = text.strip_suffix('\n').unwrap_or(&text);
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                return Err(refused(format!(
                    "the passphrase file {} is empty",
                    path.display()
                )));
            }
            return Ok(Some(Zeroizing::new(line.to_owned())));
        }
        if !self.use_env {
            return Ok(None);
        }
        match std::env::var(PASSPHRASE_ENV) {
            Ok(value) if !value.is_empty() => Ok(Some(Zeroizing::new(value))),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(refused(format!("{PASSPHRASE_ENV} is not valid UTF-8")))
            }
        }
    }

    /// A passphrase to read an encrypted key: given, or asked for.
    pub fn for_reading(&self, what: &Path) -> Result<Passphrase> {
        if let Some(p) = self.given()? {
            return Ok(p);
        }
        if !std::io::stdin().is_terminal() {
            return Err(refused(format!(
                "{} is encrypted: give its passphrase with --passphrase-file FILE or the \
                 environment variable {PASSPHRASE_ENV}",
                what.display()
            )));
        }
        let p = Zeroizing::new(
            rpassword::prompt_password(format!("Passphrase for {}: ", what.display()))
                .map_err(io("could not read the passphrase".to_owned()))?,
        );
        Ok(p)
    }

    /// A new passphrase to encrypt a key: given, or asked for twice.
    pub fn for_writing(&self, what: &Path) -> Result<Passphrase> {
        if let Some(p) = self.given()? {
            return Ok(p);
        }
        if !std::io::stdin().is_terminal() {
            return Err(refused(format!(
                "a passphrase is needed to encrypt {}: give it with --passphrase-file FILE or \
                 the environment variable {PASSPHRASE_ENV}",
                what.display()
            )));
        }
        let first = Zeroizing::new(
            rpassword::prompt_password(format!("New passphrase for {}: ", what.display()))
                .map_err(io("could not read the passphrase".to_owned()))?,
        );
        if first.chars().count() < 8 {
            return Err(refused(
                "the passphrase is too short: use at least 8 characters",
            ));
        }
        let again = Zeroizing::new(
            rpassword::prompt_password("Type the same passphrase again: ")
                .map_err(io("could not read the passphrase".to_owned()))?,
        );
        if *first != *again {
            return Err(refused("the two passphrases differ; nothing was written"));
        }
        Ok(first)
    }
}

/// Reads at most `max` bytes of a file; a larger file is an error.
pub fn read_limited(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = fs::File::open(path)?;
    let mut buf = Vec::new();
    file.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is larger than {max} bytes"),
        ));
    }
    Ok(buf)
}

/// The public key file that goes with a private key file: `x.key` → `x.pub`,
/// anything else gets `.pub` appended.
pub fn public_path_for(private: &Path) -> PathBuf {
    if private.extension().is_some_and(|e| e == "key") {
        private.with_extension("pub")
    } else {
        let mut s = private.as_os_str().to_owned();
        s.push(".pub");
        PathBuf::from(s)
    }
}

/// Refuses to go on when any of these files exists (unless `force`).
pub fn check_can_write(paths: &[&Path], force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    for path in paths {
        if path.exists() {
            return Err(refused(format!(
                "{} already exists; nothing was written. Move it away first, or pass --force \
                 to overwrite it (an overwritten private key is lost for good)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Writes a file that must not already exist (unless `force`), with `mode`
/// on Unix. With `force` the new file is written next to the old one and
/// renamed over it, so a crash never leaves a half-written key.
pub fn write_new_file(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<()> {
    let target = if force {
        let mut name = path.file_name().unwrap_or_default().to_owned();
        name.push(format!(".tmp-{}", std::process::id()));
        path.with_file_name(name)
    } else {
        path.to_owned()
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&target).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            refused(format!(
                "{} already exists; nothing was written (pass --force to overwrite it)",
                target.display()
            ))
        } else {
            refused(format!("could not create {}: {e}", path.display()))
        }
    })?;
    // The umask may have removed bits but never adds any; set the mode
    // exactly in case the file system ignored it at creation.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(io(format!(
                "could not set the mode of {}",
                target.display()
            )))?;
    }
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io(format!("could not write {}", path.display())))?;
    if force {
        fs::rename(&target, path).map_err(io(format!("could not replace {}", path.display())))?;
    }
    Ok(())
}

/// The private key as PEM: plain PKCS#8, or encrypted PKCS#8 when a
/// passphrase is given.
pub fn private_key_pem(key: &SigningKey, passphrase: Option<&str>) -> Result<Zeroizing<String>> {
    let Some(passphrase) = passphrase else {
        return Ok(ckeys::private_to_pem(key)?);
    };
    // PKCS#8 v1 (no embedded public key): OpenSSL 3.0 refuses v2 Ed25519 keys.
    let der = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_der()
    .map_err(|_| refused("could not encode the private key"))?;
    let info = PrivateKeyInfo::try_from(der.as_bytes())
        .map_err(|_| refused("could not encode the private key"))?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut iv);
    let cost = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, 32)
        .map_err(|_| refused("bad scrypt parameters"))?;
    let params = pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)
        .map_err(|_| refused("bad encryption parameters"))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|_| refused("could not encrypt the private key"))?;
    let pem = encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|_| refused("could not encode the private key"))?;
    Ok(pem)
}

/// Writes a private key (mode 0600) and its public key (SPKI PEM, mode 0644).
pub fn write_key_pair(
    private_path: &Path,
    key: &SigningKey,
    passphrase: Option<&str>,
    force: bool,
) -> Result<PathBuf> {
    let public_path = public_path_for(private_path);
    check_can_write(&[private_path, &public_path], force)?;
    let pem = private_key_pem(key, passphrase)?;
    write_new_file(private_path, pem.as_bytes(), 0o600, force)?;
    let public = ckeys::public_to_pem(&key.verifying_key())?;
    write_new_file(&public_path, public.as_bytes(), 0o644, force)?;
    Ok(public_path)
}

/// What a PEM or binary file holds, judged from its PEM label or content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFileKind {
    /// `-----BEGIN PRIVATE KEY-----`
    PrivateKey,
    /// `-----BEGIN ENCRYPTED PRIVATE KEY-----`
    EncryptedPrivateKey,
    /// `-----BEGIN PUBLIC KEY-----`
    PublicKey,
    /// Some other PEM label.
    OtherPem,
    /// Not PEM.
    Binary,
}

/// Classifies file contents by their PEM label.
pub fn kind_of(contents: &[u8]) -> KeyFileKind {
    let Ok(text) = std::str::from_utf8(contents) else {
        return KeyFileKind::Binary;
    };
    let text = text.trim_start();
    if !text.starts_with("-----BEGIN ") {
        return KeyFileKind::Binary;
    }
    if text.starts_with("-----BEGIN PRIVATE KEY-----") {
        KeyFileKind::PrivateKey
    } else if text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        KeyFileKind::EncryptedPrivateKey
    } else if text.starts_with("-----BEGIN PUBLIC KEY-----") {
        KeyFileKind::PublicKey
    } else {
        KeyFileKind::OtherPem
    }
}

/// Decrypts an encrypted PKCS#8 PEM key.
pub fn decrypt_private_pem(pem: &str, passphrase: &str) -> Result<SigningKey> {
    SigningKey::from_pkcs8_encrypted_pem(pem, passphrase.as_bytes())
        .map_err(|_| refused("wrong passphrase, or not an Ed25519 key"))
}

/// Reads a private key file, plain or encrypted.
pub fn read_private_key(path: &Path, passphrase: &PassphraseSource) -> Result<SigningKey> {
    let contents = Zeroizing::new(read_limited(path, MAX_KEY_FILE).map_err(io(format!(
        "could not read the key file {}",
        path.display()
    )))?);
    let text = std::str::from_utf8(&contents)
        .map_err(|_| refused(format!("{} is not a PEM key file", path.display())))?;
    let key = match kind_of(&contents) {
        KeyFileKind::PrivateKey => ckeys::private_from_pem(text).map_err(key(format!(
            "could not read the private key {}",
            path.display()
        )))?,
        KeyFileKind::EncryptedPrivateKey => {
            let pass = passphrase.for_reading(path)?;
            decrypt_private_pem(text, &pass)
                .map_err(|e| refused(format!("could not decrypt {}: {e}", path.display())))?
        }
        KeyFileKind::PublicKey => {
            return Err(refused(format!(
                "{} is a public key; this needs the private key (the .key file)",
                path.display()
            )));
        }
        KeyFileKind::OtherPem | KeyFileKind::Binary => {
            return Err(refused(format!(
                "{} is not a PKCS#8 PEM private key",
                path.display()
            )));
        }
    };
    crate::private_files::warn_if_readable_by_others(path, "the private key");
    Ok(key)
}

/// Reads a public key file (SPKI PEM).
pub fn read_public_key(path: &Path) -> Result<VerifyingKey> {
    let contents = read_limited(path, MAX_KEY_FILE).map_err(io(format!(
        "could not read the key file {}",
        path.display()
    )))?;
    match kind_of(&contents) {
        KeyFileKind::PublicKey => {}
        KeyFileKind::PrivateKey | KeyFileKind::EncryptedPrivateKey => {
            return Err(refused(format!(
                "{} is a private key; give the public key (the .pub file) instead",
                path.display()
            )));
        }
        KeyFileKind::OtherPem | KeyFileKind::Binary => {
            return Err(refused(format!(
                "{} is not an SPKI PEM public key",
                path.display()
            )));
        }
    }
    let text = std::str::from_utf8(&contents)
        .map_err(|_| refused(format!("{} is not a PEM key file", path.display())))?;
    ckeys::public_from_pem(text).map_err(key(format!(
        "could not read the public key {}",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_pem_round_trip() {
        let key = ckeys::generate();
        let pem = private_key_pem(&key, Some("correct horse")).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert_eq!(kind_of(pem.as_bytes()), KeyFileKind::EncryptedPrivateKey);
        let back = decrypt_private_pem(&pem, "correct horse").unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        assert!(decrypt_private_pem(&pem, "wrong").is_err());
    }

    #[test]
    fn public_path() {
        assert_eq!(
            public_path_for(Path::new("a/root.key")),
            Path::new("a/root.pub")
        );
        assert_eq!(public_path_for(Path::new("root")), Path::new("root.pub"));
        assert_eq!(
            public_path_for(Path::new("root.pem")),
            Path::new("root.pem.pub")
        );
    }
}
