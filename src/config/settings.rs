//! Reading the settings from the TOML file and the environment.

use super::*;
use serde::Deserialize;
use std::net::SocketAddr;

/// The TOML file as written (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
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
pub(super) struct Settings {
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
    pub(super) fn from_file(file: FileConfig) -> Self {
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
        }
    }

    /// Applies `CITYCARD_*` variables over the file's settings.
    pub(super) fn apply_env<I, K, V>(&mut self, vars: I) -> Result<(), ConfigError>
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
    pub(super) fn resolve(s: Settings) -> Result<Self, ConfigError> {
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
        Ok(config)
    }
}
