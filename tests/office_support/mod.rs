//! Shared set-up of the office tests: a data directory with throwaway keys
//! and a trust list, on SQLite (a temporary directory) or PostgreSQL (a
//! fresh database per test, dropped at the end).
//!
//! PostgreSQL: `CITYCARD_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) must reach a server where the
//! user may create databases. When it cannot be reached, the PostgreSQL half
//! of a test prints `SKIPPED: PostgreSQL not reachable` and passes, unless
//! `CITYCARD_REQUIRE_POSTGRES=1` is set (CI sets it), which makes it fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unreachable_pub
)]

use citycard::Office;
use citycard::config::{Config, DatabaseUrl};
use citycard::office::actor::{Actor, Role};
use citycard_credential::trust_list::{KeyUsage, TrustList, TrustedKey};
use citycard_credential::{SigningKey, VerifyingKey, date, keys as ckeys};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const ISSUER: &str = "testcity";
pub const OFFICE: &str = "Test Office Mitte";
pub const PASSWORD: &str = "correct horse battery staple";

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A PostgreSQL database made for one test; dropped with it.
pub struct PgDatabase {
    pub admin_url: String,
    pub name: String,
    pub url: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&self.admin_url) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// An office on a fresh database with its keys.
pub struct TestOffice {
    pub office: Office,
    pub config: Config,
    pub backend: Backend,
    pub root: SigningKey,
    pub trust: TrustList,
    /// Dropped after `office` (fields drop in order).
    pub pg: Option<PgDatabase>,
    pub dir: TempDir,
}

impl TestOffice {
    /// The command-line admin actor.
    pub fn cli(&self) -> Actor {
        Actor::command_line(self.office.office_name())
    }

