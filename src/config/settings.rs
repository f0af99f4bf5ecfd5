//! Every setting, declared once: [`SETTINGS`] names its TOML key, its
//! environment variable, its default, its documentation and the function that
//! parses a value into the [`Config`]. Reading the file and the environment,
//! the defaults of [`Config::with_data_dir`] and the tables in the module doc
//! and in `docs/operations.md` (checked by a test) all come from it.
//!
//! A new setting: a field in [`Config`] and one entry here.

use super::{
    Config, ConfigError, DEFAULT_BIND, DEFAULT_CARD_TEMPLATE, DEFAULT_TEMPLATES_DIR, DatabaseUrl,
    DateOfBirthPolicy, ENV_PREFIX, IpNet, PhotoRetention, SecureCookies, TlsConfig, invalid,
};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// The TOML key; `table.key` for a key in a `[table]`.
    pub key: &'static str,
    /// The environment variable.
    pub env: &'static str,
    /// How the value is written in the TOML file.
    pub toml: TomlType,
    /// The value used when the setting is not given, parsed by `apply` like
    /// any other value. `None`: the default follows from other settings (see
    /// `doc`).
    pub default: Option<&'static str>,
    /// The rest of the documentation's "default" column, after the default.
    pub doc: &'static str,
    /// Parses the value (text from the file or the environment) into the
    /// configuration, or says what is wrong with it (never repeating it).
    pub apply: fn(&mut Config, &str) -> Result<(), String>,
}

/// How a setting is written in the TOML file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TomlType {
    /// A string.
    Text,
    /// A string naming a file or folder.
    Path,
    /// An integer.
    Integer,
    /// A string, number or boolean (the text of it is parsed).
    Scalar,
    /// An array of strings (comma-separated in the environment).
    TextList,
    /// An array of paths (separated by `:` or `,` in the environment); the
    /// parser gets them one per line.
    PathList,
}

