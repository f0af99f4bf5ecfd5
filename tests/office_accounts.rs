//! Accounts, login throttling, sessions and API tokens, on SQLite and
//! PostgreSQL; and `citycard admin` on a data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use citycard::Error;
use citycard::office::actor::Role;
use office_support::*;
use secrecy::ExposeSecret;
use std::net::IpAddr;

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

#[test]
fn first_start_admin_must_change_the_one_time_password() {
    on_both(|t| {
        let password = t.office.ensure_initial_admin().unwrap().unwrap();
        assert!(
            t.office.ensure_initial_admin().unwrap().is_none(),
            "only once"
        );
        let s = t.office.login("admin", &password, ip("192.0.2.1")).unwrap();
        assert!(s.actor.must_change_password);
        assert_eq!(s.actor.role, Role::Admin);
        assert_eq!(
            t.office.list_users(&s.actor).unwrap_err().code(),
            "password_change_required"
        );
        let auth = t
            .office
            .authenticate_session(s.token.expose_secret())
            .unwrap();
        assert!(auth.actor.must_change_password);
        assert_eq!(
            t.office
                .change_own_password(
                    &auth.actor,
                    &secret("wrong password!"),
                    &secret(PASSWORD),
                    None
                )
                .unwrap_err()
                .code(),
            "invalid_input"
        );
        assert_eq!(
            t.office
                .change_own_password(&auth.actor, &password, &password, None)
                .unwrap_err()
                .code(),
            "invalid_input"
        );
        t.office
            .change_own_password(&auth.actor, &password, &secret(PASSWORD), Some(&s.token))
            .unwrap();
        // The session that changed it goes on, now without the restriction.
        let auth = t
            .office
            .authenticate_session(s.token.expose_secret())
            .unwrap();
        assert!(!auth.actor.must_change_password);
        assert_eq!(t.office.list_users(&auth.actor).unwrap().len(), 1);
        assert!(matches!(
            t.office.login("admin", &password, ip("192.0.2.1")),
            Err(Error::BadCredentials)
        ));
        t.office
            .login("ADMIN", &secret(PASSWORD), ip("192.0.2.1"))
            .unwrap();
    });
}

#[test]
fn sessions_csrf_idle_timeout_logout() {
    on_both(|t| {
        t.user("clerk", Role::Clerk);
        let s = t
            .office
            .login("clerk", &secret(PASSWORD), ip("2001:db8::5"))
            .unwrap();
        let token = s.token.expose_secret().to_owned();
        assert!(token.starts_with("ccs_") && token.len() == 68);
        let auth = t.office.authenticate_session(&token).unwrap();
        assert_eq!(auth.actor.username, "clerk");
        assert_eq!(auth.actor.office, OFFICE);
        auth.check_csrf(&s.csrf_token).unwrap();
        assert_eq!(auth.check_csrf("forged").unwrap_err().code(), "csrf");
        // Bearer use of a session token (the JSON API's login).
        let bearer = t.office.authenticate_bearer(&token).unwrap();
        assert_eq!(bearer.actor.username, "clerk");
        assert!(bearer.csrf_token.is_none());
        // Garbage and unknown tokens.
        for bad in ["", "ccs_", "ccs_00", "nonsense", &token[..60]] {
            assert_eq!(
                t.office.authenticate_session(bad).unwrap_err().code(),
                "unauthenticated"
            );
        }
        // Idle for longer than the timeout: the session is gone.
        t.sql("UPDATE sessions SET last_seen_at = '2000-01-01 00:00:00'");
        assert_eq!(
            t.office.authenticate_session(&token).unwrap_err().code(),
            "unauthenticated"
        );
        // Logout.
        let s = t
            .office
            .login("clerk", &secret(PASSWORD), ip("2001:db8::5"))
            .unwrap();
        t.office.logout(s.token.expose_secret()).unwrap();
        assert!(
            t.office
                .authenticate_session(s.token.expose_secret())
                .is_err()
        );
        let stored = count_where(
            &t,
            &format!(
                "SELECT count(*) AS n FROM sessions WHERE csrf_token = '{}'",
                s.csrf_token
            ),
        );
        assert_eq!(stored, 0, "logout removed the row");
        // Only hashes of tokens are stored.
        let s = t
            .office
            .login("clerk", &secret(PASSWORD), ip("2001:db8::5"))
            .unwrap();
        let api = t.office.create_api_token(&s.actor, "t", None).unwrap();
        if let citycard::config::DatabaseUrl::Sqlite { path } = &t.config.database {
            let bytes = sqlite_bytes(path);
            let session_hex = &s.token.expose_secret()[4..];
            let api_hex = &api.token.expose_secret()[4..];
            assert!(!contains(&bytes, session_hex.as_bytes()));
            assert!(!contains(&bytes, api_hex.as_bytes()));
            assert!(
                contains(&bytes, s.csrf_token.as_bytes()),
                "positive control"
            );
        }
    });
}

