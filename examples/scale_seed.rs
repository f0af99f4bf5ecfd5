//! Scale seeding and in-process timings for the scale table of
//! docs/performance.md (issue 12, item 7). NOT for production offices.
//!
//! ```text
//! # Fill an empty office (development keys are made when missing):
//! cargo run --release --example scale_seed -- seed --data-dir DIR --cards 100000 \
//!     [--database-url postgres://…] [--revoked-per-mille 50] [--queued 100]
//! # Time signing and storing the revocation list (in process):
//! cargo run --release --example scale_seed -- publish --data-dir DIR [--database-url …]
//! ```
//!
//! `seed` writes residents with sealed records (the office's own vault:
//! AEAD under the data key, duplicate-check and search tags under the
//! dedup key) and cards with QR texts signed by the office key and sealed,
//! straight into the database in transactions of 2,000 cards, with no
//! audit entries (the one thing that differs from cards issued at a desk).
//! The cards were issued over the last three years; `--revoked-per-mille`
//! of them were revoked within the last two years (so about what the daily
//! deletion schedule would leave); the newest `--queued` wait in the print
//! queue (pick-up step `queued`), every other card was printed the day
//! after it was issued and handed over (step `handed_over`). It
//! also makes the user `scale` (supervisor) with the password in
//! `SCALE_PASSWORD` (default `scale-bench-password`) for the load script
//! (benches/scale/measure.sh), and writes `scale-sample.txt` in the data
//! directory: 300 active printed cards as `number family date-of-birth`
//! (synthetic names) for its lookups, searches and revocations.

use anyhow::{Context, Result, bail};
use citycard::Office;
use citycard::config::Config;
use citycard::db::DbConnection;
use citycard::db::schema::{cards, residents};
use citycard::office::actor::{Actor, Role};
use citycard::vault::{PersonalData, Purpose};
use citycard_credential::trust_list::TrustList;
use citycard_credential::{BirthDate, CardClaims, CardNumber, Date, SigningKey, keys as ckeys};
use clap::{Parser, Subcommand};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use secrecy::SecretString;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;
use time::{Duration, PrimitiveDateTime};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct OfficeArgs {
    /// The office's data directory (keys, SQLite file).
    #[arg(long)]
    data_dir: PathBuf,
    /// The database (default: SQLite in the data directory).
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Fills an empty office with residents and cards.
    Seed {
        #[command(flatten)]
        office: OfficeArgs,
        /// Cards (one resident each).
        #[arg(long)]
        cards: u64,
        /// Revoked cards per thousand.
        #[arg(long, default_value_t = 50)]
        revoked_per_mille: u64,
        /// Cards waiting in the print queue.
        #[arg(long, default_value_t = 100)]
        queued: u64,
        /// Printed cards waiting for pick-up (step `ready`, with sealed
        /// routes: every other one at the second site, `Scale Nord`).
        #[arg(long, default_value_t = 0)]
        ready: u64,
        /// Audit entries to write (`card_viewed` by `scale`, chained and
        /// keyed as the office writes them).
        #[arg(long, default_value_t = 0)]
        audit: u64,
    },
    /// Signs and stores the revocation list `--runs` times; prints the times.
    Publish {
        #[command(flatten)]
        office: OfficeArgs,
        #[arg(long, default_value_t = 5)]
        runs: u32,
    },
}

/// Active printed cards written to `scale-sample.txt` (lookups, searches,
/// revocations of the load script).
const SAMPLES: usize = 300;

/// Cards per transaction.
const CHUNK: u64 = 2_000;

const GIVEN: [&str; 24] = [
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hamid", "Ida", "Jonas", "Katrin",
    "Luca", "Mia", "Noah", "Olga", "Paul", "Rania", "Simon", "Tarek", "Ursula", "Vera", "Wei",
    "Yusuf", "Zoe",
];
const FAMILY: [&str; 20] = [
    "Müller",
    "Schmid",
    "Keller",
    "Weber",
    "Huber",
    "Meyer",
    "Schneider",
    "Steiner",
    "Fischer",
    "Gerber",
    "Brunner",
    "Baumann",
    "Frei",
    "Zimmermann",
    "Moser",
    "Widmer",
    "Wyss",
    "Graf",
    "Roth",
    "Suter",
];

/// SplitMix64: reproducible choices (names, dates) from the card's index.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(list: &[&'a str], r: u64) -> &'a str {
    let i = usize::try_from(r % list.len() as u64).unwrap_or(0);
    list.get(i).copied().unwrap_or("Muster")
}

