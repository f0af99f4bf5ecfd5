//! `citycard admin …` and `citycard audit …`: user accounts, sites, the
//! per-site figures and the audit log, straight on the database (the
//! server need not run).

use anyhow::{Context, Result, bail};
use citycard::Office;
use citycard::config::Config;
use citycard::office::actor::{Actor, Role};
use citycard::office::audit;
use citycard::office::figures::{MonthRow, SiteFigures};
use citycard::office::sites::{SiteKind, parse_site_id};
use citycard::web::ui::i18n::Lang;
use clap::{Args, Subcommand};
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// Where the configuration comes from.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The configuration file [default: ./citycard.toml when it exists;
    /// CITYCARD_* environment variables override it].
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
}

impl ConfigArgs {
    pub(super) fn office(&self) -> Result<Office> {
        open_office(self.config.as_deref())
    }
}

/// Loads the configuration (`--config FILE`, `./citycard.toml`,
/// `CITYCARD_*`) and opens the office on it, as `citycard admin` does.
pub(super) fn open_office(config: Option<&Path>) -> Result<Office> {
    let mut config = Config::load(config).context("configuration")?;
    if config.data_dir.is_dir() {
        config.resolve_card_templates()?;
    }
    Office::open(&config).context("could not open the office database")
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user.
    CreateUser(CreateUser),
    /// Set a user's password (also unlocks the account and ends its sessions).
    SetPassword(SetPassword),
    /// Disable a user: ends their sessions and revokes their API tokens.
    DisableUser(UserArg),
    /// Enable a disabled user again.
    EnableUser(UserArg),
    /// List the users (with their site: an id, or "city").
    ListUsers(ListUsers),
    /// Sites: city counters, pop-up sites, partner organisations.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Put a user at a site, or make them city-wide with "city".
    SetSite(SetSite),
    /// The per-site figures: cards enrolled, printed, handed over and not
    /// collected per site and month, and those waiting now (a partner
    /// organisation's count of 1 to 4 shows as "< 5").
    Figures(FiguresArgs),
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Create a site; prints its id.
    Add(SiteAdd),
    /// List the sites: id, kind, open or closed, name.
    List(SiteList),
    /// Rename a site (its kind stays).
    Rename(SiteRename),
    /// Close a site: its users can no longer sign in, and it is no longer
    /// offered for pick-up (refused while cards still wait there).
    Close(SiteId),
    /// Open a closed site again.
    Reopen(SiteId),
}