/// Every setting, in the order of the documentation. `data_dir` is applied
/// first (the defaults of the database and the key directory follow from
/// it); `tls.cert` and `tls.key` are given both or neither
/// ([`TOGETHER`]).
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "bind",
        env: "CITYCARD_BIND",
        toml: TomlType::Text,
        default: Some(DEFAULT_BIND),
        doc: "",
        apply: |c, v| {
            v.trim()
                .parse::<SocketAddr>()
                .map_err(|_| "must be ADDRESS:PORT, e.g. 127.0.0.1:8080")?;
            c.bind = v.trim().to_owned();
            Ok(())
        },
    },
    Setting {
        key: "database_url",
        env: "CITYCARD_DATABASE_URL",
        toml: TomlType::Text,
        default: None,
        doc: "`sqlite://<data_dir>/citycard.sqlite` (a password in it is never printed)",
        apply: |c, v| {
            c.database = DatabaseUrl::parse(v)?;
            Ok(())
        },
    },
    Setting {
        key: DATA_DIR,
        env: "CITYCARD_DATA_DIR",
        toml: TomlType::Path,
        default: None,
        doc: "`./citycard-data`",
        apply: |c, v| {
            let dir = non_empty_path(v)?;
            *c = Config::with_data_dir(&dir);
            Ok(())
        },
    },
    Setting {
        key: "key_dir",
        env: "CITYCARD_KEY_DIR",
        toml: TomlType::Path,
        default: None,
        doc: "`<data_dir>/keys`",
        apply: |c, v| {
            c.key_dir = non_empty_path(v)?;
            Ok(())
        },
    },
    Setting {
        key: "office_name",
        env: "CITYCARD_OFFICE_NAME",
        toml: TomlType::Text,
        default: None,
        doc: "the office key's name in the trust list",
        apply: |c, v| {
            c.office_name = text(v, 64)?;
            Ok(())
        },
    },
    Setting {
        key: "issuer",
        env: "CITYCARD_ISSUER",
        toml: TomlType::Text,
        default: None,
        doc: "the trust list's issuer",
        apply: |c, v| {
            c.issuer = text(v, 32)?;
            Ok(())
        },
    },
    Setting {
        key: "city_name",
        env: "CITYCARD_CITY_NAME",
        toml: TomlType::Text,
        default: None,
        doc: "the trust list's city name",
        apply: |c, v| {
            c.city_name = text(v, 64)?;
            Ok(())
        },
    },
    Setting {
        key: "card_validity_years",
        env: "CITYCARD_CARD_VALIDITY_YEARS",
        toml: TomlType::Integer,
        default: Some("5"),
        doc: " (1 to 10)",
        apply: |c, v| {
            c.card_validity_years = number(v, 1, 10)?;
            Ok(())
        },
    },
    Setting {
        key: "date_of_birth",
        env: "CITYCARD_DATE_OF_BIRTH",
        toml: TomlType::Text,
        default: Some("optional"),
        doc: " (`required`, `optional` or `none`)",
        apply: |c, v| {
            c.date_of_birth =
                DateOfBirthPolicy::parse(v).ok_or("must be required, optional or none")?;
            Ok(())
        },
    },
    Setting {
        key: "photo_retention",
        env: "CITYCARD_PHOTO_RETENTION",
        toml: TomlType::Scalar,
        default: Some("after-printing"),
        doc: ", or a number of days after printing",
        apply: |c, v| {
            c.photo_retention = PhotoRetention::parse(v)
                .ok_or("must be \"after-printing\" or a number of days (at most 3650)")?;
            Ok(())
        },
    },
    Setting {
        key: "minors.minimum_age",
        env: "CITYCARD_MINORS_MINIMUM_AGE",
        toml: TomlType::Integer,
        default: Some("10"),
        doc: " (0 to 25): no card below this age (youngest possible age)",
        apply: |c, v| {
            c.ages.minimum_age = number(v, 0, 25)?;
            Ok(())
        },
    },
    Setting {
        key: "minors.caretaker_under",
        env: "CITYCARD_MINORS_CARETAKER_UNDER",
        toml: TomlType::Integer,
        default: Some("14"),
        doc: " (0 to 25): below this age the clerk attests a caretaker is present",
        apply: |c, v| {
            c.ages.caretaker_under = number(v, 0, 25)?;
            Ok(())
        },
    },
    Setting {
        key: "minors.under",
        env: "CITYCARD_MINORS_UNDER",
        toml: TomlType::Integer,
        default: Some("14"),
        doc: " (0 to 25): below this age a card is valid `minors.validity_years`",
        apply: |c, v| {
            c.ages.minors_under = number(v, 0, 25)?;
            Ok(())
        },
    },
    Setting {
        key: "minors.validity_years",
        env: "CITYCARD_MINORS_VALIDITY_YEARS",
        toml: TomlType::Integer,
        default: Some("2"),
        doc: " (1 to 10)",
        apply: |c, v| {
            c.ages.minor_validity_years = number(v, 1, 10)?;
            Ok(())
        },
    },
    Setting {
        key: "renewal.days_before",
        env: "CITYCARD_RENEWAL_DAYS_BEFORE",
        toml: TomlType::Integer,
        default: Some("60"),
        doc: " (0 to 3650): the renewal window opens this many days before the last valid day",
        apply: |c, v| {
            c.renewal.days_before = number(v, 0, 3650)?;
            Ok(())
        },
    },
    Setting {
        key: "renewal.days_after",
        env: "CITYCARD_RENEWAL_DAYS_AFTER",
        toml: TomlType::Integer,
        default: Some("180"),
        doc: " (0 to 3650): and closes this many days after it",
        apply: |c, v| {
            c.renewal.days_after = number(v, 0, 3650)?;
            Ok(())
        },
    },
    Setting {
        key: "retention.resident_months",
        env: "CITYCARD_RETENTION_RESIDENT_MONTHS",
        toml: TomlType::Integer,
        default: Some("24"),
        doc: " (7 to 240): a resident is erased this long after their last card \
              expired or was revoked; more than the renewal window (docs/privacy.md)",
        apply: |c, v| {
            c.retention.resident_months = number(v, 7, 240)?;
            Ok(())
        },
    },
    Setting {
        key: "retention.unprinted_days",
        env: "CITYCARD_RETENTION_UNPRINTED_DAYS",
        toml: TomlType::Integer,
        default: Some("90"),
        doc: " (7 to 3650): an enrolment whose card was never printed is erased after this",
        apply: |c, v| {
            c.retention.unprinted_days = number(v, 7, 3650)?;
            Ok(())
        },
    },
    Setting {
        key: "pickup.collect_within_days",
        env: "CITYCARD_PICKUP_COLLECT_WITHIN_DAYS",
        toml: TomlType::Integer,
        default: Some("90"),
        doc: " (7 to 3650): a card sent to or ready at its pick-up site and not collected \
              this long is revoked, its photo deleted, and it is put on the site's list to destroy",
        apply: |c, v| {
            c.pickup.collect_within_days = number(v, 7, 3650)?;
            Ok(())
        },
    },
    Setting {
        key: "dev_clock_offset_days",
        env: "CITYCARD_DEV_CLOCK_OFFSET_DAYS",
        toml: TomlType::Integer,
        default: Some("0"),
        doc: ": moves the office's clock for tests; refused by a release build",
        apply: |c, v| {
            let days: i64 = v
                .trim()
                .parse()
                .map_err(|_| "must be a whole number of days")?;
            if days != 0 && !cfg!(debug_assertions) {
                return Err("is only honoured by a development (debug) build".to_owned());
            }
            c.clock.offset_days = i32::try_from(days)
                .ok()
                .filter(|d| d.abs() <= 36_500)
                .ok_or("must be at most 36500 days either way")?;
            Ok(())
        },
    },
    Setting {
        key: "session_idle_minutes",
        env: "CITYCARD_SESSION_IDLE_MINUTES",
        toml: TomlType::Integer,
        default: Some("30"),
        doc: "",
        apply: |c, v| {
            c.session_idle_timeout = minutes(number(v, 1, 24 * 60)?);
            Ok(())
        },
    },
    Setting {
        key: "session_max_hours",
        env: "CITYCARD_SESSION_MAX_HOURS",
        toml: TomlType::Integer,
        default: Some("12"),
        doc: "",
        apply: |c, v| {
            c.session_max_lifetime = minutes(60 * number::<u64>(v, 1, 24 * 7)?);
            Ok(())
        },
    },
    Setting {
        key: "api_token_max_days",
        env: "CITYCARD_API_TOKEN_MAX_DAYS",
        toml: TomlType::Integer,
        default: Some("90"),
        doc: " (1 to 3650; the longest an API token may live, and the lifetime of one made without `valid_for_days`)",
        apply: |c, v| {
            c.api_token_max_days = number(v, 1, 3650)?;
            Ok(())
        },
    },
    Setting {
        key: "password_check_memory_mib",
        env: "CITYCARD_PASSWORD_CHECK_MEMORY_MIB",
        toml: TomlType::Integer,
        default: Some("256"),
        doc: " (19 to 65536): memory for password checks (19 MiB each) running at once, 13 by default; more logins at once are answered `503 busy`",
        apply: |c, v| {
            c.password_check_memory_mib = number(v, 19, 65_536)?;
            Ok(())
        },
    },
    Setting {
        key: "revocation_list_days",
        env: "CITYCARD_REVOCATION_LIST_DAYS",
        toml: TomlType::Integer,
        default: Some("7"),
        doc: " (the list's next-update date)",
        apply: |c, v| {
            c.revocation_list_days = number(v, 1, 366)?;
            Ok(())
        },
    },
    Setting {
        key: "revocation_publish_seconds",
        env: "CITYCARD_REVOCATION_PUBLISH_SECONDS",
        toml: TomlType::Integer,
        default: Some("10"),
        doc: " (0 to 3600: a revocation signs the list at once if the last was signed this long ago, else that long after it; 0: after every revocation)",
        apply: |c, v| {
            c.revocation_publish_interval = Duration::from_secs(number(v, 0, 3600)?);
            Ok(())
        },
    },
    Setting {
        key: "db_pool_size",
        env: "CITYCARD_DB_POOL_SIZE",
        toml: TomlType::Integer,
        default: Some("8"),
        doc: "",
        apply: |c, v| {
            c.db_pool_size = number(v, 1, 256)?;
            Ok(())
        },
    },
    Setting {
        key: "db_connect_timeout_seconds",
        env: "CITYCARD_DB_CONNECT_TIMEOUT_SECONDS",
        toml: TomlType::Integer,
        default: Some("5"),
        doc: " (1 to 60): how long a request waits for a database connection; \
              once the database is found unreachable, requests are answered 503 at once \
              and one retries every 2 s",
        apply: |c, v| {
            c.db_connect_timeout = Duration::from_secs(number(v, 1, 60)?);
            Ok(())
        },
    },
    Setting {
        key: "http.head_timeout_seconds",
        env: "CITYCARD_HTTP_HEAD_TIMEOUT_SECONDS",
        toml: TomlType::Integer,
        default: Some("10"),
        doc: " (1 to 300): time for a client to send the request line and headers",
        apply: |c, v| {
            c.http.head = Duration::from_secs(number(v, 1, 300)?);
            Ok(())
        },
    },
    Setting {
        key: "http.body_timeout_seconds",
        env: "CITYCARD_HTTP_BODY_TIMEOUT_SECONDS",
        toml: TomlType::Integer,
        default: Some("30"),
        doc: " (1 to 600): time for a request body (a photo upload) to arrive; \
              then the request is answered 408 and the connection closed",
        apply: |c, v| {
            c.http.body = Duration::from_secs(number(v, 1, 600)?);
            Ok(())
        },
    },
    Setting {
        key: "http.keep_alive_seconds",
        env: "CITYCARD_HTTP_KEEP_ALIVE_SECONDS",
        toml: TomlType::Integer,
        default: Some("30"),
        doc: " (1 to 600): how long an idle connection is kept open",
        apply: |c, v| {
            c.http.keep_alive = Duration::from_secs(number(v, 1, 600)?);
            Ok(())
        },
    },
    Setting {
        key: "http.disconnect_timeout_seconds",
        env: "CITYCARD_HTTP_DISCONNECT_TIMEOUT_SECONDS",
        toml: TomlType::Integer,
        default: Some("5"),
        doc: " (1 to 60): how long a closing connection may take",
        apply: |c, v| {
            c.http.disconnect = Duration::from_secs(number(v, 1, 60)?);
            Ok(())
        },
    },
    Setting {
        key: "tls.cert",
        env: "CITYCARD_TLS_CERT",
        toml: TomlType::Path,
        default: None,
        doc: "none (plain HTTP); both or neither",
        apply: |c, v| {
            tls(c).cert = PathBuf::from(v);
            Ok(())
        },
    },
    Setting {
        key: "tls.key",
        env: "CITYCARD_TLS_KEY",
        toml: TomlType::Path,
        default: None,
        doc: "none (plain HTTP); both or neither",
        apply: |c, v| {
            tls(c).key = PathBuf::from(v);
            Ok(())
        },
    },
    Setting {
        key: "secure_cookies",
        env: "CITYCARD_SECURE_COOKIES",
        toml: TomlType::Scalar,
        default: Some("auto"),
        doc: ": `Secure` cookies when `[tls]` is set; `true` behind a TLS-terminating proxy",
        apply: |c, v| {
            c.secure_cookies = SecureCookies::parse(v).ok_or("must be true, false or auto")?;
            Ok(())
        },
    },
    Setting {
        key: "login.account_max_failures",
        env: "CITYCARD_LOGIN_ACCOUNT_MAX_FAILURES",
        toml: TomlType::Integer,
        default: Some("5"),
        doc: "",
        apply: |c, v| {
            c.login.account_max_failures = number(v, 1, 1000)?;
            Ok(())
        },
    },
    Setting {
        key: "login.address_max_failures",
        env: "CITYCARD_LOGIN_ADDRESS_MAX_FAILURES",
        toml: TomlType::Integer,
        default: Some("20"),
        doc: "",
        apply: |c, v| {
            c.login.address_max_failures = number(v, 1, 100_000)?;
            Ok(())
        },
    },
    Setting {
        key: "login.window_minutes",
        env: "CITYCARD_LOGIN_WINDOW_MINUTES",
        toml: TomlType::Integer,
        default: Some("15"),
        doc: "",
        apply: |c, v| {
            c.login.window = minutes(number(v, 1, 24 * 60)?);
            Ok(())
        },
    },
    Setting {
        key: "login.lockout_minutes",
        env: "CITYCARD_LOGIN_LOCKOUT_MINUTES",
        toml: TomlType::Integer,
        default: Some("15"),
        doc: "",
        apply: |c, v| {
            c.login.lockout = minutes(number(v, 1, 24 * 60)?);
            Ok(())
        },
    },
    Setting {
        key: "trusted_proxies",
        env: "CITYCARD_TRUSTED_PROXIES",
        toml: TomlType::TextList,
        default: None,
        doc: "none: `X-Forwarded-For` is ignored (a list; comma-separated in the environment)",
        apply: |c, v| {
            c.trusted_proxies = v
                .split(',')
                .filter(|t| !t.trim().is_empty())
                .map(|t| {
                    IpNet::parse(t).ok_or(
                        "must be IP addresses or networks such as 10.0.0.0/8, separated by commas",
                    )
                })
                .collect::<Result<_, _>>()?;
            Ok(())
        },
    },
    Setting {
        key: "templates_dir",
        env: "CITYCARD_TEMPLATES",
        toml: TomlType::Path,
        default: Some(DEFAULT_TEMPLATES_DIR),
        doc: "",
        apply: |c, v| {
            c.templates_dir = non_empty_path(v)?;
            Ok(())
        },
    },
    Setting {
        key: "card_template",
        env: "CITYCARD_CARD_TEMPLATE",
        toml: TomlType::Text,
        default: Some(DEFAULT_CARD_TEMPLATE),
        doc: " (the PDF's default template)",
        apply: |c, v| {
            if let Some(t) = text(v, 64)? {
                c.card_template = t;
            }
            Ok(())
        },
    },
    Setting {
        key: "font_dirs",
        env: "CITYCARD_FONT_DIRS",
        toml: TomlType::PathList,
        default: None,
        doc: "none: the template's folder, then the system's font folders \
              (a list; separated by `:` or `,` in the environment)",
        apply: |c, v| {
            c.font_dirs = v
                .lines()
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .collect();
            Ok(())
        },
    },
];

