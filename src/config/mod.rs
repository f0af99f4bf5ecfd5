//! The office's configuration: one [`Config`] value, loaded once and passed
//! in (no globals).
//!
//! Sources, later ones winning:
//! 1. built-in defaults (everything works with no configuration at all:
//!    `127.0.0.1:8080`, everything under `./citycard-data/`);
//! 2. a TOML file: `--config FILE`, or `./citycard.toml` when it exists;
//! 3. `CITYCARD_*` environment variables.
//!
//! Each setting is declared once, in [`SETTINGS`] (`settings.rs`); this table
//! is [`doc_table`] (a test checks it).
//!
//! | TOML key | environment variable | default |
//! |---|---|---|
//! | `bind` | `CITYCARD_BIND` | `127.0.0.1:8080` |
//! | `database_url` | `CITYCARD_DATABASE_URL` | `sqlite://<data_dir>/citycard.sqlite` (a password in it is never printed) |
//! | `data_dir` | `CITYCARD_DATA_DIR` | `./citycard-data` |
//! | `key_dir` | `CITYCARD_KEY_DIR` | `<data_dir>/keys` |
//! | `office_name` | `CITYCARD_OFFICE_NAME` | the office key's name in the trust list |
//! | `issuer` | `CITYCARD_ISSUER` | the trust list's issuer |
//! | `city_name` | `CITYCARD_CITY_NAME` | the trust list's city name |
//! | `card_validity_years` | `CITYCARD_CARD_VALIDITY_YEARS` | `5` (1 to 10) |
//! | `date_of_birth` | `CITYCARD_DATE_OF_BIRTH` | `optional` (`required`, `optional` or `none`) |
//! | `photo_retention` | `CITYCARD_PHOTO_RETENTION` | `after-printing`, or a number of days after printing |
//! | `[minors] minimum_age` | `CITYCARD_MINORS_MINIMUM_AGE` | `10` (0 to 25): no card below this age (youngest possible age) |
//! | `[minors] caretaker_under` | `CITYCARD_MINORS_CARETAKER_UNDER` | `14` (0 to 25): below this age the clerk attests a caretaker is present |
//! | `[minors] under` | `CITYCARD_MINORS_UNDER` | `14` (0 to 25): below this age a card is valid `minors.validity_years` |
//! | `[minors] validity_years` | `CITYCARD_MINORS_VALIDITY_YEARS` | `2` (1 to 10) |
//! | `[renewal] days_before` | `CITYCARD_RENEWAL_DAYS_BEFORE` | `60` (0 to 3650): the renewal window opens this many days before the last valid day |
//! | `[renewal] days_after` | `CITYCARD_RENEWAL_DAYS_AFTER` | `180` (0 to 3650): and closes this many days after it |
//! | `[retention] resident_months` | `CITYCARD_RETENTION_RESIDENT_MONTHS` | `24` (7 to 240): a resident is erased this long after their last card expired or was revoked; more than the renewal window (docs/privacy.md) |
//! | `[retention] unprinted_days` | `CITYCARD_RETENTION_UNPRINTED_DAYS` | `90` (7 to 3650): an enrolment whose card was never printed is erased after this |
//! | `[pickup] collect_within_days` | `CITYCARD_PICKUP_COLLECT_WITHIN_DAYS` | `90` (7 to 3650): a card sent to or ready at its pick-up site and not collected this long is revoked, its photo deleted, and it is put on the site's list to destroy |
//! | `dev_clock_offset_days` | `CITYCARD_DEV_CLOCK_OFFSET_DAYS` | `0`: moves the office's clock for tests; refused by a release build |
//! | `session_idle_minutes` | `CITYCARD_SESSION_IDLE_MINUTES` | `30` |
//! | `session_max_hours` | `CITYCARD_SESSION_MAX_HOURS` | `12` |
//! | `api_token_max_days` | `CITYCARD_API_TOKEN_MAX_DAYS` | `90` (1 to 3650; the longest an API token may live, and the lifetime of one made without `valid_for_days`) |
//! | `password_check_memory_mib` | `CITYCARD_PASSWORD_CHECK_MEMORY_MIB` | `256` (19 to 65536): memory for password checks (19 MiB each) running at once, 13 by default; more logins at once are answered `503 busy` |
//! | `revocation_list_days` | `CITYCARD_REVOCATION_LIST_DAYS` | `7` (the list's next-update date) |
//! | `revocation_publish_seconds` | `CITYCARD_REVOCATION_PUBLISH_SECONDS` | `10` (0 to 3600: a revocation signs the list at once if the last was signed this long ago, else that long after it; 0: after every revocation) |
//! | `db_pool_size` | `CITYCARD_DB_POOL_SIZE` | `8` |
//! | `db_connect_timeout_seconds` | `CITYCARD_DB_CONNECT_TIMEOUT_SECONDS` | `5` (1 to 60): how long a request waits for a database connection; once the database is found unreachable, requests are answered 503 at once and one retries every 2 s |
//! | `[http] head_timeout_seconds` | `CITYCARD_HTTP_HEAD_TIMEOUT_SECONDS` | `10` (1 to 300): time for a client to send the request line and headers |
//! | `[http] body_timeout_seconds` | `CITYCARD_HTTP_BODY_TIMEOUT_SECONDS` | `30` (1 to 600): time for a request body (a photo upload) to arrive; then the request is answered 408 and the connection closed |
//! | `[http] keep_alive_seconds` | `CITYCARD_HTTP_KEEP_ALIVE_SECONDS` | `30` (1 to 600): how long an idle connection is kept open |
//! | `[http] disconnect_timeout_seconds` | `CITYCARD_HTTP_DISCONNECT_TIMEOUT_SECONDS` | `5` (1 to 60): how long a closing connection may take |
//! | `[tls] cert` | `CITYCARD_TLS_CERT` | none (plain HTTP); both or neither |
//! | `[tls] key` | `CITYCARD_TLS_KEY` | none (plain HTTP); both or neither |
//! | `secure_cookies` | `CITYCARD_SECURE_COOKIES` | `auto`: `Secure` cookies when `[tls]` is set; `true` behind a TLS-terminating proxy |
//! | `[login] account_max_failures` | `CITYCARD_LOGIN_ACCOUNT_MAX_FAILURES` | `5` |
//! | `[login] address_max_failures` | `CITYCARD_LOGIN_ADDRESS_MAX_FAILURES` | `20` |
//! | `[login] window_minutes` | `CITYCARD_LOGIN_WINDOW_MINUTES` | `15` |
//! | `[login] lockout_minutes` | `CITYCARD_LOGIN_LOCKOUT_MINUTES` | `15` |
//! | `trusted_proxies` | `CITYCARD_TRUSTED_PROXIES` | none: `X-Forwarded-For` is ignored (a list; comma-separated in the environment) |
//! | `templates_dir` | `CITYCARD_TEMPLATES` | `card-templates` |
//! | `card_template` | `CITYCARD_CARD_TEMPLATE` | `bilingual-photo` (the PDF's default template) |
//! | `font_dirs` | `CITYCARD_FONT_DIRS` | none: the template's folder, then the system's font folders (a list; separated by `:` or `,` in the environment) |
//!
//! Relative paths are relative to the working directory. Unknown keys in the
//! file are errors (a typo must not be ignored); `CITYCARD_*` variables that
//! are not settings (such as `CITYCARD_ROOT_PASSPHRASE`) are left alone.
//!
//! The database URL chooses the backend by its scheme: `sqlite://PATH`, or
//! `postgres://…` / `postgresql://…`. Any other scheme is an error. Errors
//! never repeat a database URL (it may hold a password).

