//! Issuance load benchmark (issue 12, item 4): a plain bench binary that
//! drives the **release** server through the JSON API.
//!
//! ```sh
//! cargo build --release --bin citycard
//! cargo bench --bench issue_load                       # SQLite and PostgreSQL
//! cargo bench --bench issue_load -- --backend sqlite --connections 8,32,64 --seconds 10
//! cargo bench --bench issue_load -- --backend postgres --no-analyze   # a new database's first minute
//! ```
//!
//! For each backend it makes a fresh office (a temporary data directory;
//! on PostgreSQL a new database on `CITYCARD_BENCH_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, dropped at the end),
//! starts `target/release/citycard serve` on a free port (`--binary` to
//! use another), creates a clerk with `citycard admin create-user`, logs in
//! **once** (`POST /api/v1/sessions`: the login is argon2id-hashed and
//! throttled, so it must not be in the measured loop) and makes an API
//! token limited to `cards.issue`. On PostgreSQL it then enrols for a
//! second and runs `ANALYZE`, as autovacuum does in a new database's first
//! minute (`--no-analyze` leaves it out: see `analyze_after_warm_up`).
//! Then, for each number of connections, it
//! enrols distinct residents (`POST /api/v1/cards`, no photo) from that
//! many threads, one keep-alive HTTP/1.1 connection each, for `--seconds`
//! after a one-second warm-up, and prints:
//!
//! - cards per second (201 answers only; anything else is counted as an
//!   error and makes the bench fail);
//! - p50, p99 and the largest latency;
//! - the server's CPU time per card (utime + stime of its process from
//!   `/proc/PID/stat`, before and after), and on PostgreSQL also the CPU of
//!   the server's database backends (found in `pg_stat_activity`);
//! - on SQLite, the size of the `-wal` file afterwards.
//!
//! The client is a few lines of HTTP/1.1 over `std::net::TcpStream`, so
//! that it costs the 2-core machine as little CPU as possible (a client
//! library with an async runtime would take cores from the server it
//! measures).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-load-password-Ahc5ohQu";

struct Options {
    backends: Vec<String>,
    connections: Vec<usize>,
    seconds: f64,
    binary: PathBuf,
    pool: Option<u32>,
    /// PostgreSQL: run `ANALYZE` after the first warm-up (see
    /// [`analyze_after_warm_up`]).
    analyze: bool,
}

