//! The UI's strings: one TOML catalog per language, compiled into the
//! binary (`i18n/de.toml`, `i18n/en.toml`), looked up by dotted key
//! (`section.key`). A missing key shows `[?]` on the page and is named in
//! the server log; `tests/ui.rs` checks that both catalogs have the same keys.

use std::collections::HashMap;
use std::sync::LazyLock;

const DE: &str = include_str!("i18n/de.toml");
const EN: &str = include_str!("i18n/en.toml");

/// Shown for a missing text.
const MISSING: &str = "[?]";

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "citycard_lang";

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// German.
    De,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order of the toggle.
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    /// The BCP 47 tag (`de`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// From `de`, `en`, `de-CH`, `en-GB`, … (case-insensitive).
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best language for an `Accept-Language` header (quality values
    /// respected); German when nothing fits.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::De, |(_, l)| l)
    }

    fn catalog(self) -> &'static HashMap<String, String> {
        match self {
            Lang::De => &CATALOG_DE,
            Lang::En => &CATALOG_EN,
        }
    }

    /// The string for `key`; a missing key shows as `[?]` on the page and is named in the server log (keys are not
    /// personal data).
    pub fn t(self, key: &str) -> &'static str {
        match self.catalog().get(key) {
            Some(s) => s.as_str(),
            None => {
                eprintln!(
                    "warning: UI text {key:?} is missing in the {} catalog",
                    self.code()
                );
                MISSING
            }
        }
    }

    /// Whether the catalog has `key`.
    pub fn has(self, key: &str) -> bool {
        self.catalog().contains_key(key)
    }

    /// An audit action's name in this language (`audit_action.<name>`;
    /// the stored name when the catalog has none, as for an action a newer
    /// version wrote).
    pub fn audit_action(self, action: &str) -> String {
        let key = format!("audit_action.{action}");
        match self.catalog().get(&key) {
            Some(s) => s.clone(),
            None => action.to_owned(),
        }
    }

    /// A date the way the card and the desk page show it (`30.11.2031`
    /// in German, `2031-11-30` in English).
    pub fn date(self, d: citycard_credential::Date) -> String {
        crate::dates::display(d, self == Lang::De)
    }

    /// A date of birth: `14.03.1987`, `03.1987`, `1987` in German;
    /// `1987-03-14`, `03/1987`, `1987` in English.
    pub fn birth_date(self, d: citycard_credential::BirthDate) -> String {
        crate::dates::display_birth_date(d, self == Lang::De)
    }

    /// A UTC time to the minute, its date as in [`Lang::date`].
    pub fn date_time(self, t: time::PrimitiveDateTime) -> String {
        format!(
            "{} {:02}:{:02} UTC",
            self.date(t.date()),
            t.hour(),
            t.minute()
        )
    }

    /// The string for `key` with `{name}` placeholders filled in.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_owned();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }
}

static CATALOG_DE: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse_catalog(DE).unwrap_or_default());
static CATALOG_EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse_catalog(EN).unwrap_or_default());

/// Flattens a catalog into `section.key` → text. Only strings are allowed.
pub fn parse_catalog(text: &str) -> Result<HashMap<String, String>, String> {
    fn walk(
        prefix: &str,
        table: &toml::Table,
        out: &mut HashMap<String, String>,
    ) -> Result<(), String> {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                toml::Value::Table(t) => walk(&key, t, out)?,
                _ => return Err(format!("{key}: only strings and tables are allowed")),
            }
        }
        Ok(())
    }
    let table: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let mut out = HashMap::new();
    walk("", &table, &mut out)?;
    Ok(out)
}

/// Both catalogs as written, for the tests: (German, English).
pub fn catalog_sources() -> (&'static str, &'static str) {
    (DE, EN)
}