/// Runs a `SELECT count(*) AS n …`.
fn count_where(t: &TestOffice, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = t.office.db().conn().unwrap();
    let rows: Vec<N> = match &mut *conn {
        citycard::db::DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
        citycard::db::DbConnection::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
    };
    rows.first().map_or(0, |r| r.n)
}

#[test]
fn account_lockout_after_repeated_failures() {
    on_both_with(
        |c| c.login.account_max_failures = 3,
        |t| {
            t.user("clerk", Role::Clerk);
            for i in 0..3 {
                // Different addresses: only the account counts.
                let addr = ip(&format!("198.51.100.{i}"));
                assert!(matches!(
                    t.office.login("clerk", &secret("wrong password"), addr),
                    Err(Error::BadCredentials)
                ));
            }
            // Locked: even the right password is refused, without saying which.
            let e = t
                .office
                .login("clerk", &secret(PASSWORD), ip("198.51.100.9"))
                .unwrap_err();
            let Error::Throttled { retry_after_secs } = e else {
                panic!("expected a lock, got {e}");
            };
            assert!(retry_after_secs > 0 && retry_after_secs <= 15 * 60);
            // An admin's password reset unlocks it.
            t.office
                .set_password(&t.cli(), "clerk", &secret("another long password"), false)
                .unwrap();
            t.office
                .login(
                    "clerk",
                    &secret("another long password"),
                    ip("198.51.100.9"),
                )
                .unwrap();
            // Unknown accounts lock the same way (no way to tell them apart).
            for i in 0..3 {
                let addr = ip(&format!("203.0.113.{i}"));
                assert!(matches!(
                    t.office.login("nobody", &secret("whatever pw"), addr),
                    Err(Error::BadCredentials)
                ));
            }
            assert!(matches!(
                t.office
                    .login("nobody", &secret("whatever pw"), ip("203.0.113.99")),
                Err(Error::Throttled { .. })
            ));
            // The lock ends.
            t.sql("UPDATE users SET locked_until = '2000-01-01 00:00:00'");
            t.office
                .login(
                    "clerk",
                    &secret("another long password"),
                    ip("198.51.100.9"),
                )
                .unwrap();
        },
    );
}

