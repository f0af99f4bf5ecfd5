//! Key identifiers, fingerprints and the standard key file formats:
//! PKCS#8 PEM for private keys, SPKI PEM for public keys (`openssl` reads both).

use crate::error::{Error, Result};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::{SigningKey as PrivateKey, VerifyingKey as PublicKey};

/// Length of a key identifier.
pub const KID_LEN: usize = 8;

/// A key identifier: the first 8 bytes of SHA-256 over the raw 32-byte public key.
pub type Kid = [u8; KID_LEN];

/// The kid of a public key.
pub fn kid(key: &VerifyingKey) -> Kid {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = [0u8; KID_LEN];
    for (o, d) in out.iter_mut().zip(digest.iter()) {
        *o = *d;
    }
    out
}

/// The fingerprint of a (root) public key: SHA-256 over the raw 32-byte key.
pub fn fingerprint(key: &VerifyingKey) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint as people compare it: 16 groups of 4 hex digits.
pub fn fingerprint_display(key: &VerifyingKey) -> String {
    let hex = to_hex(&fingerprint(key));
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses a fingerprint typed or pasted in any common form: hex digits in
/// either case, with or without spaces, colons or hyphens.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32]> {
    let hex: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b' ' | b':' | b'-' | b'\t'))
        .collect();
    if hex.len() != 64 {
        return Err(Error::Key("a fingerprint has 64 hex digits"));
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(hex.chunks(2)) {
        let s = std::str::from_utf8(pair).map_err(|_| Error::Key("fingerprint is not hex"))?;
        *o = u8::from_str_radix(s, 16).map_err(|_| Error::Key("fingerprint is not hex"))?;
    }
    Ok(out)
}

/// A public key from its raw 32 bytes; refuses invalid and weak (small-order) points.
pub fn public_from_bytes(bytes: &[u8]) -> Result<VerifyingKey> {
    let raw: &[u8; 32] = bytes
        .try_into()
        .map_err(|_| Error::Key("a public key has 32 bytes"))?;
    let key = VerifyingKey::from_bytes(raw).map_err(|_| Error::Key("not a valid Ed25519 point"))?;
    if key.is_weak() {
        return Err(Error::Key("weak (small-order) public key"));
    }
    // Only the canonical encoding (y < p, no negative zero) is accepted.
    if key.to_edwards().compress().as_bytes() != raw {
        return Err(Error::Key("public key is not canonically encoded"));
    }
    Ok(key)
}

/// Reads an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`).
pub fn public_from_pem(pem: &str) -> Result<VerifyingKey> {
    let key = VerifyingKey::from_public_key_pem(pem)
        .map_err(|_| Error::Key("not an Ed25519 public key in SPKI PEM"))?;
    public_from_bytes(key.as_bytes())
}

/// Writes a public key as SPKI PEM.
pub fn public_to_pem(key: &VerifyingKey) -> Result<String> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|_| Error::Key("could not encode public key"))
}

/// Reads an unencrypted PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
pub fn private_from_pem(pem: &str) -> Result<SigningKey> {
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        return Err(Error::Key(
            "the private key is encrypted: a passphrase is needed",
        ));
    }
    SigningKey::from_pkcs8_pem(pem)
        .map_err(|_| Error::Key("not an Ed25519 private key in PKCS#8 PEM"))
}

/// Writes a private key as unencrypted PKCS#8 PEM. The string is zeroized on drop.
///
/// The key is written as PKCS#8 v1 (RFC 5208, no embedded public key), the
/// form `openssl genpkey` writes: OpenSSL 3.0 refuses v2 (RFC 5958) Ed25519
/// keys.
pub fn private_to_pem(key: &SigningKey) -> Result<zeroize::Zeroizing<String>> {
    ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(LineEnding::LF)
    .map_err(|_| Error::Key("could not encode private key"))
}

/// A new key from the operating system's random generator.
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8032_test1_kid_and_fingerprint() {
        // RFC 8032 §7.1 TEST 1 secret key.
        let sk = SigningKey::from_bytes(&[
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec,
            0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03,
            0x1c, 0xae, 0x7f, 0x60,
        ]);
        let pk = sk.verifying_key();
        assert_eq!(
            to_hex(pk.as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            to_hex(&fingerprint(&pk)),
            "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"
        );
        assert_eq!(to_hex(&kid(&pk)), "21fe31dfa154a261");
        let fp = fingerprint_display(&pk);
        assert_eq!(parse_fingerprint(&fp.to_uppercase()), Ok(fingerprint(&pk)));
        let pem = public_to_pem(&pk).unwrap_or_default();
        assert_eq!(public_from_pem(&pem), Ok(pk));
        let spem = private_to_pem(&sk)
            .map(|s| s.to_string())
            .unwrap_or_default();
        assert_eq!(
            private_from_pem(&spem).map(|k| k.to_bytes()),
            Ok(sk.to_bytes())
        );
    }

    #[test]
    fn refuses_bad_keys() {
        assert!(public_from_bytes(&[0u8; 31]).is_err());
        // The identity point is of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(public_from_bytes(&identity).is_err());
        assert!(
            public_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .is_err()
        );
        assert!(private_from_pem("-----BEGIN ENCRYPTED PRIVATE KEY-----").is_err());
        assert!(parse_fingerprint("abc").is_err());
        // y = p (non-canonical encoding of y = 0, a point of order 4 anyway),
        // and y = p + 2 (non-canonical encoding of y = 2, not small order if valid).
        let mut y_p = [0xffu8; 32];
        y_p[0] = 0xed;
        y_p[31] = 0x7f;
        assert!(public_from_bytes(&y_p).is_err());
    }
}
