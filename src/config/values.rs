//! The values settings take: database URL, policies, networks.

use super::*;
use serde::Deserialize;
use std::fmt;

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
    pub(super) fn parse(text: &str) -> Option<Self> {
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
    pub(super) fn parse(text: &str) -> Option<Self> {
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

/// Timeouts of the HTTP server (`[http]`): a client that sends its request
/// slowly, or stops half-way, gives its connection up instead of holding
/// it (issue 10 finding 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// Time for a client to send the request head (line and headers).
    pub head: Duration,
    /// Time for a request body to arrive, from the moment the request
    /// reaches the application (uploads: up to 5 MB photos).
    pub body: Duration,
    /// How long an idle keep-alive connection stays open.
    pub keep_alive: Duration,
    /// How long the server waits for a client to close the connection
    /// after the response.
    pub disconnect: Duration,
}

impl Default for LoginThrottle {
    /// The `[login]` defaults of [`super::SETTINGS`].
    fn default() -> Self {
        Config::with_data_dir(Path::new(DEFAULT_DATA_DIR)).login
    }
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

/// Who may get a card and for how long: the age bands (issue 13).
///
/// Ages are the resident's youngest possible age on the day of issue (see
/// `office::cards::rules::age_on`). In the TOML file:
///
/// ```toml
/// card_validity_years = 5   # everyone else
/// [minors]
/// minimum_age = 10          # no card below this age
/// caretaker_under = 14      # a caretaker must be present below this age
/// under = 14                # below this age a card is valid for ...
/// validity_years = 2        # ... this many years
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeRules {
    /// No card below this age.
    pub minimum_age: u8,
    /// Below this age the clerk attests that a caretaker is present.
    pub caretaker_under: u8,
    /// Below this age a card gets [`AgeRules::minor_validity_years`].
    pub minors_under: u8,
    /// Validity of a minor's card, in years.
    pub minor_validity_years: u8,
}

/// When a card may be renewed: from `days_before` its last valid day to
/// `days_after` it (issue 13). Outside it a new enrolment is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalWindow {
    /// Days before the last valid day the window opens.
    pub days_before: u16,
    /// Days after the last valid day the window closes.
    pub days_after: u16,
}

/// The deletion schedule (Löschkonzept, docs/privacy.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// A resident's sealed data is erased this many months after their
    /// last card expired or was revoked (without a newer card).
    pub resident_months: u16,
    /// An enrolment whose card was never printed is erased after this many
    /// days.
    pub unprinted_days: u16,
}

/// Pick-up of cards at a site (issue 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pickup {
    /// A card sent to or ready at its pick-up site and not collected this
    /// many days is revoked (`not_collected`).
    pub collect_within_days: u16,
}

/// Where the office takes "now" from: the system clock, moved by a number
/// of days in a development (debug) build only (`dev_clock_offset_days`),
/// so that tests move time forward instead of sleeping. A release build
/// refuses the setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    /// Days added to the system clock.
    pub offset_days: i32,
}

impl Clock {
    /// The time now (UTC), moved by the offset.
    pub fn now(self) -> time::PrimitiveDateTime {
        let real = time::OffsetDateTime::now_utc();
        let moved = real
            .checked_add(time::Duration::days(i64::from(self.offset_days)))
            .unwrap_or(real);
        time::PrimitiveDateTime::new(moved.date(), moved.time())
    }

    /// Today (UTC), moved by the offset.
    pub fn today(self) -> citycard_credential::Date {
        self.now().date()
    }
}
