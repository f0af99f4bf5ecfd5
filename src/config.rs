//! The office's configuration: one [`Config`] value, loaded once and passed
//! in (no globals).
//!
//! Sources, later ones winning:
//! 1. built-in defaults (everything works with no configuration at all:
//!    `127.0.0.1:8080`, everything under `./citycard-data/`);
//! 2. a TOML file: `--config FILE`, or `./citycard.toml` when it exists;
//! 3. `CITYCARD_*` environment variables.
//!
//! | TOML key | environment variable | default |
//! |---|---|---|
//! | `bind` | `CITYCARD_BIND` | `127.0.0.1:8080` |
//! | `database_url` | `CITYCARD_DATABASE_URL` | `sqlite://<data_dir>/citycard.sqlite` |
//! | `data_dir` | `CITYCARD_DATA_DIR` | `./citycard-data` |
//! | `key_dir` | `CITYCARD_KEY_DIR` | `<data_dir>/keys` |
//! | `office_name` | `CITYCARD_OFFICE_NAME` | the office key's name in the trust list |
//! | `issuer` | `CITYCARD_ISSUER` | the trust list's issuer |
//! | `city_name` | `CITYCARD_CITY_NAME` | the trust list's city name |
//! | `card_validity_years` | `CITYCARD_CARD_VALIDITY_YEARS` | `5` (1 to 10) |
//! | `date_of_birth` | `CITYCARD_DATE_OF_BIRTH` | `optional` (`required`, `optional` or `none`) |
//! | `photo_retention` | `CITYCARD_PHOTO_RETENTION` | `after-printing`, or a number of days after printing |
//! | `session_idle_minutes` | `CITYCARD_SESSION_IDLE_MINUTES` | `30` |
//! | `session_max_hours` | `CITYCARD_SESSION_MAX_HOURS` | `12` |
//! | `revocation_list_days` | `CITYCARD_REVOCATION_LIST_DAYS` | `7` (the list's next-update date) |
//! | `db_pool_size` | `CITYCARD_DB_POOL_SIZE` | `8` |
//! | `[tls] cert`, `key` | `CITYCARD_TLS_CERT`, `CITYCARD_TLS_KEY` | none (plain HTTP); both or neither |
//! | `secure_cookies` | `CITYCARD_SECURE_COOKIES` | `auto`: `Secure` cookies when `[tls]` is set; `true` behind a TLS-terminating proxy |
//! | `[login] account_max_failures` | `CITYCARD_LOGIN_ACCOUNT_MAX_FAILURES` | `5` |
//! | `[login] address_max_failures` | `CITYCARD_LOGIN_ADDRESS_MAX_FAILURES` | `20` |
//! | `[login] window_minutes` | `CITYCARD_LOGIN_WINDOW_MINUTES` | `15` |
//! | `[login] lockout_minutes` | `CITYCARD_LOGIN_LOCKOUT_MINUTES` | `15` |
//! | `trusted_proxies` | `CITYCARD_TRUSTED_PROXIES` (comma-separated) | none: `X-Forwarded-For` is ignored |
//! | `templates_dir` | `CITYCARD_TEMPLATES` | `card-templates` |
//! | `card_template` | `CITYCARD_CARD_TEMPLATE` | `bilingual-photo` (the PDF's default template) |
//! | `font_dirs` | `CITYCARD_FONT_DIRS` (separated by `:` or `,`) | none: the template's folder, then the system's font folders |
//!
//! Relative paths are relative to the working directory. Unknown keys in the
//! file are errors (a typo must not be ignored); `CITYCARD_*` variables that
//! are not settings (such as `CITYCARD_ROOT_PASSPHRASE`) are left alone.
//!
//! The database URL chooses the backend by its scheme: `sqlite://PATH`, or
//! `postgres://…` / `postgresql://…`. Any other scheme is an error. Errors
//! never repeat a database URL (it may hold a password).

use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
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

/// Where the data lives, chosen by the URL scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH`: a single file.
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// `postgres://…` or `postgresql://…`, passed to libpq as given.
    Postgres {
        /// The URL (may hold a password: never shown).
        url: String,
    },
}

