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
            // No address is stored in the clear.
            assert_eq!(
                count_where(
                    &t,
                    "SELECT count(*) AS n FROM login_throttle WHERE kind = 'address'"
                ),
                2
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
        listing.contains("maria\tclerk\tone-time password"),
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
            let e = t
                .office
                .login("clerk", &secret("another long passphrase here"), addr)
                .unwrap_err();
            assert!(matches!(e, Error::Throttled { .. }), "{e:?}");
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
                ("clerk", "login_failed", "reason=locked"),
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
            assert_eq!(report.entries, 11);
        },
    );
}