mod layout;
mod settings;
mod values;

pub use layout::Layout;
pub use values::*;

use settings::Sources;
pub use settings::{SETTINGS, Setting, TomlType, doc_table};

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default data directory.
pub const DEFAULT_DATA_DIR: &str = "./citycard-data";
/// The default listening address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The default folder of card templates.
pub const DEFAULT_TEMPLATES_DIR: &str = "card-templates";
/// The default card template for PDFs.
pub const DEFAULT_CARD_TEMPLATE: &str = "bilingual-photo";
/// The configuration file used when it exists and no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "citycard.toml";
/// The SQLite file name in the data directory when no URL is configured.
pub const DEFAULT_SQLITE_FILE: &str = "citycard.sqlite";
/// Prefix of every environment variable read here.
pub const ENV_PREFIX: &str = "CITYCARD_";

/// A configuration problem: which setting, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("could not read the configuration file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML or has unknown keys.
    #[error("the configuration file {}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message (names the key and line).
        message: String,
    },
    /// A setting has a value that is not allowed.
    #[error("{setting}: {problem}")]
    Invalid {
        /// The TOML key or environment variable.
        setting: String,
        /// What is wrong (never the value of a secret).
        problem: String,
    },
}

fn invalid(setting: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_owned(),
        problem: problem.into(),
    }
}