fn options() -> Options {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let mut o = Options {
        backends: vec!["sqlite".into(), "postgres".into()],
        connections: vec![8, 32, 64],
        seconds: 10.0,
        binary: target.join("release/citycard"),
        pool: None,
        analyze: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--bench" => {}
            "--backend" => {
                let v = value();
                o.backends = if v == "both" {
                    vec!["sqlite".into(), "postgres".into()]
                } else {
                    vec![v]
                };
            }
            "--connections" => {
                o.connections = value().split(',').map(|n| n.parse().unwrap()).collect();
            }
            "--seconds" => o.seconds = value().parse().unwrap(),
            "--binary" => o.binary = PathBuf::from(value()),
            "--pool" => o.pool = Some(value().parse().unwrap()),
            "--no-analyze" => o.analyze = false,
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

// ------------------------------------------------------------ HTTP client

struct Http {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Http {
    fn connect(addr: &str) -> Http {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Http {
            stream: BufReader::with_capacity(16 * 1024, stream),
            host: addr.to_owned(),
        }
    }

    /// Sends a request and reads the answer: (status, body).
    fn request(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: &str,
    ) -> (u16, Vec<u8>) {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        if let Some(t) = bearer {
            req.push_str("Authorization: Bearer ");
            req.push_str(t);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.stream.get_mut().write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        self.stream.read_line(&mut line).unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).unwrap();
        (status, body)
    }
}

fn json_field(body: &[u8], field: &str) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {}", String::from_utf8_lossy(body)))
        .to_owned()
}

// ------------------------------------------------------------ the server

struct Server {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Server {
    fn start(binary: &Path, database_url: Option<&str>, pool: Option<u32>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(dir.path().join("data"))
            .unwrap();
        let mut env = vec![
            (
                "CITYCARD_DATA_DIR".to_owned(),
                dir.path().join("data").display().to_string(),
            ),
            ("CITYCARD_BIND".to_owned(), addr.clone()),
            (
                "CITYCARD_TEMPLATES".to_owned(),
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("card-templates")
                    .display()
                    .to_string(),
            ),
        ];
        if let Some(url) = database_url {
            env.push(("CITYCARD_DATABASE_URL".to_owned(), url.to_owned()));
        }
        if let Some(n) = pool {
            env.push(("CITYCARD_DB_POOL_SIZE".to_owned(), n.to_string()));
        }
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .envs(env.iter().cloned())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e} (cargo build --release first)", binary.display()));
        let server = Server {
            child,
            addr,
            dir,
            env,
        };
        let started = Instant::now();
        loop {
            if let Ok(s) = TcpStream::connect(&server.addr) {
                drop(s);
                let (status, _) = Http::connect(&server.addr).request("GET", "/healthz", None, "");
                if status == 200 {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start: see {}",
                server.dir.path().join("server.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A clerk, logged in once, and an API token for `cards.issue`.
    fn token(&self, binary: &Path) -> String {
        let mut add = Command::new(binary)
            .args([
                "admin",
                "create-user",
                "--username",
                "bench",
                "--role",
                "clerk",
                "--password-stdin",
            ])
            .envs(self.env.iter().cloned())
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        add.stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        assert!(add.wait().unwrap().success(), "create-user failed");
        let mut http = Http::connect(&self.addr);
        let (status, body) = http.request(
            "POST",
            "/api/v1/sessions",
            None,
            &format!(r#"{{"username":"bench","password":"{PASSWORD}"}}"#),
        );
        assert_eq!(status, 201, "login: {}", String::from_utf8_lossy(&body));
        let session = json_field(&body, "token");
        let (status, body) = http.request(
            "POST",
            "/api/v1/tokens",
            Some(&session),
            r#"{"label":"load bench","valid_for_days":1,"permissions":["cards.issue"]}"#,
        );
        assert_eq!(status, 201, "token: {}", String::from_utf8_lossy(&body));
        json_field(&body, "token")
    }

    fn wal_bytes(&self) -> Option<u64> {
        let wal = self.dir.path().join("data/citycard.sqlite-wal");
        std::fs::metadata(wal).ok().map(|m| m.len())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name may hold spaces: fields are counted after ')'.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15, so 11 and 12 after the state.
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0 // USER_HZ
}

// ------------------------------------------------------------ the load

/// A distinct Latin family name for every card (no duplicate warnings).
fn family_name(thread: usize, i: u64) -> String {
    let mut n = (thread as u64) << 32 | i;
    let mut s = String::from("Bench");
    loop {
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            break s;
        }
    }
}

struct Level {
    cards: usize,
    errors: usize,
    seconds: f64,
    latencies: Vec<Duration>,
}

fn run_level(addr: &str, token: &str, connections: usize, seconds: f64) -> Level {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..connections)
        .map(|t| {
            let (addr, token) = (addr.to_owned(), token.to_owned());
            let (stop, measuring) = (stop.clone(), measuring.clone());
            std::thread::spawn(move || {
                let mut http = Http::connect(&addr);
                let mut latencies = Vec::with_capacity(100_000);
                let mut errors = 0;
                let mut i: u64 = 0;
                // Distinct over every run of the process (no duplicates).
                let base = run * 1000 + t as u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = format!(
                        r#"{{"given_names":"Load","family_name":"{}","date_of_birth":"19{:02}-{:02}-{:02}","attestation":{{"identity_checked":true,"residence_checked":true}}}}"#,
                        family_name(base as usize, i),
                        40 + i % 50,
                        1 + i % 12,
                        1 + i % 28
                    );
                    let start = Instant::now();
                    let (status, answer) = http.request("POST", "/api/v1/cards", Some(&token), &body);
                    let took = start.elapsed();
                    if !measuring.load(Ordering::Relaxed) {
                        continue;
                    }
                    if status == 201 {
                        latencies.push(took);
                    } else {
                        if errors < 3 {
                            eprintln!("status {status}: {}", String::from_utf8_lossy(&answer));
                        }
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    measuring.store(true, Ordering::Relaxed);
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    measuring.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut level = Level {
        cards: 0,
        errors: 0,
        seconds: elapsed,
        latencies: Vec::new(),
    };
    for t in threads {
        let (l, e) = t.join().unwrap();
        level.errors += e;
        level.latencies.extend(l);
    }
    level.cards = level.latencies.len();
    level.latencies.sort_unstable();
    level
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

/// The PIDs of the backends serving the bench database.
fn pg_backends(admin: &mut PgConnection, database: &str) -> Vec<u32> {
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let rows: Vec<Pid> = diesel::sql_query(format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = '{database}'"
    ))
    .load(admin)
    .unwrap();
    rows.into_iter().map(|r| r.pid as u32).collect()
}

fn bench_backend(o: &Options, backend: &str) {
    let pg_admin_url = std::env::var("CITYCARD_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let database = format!("citycard_bench_{}", std::process::id());
    let mut admin = None;
    let url = if backend == "postgres" {
        let mut c = PgConnection::establish(&pg_admin_url).unwrap();
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {database}"))
            .unwrap();
        c.batch_execute(&format!("CREATE DATABASE {database}"))
            .unwrap();
        admin = Some(c);
        let base = pg_admin_url
            .rsplit_once('/')
            .map_or(pg_admin_url.as_str(), |(b, _)| b);
        Some(format!("{base}/{database}"))
    } else {
        None
    };
    {
        let server = Server::start(&o.binary, url.as_deref(), o.pool);
        let token = server.token(&o.binary);
        println!(
            "\n{backend}: server pid {}, pool {}",
            server.pid(),
            o.pool.map_or("default".to_owned(), |n| n.to_string())
        );
        println!(
            "{:>5} {:>7} {:>8} {:>9} {:>8} {:>8} {:>8} {:>12} {:>12} {:>10}",
            "conns",
            "cards",
            "seconds",
            "cards/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "server µs/c",
            "pg µs/card",
            "wal MB"
        );
        for (i, &n) in o.connections.iter().enumerate() {
            if i == 0
                && o.analyze
                && let Some(url) = &url
            {
                analyze_after_warm_up(&server.addr, &token, url, n);
            }
            let backends = admin
                .as_mut()
                .map(|a| pg_backends(a, &database))
                .unwrap_or_default();
            // A warm-up outside the CPU window, then the measured run.
            run_level(&server.addr, &token, n, 1.0);
            let cpu_server = cpu_seconds(server.pid());
            let cpu_pg: f64 = backends.iter().map(|&p| cpu_seconds(p)).sum();
            let level = run_level(&server.addr, &token, n, o.seconds);
            let server_cpu = cpu_seconds(server.pid()) - cpu_server;
            // Backends opened during the run count from zero.
            let backends_after = admin
                .as_mut()
                .map(|a| pg_backends(a, &database))
                .unwrap_or_default();
            let pg_cpu: f64 = backends_after.iter().map(|&p| cpu_seconds(p)).sum::<f64>() - cpu_pg;
            let per_card = |s: f64| s * 1e6 / level.cards.max(1) as f64;
            println!(
                "{:>5} {:>7} {:>8.2} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>12.0} {:>12} {:>10}",
                n,
                level.cards,
                level.seconds,
                level.cards as f64 / level.seconds,
                percentile(&level.latencies, 0.50),
                percentile(&level.latencies, 0.99),
                level
                    .latencies
                    .last()
                    .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
                per_card(server_cpu),
                if admin.is_some() {
                    format!("{:.0}", per_card(pg_cpu))
                } else {
                    "-".to_owned()
                },
                server
                    .wal_bytes()
                    .map_or("-".to_owned(), |b| format!("{:.1}", b as f64 / 1e6)),
            );
            assert_eq!(level.errors, 0, "requests failed");
        }
    }
    if let Some(mut c) = admin {
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .unwrap();
    }
}

/// PostgreSQL plans a prepared statement once for all (a *generic* plan)
/// after five executions, with the statistics it has then. In a database
/// made a second ago they say `residents` has a page of rows, and the plan
/// it keeps for the duplicate check (`dedup_hmac = ANY($1)`) reads the
/// whole table, a cost that grows with every card. Autovacuum (on by
/// default) analyses a table within a minute of its first 50 changed rows
/// (`autovacuum_naptime`), which makes the server plan again: measured, a
/// minute after the start the rate went from ~230 back to ~1,260 cards a
/// second (docs/performance.md, "Issuance", fifth round). A running office
/// is in that state. The bench does the same at once, after a warm-up of
/// a second (`--no-analyze` measures a new database's first minute
/// instead, or an office whose autovacuum is off, as on the machine the
/// figures were taken on).
fn analyze_after_warm_up(addr: &str, token: &str, url: &str, connections: usize) {
    run_level(addr, token, connections, 1.0);
    PgConnection::establish(url)
        .unwrap()
        .batch_execute("ANALYZE")
        .unwrap();
    println!("(ANALYZE after a warm-up, as autovacuum does in a new database's first minute)");
}

fn main() {
    let o = options();
    if !o.binary.exists() {
        println!(
            "issue_load: {} is missing; run `cargo build --release --bin citycard` first (skipped)",
            o.binary.display()
        );
        return;
    }
    println!(
        "issue_load: {} for {} s per level after 1 s of warm-up",
        o.binary.display(),
        o.seconds
    );
    for b in &o.backends {
        bench_backend(&o, b);
    }
}