#[test]
fn password_spraying_locks_the_address() {
    on_both_with(
        |c| {
            c.login.address_max_failures = 10;
            c.login.account_max_failures = 5;
        },
        |t| {
            t.user("victim", Role::Clerk);
            for i in 0..4 {
                t.user(&format!("clerk{i}"), Role::Clerk);
            }
            let attacker = ip("192.0.2.66");
            // One password over many accounts (some that exist, some not):
            // no account gets near its own limit…
            let mut n = 0;
            'spray: for round in 0..2 {
                for name in ["clerk0", "clerk1", "clerk2", "clerk3", "ghost1", "ghost2"] {
                    if n == 10 {
                        break 'spray;
                    }
                    let r = t
                        .office
                        .login(name, &secret(&format!("Summer2026!{round}")), attacker);
                    assert!(matches!(r, Err(Error::BadCredentials)), "{name}");
                    n += 1;
                }
            }
            // …but the address is locked now, even for a right password.
            assert!(matches!(
                t.office.login("victim", &secret(PASSWORD), attacker),
                Err(Error::Throttled { .. })
            ));
            // IPv6 neighbours in the same /64 share the lock.
            let v6 = ip("2001:db8:1:2::1");
            for i in 0..10 {
                let _ = t
                    .office
                    .login(&format!("ghost{i}"), &secret("pw pw pw pw"), v6);
            }
            assert!(matches!(
                t.office
                    .login("victim", &secret(PASSWORD), ip("2001:db8:1:2::abcd")),
                Err(Error::Throttled { .. })
            ));
            // Another address is not affected, nor are the accounts.
            t.office
                .login("victim", &secret(PASSWORD), ip("192.0.2.67"))
                .unwrap();
            t.office
                .login("clerk0", &secret(PASSWORD), ip("192.0.2.67"))
                .unwrap();
            // No address is stored in the clear: three rows (the attacker,
            // the /64, and 192.0.2.67, whose successful logins reserved an
            // attempt each and gave it back), each under an HMAC.
            assert_eq!(
                count_where(
                    &t,
                    "SELECT count(*) AS n FROM login_throttle WHERE kind = 'address'"
                ),
                3
            );
            assert_eq!(
                count_where(
                    &t,
                    "SELECT count(*) AS n FROM login_throttle WHERE kind = 'address' AND failures > 0"
                ),
                0,
                "the locked rows start empty; a success gives its reservation back"
            );
        },
    );
}

#[test]
fn disabling_a_user_ends_sessions_and_tokens() {
    on_both(|t| {
        let admin = t.user("boss", Role::Admin);
        t.user("clerk", Role::Clerk);
        let s = t
            .office
            .login("clerk", &secret(PASSWORD), ip("192.0.2.1"))
            .unwrap();
        let api = t
            .office
            .create_api_token(&s.actor, "scanner desk 3", Some(30))
            .unwrap();
        let tok = api.token.expose_secret().to_owned();
        assert!(tok.starts_with("cca_"));
        let a = t.office.authenticate_bearer(&tok).unwrap();
        assert_eq!(a.actor.username, "clerk");
        assert_eq!(t.office.list_api_tokens(&s.actor).unwrap().len(), 1);
        assert_eq!(
            count_where(
                &t,
                "SELECT count(*) AS n FROM api_tokens WHERE label = 'scanner desk 3'"
            ),
            1
        );

        t.office.set_user_disabled(&admin, "clerk", true).unwrap();
        assert!(
            t.office
                .authenticate_session(s.token.expose_secret())
                .is_err()
        );
        assert!(t.office.authenticate_bearer(&tok).is_err());
        assert!(matches!(
            t.office.login("clerk", &secret(PASSWORD), ip("192.0.2.1")),
            Err(Error::BadCredentials)
        ));
        // Enabled again: logins work, the old token stays revoked.
        t.office.set_user_disabled(&admin, "clerk", false).unwrap();
        let s = t
            .office
            .login("clerk", &secret(PASSWORD), ip("192.0.2.1"))
            .unwrap();
        assert!(t.office.authenticate_bearer(&tok).is_err());
        // Revoking a token.
        let api = t.office.create_api_token(&s.actor, "second", None).unwrap();
        t.office.revoke_api_token(&s.actor, api.id).unwrap();
        assert!(
            t.office
                .authenticate_bearer(api.token.expose_secret())
                .is_err()
        );
        // Guard rails.
        assert_eq!(
            t.office
                .set_user_disabled(&admin, "boss", true)
                .unwrap_err()
                .code(),
            "own_account"
        );
        assert_eq!(
            t.office
                .create_user(&admin, "clerk", Role::Clerk, &secret(PASSWORD), false)
                .unwrap_err()
                .code(),
            "conflict"
        );
        assert_eq!(
            t.office
                .create_user(&admin, "new", Role::Clerk, &secret("short"), false)
                .unwrap_err()
                .code(),
            "invalid_input"
        );
        t.office
            .set_role(&admin, "clerk", Role::Supervisor)
            .unwrap();
        let users = t.office.list_users(&admin).unwrap();
        assert!(
            users
                .iter()
                .any(|u| u.username == "clerk" && u.role == Role::Supervisor)
        );
    });
}