/// The setting applied before all others.
const DATA_DIR: &str = "data_dir";

/// Settings that are given together or not at all.
const TOGETHER: &[(&str, &str, &str)] = &[(
    "tls.cert",
    "tls.key",
    "TLS needs both a certificate and a key (tls.cert and tls.key)",
)];

/// A number in `min..=max`.
fn number<T: TryFrom<u64>>(text: &str, min: u64, max: u64) -> Result<T, String> {
    let problem = || format!("must be a whole number from {min} to {max}");
    let n: u64 = text.trim().parse().map_err(|_| problem())?;
    if !(min..=max).contains(&n) {
        return Err(problem());
    }
    T::try_from(n).map_err(|_| problem())
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// A non-empty trimmed text without control characters, or `None` when empty.
fn text(value: &str, max_chars: usize) -> Result<Option<String>, String> {
    let t = value.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max_chars || t.chars().any(char::is_control) {
        return Err(format!(
            "must be at most {max_chars} characters without control characters"
        ));
    }
    Ok(Some(t.to_owned()))
}

fn non_empty_path(value: &str) -> Result<PathBuf, String> {
    if value.is_empty() {
        return Err("must not be empty".to_owned());
    }
    Ok(PathBuf::from(value))
}

/// The TLS files, creating the pair when the first one is applied
/// ([`check_together`] made sure the other one follows).
fn tls(c: &mut Config) -> &mut TlsConfig {
    c.tls.get_or_insert_with(|| TlsConfig {
        cert: PathBuf::new(),
        key: PathBuf::new(),
    })
}

/// The value of a setting and where it came from (the TOML key or the
/// environment variable, which errors name).
struct Given {
    text: String,
    source: String,
}

/// The settings given in the file and the environment (later ones win), in
/// the order of [`SETTINGS`].
pub(super) struct Sources {
    given: Vec<Option<Given>>,
}

impl Sources {
    /// Reads the file's text (`path` for messages).
    pub(super) fn from_file(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let syntax = |message: String, line: String| ConfigError::Syntax {
            path: path.to_owned(),
            message: message + &line,
        };
        let root: toml::Table = toml::from_str(text)
            .map_err(|e| syntax(e.message().to_owned(), line_of(text, e.span())))?;
        let mut sources = Sources::empty();
        for (name, value) in root {
            if keys_of_table(&name).is_empty() {
                sources
                    .read(&name, value)
                    .map_err(|m| syntax(m, line_of_key(text, "", &name)))?;
                continue;
            }
            let toml::Value::Table(entries) = value else {
                let message = format!("invalid type: {}, expected a table", toml_kind(&value));
                return Err(syntax(message, line_of_key(text, "", &name)));
            };
            for (key, value) in entries {
                sources
                    .read(&format!("{name}.{key}"), value)
                    .map_err(|m| syntax(m, line_of_key(text, &name, &key)))?;
            }
        }
        Ok(sources)
    }

    pub(super) fn empty() -> Self {
        Sources {
            given: SETTINGS.iter().map(|_| None).collect(),
        }
    }

    /// Takes the file's value of the setting `key` (`table.key` in a table).
    fn read(&mut self, key: &str, value: toml::Value) -> Result<(), String> {
        let found = SETTINGS.iter().enumerate().find(|(_, s)| s.key == key);
        let Some((index, setting)) = found else {
            let (table, name) = key.split_once('.').unwrap_or(("", key));
            return Err(unknown_field(name, &keys_of_table(table)));
        };
        let text = toml_text(setting.toml, value).map_err(|e| e.message().to_owned())?;
        if let Some(slot) = self.given.get_mut(index) {
            *slot = Some(Given {
                text,
                source: key.to_owned(),
            });
        }
        Ok(())
    }

    /// Applies `CITYCARD_*` variables over the file's settings. Other
    /// `CITYCARD_*` variables (such as `CITYCARD_ROOT_PASSPHRASE`) are left
    /// alone, but must be UTF-8 like every one of ours.
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
            if !key.starts_with(ENV_PREFIX) {
                continue;
            }
            let Some(value) = value.as_ref().to_str() else {
                return Err(invalid(key, "is not valid UTF-8"));
            };
            if let Some(index) = SETTINGS.iter().position(|s| s.env == key)
                && let Some(slot) = self.given.get_mut(index)
            {
                let text = match SETTINGS.get(index).map(|s| s.toml) {
                    Some(TomlType::PathList) => {
                        value.split([':', ',']).collect::<Vec<_>>().join("\n")
                    }
                    _ => value.to_owned(),
                };
                *slot = Some(Given {
                    text,
                    source: key.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The configuration: the defaults with every given setting applied in
    /// the order of [`SETTINGS`].
    pub(super) fn resolve(self) -> Result<Config, ConfigError> {
        self.check_together()?;
        let mut config = Config::with_data_dir(Path::new(super::DEFAULT_DATA_DIR));
        config.data_dir_is_default = true;
        let mut given: Vec<_> = SETTINGS.iter().zip(self.given).collect();
        // A stable sort: data_dir first, the others in their order.
        given.sort_by_key(|(setting, _)| setting.key != DATA_DIR);
        for (setting, given) in given {
            if let Some(given) = given {
                (setting.apply)(&mut config, &given.text)
                    .map_err(|problem| invalid(&given.source, problem))?;
            }
        }
        Ok(config)
    }

    /// Settings of [`TOGETHER`] are given both or neither.
    fn check_together(&self) -> Result<(), ConfigError> {
        let given = |key: &str| {
            SETTINGS
                .iter()
                .position(|s| s.key == key)
                .and_then(|i| self.given.get(i))
                .and_then(Option::as_ref)
        };
        for (a, b, problem) in TOGETHER {
            match (given(a), given(b)) {
                (Some(one), None) | (None, Some(one)) => {
                    return Err(invalid(&one.source, *problem));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The keys expected in a `[table]` (`""`: the top level).
fn keys_of_table(table: &str) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for s in SETTINGS {
        let key = match (table, s.key.split_once('.')) {
            ("", Some((t, _))) => t,
            ("", None) => s.key,
            (t, Some((st, k))) if st == t => k,
            _ => continue,
        };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The message serde gives for an unknown key.
fn unknown_field(name: &str, expected: &[&str]) -> String {
    let quoted: Vec<String> = expected.iter().map(|k| format!("`{k}`")).collect();
    match quoted.as_slice() {
        [] => format!("unknown field `{name}`, there are no fields"),
        [one] => format!("unknown field `{name}`, expected {one}"),
        [a, b] => format!("unknown field `{name}`, expected {a} or {b}"),
        all => format!("unknown field `{name}`, expected one of {}", all.join(", ")),
    }
}

/// The text of a TOML value of the setting's type (serde's message when the
/// type is wrong).
fn toml_text(kind: TomlType, value: toml::Value) -> Result<String, toml::de::Error> {
    Ok(match kind {
        TomlType::Text => String::deserialize(value)?,
        TomlType::Path => PathBuf::deserialize(value)?.to_string_lossy().into_owned(),
        TomlType::Integer => i64::deserialize(value)?.to_string(),
        TomlType::Scalar => match value {
            toml::Value::String(s) => s,
            other => other.to_string(),
        },
        TomlType::TextList => Vec::<String>::deserialize(value)?.join(","),
        TomlType::PathList => Vec::<PathBuf>::deserialize(value)?
            .iter()
            .map(|p| p.to_string_lossy())
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// `integer `5``, as serde names a value's type.
fn toml_kind(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("string {s:?}"),
        toml::Value::Integer(i) => format!("integer `{i}`"),
        toml::Value::Float(f) => format!("floating point `{f}`"),
        toml::Value::Boolean(b) => format!("boolean `{b}`"),
        toml::Value::Datetime(_) => "datetime".to_owned(),
        toml::Value::Array(_) => "sequence".to_owned(),
        toml::Value::Table(_) => "map".to_owned(),
    }
}

/// ` (line N)` of the line where `key` (in `[table]`; `""`: at the top) is
/// written, or of its table; nothing when it cannot be found (inline tables).
fn line_of_key(text: &str, table: &str, key: &str) -> String {
    let wanted = if table.is_empty() {
        key.to_owned()
    } else {
        format!("{table}.{key}")
    };
    let mut current = String::new();
    let mut table_line = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            current = header
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            if table.is_empty() && current == key {
                return format!(" (line {})", n + 1);
            }
            if !table.is_empty() && current == table {
                table_line = Some(n);
            }
            continue;
        }
        let Some((k, _)) = line.split_once('=') else {
            continue;
        };
        let k: String = k
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"')
            .collect();
        let full = if current.is_empty() {
            k
        } else {
            format!("{current}.{k}")
        };
        if full == wanted {
            return format!(" (line {})", n + 1);
        }
        if !table.is_empty() && full == table {
            table_line = Some(n);
        }
    }
    table_line
        .map(|n| format!(" (line {})", n + 1))
        .unwrap_or_default()
}

/// ` (line N)` for a TOML error span.
fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.and_then(|s| text.get(..s.start))
        .map(|before| format!(" (line {})", before.matches('\n').count() + 1))
        .unwrap_or_default()
}

/// The settings as a Markdown table (TOML key, environment variable,
/// default): what the module doc and `docs/operations.md` show.
pub fn doc_table() -> String {
    let mut out = String::from("| TOML key | environment variable | default |\n|---|---|---|\n");
    for s in SETTINGS {
        let key = match s.key.split_once('.') {
            Some((table, key)) => format!("`[{table}] {key}`"),
            None => format!("`{}`", s.key),
        };
        let default = match s.default {
            Some(d) => format!("`{d}`{}", s.doc),
            None => s.doc.to_owned(),
        };
        out += &format!("| {key} | `{}` | {default} |\n", s.env);
    }
    out
}