impl DatabaseUrl {
    /// Parses a URL; only the `sqlite` and `postgres`/`postgresql` schemes
    /// are accepted.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err("a database URL starts with sqlite:// or postgres://".to_owned());
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let path = rest.split(['?', '#']).next().unwrap_or_default();
                if path.is_empty() {
                    return Err("a sqlite:// URL needs a file path, e.g. \
                         sqlite://./citycard-data/citycard.sqlite"
                        .to_owned());
                }
                if path == ":memory:" {
                    return Err(
                        "an in-memory SQLite database would lose every card at restart; \
                         give a file path"
                            .to_owned(),
                    );
                }
                if rest.len() != path.len() {
                    return Err("a sqlite:// URL takes no query or fragment".to_owned());
                }
                Ok(DatabaseUrl::Sqlite {
                    path: PathBuf::from(path),
                })
            }
            "postgres" | "postgresql" => Ok(DatabaseUrl::Postgres {
                url: url.to_owned(),
            }),
            _ => Err(format!(
                "the scheme \"{}\" is not supported: use sqlite:// or postgres://",
                scheme.chars().take(20).collect::<String>()
            )),
        }
    }

    /// `sqlite` or `postgresql`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite { .. } => "sqlite",
            DatabaseUrl::Postgres { .. } => "postgresql",
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    /// Shows the SQLite path, but never a PostgreSQL URL (it may hold a password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres { .. } => write!(f, "postgres://…"),
        }
    }
}

/// Whether the date of birth is asked for and put on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOfBirthPolicy {
    /// Every card shows a date of birth; enrolment needs one.
    Required,
    /// A date of birth is put on the card when the resident gives one.
    Optional,
    /// No date of birth is asked for, stored or printed.
    None,
}

impl DateOfBirthPolicy {
    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "required" | "yes" | "true" => Some(Self::Required),
            "optional" => Some(Self::Optional),
            "none" | "no" | "false" => Some(Self::None),
            _ => None,
        }
    }
}

/// How long a photo is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoRetention {
    /// Deleted when the card is marked printed (the default).
    AfterPrinting,
    /// Kept this many days after printing (for reprints), then deleted.
    Days(u32),
}

impl PhotoRetention {
    fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        if matches!(t.as_str(), "after-printing" | "after_printing" | "0") {
            return Some(Self::AfterPrinting);
        }
        let digits = t
            .strip_suffix("days")
            .or_else(|| t.strip_suffix("day"))
            .or_else(|| t.strip_suffix('d'))
            .unwrap_or(&t)
            .trim();
        match digits.parse::<u32>() {
            Ok(0) => Some(Self::AfterPrinting),
            Ok(n) if n <= 3650 => Some(Self::Days(n)),
            _ => None,
        }
    }

    /// How long after printing the photo is kept.
    pub fn after_printing(self) -> Duration {
        match self {
            Self::AfterPrinting => Duration::ZERO,
            Self::Days(n) => Duration::from_secs(u64::from(n) * 86_400),
        }
    }
}

/// Whether cookies get the `Secure` attribute (browsers then send them over
/// HTTPS only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecureCookies {
    /// `Secure` when the server speaks TLS itself (`[tls]` is set).
    #[default]
    Auto,
    /// Always `Secure`: TLS is terminated by a proxy in front.
    Always,
    /// Never `Secure` (plain HTTP on localhost, development).
    Never,
}

impl SecureCookies {
    /// Parses `auto`, `true` or `false`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "true" => Some(Self::Always),
            "false" => Some(Self::Never),
            _ => None,
        }
    }
}

/// TLS certificate and key files (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// Login throttling: per account and per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    /// Failed logins on one account before it is locked.
    pub account_max_failures: u32,
    /// Failed logins from one address (over any accounts, existing or not)
    /// within the window before the address is locked. This is what stops
    /// password spraying: one password tried on many accounts.
    pub address_max_failures: u32,
    /// The window in which failures are counted.
    pub window: Duration,
    /// How long a lock lasts.
    pub lockout: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            account_max_failures: 5,
            address_max_failures: 20,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
        }
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
    /// A session ends after this long without a request.
    pub session_idle_timeout: Duration,
    /// A session ends after this long in any case.
    pub session_max_lifetime: Duration,
    /// Days until the next-update date of a newly signed revocation list.
    pub revocation_list_days: u16,
    /// Connections in the database pool.
    pub db_pool_size: u32,
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