#[test]
fn admin_cli_works_without_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let run = |args: &[&str], stdin: &str| {
        assert_cmd::Command::cargo_bin("citycard")
            .unwrap()
            .current_dir(dir.path())
            .env("CITYCARD_DATA_DIR", &data)
            .args(args)
            .write_stdin(stdin)
            .output()
            .unwrap()
    };
    let out = run(
        &[
            "admin",
            "create-user",
            "--username",
            "Maria",
            "--role",
            "clerk",
            "--password-stdin",
        ],
        "a very long password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "admin",
            "create-user",
            "--username",
            "x",
            "--role",
            "wizard",
            "--password-stdin",
        ],
        "a very long password\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("role"));
    let out = run(
        &[
            "admin",
            "set-password",
            "--username",
            "maria",
            "--password-stdin",
            "--one-time",
        ],
        "the next long password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["admin", "list-users"], "");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("maria\tclerk\tcity\tone-time password"),
        "{listing}"
    );
    // The library sees the same database (no keys needed for accounts).
    let config = citycard::config::Config::with_data_dir(&data);
    let office = citycard::Office::open(&config).unwrap();
    let s = office
        .login("maria", &secret("the next long password"), None)
        .unwrap();
    assert!(s.actor.must_change_password);
    assert!(office.key_status().is_err(), "no signing keys here");
    let out = run(&["audit", "verify"], "");
    assert!(out.status.success());
    // user_created, password_set and the login above.
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact: 3 entries"));
    // No password in the audit log.
    let csv = dir.path().join("audit.csv");
    let out = run(&["audit", "export", "--out", csv.to_str().unwrap()], "");
    assert!(out.status.success());
    let csv = std::fs::read_to_string(csv).unwrap();
    assert!(csv.contains("user_created") && csv.contains("password_set"));
    assert!(csv.contains(",login,"), "{csv}");
    assert!(!csv.contains("long password"));
}

#[test]
fn parallel_failures_are_all_counted() {
    on_both_with(
        |c| {
            c.login.address_max_failures = 16;
            c.login.account_max_failures = 1000;
        },
        |t| {
            t.user("clerk", Role::Clerk);
            let addr = ip("192.0.2.200");
            std::thread::scope(|s| {
                for i in 0..8 {
                    let office = t.office.clone();
                    s.spawn(move || {
                        for j in 0..2 {
                            let name = if j == 0 {
                                "clerk".to_owned()
                            } else {
                                format!("ghost{i}")
                            };
                            let r = office.login(&name, &secret("wrong password"), addr);
                            assert!(matches!(r, Err(Error::BadCredentials)), "{r:?}");
                        }
                    });
                }
            });
            // 16 failures in parallel: the address is locked now.
            assert!(matches!(
                t.office.login("clerk", &secret(PASSWORD), addr),
                Err(Error::Throttled { .. })
            ));
        },
    );
}