    /// Creates a user with a permanent password and returns their actor.
    pub fn user(&self, name: &str, role: Role) -> Actor {
        let id = self
            .office
            .create_user(&self.cli(), name, role, &secret(PASSWORD), false)
            .unwrap();
        Actor {
            user_id: id,
            username: name.to_owned(),
            role,
            office: self.office.office_name().to_owned(),
            must_change_password: false,
            api_token: None,
            site: None,
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Runs raw SQL (for tests that play an attacker with database access).
    pub fn sql(&self, statements: &str) {
        let mut conn = self.office.db().conn().unwrap();
        match &mut *conn {
            citycard::db::DbConnection::Sqlite(c) => c.batch_execute(statements).unwrap(),
            citycard::db::DbConnection::Pg(c) => c.batch_execute(statements).unwrap(),
        }
    }
}

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// Writes a root key, an office key (cards and revocations), `root.pub`
/// and a signed trust list into the configured places.
pub fn make_keys(config: &Config) -> (SigningKey, TrustList) {
    std::fs::create_dir_all(&config.key_dir).unwrap();
    let root = ckeys::generate();
    let office = ckeys::generate();
    citycard::keys::write_key_pair(&config.layout().office_key(), &office, None, false).unwrap();
    std::fs::write(
        config.layout().root_public_key(),
        ckeys::public_to_pem(&root.verifying_key()).unwrap(),
    )
    .unwrap();
    let today = date::today_utc();
    let shift = |d: i64| today.checked_add(time::Duration::days(d)).unwrap();
    let trust = TrustList {
        issuer: ISSUER.to_owned(),
        name: "Test City".to_owned(),
        issued: today,
        next_update: shift(365),
        root: root.verifying_key(),
        keys: vec![TrustedKey::new(
            office.verifying_key(),
            OFFICE,
            shift(-30),
            shift(730),
            shift(730 + 3660),
            KeyUsage::ALL,
        )],
    };
    std::fs::write(config.layout().trust_list(), trust.sign(&root).unwrap()).unwrap();
    (root, trust)
}

/// The PostgreSQL server for tests, if reachable.
pub fn pg_admin_url() -> Option<String> {
    let url =
        std::env::var("CITYCARD_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
    let probe = if url.contains('?') {
        format!("{url}&connect_timeout=3")
    } else {
        format!("{url}?connect_timeout=3")
    };
    match PgConnection::establish(&probe) {
        Ok(_) => Some(url),
        Err(_) => {
            if std::env::var("CITYCARD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("PostgreSQL is required (CITYCARD_REQUIRE_POSTGRES=1) but not reachable");
            }
            eprintln!("SKIPPED: PostgreSQL not reachable at the test URL");
            println!("SKIPPED: PostgreSQL not reachable");
            None
        }
    }
}

/// A fresh database on the test server.
pub fn pg_database() -> Option<PgDatabase> {
    let admin_url = pg_admin_url()?;
    let mut c = PgConnection::establish(&admin_url).unwrap();
    let name = format!(
        "citycard_test_{}",
        ckeys::to_hex(&citycard::vault::random_bytes::<6>().unwrap()[..])
    );
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let url = match admin_url.rfind('/') {
        Some(i) => format!("{}/{name}", &admin_url[..i]),
        None => panic!("the PostgreSQL URL has no database part"),
    };
    Some(PgDatabase {
        admin_url,
        name,
        url,
    })
}

/// The renewal window's opening the tests use by default: ten years before
/// the last valid day, i.e. any time.
pub const RENEW_ANY_TIME: u16 = 3650;

/// Puts the renewal window back to its shipped default (60 days before).
pub fn default_renewal_window(config: &mut Config) {
    config.renewal = Config::with_data_dir(Path::new(".")).renewal;
}

/// An office on the given backend; `tweak` adjusts the configuration.
/// `None` when the backend is PostgreSQL and it is not reachable.
pub fn office_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestOffice> {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut config = Config::with_data_dir(&data_dir);
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let db = pg_database()?;
            config.database = DatabaseUrl::parse(&db.url).unwrap();
            Some(db)
        }
    };
    config.db_pool_size = 4;
    // Most tests renew a card just issued (renewal mechanics); the renewal
    // window's own tests (tests/office_rules.rs) set the default back with
    // `default_renewal_window`.
    config.renewal.days_before = RENEW_ANY_TIME;
    // Every revocation signs the list at once, so tests can read it right
    // after (tests of the scheduled signing set an interval).
    config.revocation_publish_interval = std::time::Duration::ZERO;
    tweak(&mut config);
    let (root, trust) = make_keys(&config);
    let office = Office::open(&config).unwrap();
    Some(TestOffice {
        office,
        config,
        backend,
        root,
        trust,
        pg,
        dir,
    })
}

/// Runs `f` on SQLite, then on PostgreSQL (when reachable).
pub fn on_both(f: impl Fn(TestOffice)) {
    on_both_with(|_| {}, f);
}

/// [`on_both`] with a configuration tweak.
pub fn on_both_with(tweak: impl Fn(&mut Config), f: impl Fn(TestOffice)) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(t) = office_with(backend, &tweak) {
            eprintln!("--- on {backend:?}");
            f(t);
        }
    }
}

/// The trust list's root key.
pub fn root_key(t: &TestOffice) -> VerifyingKey {
    t.root.verifying_key()
}

/// Every file of the SQLite database (main, -wal, -shm), concatenated.
pub fn sqlite_bytes(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(b) = std::fs::read(PathBuf::from(p)) {
            out.extend_from_slice(&b);
        }
    }
    out
}