/// Everything the office needs to know. Build it with [`Config::load`] (file
/// and environment) or [`Config::with_data_dir`] (defaults, for tests).
#[derive(Debug, Clone)]
pub struct Config {
    /// Address and port to listen on.
    pub bind: String,
    /// The database.
    pub database: DatabaseUrl,
    /// The data directory (SQLite file, published lists).
    pub data_dir: PathBuf,
    /// Whether `data_dir` is the default one (which is created when missing).
    pub data_dir_is_default: bool,
    /// The key directory (office key, data key, dedup key).
    pub key_dir: PathBuf,
    /// The office's name as it appears on cards and in the audit log;
    /// `None`: the office key's name in the trust list.
    pub office_name: Option<String>,
    /// The issuer identifier; `None`: the trust list's.
    pub issuer: Option<String>,
    /// The city's name for people; `None`: the trust list's.
    pub city_name: Option<String>,
    /// How long a new card is valid, in years.
    pub card_validity_years: u8,
    /// Date of birth: required, optional or not collected.
    pub date_of_birth: DateOfBirthPolicy,
    /// When photos are deleted.
    pub photo_retention: PhotoRetention,
    /// Minimum age, caretaker and validity of minors' cards.
    pub ages: AgeRules,
    /// When a card may be renewed.
    pub renewal: RenewalWindow,
    /// The deletion schedule.
    pub retention: Retention,
    /// Pick-up of cards at a site.
    pub pickup: Pickup,
    /// Where "now" comes from (moved only in development builds).
    pub clock: Clock,
    /// A session ends after this long without a request.
    pub session_idle_timeout: Duration,
    /// A session ends after this long in any case.
    pub session_max_lifetime: Duration,
    /// The longest an API token may live, in days (also the lifetime of a
    /// token made without one).
    pub api_token_max_days: u32,
    /// Memory for password checks running at once, in MiB (each argon2id
    /// run takes 19 MiB): `password_check_memory_mib / 19` checks at once.
    pub password_check_memory_mib: u32,
    /// Days until the next-update date of a newly signed revocation list.
    pub revocation_list_days: u16,
    /// After a revocation the list is signed at once when the last one was
    /// signed at least this long ago, else once this long after it (several
    /// revocations in a row then cost one list). Zero: after every one.
    pub revocation_publish_interval: Duration,
    /// Connections in the database pool.
    pub db_pool_size: u32,
    /// How long a request waits for a database connection (a free one, or
    /// a new one) before it is answered 503.
    pub db_connect_timeout: Duration,
    /// Timeouts of the HTTP server (`[http]`).
    pub http: HttpTimeouts,
    /// TLS, when the server terminates it itself.
    pub tls: Option<TlsConfig>,
    /// Whether cookies are marked `Secure` (see [`Config::cookies_secure`]).
    pub secure_cookies: SecureCookies,
    /// Login throttling.
    pub login: LoginThrottle,
    /// Reverse proxies whose `X-Forwarded-For` header is believed (addresses
    /// or networks). Empty: the peer address is the client address.
    pub trusted_proxies: Vec<IpNet>,
    /// The folder of card templates (printing).
    pub templates_dir: PathBuf,
    /// The template used for card PDFs when none is asked for.
    pub card_template: String,
    /// Extra folders searched for the templates' font files (before the
    /// system's), for the server and `citycard print --queue` alike.
    pub font_dirs: Vec<PathBuf>,
}