#[derive(Debug, Args)]
pub struct SiteAdd {
    /// The site's name (at most 100 characters; unique).
    #[arg(long, value_name = "N")]
    name: String,
    /// counter, pop_up or partner.
    #[arg(long, value_name = "K")]
    kind: String,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct SiteList {
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct SiteRename {
    /// The site's id (from `citycard admin site list`).
    #[arg(value_name = "ID")]
    id: String,
    /// The new name.
    #[arg(long, value_name = "N")]
    name: String,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct SiteId {
    /// The site's id (from `citycard admin site list`).
    #[arg(value_name = "ID")]
    id: String,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct SetSite {
    /// The user name.
    #[arg(value_name = "USER")]
    username: String,
    /// A site id, or "city" for city-wide (admins and auditors always are).
    #[arg(value_name = "ID|city")]
    site: String,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct FiguresArgs {
    /// Months to look back, this one included (1 to 120).
    #[arg(long, value_name = "N", default_value_t = 12,
        value_parser = clap::value_parser!(u8).range(1..=120))]
    months: u8,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Read the password from the first line of standard input (otherwise
    /// it is asked for, twice, when standard input is a terminal).
    #[arg(long)]
    password_stdin: bool,
    /// Make it a one-time password that must be changed at the first login.
    #[arg(long)]
    one_time: bool,
}

impl PasswordArgs {
    fn read(&self) -> Result<SecretString> {
        if self.password_stdin {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("could not read the password from standard input")?;
            let trimmed = line.trim_end_matches(['\n', '\r']);
            if trimmed.is_empty() {
                bail!("standard input held no password");
            }
            return Ok(SecretString::from(trimmed.to_owned()));
        }
        if !std::io::stdin().is_terminal() {
            bail!("give the password on standard input with --password-stdin");
        }
        let first = Zeroizing::new(
            rpassword::prompt_password("New password: ").context("could not read the password")?,
        );
        let again = Zeroizing::new(
            rpassword::prompt_password("Type it again: ").context("could not read the password")?,
        );
        if *first != *again {
            bail!("the two passwords differ; nothing was changed");
        }
        Ok(SecretString::from(first.to_string()))
    }
}

#[derive(Debug, Args)]
pub struct CreateUser {
    /// The user name: letters of one script (jörg.weiß too), digits, '.', '_', '-';
    /// at most 64, starting with a letter or digit; kept in lower case.
    #[arg(long, value_name = "U")]
    username: String,
    /// admin, supervisor, clerk or auditor.
    #[arg(long, value_name = "R")]
    role: String,
    /// The site the user works at (an id from `citycard admin site list`);
    /// without it the user is city-wide. Admins and auditors always are.
    #[arg(long, value_name = "ID")]
    site: Option<String>,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct SetPassword {
    /// The user name.
    #[arg(long, value_name = "U")]
    username: String,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct UserArg {
    /// The user name.
    #[arg(long, value_name = "U")]
    username: String,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct ListUsers {
    #[command(flatten)]
    config: ConfigArgs,
}

impl AdminCommand {
    pub fn run(self) -> Result<()> {
        match self {
            AdminCommand::CreateUser(a) => {
                let role: Role = a.role.parse()?;
                let site = site_id("--site", a.site.as_deref())?;
                let password = a.password.read()?;
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                office.create_user_at(
                    &actor,
                    &a.username,
                    role,
                    &password,
                    a.password.one_time,
                    site,
                )?;
                eprintln!(
                    "Created the user {} ({role}{}).",
                    a.username.trim().to_lowercase(),
                    site.map(|s| format!(", site {s}")).unwrap_or_default()
                );
            }
            AdminCommand::SetPassword(a) => {
                let password = a.password.read()?;
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                office.set_password(&actor, &a.username, &password, a.password.one_time)?;
                eprintln!("Set the password of {}.", a.username.trim().to_lowercase());
            }
            AdminCommand::DisableUser(a) => {
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                office.set_user_disabled(&actor, &a.username, true)?;
                eprintln!("Disabled {}; their sessions have ended.", a.username);
            }
            AdminCommand::EnableUser(a) => {
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                office.set_user_disabled(&actor, &a.username, false)?;
                eprintln!("Enabled {}.", a.username);
            }
            AdminCommand::ListUsers(a) => {
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                let mut out = super::out::stdout();
                for u in office.list_users(&actor)? {
                    let mut flags = Vec::new();
                    if u.disabled {
                        flags.push("disabled");
                    }
                    if u.must_change_password {
                        flags.push("one-time password");
                    }
                    if u.locked_until.is_some_and(|t| t > citycard::db::now()) {
                        flags.push("locked");
                    }
                    let site = u.site.map_or_else(|| "city".to_owned(), |s| s.to_string());
                    writeln!(
                        out,
                        "{}\t{}\t{site}\t{}",
                        u.username,
                        u.role,
                        flags.join(", ")
                    )?;
                }
            }
            AdminCommand::Site(cmd) => cmd.run()?,
            AdminCommand::SetSite(a) => {
                let site = if a.site.trim().eq_ignore_ascii_case("city") {
                    None
                } else {
                    Some(required_site_id(&a.site)?)
                };
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                office.set_user_site(&actor, &a.username, site)?;
                let user = a.username.trim().to_lowercase();
                match site {
                    Some(s) => eprintln!("Put {user} at site {s}."),
                    None => eprintln!("Made {user} city-wide."),
                }
            }
            AdminCommand::Figures(a) => {
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                let figures = office.site_figures(&actor, a.months)?;
                print_figures(&mut super::out::stdout(), &figures)?;
            }
        }
        Ok(())
    }
}

/// A site id as typed (`--site`, a positional ID); none when empty.
fn site_id(what: &str, text: Option<&str>) -> Result<Option<i64>> {
    parse_site_id("site", text).map_err(|_| {
        anyhow::anyhow!("{what} must be a site id (digits) from `citycard admin site list`")
    })
}

/// A site id that must be given.
fn required_site_id(text: &str) -> Result<i64> {
    site_id("the site", Some(text))?
        .ok_or_else(|| anyhow::anyhow!("give a site id from `citycard admin site list`"))
}

impl SiteCommand {
    fn run(self) -> Result<()> {
        match self {
            SiteCommand::Add(a) => {
                let kind = SiteKind::parse(&a.kind)
                    .map_err(|_| anyhow::anyhow!("--kind must be counter, pop_up or partner"))?;
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                let site = office.create_site(&actor, &a.name, kind)?;
                // The id on standard output (for scripts); the message
                // names no site: a site's name and kind are sealed.
                outln!("{}", site.id)?;
                eprintln!("Created site {}.", site.id);
            }
            SiteCommand::List(a) => {
                let office = a.config.office()?;
                let mut out = super::out::stdout();
                for s in office.sites()? {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}",
                        s.id,
                        s.kind,
                        if s.closed { "closed" } else { "open" },
                        s.name
                    )?;
                }
            }
            SiteCommand::Rename(a) => {
                let id = required_site_id(&a.id)?;
                let office = a.config.office()?;
                let actor = Actor::command_line(office.office_name());
                office.rename_site(&actor, id, &a.name)?;
                eprintln!("Renamed site {id}.");
            }
            SiteCommand::Close(a) => set_closed(&a, true)?,
            SiteCommand::Reopen(a) => set_closed(&a, false)?,
        }
        Ok(())
    }
}

fn set_closed(a: &SiteId, closed: bool) -> Result<()> {
    let id = required_site_id(&a.id)?;
    let office = a.config.office()?;
    let actor = Actor::command_line(office.office_name());
    office.set_site_closed(&actor, id, closed)?;
    if closed {
        eprintln!("Closed site {id}: its users can no longer sign in.");
    } else {
        eprintln!("Reopened site {id}.");
    }
    Ok(())
}

/// The figures as a tab-separated table with a header: one row per site
/// and month, and a `total` row per site with the cards waiting now.
fn print_figures(out: &mut impl Write, figures: &[SiteFigures]) -> Result<()> {
    writeln!(
        out,
        "site\tname\tkind\tmonth\tenrolled\tprinted\thanded_over\tnot_collected\twaiting_now"
    )?;
    for f in figures {
        let row = |out: &mut dyn Write, m: &MonthRow, month: &str, waiting: &str| {
            writeln!(
                out,
                "{}\t{}\t{}\t{month}\t{}\t{}\t{}\t{}\t{waiting}",
                f.site.id,
                f.site.name,
                f.site.kind,
                m.enrolled.label(),
                m.printed.label(),
                m.handed_over.label(),
                m.not_collected.label(),
            )
        };
        for m in &f.months {
            row(out, m, &m.month, "")?;
        }
        row(out, &f.total, "total", &f.waiting_now.label())?;
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the keyed hash chain (with audit.key) and, with --checkpoint,
    /// that the database still holds the history up to an exported
    /// checkpoint; names the first broken entry (exit status 1).
    Verify(AuditVerify),
    /// Export a checkpoint (the chain's head, MACed with audit.key) for an
    /// auditor to keep outside the office and check later with
    /// `audit verify --checkpoint FILE`.
    Checkpoint(CheckpointArgs),
    /// Write the whole audit log as CSV.
    Export(Export),
}

#[derive(Debug, Args)]
pub struct AuditVerify {
    /// A checkpoint made earlier with `citycard audit checkpoint`.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// The checkpoint file to write (it must not exist; "-" for standard
    /// output).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    config: ConfigArgs,
}

/// The command line as an auditor (recorded as `cli`).
fn cli_auditor(office: &Office) -> Actor {
    Actor {
        role: Role::Auditor,
        ..Actor::command_line(office.office_name())
    }
}

#[derive(Debug, Args)]
pub struct Export {
    /// The CSV file to write ("-" for standard output).
    #[arg(long, value_name = "FILE.csv")]
    out: PathBuf,
    /// The language of the last column, the actions' labels: en or de.
    #[arg(long, value_name = "LANG", default_value = "en")]
    lang: String,
    #[command(flatten)]
    config: ConfigArgs,
}

impl AuditCommand {
    pub fn run(self) -> Result<ExitCode> {
        match self {
            AuditCommand::Verify(a) => {
                let office = a.config.office()?;
                let report = match &a.checkpoint {
                    None => audit::verify(office.db())?,
                    Some(path) => {
                        let text = citycard::keys::read_limited(path, audit::checkpoint_max_file())
                            .with_context(|| format!("could not read {}", path.display()))?;
                        let text = String::from_utf8(text)
                            .with_context(|| format!("{} is not text", path.display()))?;
                        let checkpoint = audit::Checkpoint::parse(&text)?;
                        audit::verify_with_checkpoint(office.db(), &checkpoint)?
                    }
                };
                outln!("{report}")?;
                Ok(if report.first_broken.is_some() {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                })
            }
            AuditCommand::Checkpoint(a) => {
                let office = a.config.office()?;
                let checkpoint = office.audit_checkpoint(&cli_auditor(&office))?;
                let text = checkpoint.to_text();
                if a.out.as_os_str() == "-" {
                    outln!("{}", text.trim_end())?;
                } else {
                    citycard::keys::write_new_file(&a.out, text.as_bytes(), 0o644, false)?;
                    eprintln!(
                        "Wrote {} (entry {}). Keep it outside the office; check it later with \
                         `citycard audit verify --checkpoint {}`.",
                        a.out.display(),
                        checkpoint.seq,
                        a.out.display()
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            AuditCommand::Export(a) => {
                let Some(lang) = Lang::parse(&a.lang) else {
                    bail!("--lang must be en or de");
                };
                let label = |action: &str| lang.audit_action(action);
                let office = a.config.office()?;
                let n = if a.out.as_os_str() == "-" {
                    let mut out = super::out::stdout();
                    audit::write_csv(office.db(), &mut out, &label)?
                } else {
                    let file = citycard::private_files::create_private(&a.out)
                        .with_context(|| format!("could not create {}", a.out.display()))?;
                    let mut out = std::io::BufWriter::new(file);
                    audit::write_csv(office.db(), &mut out, &label)?
                };
                eprintln!("Wrote {n} audit entries.");
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