/// Logins, failures on existing accounts, lockouts, logouts, password
/// changes and user management are in the audit log: the account name as
/// actor, no address, no password; the chain stays intact.
#[test]
fn logins_are_audited() {
    on_both_with(
        |c| c.login.account_max_failures = 2,
        |t| {
            let admin = t.user("boss", Role::Admin);
            let clerk = t.user("clerk", Role::Clerk);
            let auditor = t.user("auditor", Role::Auditor);
            let addr = ip("192.0.2.77");
            let s = t.office.login("clerk", &secret(PASSWORD), addr).unwrap();
            t.office
                .change_own_password(
                    &clerk,
                    &secret(PASSWORD),
                    &secret("another long passphrase here"),
                    Some(&s.token),
                )
                .unwrap();
            t.office.logout(s.token.expose_secret()).unwrap();
            t.office.logout("ccs_not-a-session").unwrap();
            // Unknown accounts are not recorded.
            let _ = t.office.login("nobody", &secret("wrong password 1"), addr);
            // Two failures lock the account; the next try is refused.
            for _ in 0..2 {
                let e = t
                    .office
                    .login("clerk", &secret("wrong password 2"), addr)
                    .unwrap_err();
                assert!(matches!(e, Error::BadCredentials), "{e:?}");
            }
            // Refused while locked: nothing is written (SECURITY.md,
            // finding 1); the lock itself was recorded once.
            for _ in 0..3 {
                let e = t
                    .office
                    .login("clerk", &secret("another long passphrase here"), addr)
                    .unwrap_err();
                assert!(matches!(e, Error::Throttled { .. }), "{e:?}");
            }
            t.office.set_user_disabled(&admin, "clerk", true).unwrap();

            let entries = t
                .office
                .audit_entries(&auditor, citycard::office::audit::AuditQuery::default())
                .unwrap();
            let mut seen: Vec<(String, String, String)> = entries
                .iter()
                .map(|e| (e.actor.clone(), e.action.clone(), e.detail.clone()))
                .collect();
            seen.reverse(); // oldest first
            let expected: Vec<(&str, &str, &str)> = vec![
                ("cli", "user_created", "user=boss role=admin"),
                ("cli", "user_created", "user=clerk role=clerk"),
                ("cli", "user_created", "user=auditor role=auditor"),
                ("clerk", "login", "role=clerk"),
                ("clerk", "password_changed", "user=clerk"),
                ("clerk", "logout", ""),
                ("clerk", "login_failed", "reason=password"),
                ("clerk", "login_failed", "reason=password"),
                ("clerk", "account_locked", "minutes=15"),
                ("boss", "user_disabled", "user=clerk"),
            ];
            let seen_ref: Vec<(&str, &str, &str)> = seen
                .iter()
                .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
                .collect();
            assert_eq!(seen_ref, expected);
            for e in &entries {
                assert_eq!(e.card_number, None);
                for secret_text in ["192.0.2.77", "wrong password", "passphrase", "nobody"] {
                    assert!(!e.detail.contains(secret_text), "{e:?}");
                    assert!(!e.actor.contains(secret_text), "{e:?}");
                }
            }
            let report = t.office.verify_audit(&auditor).unwrap();
            assert!(report.first_broken.is_none(), "{report}");
            assert_eq!(report.entries, 10);
        },
    );
}

/// Audit rows whose action and detail are these.
fn audit_rows(t: &TestOffice, action: &str, detail: &str) -> i64 {
    count_where(
        t,
        &format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = '{action}' AND detail = '{detail}'"
        ),
    )
}

/// Every audit row.
fn all_audit_rows(t: &TestOffice) -> i64 {
    count_where(t, "SELECT count(*) AS n FROM audit_log")
}

/// SECURITY.md finding 1: refused logins on a locked account cost no write
/// (16 connections without credentials wrote 22,604 audit rows in 10 s
/// before); the lock is recorded once.
#[test]
fn refusals_of_a_locked_account_write_nothing() {
    on_both_with(
        |c| c.login.account_max_failures = 2,
        |t| {
            t.user("clerk", Role::Clerk);
            for i in 0..2 {
                let r = t.office.login(
                    "clerk",
                    &secret("wrong password"),
                    ip(&format!("192.0.2.{i}")),
                );
                assert!(matches!(r, Err(Error::BadCredentials)), "{r:?}");
            }
            let rows = all_audit_rows(&t);
            assert_eq!(audit_rows(&t, "account_locked", "minutes=15"), 1);
            for i in 0..40 {
                // Anyone, from anywhere, with any password: refused, and
                // nothing is written.
                let password = if i % 2 == 0 { PASSWORD } else { "guess guess" };
                let r = t
                    .office
                    .login("clerk", &secret(password), ip(&format!("198.51.100.{i}")));
                assert!(matches!(r, Err(Error::Throttled { .. })), "{r:?}");
            }
            assert_eq!(all_audit_rows(&t), rows, "a refusal wrote to the audit log");
            assert_eq!(audit_rows(&t, "account_locked", "minutes=15"), 1);
            assert_eq!(
                count_where(&t, "SELECT count(*) AS n FROM login_throttle"),
                2,
                "a refusal wrote a throttle row"
            );
        },
    );
}