/// `pg_dump` of a database as text.
pub fn pg_dump(url: &str) -> String {
    let mut candidates = vec![PathBuf::from("/usr/bin/pg_dump")];
    if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = dirs
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin/pg_dump"))
            .collect();
        versions.sort();
        versions.reverse();
        candidates.extend(versions);
    }
    let bin = candidates
        .into_iter()
        .find(|p| p.exists())
        .expect("pg_dump is needed for the PostgreSQL privacy test");
    let out = std::process::Command::new(bin)
        .arg("--no-owner")
        .arg(format!("--dbname={url}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether the decimal number occurs as a whole number (not next to other
/// digits).
pub fn contains_number(haystack: &[u8], number: &str) -> bool {
    let n = number.as_bytes();
    haystack.windows(n.len()).enumerate().any(|(i, w)| {
        w == n
            && !i
                .checked_sub(1)
                .and_then(|j| haystack.get(j))
                .is_some_and(u8::is_ascii_digit)
            && !haystack.get(i + n.len()).is_some_and(u8::is_ascii_digit)
    })
}

/// `(residents, cards, audit entries)` now.
pub fn counts(t: &TestOffice) -> (i64, i64, i64) {
    citycard::office::count_rows(t.office.db()).unwrap()
}

/// A tiny valid-looking JPEG with a marker inside (the vault does not
/// decode photos; the web layer re-encodes them).
pub fn photo(marker: &str) -> Vec<u8> {
    let mut p = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    p.extend_from_slice(marker.as_bytes());
    p.extend_from_slice(&[0xFF, 0xD9]);
    p
}

/// The attack of SECURITY.md finding 7, as someone with write access to the
/// database (but not to the key directory) would run it: drop the
/// append-only triggers, delete entry `drop` (and with `truncate_after`
/// every entry after that number too), renumber the rest, recompute the
/// plain SHA-256 chain the way the office did before the chain had a key,
/// and move the head to the new last entry.
pub fn rewrite_audit_chain(db: &citycard::db::Db, drop: Option<i64>, truncate_after: Option<i64>) {
    use citycard::db::{DbConnection, audit};
    let mut conn = db.conn().unwrap();
    let c: &mut DbConnection = &mut conn;
    let entries = audit::batch_from(c, 1, 100_000).unwrap();
    let sqlite = matches!(c, DbConnection::Sqlite(_));
    let statements = if sqlite {
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; \
         DELETE FROM audit_log;"
    } else {
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log; \
         DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log; DELETE FROM audit_log;"
    };
    match c {
        DbConnection::Sqlite(s) => s.batch_execute(statements).unwrap(),
        DbConnection::Pg(p) => p.batch_execute(statements).unwrap(),
    }
    let zero = vec![0u8; 32];
    match c {
        DbConnection::Sqlite(s) => s
            .batch_execute("UPDATE audit_head SET seq = 0, hash = zeroblob(32)")
            .unwrap(),
        DbConnection::Pg(p) => p
            .batch_execute("UPDATE audit_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')")
            .unwrap(),
    }
    let mut prev = zero;
    let mut seq = 0;
    for e in entries {
        if Some(e.seq) == drop || truncate_after.is_some_and(|n| e.seq > n) {
            continue;
        }
        seq += 1;
        let hash = citycard::office::audit::entry_hash(
            &prev,
            seq,
            e.at,
            &e.actor,
            &e.office,
            &e.action,
            e.card_number,
            &e.detail,
        );
        let new = citycard::db::audit::AuditEntry {
            seq,
            prev_hash: prev.clone(),
            hash: hash.clone(),
            ..e
        };
        audit::insert(c, &new, &[]).unwrap();
        prev = hash;
    }
}

/// Cuts the newest entries off the audit log as someone with write access
/// to the database would: triggers dropped, every entry after `keep`
/// deleted, the head moved back to entry `keep` (its stored hash: no key
/// needed).
pub fn truncate_audit_chain(t: &TestOffice, keep: i64) {
    let drop_triggers = match t.backend {
        Backend::Sqlite => {
            "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;"
        }
        Backend::Postgres => "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;",
    };
    t.sql(drop_triggers);
    t.sql(&format!(
        "DELETE FROM audit_log WHERE id > {keep}; \
         UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit_log WHERE id = {keep});"
    ));
}

/// A decompression bomb (issue 10 finding 4): a valid PNG of
/// `width` × `height` black RGB pixels whose image data is one deflate
/// block of repeated 258-byte matches (13 bits each), so 8000 × 8000 is
/// about 1.2 MB on disk and 192 MB once decoded.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, bits: u32) {
            self.acc |= u64::from(value) << self.n;
            self.n += bits;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u32, bits: u32) {
            self.put(code.reverse_bits() >> (32 - bits), bits);
        }
    }
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(png: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    // Every row: filter byte 0, then 3 zero bytes a pixel.
    let total = u64::from(height) * (1 + 3 * u64::from(width));
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    let mut left = total - 1;
    while left >= 258 {
        bits.code(0xC5, 8); // length 258
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    if bits.n > 0 {
        bits.put(0, 8 - bits.n);
    }
    let mut zlib = bits.out;
    let adler = (((total % 65521) as u32) << 16) | 1;
    zlib.extend_from_slice(&adler.to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}