impl Config {
    /// The defaults with this data directory (database, keys and lists in
    /// it): every setting's default from [`SETTINGS`].
    pub fn with_data_dir(data_dir: &Path) -> Self {
        // Every field is set here only to have a value; the defaults of
        // SETTINGS replace them (the database and the key directory follow
        // from the data directory).
        let mut config = Config {
            bind: String::new(),
            database: DatabaseUrl::Sqlite {
                path: Layout::default_sqlite_file(data_dir),
            },
            data_dir: data_dir.to_owned(),
            data_dir_is_default: false,
            key_dir: Layout::default_key_dir(data_dir),
            office_name: None,
            issuer: None,
            city_name: None,
            card_validity_years: 0,
            date_of_birth: DateOfBirthPolicy::Optional,
            photo_retention: PhotoRetention::AfterPrinting,
            ages: AgeRules {
                minimum_age: 0,
                caretaker_under: 0,
                minors_under: 0,
                minor_validity_years: 0,
            },
            renewal: RenewalWindow {
                days_before: 0,
                days_after: 0,
            },
            retention: Retention {
                resident_months: 0,
                unprinted_days: 0,
            },
            pickup: Pickup {
                collect_within_days: 0,
            },
            clock: Clock::default(),
            session_idle_timeout: Duration::ZERO,
            session_max_lifetime: Duration::ZERO,
            api_token_max_days: 0,
            password_check_memory_mib: 0,
            revocation_list_days: 0,
            revocation_publish_interval: Duration::ZERO,
            db_pool_size: 0,
            db_connect_timeout: Duration::ZERO,
            http: HttpTimeouts {
                head: Duration::ZERO,
                body: Duration::ZERO,
                keep_alive: Duration::ZERO,
                disconnect: Duration::ZERO,
            },
            tls: None,
            secure_cookies: SecureCookies::Auto,
            login: LoginThrottle {
                account_max_failures: 0,
                address_max_failures: 0,
                window: Duration::ZERO,
                lockout: Duration::ZERO,
            },
            trusted_proxies: Vec::new(),
            templates_dir: PathBuf::new(),
            card_template: String::new(),
            font_dirs: Vec::new(),
        };
        for setting in SETTINGS {
            if let Some(default) = setting.default {
                // Defaults always parse (tests::every_default_parses).
                (setting.apply)(&mut config, default).ok();
            }
        }
        config
    }