/// Fires `n` logins at once (a barrier releases them together) and
/// returns how many were checked and refused as wrong (`BadCredentials`)
/// and how many were refused unchecked (`Throttled`). A login answered
/// `busy` is tried again, so every one is either checked or throttled.
fn fire_at_once(
    t: &TestOffice,
    n: usize,
    name: impl Fn(usize) -> String + Sync,
    addr: impl Fn(usize) -> Option<IpAddr> + Sync,
) -> (usize, usize) {
    let barrier = std::sync::Barrier::new(n);
    let results: Vec<Result<_, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let office = t.office.clone();
                let (barrier, name, addr) = (&barrier, &name, &addr);
                s.spawn(move || {
                    barrier.wait();
                    loop {
                        let r = office.login(&name(i), &secret("wrong password"), addr(i));
                        match r {
                            Err(e) if e.code() == "busy" => {
                                std::thread::sleep(std::time::Duration::from_millis(5))
                            }
                            r => return r.map(|_| ()),
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = results
        .iter()
        .filter(|r| matches!(r, Err(Error::BadCredentials)))
        .count();
    let throttled = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Throttled { .. })))
        .count();
    assert_eq!(checked + throttled, n, "{results:?}");
    (checked, throttled)
}

/// SECURITY.md finding 2: an attempt is reserved before its password is
/// checked, so 64 parallel guesses at one account check at most the
/// account's limit of passwords (31 of 64 were checked with a limit of 5
/// before).
#[test]
fn parallel_guesses_at_one_account_check_at_most_the_limit() {
    on_both_with(
        |c| {
            c.login.account_max_failures = 5;
            c.login.address_max_failures = 1000;
        },
        |t| {
            t.user("clerk", Role::Clerk);
            let (checked, _) = fire_at_once(
                &t,
                64,
                |_| "clerk".to_owned(),
                |i| ip(&format!("198.51.100.{i}")),
            );
            assert!(checked <= 5, "{checked} passwords checked, limit 5");
            assert!(checked >= 1);
            assert!(
                audit_rows(&t, "login_failed", "reason=password") <= 5,
                "more failures recorded than the limit"
            );
            assert_eq!(audit_rows(&t, "account_locked", "minutes=15"), 1);
            // The account is locked now, even for the right password.
            assert!(matches!(
                t.office.login("clerk", &secret(PASSWORD), ip("192.0.2.1")),
                Err(Error::Throttled { .. })
            ));
        },
    );
}

/// SECURITY.md finding 2, per address: 64 parallel guesses from one
/// address over many names check at most the address's limit (44 were
/// checked with a limit of 20 before).
#[test]
fn parallel_guesses_from_one_address_check_at_most_the_limit() {
    on_both_with(
        |c| {
            c.login.account_max_failures = 1000;
            c.login.address_max_failures = 20;
        },
        |t| {
            t.user("clerk", Role::Clerk);
            let before = t.office.password_checks().verifications();
            let (checked, _) = fire_at_once(
                &t,
                64,
                |i| {
                    if i % 4 == 0 {
                        "clerk".to_owned()
                    } else {
                        format!("ghost{i}")
                    }
                },
                |_| ip("192.0.2.66"),
            );
            assert!(checked <= 20, "{checked} passwords checked, limit 20");
            assert!(checked >= 1);
            let verified = t.office.password_checks().verifications() - before;
            assert_eq!(verified, u64::try_from(checked).unwrap());
            // The address is locked now; a right password from elsewhere
            // still works (and clears nothing it should not).
            assert!(matches!(
                t.office.login("clerk", &secret(PASSWORD), ip("192.0.2.66")),
                Err(Error::Throttled { .. })
            ));
            t.office
                .login("clerk", &secret(PASSWORD), ip("192.0.2.67"))
                .unwrap();
        },
    );
}

/// A right password gives the address's reservation back: logins that
/// succeed never lock an office's shared address.
#[test]
fn successful_logins_do_not_use_up_the_address_limit() {
    on_both_with(
        |c| c.login.address_max_failures = 3,
        |t| {
            t.user("clerk", Role::Clerk);
            let office_nat = ip("192.0.2.80");
            for _ in 0..10 {
                t.office
                    .login("clerk", &secret(PASSWORD), office_nat)
                    .unwrap();
            }
            assert_eq!(
                count_where(
                    &t,
                    "SELECT count(*) AS n FROM login_throttle WHERE failures > 0"
                ),
                0
            );
        },
    );
}

/// SECURITY.md finding 3: at most `password_check_memory_mib / 19` argon2
/// runs at once; beyond that login, password changes, resets and new users
/// are refused at once with `busy` (and no attempt is used up).
#[test]
fn password_checks_are_bounded() {
    on_both_with(
        |c| {
            c.password_check_memory_mib = 19;
            c.login.account_max_failures = 3;
        },
        |t| {
            let admin = t.user("boss", Role::Admin);
            let clerk = t.user("clerk", Role::Clerk);
            assert_eq!(t.office.password_checks().capacity(), 1);
            let held = t.office.password_checks().try_permit().unwrap();
            for _ in 0..5 {
                let e = t
                    .office
                    .login("clerk", &secret("wrong password"), ip("192.0.2.5"))
                    .unwrap_err();
                assert!(matches!(e, Error::Busy { retry_after_secs } if retry_after_secs > 0));
                assert_eq!(e.code(), "busy");
                assert!(!e.is_client_error());
            }
            let busy = |r: citycard::Result<()>| matches!(r, Err(Error::Busy { .. }));
            assert!(busy(t.office.change_own_password(
                &clerk,
                &secret(PASSWORD),
                &secret("a new long password"),
                None
            )));
            assert!(busy(t.office.set_password(
                &admin,
                "clerk",
                &secret("a new long password"),
                false
            )));
            assert!(busy(
                t.office
                    .create_user(&admin, "new", Role::Clerk, &secret(PASSWORD), false)
                    .map(|_| ())
            ));
            drop(held);
            // Refused while busy cost no attempt: the account is not locked.
            t.office
                .login("clerk", &secret(PASSWORD), ip("192.0.2.5"))
                .unwrap();
            assert_eq!(audit_rows(&t, "login_failed", "reason=password"), 0);
        },
    );
}

/// SECURITY.md finding 5: API tokens end with a password change or reset,
/// live at most `api_token_max_days`, are made only from a password
/// session, and may be limited to some of the owner's permissions.
#[test]
fn api_tokens_are_bounded() {
    use citycard::office::actor::Permission;
    on_both(|t| {
        let admin = t.user("boss", Role::Admin);
        t.user("clerk", Role::Clerk);
        let login = || {
            t.office
                .login("clerk", &secret(PASSWORD), ip("192.0.2.1"))
                .unwrap()
        };
        let s = login();
        // A maximum lifetime (90 days by default), never unbounded.
        let e = t
            .office
            .create_api_token(&s.actor, "forever", Some(4_000_000))
            .unwrap_err();
        assert_eq!(
            (e.code(), e.rule()),
            ("invalid_input", Some(citycard::error::Rule::TooLong))
        );
        assert!(e.to_string().starts_with("valid_for_days"), "{e}");
        assert!(t.office.create_api_token(&s.actor, "x", Some(91)).is_err());
        assert!(t.office.create_api_token(&s.actor, "x", Some(0)).is_err());
        t.office.create_api_token(&s.actor, "x", Some(90)).unwrap();
        let api = t.office.create_api_token(&s.actor, "desk", None).unwrap();
        let listed = t.office.list_api_tokens(&s.actor).unwrap();
        let desk = listed.iter().find(|x| x.id == api.id).unwrap();
        let life = desk.expires_at.unwrap() - desk.created_at;
        assert_eq!(life.whole_days(), 90);
        let tok = api.token.expose_secret().to_owned();

        // A token cannot mint tokens (nor change the password).
        let by_token = t.office.authenticate_bearer(&tok).unwrap().actor;
        let e = t
            .office
            .create_api_token(&by_token, "minted", None)
            .unwrap_err();
        assert_eq!(e.code(), "session_required");
        let e = t
            .office
            .change_own_password(
                &by_token,
                &secret(PASSWORD),
                &secret("a new long password"),
                None,
            )
            .unwrap_err();
        assert_eq!(e.code(), "session_required");

        // Limited to a part of the role, enforced on every request.
        let read_only = t
            .office
            .create_limited_api_token(
                &s.actor,
                "lookup",
                Some(7),
                Some(&["cards.read".to_owned()]),
            )
            .unwrap();
        let limited = t
            .office
            .authenticate_bearer(read_only.token.expose_secret())
            .unwrap()
            .actor;
        limited.require(Permission::SearchCards).unwrap();
        let e = limited.require(Permission::IssueCards).unwrap_err();
        assert_eq!(e.code(), "forbidden");
        assert_eq!(
            t.office.print_queue(&limited).unwrap_err().code(),
            "forbidden"
        );
        let listed = t.office.list_api_tokens(&s.actor).unwrap();
        let entry = listed.iter().find(|x| x.id == read_only.id).unwrap();
        assert_eq!(entry.permissions, Some(vec![Permission::SearchCards]));
        // Not beyond the owner's role, and only known permissions.
        for bad in [vec!["users.manage"], vec!["cards.fly"], vec![]] {
            let codes: Vec<String> = bad.iter().map(|s| (*s).to_owned()).collect();
            let e = t
                .office
                .create_limited_api_token(&s.actor, "x", None, Some(&codes))
                .unwrap_err();
            assert_eq!(e.code(), "invalid_input", "{bad:?}");
            assert!(e.to_string().starts_with("permissions"), "{e}");
        }

        // The maximum holds for tokens made before it (no end stored).
        let old = t.office.create_api_token(&s.actor, "old", None).unwrap();
        t.sql(&format!(
            "UPDATE api_tokens SET expires_at = NULL, created_at = '2026-01-01 00:00:00' WHERE id = {}",
            old.id
        ));
        assert!(
            t.office
                .authenticate_bearer(old.token.expose_secret())
                .is_err()
        );

        // A password change ends every token…
        t.office.authenticate_bearer(&tok).unwrap();
        t.office
            .change_own_password(
                &s.actor,
                &secret(PASSWORD),
                &secret("a new long password"),
                Some(&s.token),
            )
            .unwrap();
        assert!(t.office.authenticate_bearer(&tok).is_err());
        assert!(
            t.office
                .authenticate_bearer(read_only.token.expose_secret())
                .is_err()
        );
        // …and so does an admin's reset.
        let s = t
            .office
            .login("clerk", &secret("a new long password"), ip("192.0.2.1"))
            .unwrap();
        let api = t
            .office
            .create_api_token(&s.actor, "after", Some(30))
            .unwrap();
        t.office
            .authenticate_bearer(api.token.expose_secret())
            .unwrap();
        t.office
            .set_password(&admin, "clerk", &secret(PASSWORD), false)
            .unwrap();
        assert!(
            t.office
                .authenticate_bearer(api.token.expose_secret())
                .is_err()
        );
        let _ = login;
    });
}

/// Reservations that never settle (a server that crashed mid-check) do not
/// hold an account shut for good: the next attempt locks it, once, and the
/// lock ends.
#[test]
fn unsettled_reservations_lock_the_account_for_a_while() {
    on_both_with(
        |c| c.login.account_max_failures = 3,
        |t| {
            t.user("clerk", Role::Clerk);
            t.sql("UPDATE users SET failed_logins = 3");
            for _ in 0..3 {
                assert!(matches!(
                    t.office.login("clerk", &secret(PASSWORD), ip("192.0.2.9")),
                    Err(Error::Throttled { .. })
                ));
            }
            assert_eq!(audit_rows(&t, "account_locked", "minutes=15"), 1);
            t.sql("UPDATE users SET locked_until = '2000-01-01 00:00:00'");
            t.office
                .login("clerk", &secret(PASSWORD), ip("192.0.2.9"))
                .unwrap();
        },
    );
}