/// An IP network (`10.0.0.0/8`, `fd00::/8`) or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX`.
    pub fn parse(text: &str) -> Option<IpNet> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: std::net::IpAddr = addr.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(IpNet { addr, prefix })
    }

    /// Whether `ip` lies in this network (an IPv4-mapped IPv6 address
    /// counts as its IPv4 address).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The TOML file as written (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    key_dir: Option<PathBuf>,
    office_name: Option<String>,
    issuer: Option<String>,
    city_name: Option<String>,
    card_validity_years: Option<i64>,
    date_of_birth: Option<String>,
    photo_retention: Option<toml::Value>,
    session_idle_minutes: Option<i64>,
    session_max_hours: Option<i64>,
    revocation_list_days: Option<i64>,
    db_pool_size: Option<i64>,
    tls: Option<FileTls>,
    secure_cookies: Option<toml::Value>,
    login: Option<FileLogin>,
    trusted_proxies: Option<Vec<String>>,
    templates_dir: Option<PathBuf>,
    card_template: Option<String>,
    font_dirs: Option<Vec<PathBuf>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTls {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLogin {
    account_max_failures: Option<i64>,
    address_max_failures: Option<i64>,
    window_minutes: Option<i64>,
    lockout_minutes: Option<i64>,
}

/// One raw setting with the name to blame when it is wrong.
struct Raw<T> {
    value: T,
    setting: String,
}

/// The merged raw settings (file, then environment).
#[derive(Default)]
struct Settings {
    bind: Option<Raw<String>>,
    database_url: Option<Raw<String>>,
    data_dir: Option<Raw<PathBuf>>,
    key_dir: Option<Raw<PathBuf>>,
    office_name: Option<Raw<String>>,
    issuer: Option<Raw<String>>,
    city_name: Option<Raw<String>>,
    card_validity_years: Option<Raw<String>>,
    date_of_birth: Option<Raw<String>>,
    photo_retention: Option<Raw<String>>,
    session_idle_minutes: Option<Raw<String>>,
    session_max_hours: Option<Raw<String>>,
    revocation_list_days: Option<Raw<String>>,
    db_pool_size: Option<Raw<String>>,
    tls_cert: Option<Raw<PathBuf>>,
    tls_key: Option<Raw<PathBuf>>,
    secure_cookies: Option<Raw<String>>,
    account_max_failures: Option<Raw<String>>,
    address_max_failures: Option<Raw<String>>,
    window_minutes: Option<Raw<String>>,
    lockout_minutes: Option<Raw<String>>,
    trusted_proxies: Option<Raw<String>>,
    templates_dir: Option<Raw<PathBuf>>,
    card_template: Option<Raw<String>>,
    font_dirs: Option<Raw<Vec<PathBuf>>>,
}

fn raw<T>(value: Option<T>, setting: &str) -> Option<Raw<T>> {
    value.map(|value| Raw {
        value,
        setting: setting.to_owned(),
    })
}

fn raw_num(value: Option<i64>, setting: &str) -> Option<Raw<String>> {
    raw(value.map(|v| v.to_string()), setting)
}

impl Settings {
    fn from_file(file: FileConfig) -> Self {
        let tls = file.tls.unwrap_or_default();
        let login = file.login.unwrap_or_default();
        let retention = file.photo_retention.map(|v| match v {
            toml::Value::String(s) => s,
            other => other.to_string(),
        });
        Settings {
            bind: raw(file.bind, "bind"),
            database_url: raw(file.database_url, "database_url"),
            data_dir: raw(file.data_dir, "data_dir"),
            key_dir: raw(file.key_dir, "key_dir"),
            office_name: raw(file.office_name, "office_name"),
            issuer: raw(file.issuer, "issuer"),
            city_name: raw(file.city_name, "city_name"),
            card_validity_years: raw_num(file.card_validity_years, "card_validity_years"),
            date_of_birth: raw(file.date_of_birth, "date_of_birth"),
            photo_retention: raw(retention, "photo_retention"),
            session_idle_minutes: raw_num(file.session_idle_minutes, "session_idle_minutes"),
            session_max_hours: raw_num(file.session_max_hours, "session_max_hours"),
            revocation_list_days: raw_num(file.revocation_list_days, "revocation_list_days"),
            db_pool_size: raw_num(file.db_pool_size, "db_pool_size"),
            tls_cert: raw(tls.cert, "tls.cert"),
            tls_key: raw(tls.key, "tls.key"),
            secure_cookies: raw(
                file.secure_cookies.map(|v| match v {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                }),
                "secure_cookies",
            ),
            account_max_failures: raw_num(login.account_max_failures, "login.account_max_failures"),
            address_max_failures: raw_num(login.address_max_failures, "login.address_max_failures"),
            window_minutes: raw_num(login.window_minutes, "login.window_minutes"),
            lockout_minutes: raw_num(login.lockout_minutes, "login.lockout_minutes"),
            trusted_proxies: raw(
                file.trusted_proxies.map(|list| list.join(",")),
                "trusted_proxies",
            ),
            templates_dir: raw(file.templates_dir, "templates_dir"),
            card_template: raw(file.card_template, "card_template"),
            font_dirs: raw(file.font_dirs, "font_dirs"),
        }
    }

    /// Applies `CITYCARD_*` variables over the file's settings.
    fn apply_env<I, K, V>(&mut self, vars: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<std::ffi::OsStr>,
        V: AsRef<std::ffi::OsStr>,
    {
        for (key, value) in vars {
            let Some(key) = key.as_ref().to_str() else {
                continue;
            };
            let Some(name) = key.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let Some(value) = value.as_ref().to_str() else {
                return Err(invalid(key, "is not valid UTF-8"));
            };
            let text = || raw(Some(value.to_owned()), key);
            let path = || raw(Some(PathBuf::from(value)), key);
            match name {
                "BIND" => self.bind = text(),
                "DATABASE_URL" => self.database_url = text(),
                "DATA_DIR" => self.data_dir = path(),
                "KEY_DIR" => self.key_dir = path(),
                "OFFICE_NAME" => self.office_name = text(),
                "ISSUER" => self.issuer = text(),
                "CITY_NAME" => self.city_name = text(),
                "CARD_VALIDITY_YEARS" => self.card_validity_years = text(),
                "DATE_OF_BIRTH" => self.date_of_birth = text(),
                "PHOTO_RETENTION" => self.photo_retention = text(),
                "SESSION_IDLE_MINUTES" => self.session_idle_minutes = text(),
                "SESSION_MAX_HOURS" => self.session_max_hours = text(),
                "REVOCATION_LIST_DAYS" => self.revocation_list_days = text(),
                "DB_POOL_SIZE" => self.db_pool_size = text(),
                "TLS_CERT" => self.tls_cert = path(),
                "TLS_KEY" => self.tls_key = path(),
                "SECURE_COOKIES" => self.secure_cookies = text(),
                "LOGIN_ACCOUNT_MAX_FAILURES" => self.account_max_failures = text(),
                "LOGIN_ADDRESS_MAX_FAILURES" => self.address_max_failures = text(),
                "LOGIN_WINDOW_MINUTES" => self.window_minutes = text(),
                "LOGIN_LOCKOUT_MINUTES" => self.lockout_minutes = text(),
                "TRUSTED_PROXIES" => self.trusted_proxies = text(),
                "TEMPLATES" => self.templates_dir = path(),
                "CARD_TEMPLATE" => self.card_template = text(),
                "FONT_DIRS" => {
                    let dirs = value.split([':', ',']).map(PathBuf::from).collect();
                    self.font_dirs = raw(Some(dirs), key);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A number in `min..=max`, or an error naming the setting.
fn number<T: TryFrom<u64>>(
    raw: Option<Raw<String>>,
    default: T,
    min: u64,
    max: u64,
) -> Result<T, ConfigError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    let problem = || format!("must be a whole number from {min} to {max}");
    let n: u64 = raw
        .value
        .trim()
        .parse()
        .map_err(|_| invalid(&raw.setting, problem()))?;
    if !(min..=max).contains(&n) {
        return Err(invalid(&raw.setting, problem()));
    }
    T::try_from(n).map_err(|_| invalid(&raw.setting, problem()))
}

/// A non-empty trimmed text, or `None`.
fn text_setting(raw: Option<Raw<String>>, max_chars: usize) -> Result<Option<String>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let t = raw.value.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max_chars || t.chars().any(char::is_control) {
        return Err(invalid(
            &raw.setting,
            format!("must be at most {max_chars} characters without control characters"),
        ));
    }
    Ok(Some(t.to_owned()))
}

impl Config {
    /// The defaults with this data directory (database, keys and lists in it).
    pub fn with_data_dir(data_dir: &Path) -> Self {
        Config {
            bind: DEFAULT_BIND.to_owned(),
            database: DatabaseUrl::Sqlite {
                path: data_dir.join(DEFAULT_SQLITE_FILE),
            },
            data_dir: data_dir.to_owned(),
            data_dir_is_default: false,
            key_dir: data_dir.join("keys"),
            office_name: None,
            issuer: None,
            city_name: None,
            card_validity_years: 5,
            date_of_birth: DateOfBirthPolicy::Optional,
            photo_retention: PhotoRetention::AfterPrinting,
            session_idle_timeout: Duration::from_secs(30 * 60),
            session_max_lifetime: Duration::from_secs(12 * 3600),
            revocation_list_days: 7,
            db_pool_size: 8,
            tls: None,
            secure_cookies: SecureCookies::Auto,
            login: LoginThrottle::default(),
            trusted_proxies: Vec::new(),
            templates_dir: PathBuf::from(DEFAULT_TEMPLATES_DIR),
            card_template: DEFAULT_CARD_TEMPLATE.to_owned(),
            font_dirs: Vec::new(),
        }
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
        let file_config = match file {
            Some((path, text)) => {
                toml::from_str::<FileConfig>(text).map_err(|e| ConfigError::Syntax {
                    path: path.to_owned(),
                    message: e.message().to_owned() + &line_of(text, e.span()),
                })?
            }
            None => FileConfig::default(),
        };
        let mut s = Settings::from_file(file_config);
        s.apply_env(env)?;
        Self::resolve(s)
    }

    fn resolve(s: Settings) -> Result<Self, ConfigError> {
        let (data_dir, data_dir_is_default) = match s.data_dir {
            Some(raw) if raw.value.as_os_str().is_empty() => {
                return Err(invalid(&raw.setting, "must not be empty"));
            }
            Some(raw) => (raw.value, false),
            None => (PathBuf::from(DEFAULT_DATA_DIR), true),
        };
        let mut config = Config::with_data_dir(&data_dir);
        config.data_dir_is_default = data_dir_is_default;
        if let Some(raw) = s.bind {
            raw.value
                .trim()
                .parse::<SocketAddr>()
                .map_err(|_| invalid(&raw.setting, "must be ADDRESS:PORT, e.g. 127.0.0.1:8080"))?;
            config.bind = raw.value.trim().to_owned();
        }
        if let Some(raw) = s.database_url {
            config.database =
                DatabaseUrl::parse(&raw.value).map_err(|p| invalid(&raw.setting, p))?;
        }
        if let Some(raw) = s.key_dir {
            if raw.value.as_os_str().is_empty() {
                return Err(invalid(&raw.setting, "must not be empty"));
            }
            config.key_dir = raw.value;
        }
        config.office_name = text_setting(s.office_name, 64)?;
        config.issuer = text_setting(s.issuer, 32)?;
        config.city_name = text_setting(s.city_name, 64)?;
        config.card_validity_years = number(s.card_validity_years, 5, 1, 10)?;
        if let Some(raw) = s.date_of_birth {
            config.date_of_birth = DateOfBirthPolicy::parse(&raw.value)
                .ok_or_else(|| invalid(&raw.setting, "must be required, optional or none"))?;
        }
        if let Some(raw) = s.photo_retention {
            config.photo_retention = PhotoRetention::parse(&raw.value).ok_or_else(|| {
                invalid(
                    &raw.setting,
                    "must be \"after-printing\" or a number of days (at most 3650)",
                )
            })?;
        }
        let idle: u64 = number(s.session_idle_minutes, 30, 1, 24 * 60)?;
        config.session_idle_timeout = Duration::from_secs(idle * 60);
        let max: u64 = number(s.session_max_hours, 12, 1, 24 * 7)?;
        config.session_max_lifetime = Duration::from_secs(max * 3600);
        config.revocation_list_days = number(s.revocation_list_days, 7, 1, 366)?;
        config.db_pool_size = number(s.db_pool_size, 8, 1, 256)?;
        config.tls = match (s.tls_cert, s.tls_key) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(TlsConfig {
                cert: cert.value,
                key: key.value,
            }),
            (Some(one), None) | (None, Some(one)) => {
                return Err(invalid(
                    &one.setting,
                    "TLS needs both a certificate and a key (tls.cert and tls.key)",
                ));
            }
        };
        if let Some(raw) = s.secure_cookies {
            config.secure_cookies = SecureCookies::parse(&raw.value)
                .ok_or_else(|| invalid(&raw.setting, "must be true, false or auto"))?;
        }
        let d = LoginThrottle::default();
        let window: u64 = number(s.window_minutes, 15, 1, 24 * 60)?;
        let lockout: u64 = number(s.lockout_minutes, 15, 1, 24 * 60)?;
        config.login = LoginThrottle {
            account_max_failures: number(s.account_max_failures, d.account_max_failures, 1, 1000)?,
            address_max_failures: number(
                s.address_max_failures,
                d.address_max_failures,
                1,
                100_000,
            )?,
            window: Duration::from_secs(window * 60),
            lockout: Duration::from_secs(lockout * 60),
        };
        if let Some(raw) = s.trusted_proxies {
            config.trusted_proxies = raw
                .value
                .split(',')
                .filter(|t| !t.trim().is_empty())
                .map(|t| {
                    IpNet::parse(t).ok_or_else(|| {
                        invalid(
                            &raw.setting,
                            "must be IP addresses or networks such as 10.0.0.0/8, separated by commas",
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(raw) = s.templates_dir {
            if raw.value.as_os_str().is_empty() {
                return Err(invalid(&raw.setting, "must not be empty"));
            }
            config.templates_dir = raw.value;
        }
        if let Some(t) = text_setting(s.card_template, 64)? {
            config.card_template = t;
        }
        if let Some(raw) = s.font_dirs {
            config.font_dirs = raw
                .value
                .into_iter()
                .filter(|d| !d.as_os_str().is_empty())
                .collect();
        }
        Ok(config)
    }

    /// The signed trust list this office publishes.
    pub fn trust_list_path(&self) -> PathBuf {
        self.data_dir.join("trust-list.cose")
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

    /// Where the office writes its signed revocation list (a copy of the
    /// one stored in the database).
    pub fn revocations_path(&self) -> PathBuf {
        self.data_dir.join("revocations.cose")
    }

    /// The revoked card numbers, one per line (kept beside the signed list).
    pub fn revoked_numbers_path(&self) -> PathBuf {
        self.data_dir.join("revoked.txt")
    }

    /// The office's signing key (PKCS#8 PEM).
    pub fn office_key_path(&self) -> PathBuf {
        self.key_dir.join("office.key")
    }

    /// A key that signs only revocation lists, used when the office key may
    /// not (optional).
    pub fn revocations_key_path(&self) -> PathBuf {
        self.key_dir.join("revocations.key")
    }

    /// The city root public key (to check the trust list).
    pub fn root_public_key_path(&self) -> PathBuf {
        self.key_dir.join("root.pub")
    }

    /// The key that seals personal data.
    pub fn data_key_path(&self) -> PathBuf {
        self.key_dir.join("data.key")
    }

    /// The key of the duplicate check (keyed hash of name and birth date).
    pub fn dedup_key_path(&self) -> PathBuf {
        self.key_dir.join("dedup.key")
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
        let dir = self.data_dir.join(DEFAULT_TEMPLATES_DIR);
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
    /// it is the default one, the key directory (mode 0700) when the data
    /// directory exists. A SQLite file's parent directory must exist unless
    /// it is the data directory: a mistyped path is an error, never a new
    /// empty database somewhere.
    pub fn prepare_dirs(&self) -> Result<(), ConfigError> {
        if !self.data_dir.is_dir() {
            if self.data_dir_is_default {
                std::fs::create_dir_all(&self.data_dir).map_err(|e| {
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
            std::fs::create_dir_all(&self.key_dir).map_err(|e| {
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

/// ` (line N)` for a TOML error span.
fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.and_then(|s| text.get(..s.start))
        .map(|before| format!(" (line {})", before.matches('\n').count() + 1))
        .unwrap_or_default()
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
}