fn open(o: &OfficeArgs) -> Result<Office> {
    let mut env: Vec<(String, String)> = vec![(
        "CITYCARD_DATA_DIR".into(),
        o.data_dir.to_string_lossy().into_owned(),
    )];
    if let Some(url) = &o.database_url {
        env.push(("CITYCARD_DATABASE_URL".into(), url.clone()));
    }
    citycard::private_files::private_dir(&o.data_dir)?;
    let config = Config::from_sources(None, env)?;
    config.prepare_dirs()?;
    citycard::office::dev_keys::prepare(&config.layout())?;
    Ok(Office::open(&config)?)
}

/// The office key and the issuer, read as the office reads them.
fn signing(office: &Office) -> Result<(SigningKey, String)> {
    let layout = office.config().layout();
    let pem = String::from_utf8(citycard::keys::read_limited(&layout.office_key(), 300_000)?)?;
    let key = ckeys::private_from_pem(&pem).map_err(|e| anyhow::anyhow!("office key: {e}"))?;
    let list = citycard::keys::read_limited(&layout.trust_list(), 1 << 20)?;
    let (trust, _) = TrustList::inspect(&list).map_err(|e| anyhow::anyhow!("trust list: {e}"))?;
    Ok((key, trust.issuer))
}

/// One seeded resident and card, sealed and signed.
struct Row {
    /// `number family date-of-birth` for the load script (synthetic names).
    sample: String,
    rid: i64,
    sealed_record: Vec<u8>,
    dedup: Vec<u8>,
    search: Vec<u8>,
    number: i64,
    issued: Date,
    expires: Date,
    sealed_qr: Vec<u8>,
    attested_at: PrimitiveDateTime,
    printed_at: Option<PrimitiveDateTime>,
    revoked: Option<(&'static str, PrimitiveDateTime)>,
}

struct Plan {
    total: u64,
    revoked_per_mille: u64,
    queued: u64,
    now: PrimitiveDateTime,
    today: Date,
    validity_years: i32,
}

fn make_row(
    office: &Office,
    key: &SigningKey,
    issuer: &str,
    plan: &Plan,
    i: u64,
    rid: i64,
    number: CardNumber,
) -> Result<Row> {
    let r = mix(i);
    let queued = i >= plan.total.saturating_sub(plan.queued);
    let given = pick(&GIVEN, r);
    let family = pick(&FAMILY, r >> 8);
    // Born 1940 to 2004: ~23,700 days, so a name and date of birth match a
    // handful of residents at 1M.
    let born = Date::from_calendar_date(1940, time::Month::January, 1)?
        + Duration::days(i64::try_from((r >> 16) % 23_700).unwrap_or(0));
    let dob = BirthDate::Day(born);
    let age_days = if queued {
        i64::try_from((r >> 40) % 3).unwrap_or(0)
    } else {
        1 + i64::try_from((r >> 40) % 1_094).unwrap_or(0)
    };
    let issued = plan.today - Duration::days(age_days);
    let expires = issued
        .replace_year(issued.year() + plan.validity_years)
        .or_else(|_| {
            (issued + Duration::days(1)).replace_year(issued.year() + plan.validity_years)
        })?
        .previous_day()
        .unwrap_or(issued);
    let attested_at = plan.now - Duration::days(age_days) - Duration::seconds((r & 0x3FFF) as i64);
    let printed_at = (!queued).then(|| attested_at + Duration::days(1));
    let revoked = (!queued && mix(r) % 1_000 < plan.revoked_per_mille).then(|| {
        let before = i64::try_from(mix(r ^ 1) % 730)
            .unwrap_or(0)
            .min(age_days - 1);
        let reason = ["lost", "stolen", "damaged", "withdrawn"][(r % 4) as usize];
        (reason, plan.now - Duration::days(before))
    });
    let personal = PersonalData {
        given_names: given.to_owned(),
        family_name: family.to_owned(),
        date_of_birth: Some(dob),
    };
    let vault = office.vault();
    let sealed_record = vault.seal(Purpose::ResidentRecord, rid, &personal.encode()?)?;
    let claims = CardClaims {
        issuer: issuer.to_owned(),
        card_number: number,
        given_names: personal.given_names.clone(),
        family_name: personal.family_name.clone(),
        issued,
        expires,
        date_of_birth: Some(dob),
    };
    let qr = citycard_credential::sign_card_text(key, &claims)
        .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
    let n = i64::try_from(number.as_u64())?;
    Ok(Row {
        sample: format!("{} {family} {born}", number.digits()),
        rid,
        dedup: vault.dedup_tag(given, family, Some(dob)),
        search: vault.search_tag(family, dob),
        sealed_record,
        number: n,
        issued,
        expires,
        sealed_qr: vault.seal(Purpose::CardQr, n, qr.as_bytes())?,
        attested_at,
        printed_at,
        revoked,
    })
}

fn seed(
    o: &OfficeArgs,
    total: u64,
    revoked_per_mille: u64,
    queued: u64,
    ready: u64,
    audit: u64,
) -> Result<()> {
    let office = open(o)?;
    let (residents_now, cards_now, _) = citycard::office::count_rows(office.db())?;
    if residents_now + cards_now > 0 {
        bail!("the office already has residents or cards: seed an empty one");
    }
    ensure_user(&office)?;
    let (key, issuer) = signing(&office)?;
    let kid = ckeys::kid(&key.verifying_key()).to_vec();
    let plan = Plan {
        total,
        revoked_per_mille,
        queued,
        now: office.now(),
        today: office.today(),
        validity_years: i32::from(office.config().card_validity_years),
    };
    let name = office.office_name().to_owned();
    let started = Instant::now();
    // Secondary indexes are built once after loading, not row by row (on
    // PostgreSQL, random inserts into a dozen B-trees made 1M cards crawl).
    let indexes = {
        let mut c = office.db().conn()?;
        let found = secondary_indexes(&mut c)?;
        for (index, _) in &found {
            c.batch_execute(&format!("DROP INDEX {index}"))?;
        }
        found
    };
    let loaded = load(&office, &plan, &key, &issuer, &kid, &name, &indexes);
    let rebuilt = Instant::now();
    {
        let mut c = office.db().conn()?;
        for (_, create) in &indexes {
            c.batch_execute(create)?;
        }
    }
    let samples = loaded?;
    eprintln!(
        "{} indexes built in {:.1} s",
        indexes.len(),
        rebuilt.elapsed().as_secs_f64()
    );
    let ready = make_ready(&office, ready)?;
    write_audit(&office, audit, &samples)?;
    // Planner statistics for the new rows (PostgreSQL: VACUUM ANALYZE, which
    // also sets the visibility map that index-only scans read; SQLite:
    // optimize).
    {
        let mut c = office.db().conn()?;
        let sql: &[&str] = match &*c {
            DbConnection::Sqlite(_) => &["PRAGMA optimize=0x10002;"],
            DbConnection::Pg(_) => &[
                "VACUUM (ANALYZE) residents",
                "VACUUM (ANALYZE) cards",
                "VACUUM (ANALYZE) audit_log",
            ],
        };
        for statement in sql {
            c.batch_execute(statement)?;
        }
    }
    let sample_file = o.data_dir.join("scale-sample.txt");
    std::fs::write(&sample_file, samples.join("\n") + "\n")
        .with_context(|| format!("writing {}", sample_file.display()))?;
    let published = office.publish_revocations()?;
    println!(
        "seeded {total} cards ({} revoked on the list, {queued} queued, {ready} ready) in {:.1} s",
        published.revoked,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// An index's name and the statement that makes it.
#[derive(QueryableByName)]
struct IndexDef {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    def: String,
}

/// The indexes of `residents` and `cards` other than their keys, as the
/// migrations made them: (name, CREATE statement).
fn secondary_indexes(c: &mut DbConnection) -> Result<Vec<(String, String)>> {
    let found: Vec<IndexDef> = match c {
        DbConnection::Sqlite(conn) => diesel::sql_query(
            "SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' \
             AND tbl_name IN ('residents', 'cards') AND sql IS NOT NULL",
        )
        .load(conn)?,
        DbConnection::Pg(conn) => diesel::sql_query(
            "SELECT indexname AS name, indexdef AS def FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename IN ('residents', 'cards') \
             AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        )
        .load(conn)?,
    };
    Ok(found.into_iter().map(|i| (i.name, i.def)).collect())
}

/// Writes the residents and cards; the sample lines.
fn load(
    office: &Office,
    plan: &Plan,
    key: &SigningKey,
    issuer: &str,
    kid: &[u8],
    name: &str,
    indexes: &[(String, String)],
) -> Result<Vec<String>> {
    let total = plan.total;
    let mut taken_numbers = HashSet::new();
    let mut taken_ids = HashSet::new();
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut start = 0;
    while start < total {
        let end = (start + CHUNK).min(total);
        // Unique random ids and numbers, then sealing and signing on every core.
        let mut ids = Vec::new();
        for _ in start..end {
            let mut n = CardNumber::random(&mut rand_core::OsRng);
            while !taken_numbers.insert(n.as_u64()) {
                n = CardNumber::random(&mut rand_core::OsRng);
            }
            let mut rid = citycard::vault::random_id()?;
            while !taken_ids.insert(rid) {
                rid = citycard::vault::random_id()?;
            }
            ids.push((rid, n));
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per = ids.len().div_ceil(threads).max(1);
        let rows: Vec<Row> = std::thread::scope(|s| {
            let handles: Vec<_> = ids
                .chunks(per)
                .enumerate()
                .map(|(t, part)| {
                    let first = start + (t * per) as u64;
                    s.spawn(move || {
                        part.iter()
                            .enumerate()
                            .map(|(j, &(rid, n))| {
                                make_row(office, key, issuer, plan, first + j as u64, rid, n)
                            })
                            .collect::<Result<Vec<Row>>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(ids.len());
            for h in handles {
                match h.join() {
                    Ok(part) => all.extend(part?),
                    Err(_) => bail!("a sealing thread failed"),
                }
            }
            Ok(all)
        })?;
        // Multi-row INSERTs of 500 rows (under both backends' limit on
        // bound parameters).
        office.db().write(|c| {
            for part in rows.chunks(500) {
                let people: Vec<_> = part
                    .iter()
                    .map(|r| {
                        (
                            residents::id.eq(r.rid),
                            residents::sealed_record.eq(Some(&r.sealed_record)),
                            residents::dedup_hmac.eq(Some(&r.dedup)),
                            residents::search_hmac.eq(Some(&r.search)),
                            residents::created_at.eq(r.attested_at),
                        )
                    })
                    .collect();
                let issued: Vec<_> = part
                    .iter()
                    .map(|r| {
                        (
                            (
                                cards::card_number.eq(r.number),
                                cards::resident_id.eq(Some(r.rid)),
                                cards::status.eq(if r.revoked.is_some() {
                                    "revoked"
                                } else {
                                    "active"
                                }),
                                cards::revocation_reason.eq(r.revoked.map(|(why, _)| why)),
                                cards::revoked_at.eq(r.revoked.map(|(_, at)| at)),
                                cards::issued.eq(r.issued),
                                cards::expires.eq(r.expires),
                                cards::office.eq(name),
                            ),
                            (
                                cards::kid.eq(kid),
                                cards::sealed_qr.eq(Some(&r.sealed_qr)),
                                cards::printed_at.eq(r.printed_at),
                                cards::identity_checked.eq(true),
                                cards::residence_checked.eq(true),
                                cards::attested_by.eq("scale-seed"),
                                cards::attested_at.eq(r.attested_at),
                                // The pick-up step (issue 11): waiting in
                                // the first site's print queue, or handed
                                // over when printed (no sealed route: the
                                // first site's, as a card from before sites).
                                cards::pickup_state.eq(Some(if r.printed_at.is_some() {
                                    "handed_over"
                                } else {
                                    "queued"
                                })),
                                cards::pickup_state_at
                                    .eq(Some(r.printed_at.unwrap_or(r.attested_at))),
                            ),
                        )
                    })
                    .collect();
                // Multi-row INSERTs are backend-specific in diesel.
                macro_rules! insert {
                    ($conn:expr) => {{
                        diesel::insert_into(residents::table)
                            .values(people)
                            .execute($conn)?;
                        diesel::insert_into(cards::table)
                            .values(issued)
                            .execute($conn)?;
                    }};
                }
                match c {
                    DbConnection::Sqlite(conn) => insert!(conn),
                    DbConnection::Pg(conn) => insert!(conn),
                }
            }
            Ok(())
        })?;
        samples.extend(
            rows.iter()
                .filter(|r| r.revoked.is_none() && r.printed_at.is_some())
                .take(SAMPLES.saturating_sub(samples.len()))
                .map(|r| r.sample.clone()),
        );
        start = end;
        if start % 100_000 == 0 || start == total {
            eprintln!("{start} cards, {:.1} s", started.elapsed().as_secs_f64());
        }
    }
    eprintln!(
        "{total} cards loaded in {:.1} s (without {} indexes)",
        started.elapsed().as_secs_f64(),
        indexes.len()
    );
    Ok(samples)
}

/// The load script's user: `scale`, a supervisor, password from `SCALE_PASSWORD`.
/// Puts the `n` newest printed active cards at the pick-up step `ready`,
/// since they were printed, with sealed routes: every other one enrolled
/// and picked up at a second site (`Scale Nord`), the others at the first
/// site. Makes the user `scale-site`, a clerk at the first site, with the
/// same password as `scale`. Returns how many cards.
fn make_ready(office: &Office, n: u64) -> Result<u64> {
    if n == 0 {
        return Ok(0);
    }
    let cli = Actor::command_line(office.office_name());
    let first = office
        .sites()?
        .first()
        .map(|s| s.id)
        .context("the office has no site")?;
    let nord = office
        .create_site(
            &cli,
            "Scale Nord",
            citycard::office::sites::SiteKind::Counter,
        )?
        .id;
    let password = SecretString::from(
        std::env::var("SCALE_PASSWORD").unwrap_or_else(|_| "scale-bench-password".to_owned()),
    );
    office.create_user_at(
        &cli,
        "scale-site",
        Role::Clerk,
        &password,
        false,
        Some(first),
    )?;
    let mut c = office.db().conn()?;
    let rows: Vec<i64> = cards::table
        .filter(cards::status.eq("active"))
        .filter(cards::printed_at.is_not_null())
        .order(cards::attested_at.desc())
        .limit(i64::try_from(n)?)
        .select(cards::card_number)
        .load(&mut *c)?;
    // Ready since the last 30 days (spread by the minute), so that the
    // daily revocation of cards not collected within 90 days leaves them.
    let now = office.now();
    c.transaction(|c| {
        for (i, number) in rows.iter().enumerate() {
            let minutes = i64::try_from(mix(*number as u64) % (30 * 24 * 60)).unwrap_or(0);
            let since = now - Duration::minutes(minutes);
            let site = if i % 2 == 0 { first } else { nord };
            let route = citycard::office::cards::Route {
                enrolled_at: site,
                pickup: site,
                attested_by: "scale-seed".to_owned(),
            };
            let sealed = office.seal_route(*number, &route)?;
            diesel::update(cards::table.find(*number))
                .set((
                    cards::pickup_state.eq(Some("ready")),
                    cards::pickup_state_at.eq(Some(since)),
                    cards::sealed_route.eq(Some(sealed)),
                    cards::attested_by.eq(""),
                ))
                .execute(c)?;
        }
        anyhow::Ok(())
    })?;
    Ok(u64::try_from(rows.len())?)
}

/// Appends `n` audit entries (`card_viewed` of the sample cards, by
/// `scale`), 2,000 to a transaction, through the office's own append.
fn write_audit(office: &Office, n: u64, samples: &[String]) -> Result<()> {
    let numbers: Vec<CardNumber> = samples
        .iter()
        .filter_map(|s| s.split(' ').next())
        .filter_map(|d| d.parse::<u64>().ok())
        .filter_map(|d| CardNumber::from_u64(d).ok())
        .collect();
    let scale = Actor::command_line(office.office_name());
    let mut done = 0;
    while done < n {
        let batch = (n - done).min(CHUNK);
        office.db().write(|c| {
            for i in 0..batch {
                let card =
                    numbers.get(usize::try_from(done + i).unwrap_or(0) % numbers.len().max(1));
                citycard::office::audit::append(
                    c,
                    "scale",
                    &scale.office,
                    citycard::office::audit::AuditAction::CardViewed,
                    card.copied(),
                    "",
                )?;
            }
            Ok(())
        })?;
        done += batch;
    }
    Ok(())
}

fn ensure_user(office: &Office) -> Result<()> {
    office.ensure_initial_admin()?;
    let password = SecretString::from(
        std::env::var("SCALE_PASSWORD").unwrap_or_else(|_| "scale-bench-password".to_owned()),
    );
    let cli = Actor::command_line(office.office_name());
    if office
        .create_user(&cli, "scale", Role::Supervisor, &password, false)
        .is_err()
    {
        office
            .set_password(&cli, "scale", &password, false)
            .context("the user `scale`")?;
    }
    if office
        .create_user(&cli, "scale-audit", Role::Auditor, &password, false)
        .is_err()
    {
        office
            .set_password(&cli, "scale-audit", &password, false)
            .context("the user `scale-audit`")?;
    }
    Ok(())
}

fn publish(o: &OfficeArgs, runs: u32) -> Result<()> {
    let office = open(o)?;
    for _ in 0..runs {
        let t = Instant::now();
        let list = office.publish_revocations()?;
        println!(
            "publish_revocations: {} numbers, {:.1} ms",
            list.revoked,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Seed {
            office,
            cards,
            revoked_per_mille,
            queued,
            ready,
            audit,
        } => seed(&office, cards, revoked_per_mille, queued, ready, audit),
        Command::Publish { office, runs } => publish(&office, runs),
    }
}
