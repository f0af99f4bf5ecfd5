//! `citycard serve`: the issuing office's server.

use anyhow::{Context, Result};
use citycard::Office;
use citycard::config::{Config, DEFAULT_CONFIG_FILE};
use citycard::office::dev_keys;
use citycard::web::{self, desk::DeskConfig};
use clap::Args;
use secrecy::ExposeSecret;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_help = "\
Configuration: built-in defaults, then the TOML file (--config, or
./citycard.toml when it exists), then CITYCARD_* environment variables, then
the flags below. With no configuration at all the office listens on
127.0.0.1:8080 and keeps everything under ./citycard-data/ (SQLite).
docs/operations.md lists every setting.

On the first start without keys the server makes DEVELOPMENT keys (an
unencrypted root key on this machine!) and says so loudly at every start.
Real keys come from a key ceremony (`citycard keys`). On the first start with
an empty database it creates the user `admin` and prints its one-time
password once; it must be changed at the first login.

Clerks: /. JSON API: /api/v1 (OpenAPI at /api/v1/openapi.json). Desk page:
/verify/. Lists: /.well-known/citycard/trust-list and
/.well-known/citycard/revocations. SIGTERM or Ctrl-C stop the server
gracefully.")]
pub struct ServeArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address and port to listen on (overrides `bind`) [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR:PORT")]
    bind: Option<String>,
    /// The data directory: lists, SQLite database and keys/ unless configured
    /// elsewhere (overrides `data_dir`; unlike a configured one, created when
    /// missing) [default: ./citycard-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl ServeArgs {
    fn config(&self) -> Result<Config> {
        let default_file = PathBuf::from(DEFAULT_CONFIG_FILE);
        let file = match &self.config {
            Some(path) => Some(path.clone()),
            None if default_file.is_file() => Some(default_file),
            None => None,
        };
        let text = file
            .as_ref()
            .map(|p| {
                std::fs::read_to_string(p).with_context(|| {
                    format!("could not read the configuration file {}", p.display())
                })
            })
            .transpose()?;
        let mut overrides: Vec<(OsString, OsString)> = Vec::new();
        if let Some(bind) = &self.bind {
            overrides.push(("CITYCARD_BIND".into(), bind.into()));
        }
        if let Some(dir) = &self.data_dir {
            citycard::private_files::private_dir(dir)
                .with_context(|| format!("could not create {}", dir.display()))?;
            overrides.push(("CITYCARD_DATA_DIR".into(), dir.into()));
        }
        let env = std::env::vars_os().chain(overrides);
        Ok(Config::from_sources(
            file.as_deref().zip(text.as_deref()),
            env,
        )?)
    }

    pub fn run(self) -> Result<()> {
        let mut config = self.config().context("configuration")?;
        config.prepare_dirs()?;
        if let Some(dir) = config.resolve_card_templates()? {
            eprintln!(
                "Card templates: the built-in ones in {} (no ./card-templates here).",
                dir.display()
            );
        }
        if dev_keys::prepare(&config.layout())? {
            eprintln!(
                "Made development keys and lists in {}.",
                config.data_dir.display()
            );
        }
        let office = Office::open(&config).context("could not open the office")?;
        if dev_keys::office_uses_development_keys(&office) {
            eprintln!("{}", dev_keys::development_warning(&config.data_dir));
        }
        eprintln!(
            "Office \"{}\" on {} ({}).",
            office.office_name(),
            config.database.backend_name(),
            match &config.database {
                citycard::config::DatabaseUrl::Sqlite { path } => path.display().to_string(),
                citycard::config::DatabaseUrl::Postgres { .. } => "postgres://…".to_owned(),
            }
        );
        if citycard::db::health::autovacuum_off(office.db()).unwrap_or(false) {
            eprintln!(
                "WARNING: PostgreSQL's autovacuum is off: without the statistics it keeps, \
                 enrolment slows down as the office grows (docs/operations.md, \
                 \"SQLite or PostgreSQL\"). Turn it on, or run ANALYZE regularly."
            );
        }
        match office.key_status() {
            Ok(k) => eprintln!(
                "Signing cards with kid {} (valid {} to {}).",
                k.card_kid, k.sign_from, k.sign_until
            ),
            Err(e) => eprintln!("WARNING: cards cannot be issued: {e}"),
        }
        // The card templates and fonts, loaded once for every worker.
        if let Err(e) = office.printer() {
            eprintln!("WARNING: cards cannot be printed or issued: {e}");
        }
        if let Some(password) = office
            .ensure_initial_admin()
            .context("could not create the first admin account")?
        {
            let line = "=".repeat(74);
            eprintln!(
                "{line}\n  First start: created the user `admin` with the one-time password\n\n      {}\n\n  It is shown only now. Log in and set a new password at once.\n{line}",
                password.expose_secret()
            );
        }
        let desk = DeskConfig::from_layout(&config.layout());
        actix_web::rt::System::new()
            .block_on(web::serve(office, desk))
            .context("citycard serve")
    }
}