    /// Loads the configuration: the file given (which must exist), or
    /// `./citycard.toml` when it exists, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let default_file = Path::new(DEFAULT_CONFIG_FILE);
        let (path, text) = match file {
            Some(path) => (Some(path.to_owned()), Some(read_config_file(path)?)),
            None if default_file.is_file() => (
                Some(default_file.to_owned()),
                Some(read_config_file(default_file)?),
            ),
            None => (None, None),
        };
        Self::from_sources(path.as_deref().zip(text.as_deref()), std::env::vars_os())
    }

    /// Builds the configuration from a file's text (with its path, for
    /// messages) and environment variables. [`Config::load`] calls this; tests
    /// call it directly with their own environment.
    pub fn from_sources<I, K, V>(file: Option<(&Path, &str)>, env: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<std::ffi::OsStr>,
        V: AsRef<std::ffi::OsStr>,
    {
        let mut sources = match file {
            Some((path, text)) => Sources::from_file(path, text)?,
            None => Sources::empty(),
        };
        sources.apply_env(env)?;
        sources.resolve()
    }

    /// Whether cookies get `Secure`: `secure_cookies`, where `auto` means
    /// "when the server speaks TLS itself".
    pub fn cookies_secure(&self) -> bool {
        match self.secure_cookies {
            SecureCookies::Auto => self.tls.is_some(),
            SecureCookies::Always => true,
            SecureCookies::Never => false,
        }
    }

    /// When `templates_dir` is left at its default and `./card-templates`
    /// does not exist (the office was started outside a checkout), uses
    /// `<data_dir>/card-templates` instead, writing the built-in templates
    /// there first ([`crate::output::pdf::builtin`]). Returns that folder when it
    /// did so. Call after [`Config::prepare_dirs`].
    pub fn resolve_card_templates(&mut self) -> Result<Option<PathBuf>, ConfigError> {
        if self.templates_dir != Path::new(DEFAULT_TEMPLATES_DIR) || self.templates_dir.is_dir() {
            return Ok(None);
        }
        let dir = self.layout().card_templates();
        crate::output::pdf::builtin::install(&dir).map_err(|e| {
            invalid(
                "templates_dir",
                format!(
                    "could not write the built-in card templates to {}: {e}",
                    dir.display()
                ),
            )
        })?;
        self.templates_dir = dir.clone();
        Ok(Some(dir))
    }

    /// Makes sure the directories exist: the data directory is created when
    /// it is the default one, the key directory when the data directory
    /// exists; both get mode 0700 (an existing data directory that others
    /// may read is tightened to 0700). A SQLite file's parent directory must exist unless
    /// it is the data directory: a mistyped path is an error, never a new
    /// empty database somewhere.
    pub fn prepare_dirs(&self) -> Result<(), ConfigError> {
        if !self.data_dir.is_dir() {
            if self.data_dir_is_default {
                crate::private_files::private_dir(&self.data_dir).map_err(|e| {
                    invalid(
                        "data_dir",
                        format!("could not create {}: {e}", self.data_dir.display()),
                    )
                })?;
            } else {
                return Err(invalid(
                    "data_dir",
                    format!(
                        "{} does not exist (create it first)",
                        self.data_dir.display()
                    ),
                ));
            }
        }
        // The data directory holds the database, lists and key folder:
        // readable by the office's user only.
        match crate::private_files::tighten(&self.data_dir) {
            Ok(true) => eprintln!(
                "note: made the data directory {} private (mode 0700)",
                self.data_dir.display()
            ),
            Ok(false) => {}
            Err(e) => eprintln!(
                "warning: the data directory {} can be read by other users and could not be \
                 made private ({e}); fix it with: chmod 700 {}",
                self.data_dir.display(),
                self.data_dir.display()
            ),
        }
        if let DatabaseUrl::Sqlite { path } = &self.database {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            };
            if !parent.is_dir() {
                return Err(invalid(
                    "database_url",
                    format!(
                        "the folder {} of the SQLite file does not exist; is the URL mistyped?",
                        parent.display()
                    ),
                ));
            }
        }
        if !self.key_dir.is_dir() {
            crate::private_files::private_dir(&self.key_dir).map_err(|e| {
                invalid(
                    "key_dir",
                    format!("could not create {}: {e}", self.key_dir.display()),
                )
            })?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&self.key_dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(|e| {
                        invalid(
                            "key_dir",
                            format!("could not protect {}: {e}", self.key_dir.display()),
                        )
                    })?;
            }
        }
        Ok(())
    }
}

fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load(file: Option<&str>, pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_sources(file.map(|t| (Path::new("test.toml"), t)), env(pairs))
    }

    #[test]
    fn defaults_need_no_configuration() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite {
                path: PathBuf::from("./citycard-data/citycard.sqlite")
            }
        );
        assert!(c.data_dir_is_default);
        assert_eq!(c.key_dir, PathBuf::from("./citycard-data/keys"));
        assert_eq!(c.card_validity_years, 5);
        assert_eq!(c.photo_retention, PhotoRetention::AfterPrinting);
        assert_eq!(c.session_idle_timeout, Duration::from_secs(1800));
        assert_eq!(c.date_of_birth, DateOfBirthPolicy::Optional);
        assert_eq!(c.tls, None);
        assert_eq!(c.secure_cookies, SecureCookies::Auto);
        assert!(!c.cookies_secure());
        assert_eq!(c.login, LoginThrottle::default());
    }

    #[test]
    fn secure_cookies_auto_true_false() {
        let tls = "[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n";
        assert!(load(Some(tls), &[]).unwrap().cookies_secure());
        let c = load(Some("secure_cookies = true"), &[]).unwrap();
        assert_eq!(c.secure_cookies, SecureCookies::Always);
        assert!(c.cookies_secure());
        let c = load(Some("secure_cookies = \"auto\""), &[]).unwrap();
        assert!(!c.cookies_secure());
        let c = load(Some(&format!("secure_cookies = false\n{tls}")), &[]).unwrap();
        assert!(!c.cookies_secure());
        let c = load(
            Some("secure_cookies = false"),
            &[("CITYCARD_SECURE_COOKIES", "true")],
        )
        .unwrap();
        assert!(c.cookies_secure());
        let err = load(None, &[("CITYCARD_SECURE_COOKIES", "yes please")]).unwrap_err();
        assert!(err.to_string().contains("CITYCARD_SECURE_COOKIES"), "{err}");
        assert!(load(Some("secure_cookies = 1"), &[]).is_err());
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let file = r#"
            bind = "0.0.0.0:9000"
            data_dir = "/srv/cc"
            office_name = "Bürgeramt Mitte"
            card_validity_years = 3
            photo_retention = 30
            date_of_birth = "none"
            [login]
            account_max_failures = 7
            [tls]
            cert = "/etc/cc/cert.pem"
            key = "/etc/cc/key.pem"
        "#;
        let c = load(Some(file), &[]).unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert_eq!(c.data_dir, PathBuf::from("/srv/cc"));
        assert!(!c.data_dir_is_default);
        assert_eq!(c.key_dir, PathBuf::from("/srv/cc/keys"));
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite {
                path: PathBuf::from("/srv/cc/citycard.sqlite")
            }
        );
        assert_eq!(c.office_name.as_deref(), Some("Bürgeramt Mitte"));
        assert_eq!(c.card_validity_years, 3);
        assert_eq!(c.photo_retention, PhotoRetention::Days(30));
        assert_eq!(c.date_of_birth, DateOfBirthPolicy::None);
        assert_eq!(c.login.account_max_failures, 7);
        assert_eq!(c.login.address_max_failures, 20);
        assert!(c.tls.is_some());

        let c = load(
            Some(file),
            &[
                ("CITYCARD_BIND", "127.0.0.1:1234"),
                ("CITYCARD_DATABASE_URL", "postgres://u@db/citycard"),
                ("CITYCARD_CARD_VALIDITY_YEARS", "10"),
                ("CITYCARD_PHOTO_RETENTION", "after-printing"),
                ("CITYCARD_KEY_DIR", "/run/keys"),
                ("CITYCARD_LOGIN_ACCOUNT_MAX_FAILURES", "3"),
                ("CITYCARD_SESSION_IDLE_MINUTES", "10"),
                ("CITYCARD_ROOT_PASSPHRASE", "not a setting, ignored"),
                ("HOME", "/root"),
            ],
        )
        .unwrap();
        assert_eq!(c.bind, "127.0.0.1:1234");
        assert_eq!(c.database.backend_name(), "postgresql");
        assert_eq!(c.card_validity_years, 10);
        assert_eq!(c.photo_retention, PhotoRetention::AfterPrinting);
        assert_eq!(c.key_dir, PathBuf::from("/run/keys"));
        assert_eq!(c.login.account_max_failures, 3);
        assert_eq!(c.session_idle_timeout, Duration::from_secs(600));
        // Settings the environment did not touch keep the file's value.
        assert_eq!(c.office_name.as_deref(), Some("Bürgeramt Mitte"));
        assert_eq!(c.data_dir, PathBuf::from("/srv/cc"));
    }

    #[test]
    fn database_url_schemes() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/cc/db.sqlite"),
            Ok(DatabaseUrl::Sqlite {
                path: PathBuf::from("/var/lib/cc/db.sqlite")
            })
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://cc:secret@localhost/cc"),
            Ok(DatabaseUrl::Postgres { .. })
        ));
        for bad in [
            "mysql://localhost/cc",
            "citycard.sqlite",
            "sqlite://",
            "sqlite://:memory:",
            "sqlite://a.db?mode=rwc",
            "file:///tmp/x",
            "",
        ] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
        let e = load(None, &[("CITYCARD_DATABASE_URL", "mysql://u:pw@h/db")]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("CITYCARD_DATABASE_URL"), "{msg}");
        assert!(!msg.contains("pw@h"), "{msg}");
        // A PostgreSQL URL's password is never shown.
        let url = DatabaseUrl::parse("postgres://u:hunter2@h/db").unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn errors_name_the_setting() {
        type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (Some("bindd = \"x\""), &[], "unknown field"),
            (Some("bind = 5"), &[], "test.toml"),
            (None, &[("CITYCARD_BIND", "localhost")], "CITYCARD_BIND"),
            (
                None,
                &[("CITYCARD_CARD_VALIDITY_YEARS", "0")],
                "CITYCARD_CARD_VALIDITY_YEARS",
            ),
            (Some("card_validity_years = 11"), &[], "card_validity_years"),
            (
                None,
                &[("CITYCARD_PHOTO_RETENTION", "forever")],
                "CITYCARD_PHOTO_RETENTION",
            ),
            (
                None,
                &[("CITYCARD_DATE_OF_BIRTH", "maybe")],
                "CITYCARD_DATE_OF_BIRTH",
            ),
            (Some("[tls]\ncert = \"c.pem\""), &[], "tls.cert"),
            (None, &[("CITYCARD_TLS_KEY", "k.pem")], "CITYCARD_TLS_KEY"),
            (
                None,
                &[("CITYCARD_SESSION_IDLE_MINUTES", "-5")],
                "CITYCARD_SESSION_IDLE_MINUTES",
            ),
            (None, &[("CITYCARD_DATA_DIR", "")], "CITYCARD_DATA_DIR"),
        ];
        for (file, env, needle) in cases {
            let e = load(*file, env).unwrap_err().to_string();
            assert!(e.contains(needle), "{e} should mention {needle}");
        }
    }

    #[test]
    fn photo_retention_forms() {
        assert_eq!(
            PhotoRetention::parse("30 days"),
            Some(PhotoRetention::Days(30))
        );
        assert_eq!(PhotoRetention::parse("7d"), Some(PhotoRetention::Days(7)));
        assert_eq!(
            PhotoRetention::parse("0"),
            Some(PhotoRetention::AfterPrinting)
        );
        assert_eq!(
            PhotoRetention::parse("1 day"),
            Some(PhotoRetention::Days(1))
        );
        assert_eq!(PhotoRetention::parse("-1"), None);
    }

    #[test]
    fn sqlite_parent_must_exist_except_the_default_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        // A configured data dir that does not exist is an error.
        let missing = dir.path().join("nope");
        let c = Config::with_data_dir(&missing);
        assert!(
            c.prepare_dirs()
                .unwrap_err()
                .to_string()
                .contains("data_dir")
        );
        // A SQLite file in a folder that does not exist is an error.
        let mut c = Config::with_data_dir(dir.path());
        c.database = DatabaseUrl::Sqlite {
            path: dir.path().join("typo/citycard.sqlite"),
        };
        let e = c.prepare_dirs().unwrap_err().to_string();
        assert!(e.contains("database_url") && e.contains("mistyped"), "{e}");
        assert!(!dir.path().join("typo").exists());
        // The default layout is created.
        let mut c = Config::with_data_dir(&dir.path().join("citycard-data"));
        c.data_dir_is_default = true;
        c.prepare_dirs().unwrap();
        assert!(c.key_dir.is_dir());
    }

    #[test]
    fn card_rules_settings_from_the_file() {
        let text = r#"
            card_validity_years = 5
            dev_clock_offset_days = 0
            [minors]
            minimum_age = 12
            caretaker_under = 16
            under = 18
            validity_years = 3
            [renewal]
            days_before = 30
            days_after = 90
            [retention]
            resident_months = 12
            unprinted_days = 30
        "#;
        let c = Config::from_sources(
            Some((Path::new("citycard.toml"), text)),
            Vec::<(String, String)>::new(),
        )
        .unwrap();
        assert_eq!(
            c.ages,
            AgeRules {
                minimum_age: 12,
                caretaker_under: 16,
                minors_under: 18,
                minor_validity_years: 3,
            }
        );
        assert_eq!((c.renewal.days_before, c.renewal.days_after), (30, 90));
        assert_eq!(
            (c.retention.resident_months, c.retention.unprinted_days),
            (12, 30)
        );
        let d = Config::with_data_dir(Path::new("x"));
        assert_eq!((d.ages.minimum_age, d.ages.caretaker_under), (10, 14));
        assert_eq!((d.ages.minors_under, d.ages.minor_validity_years), (14, 2));
        assert_eq!((d.renewal.days_before, d.renewal.days_after), (60, 180));
        assert_eq!(
            (d.retention.resident_months, d.retention.unprinted_days),
            (24, 90)
        );
        assert_eq!(d.clock, Clock::default());
        // Fewer months than the renewal window lasts: refused.
        let short = Config::from_sources(None, vec![("CITYCARD_RETENTION_RESIDENT_MONTHS", "6")]);
        assert!(short.is_err());
    }

    #[test]
    fn the_dev_clock_is_refused_by_a_release_build() {
        let moved = Config::from_sources(None, vec![("CITYCARD_DEV_CLOCK_OFFSET_DAYS", "800")]);
        if cfg!(debug_assertions) {
            let c = moved.unwrap();
            assert_eq!(c.clock.offset_days, 800);
            let real = citycard_credential::date::today_utc();
            assert_eq!((c.clock.today() - real).whole_days(), 800);
        } else {
            let e = moved.unwrap_err().to_string();
            assert!(e.contains("development"), "{e}");
        }
        assert!(Config::from_sources(None, vec![("CITYCARD_DEV_CLOCK_OFFSET_DAYS", "x")]).is_err());
    }

    #[test]
    fn every_default_parses() {
        for setting in SETTINGS {
            if let Some(default) = setting.default {
                let mut c = Config::with_data_dir(Path::new("x"));
                assert_eq!((setting.apply)(&mut c, default), Ok(()), "{}", setting.key);
            }
        }
        let c = Config::with_data_dir(Path::new("x"));
        assert_eq!(c.card_template, DEFAULT_CARD_TEMPLATE);
        assert_eq!(c.templates_dir, PathBuf::from(DEFAULT_TEMPLATES_DIR));
        assert_eq!(c.session_max_lifetime, Duration::from_secs(12 * 3600));
        assert_eq!(c.revocation_list_days, 7);
        assert_eq!(c.db_pool_size, 8);
        let login = LoginThrottle::default();
        assert_eq!(
            (login.account_max_failures, login.address_max_failures),
            (5, 20)
        );
        assert_eq!(login.window, Duration::from_secs(15 * 60));
        assert_eq!(login.lockout, Duration::from_secs(15 * 60));
    }

    #[test]
    fn every_setting_is_named_once() {
        for (i, a) in SETTINGS.iter().enumerate() {
            assert!(a.env.starts_with(ENV_PREFIX), "{}", a.env);
            for b in &SETTINGS[i + 1..] {
                assert_ne!(a.key, b.key);
                assert_ne!(a.env, b.env);
            }
        }
        assert!(SETTINGS.iter().any(|s| s.doc.contains(DEFAULT_DATA_DIR)));
    }

    /// The tables in this module's doc and in docs/operations.md are
    /// [`doc_table`]: after changing SETTINGS, paste the table printed here.
    #[test]
    fn documentation_tables_match_the_settings() {
        let table = doc_table();
        let module_doc: String = include_str!("mod.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//! "))
            .filter(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(module_doc, table, "src/config/mod.rs: paste\n{table}");
        let operations = include_str!("../../docs/operations.md");
        assert!(
            operations.contains(&table),
            "docs/operations.md: paste\n{table}"
        );
    }

    #[test]
    fn font_dirs_from_file_and_environment() {
        let c = load(Some("font_dirs = [\"/a\", \"\", \"b:c\"]"), &[]).unwrap();
        assert_eq!(c.font_dirs, [PathBuf::from("/a"), PathBuf::from("b:c")]);
        let c = load(None, &[("CITYCARD_FONT_DIRS", "/x:/y,,z")]).unwrap();
        assert_eq!(
            c.font_dirs,
            [PathBuf::from("/x"), PathBuf::from("/y"), PathBuf::from("z")]
        );
        assert!(load(None, &[]).unwrap().font_dirs.is_empty());
        assert!(load(Some("font_dirs = \"/a\""), &[]).is_err());
    }
}
