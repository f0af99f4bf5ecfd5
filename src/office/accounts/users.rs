//! Users: names, roles, the first admin, creating, disabling and listing
//! accounts.

use super::passwords::{check_password_rules, one_time_password};
use crate::db;
use crate::db::users::{UserRow, by_name as load_user, enabled_admins, insert as insert_user};
use crate::error::AccountRule;
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::office::actor::{Actor, Permission, Role};
use crate::office::audit::{self, AuditAction};
use secrecy::SecretString;
use time::PrimitiveDateTime;

/// Most characters in a user name.
pub const MAX_USERNAME_CHARS: usize = 64;

/// The user made on the first start.
pub const INITIAL_ADMIN: &str = "admin";

/// A user as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// Id.
    pub id: i64,
    /// Name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// A one-time password is set.
    pub must_change_password: bool,
    /// Locked after failed logins until then (UTC).
    pub locked_until: Option<PrimitiveDateTime>,
    /// Created (UTC).
    pub created_at: PrimitiveDateTime,
    /// The user's site (`None`: city-wide).
    pub site: Option<i64>,
}

fn summary(row: UserRow) -> Result<UserSummary> {
    Ok(UserSummary {
        role: row.role()?,
        id: row.id,
        username: row.username,
        disabled: row.disabled,
        must_change_password: row.must_change_password,
        locked_until: row.locked_until,
        created_at: row.created_at,
        site: row.site_id,
    })
}

/// A user name in its stored form, or why it is refused.
///
/// The rule (docs/office.md, "User names"): after trimming, Unicode NFC and
/// lower-casing (`Jörg.Weiß` → `jörg.weiß`; the same at login, so the case
/// and the Unicode form typed do not matter), 1 to 64 characters, each a
/// letter (any script), a combining mark that belongs to a letter, an ASCII
/// digit, `.`, `_` or `-`; the first is a letter or digit; and all letters
/// of one script (no Latin `a` next to a Cyrillic `а`, which look alike).
/// Spaces, control, format and invisible characters (zero-width joiners,
/// direction marks) and other digits (`²`, `٣`) are refused.
pub fn normalize_username(name: &str) -> Result<String> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    use unicode_script::{Script, UnicodeScript};
    // 1 to 64 letters of one script, ASCII digits, '.', '_' and '-',
    // starting with a letter or digit (docs/office.md, "User names").
    let refused = || Error::invalid("username", Rule::Format);
    if name.len() > 4 * MAX_USERNAME_CHARS + 64 {
        return Err(refused());
    }
    let nfc: String = name.trim().nfc().collect();
    let n: String = nfc.to_lowercase().nfc().collect();
    let letter = |c: char| c.is_alphabetic() && !is_combining_mark(c);
    // A combining mark only on a letter (or on another mark).
    let mut prev_letter = false;
    let all_allowed = n.chars().all(|c| {
        let ok = if is_combining_mark(c) {
            prev_letter
        } else {
            letter(c) || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
        };
        prev_letter = letter(c) || (is_combining_mark(c) && prev_letter);
        ok
    });
    let first_ok = n
        .chars()
        .next()
        .is_some_and(|c| letter(c) || c.is_ascii_digit());
    let mut scripts = n
        .chars()
        .filter(|c| letter(*c))
        .map(|c| c.script())
        .filter(|s| !matches!(s, Script::Common | Script::Inherited));
    let one_script = match scripts.next() {
        Some(first) => scripts.all(|s| s == first),
        None => true,
    };
    let ok = first_ok && n.chars().count() <= MAX_USERNAME_CHARS && all_allowed && one_script;
    if ok { Ok(n) } else { Err(refused()) }
}

impl Office {
    /// On the first start (no users at all): creates the user `admin` with a
    /// one-time password, returned here to be printed once. It must be
    /// changed at the first login. Returns `None` when users exist.
    pub fn ensure_initial_admin(&self) -> Result<Option<SecretString>> {
        // Most starts: users exist, and no password needs hashing.
        if self.db().read(db::users::count)? > 0 {
            return Ok(None);
        }
        let password = one_time_password()?;
        let hash = self.password_checks().try_permit()?.hash(&password)?;
        let office = self.office_name().to_owned();
        let created = self.db().write(|c| {
            // Several servers may start at once: one of them makes the admin.
            db::lock_for_writing(c)?;
            let count = db::users::count(c)?;
            if count > 0 {
                return Ok(false);
            }
            let now = db::now();
            insert_user(c, INITIAL_ADMIN, Role::Admin, &hash, true, now)?;
            audit::append(
                c,
                "system",
                &office,
                AuditAction::UserCreated,
                None,
                &format!("user={INITIAL_ADMIN} role=admin one_time_password=1"),
            )?;
            Ok(true)
        })?;
        Ok(created.then_some(password))
    }

    /// Creates a user. With `must_change_password` the password is a
    /// one-time password the user must replace at the first login.
    pub fn create_user(
        &self,
        by: &Actor,
        username: &str,
        role: Role,
        password: &SecretString,
        must_change_password: bool,
    ) -> Result<i64> {
        self.create_user_at(by, username, role, password, must_change_password, None)
    }

    /// Creates a user at a site (`None`: city-wide). Admins and auditors
    /// are always city-wide (a site given for them is ignored); the site
    /// must be open.
    pub fn create_user_at(
        &self,
        by: &Actor,
        username: &str,
        role: Role,
        password: &SecretString,
        must_change_password: bool,
        site: Option<i64>,
    ) -> Result<i64> {
        by.require(Permission::ManageUsers)?;
        // Admins and auditors are city-wide whatever the form proposed.
        let site = site.filter(|_| !matches!(role, Role::Admin | Role::Auditor));
        let username = normalize_username(username)?;
        check_password_rules(&username, password)?;
        let hash = self.password_checks().try_permit()?.hash(password)?;
        self.write_accounts(|c| {
            if load_user(c, &username)?.is_some() {
                return Err(Error::Conflict("a user with that name"));
            }
            if let Some(id) = site
                && db::sites::by_id(c, id)?.is_none_or(|s| s.closed_at.is_some())
            {
                return Err(Error::invalid("site", crate::error::Rule::Choice));
            }
            let id = insert_user(c, &username, role, &hash, must_change_password, db::now())?;
            if site.is_some() {
                db::sites::set_user_site(c, id, site)?;
            }
            audit::append(
                c,
                &by.who(),
                &by.office,
                AuditAction::UserCreated,
                None,
                &match site {
                    Some(site) => format!("user={username} role={role} site={site}"),
                    None => format!("user={username} role={role}"),
                },
            )?;
            Ok(id)
        })
    }

    /// Sets a user's password (an admin's reset, or `citycard admin
    /// set-password`). Unlocks the account, ends its sessions and revokes
    /// its API tokens.
    pub fn set_password(
        &self,
        by: &Actor,
        username: &str,
        password: &SecretString,
        must_change_password: bool,
    ) -> Result<()> {
        by.require(Permission::ManageUsers)?;
        let username = normalize_username(username)?;
        check_password_rules(&username, password)?;
        let hash = self.password_checks().try_permit()?.hash(password)?;
        self.write_accounts(|c| {
            let user = load_user(c, &username)?.ok_or(Error::NotFound("user"))?;
            let now = db::now();
            db::users::store_password(c, user.id, &hash, must_change_password, now)?;
            db::sessions::delete_of_user(c, user.id)?;
            db::tokens::revoke_of_user(c, user.id, now)?;
            audit::append(
                c,
                &by.who(),
                &by.office,
                AuditAction::PasswordSet,
                None,
                &format!(
                    "user={username} one_time_password={}",
                    u8::from(must_change_password)
                ),
            )?;
            Ok(())
        })
    }

    /// Changes a user's role (ends their sessions).
    pub fn set_role(&self, by: &Actor, username: &str, role: Role) -> Result<()> {
        by.require(Permission::ManageUsers)?;
        let username = normalize_username(username)?;
        self.write_accounts(|c| {
            let user = load_user(c, &username)?.ok_or(Error::NotFound("user"))?;
            if user.role()? == Role::Admin && role != Role::Admin && enabled_admins(c)? <= 1 {
                return Err(Error::AccountRule(AccountRule::LastAdminRole));
            }
            db::users::set_role(c, user.id, role)?;
            // Admins and auditors are city-wide.
            if matches!(role, Role::Admin | Role::Auditor) {
                db::sites::set_user_site(c, user.id, None)?;
            }
            db::sessions::delete_of_user(c, user.id)?;
            audit::append(
                c,
                &by.who(),
                &by.office,
                AuditAction::RoleChanged,
                None,
                &format!("user={username} role={role}"),
            )?;
            Ok(())
        })
    }

    /// Disables or re-enables a user. Disabling ends their sessions and
    /// revokes their API tokens at once.
    pub fn set_user_disabled(&self, by: &Actor, username: &str, disabled: bool) -> Result<()> {
        by.require(Permission::ManageUsers)?;
        let username = normalize_username(username)?;
        self.write_accounts(|c| {
            let user = load_user(c, &username)?.ok_or(Error::NotFound("user"))?;
            if disabled && user.id == by.user_id {
                return Err(Error::AccountRule(AccountRule::OwnAccount));
            }
            if disabled && !user.disabled && user.role()? == Role::Admin && enabled_admins(c)? <= 1
            {
                return Err(Error::AccountRule(AccountRule::LastAdmin));
            }
            db::users::set_disabled(c, user.id, disabled)?;
            if disabled {
                db::sessions::delete_of_user(c, user.id)?;
                db::tokens::revoke_of_user(c, user.id, db::now())?;
            }
            let action = if disabled {
                AuditAction::UserDisabled
            } else {
                AuditAction::UserEnabled
            };
            audit::append(
                c,
                &by.who(),
                &by.office,
                action,
                None,
                &format!("user={username}"),
            )?;
            Ok(())
        })
    }

    /// Every user, by name.
    pub fn list_users(&self, by: &Actor) -> Result<Vec<UserSummary>> {
        by.require(Permission::ManageUsers)?;
        let rows = self.db().read(db::users::all)?;
        rows.into_iter().map(summary).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::accounts::passwords::check_password_rules;

    #[test]
    fn roles_and_permissions() {
        use Permission as P;
        let all = [
            P::IssueCards,
            P::SearchCards,
            P::PrintCards,
            P::ReprintCards,
            P::RevokeCards,
            P::EraseResidents,
            P::ManageUsers,
            P::ManageKeys,
            P::ReadAudit,
        ];
        let allowed = |r: Role| {
            all.iter()
                .filter(|p| r.allows(**p))
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            allowed(Role::Clerk),
            [P::IssueCards, P::SearchCards, P::PrintCards]
        );
        assert_eq!(allowed(Role::Auditor), [P::ReadAudit]);
        assert_eq!(allowed(Role::Admin), [P::ManageUsers, P::ManageKeys]);
        assert!(Role::Supervisor.allows(P::EraseResidents));
        assert!(!Role::Supervisor.allows(P::ManageUsers));
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
        // The command line: an admin, or a clerk for printing the queue.
        assert!(Actor::command_line("x").require(P::PrintCards).is_err());
        let printing = Actor::command_line_printing("x");
        assert_eq!(printing.username, "cli");
        assert!(printing.require(P::PrintCards).is_ok());
        assert!(printing.require(P::ReprintCards).is_err());
        let mut a = Actor::command_line("x");
        a.must_change_password = true;
        assert!(matches!(
            a.require(P::ManageUsers),
            Err(Error::PasswordChangeRequired)
        ));
    }

    #[test]
    fn usernames_and_passwords() {
        assert_eq!(normalize_username(" Anna.M ").unwrap(), "anna.m");
        // Letters of any script, NFC, lower case (as at login).
        assert_eq!(normalize_username("Jörg.Weiß").unwrap(), "jörg.weiß");
        assert_eq!(normalize_username("jo\u{308}rg").unwrap(), "jörg");
        assert_eq!(normalize_username("ä").unwrap(), "ä");
        assert_eq!(normalize_username("Ελένη_2").unwrap(), "ελένη_2");
        assert!(normalize_username("олена-k").is_err());
        assert_eq!(normalize_username("олена").unwrap(), "олена");
        assert_eq!(normalize_username(&"ö".repeat(64)).unwrap(), "ö".repeat(64));
        for bad in [
            "",
            "-x",
            "a b",
            &"a".repeat(65),
            "jörg\u{200B}",  // zero width space
            "jörg\u{200D}x", // zero width joiner
            "adm\u{202E}in", // right-to-left override
            "\u{0430}dmin",  // Cyrillic a + Latin
            "anna\u{00AD}",  // soft hyphen
            "x²",
            "٣x",
            "a/b",
            "a%2e",
            "\u{308}a",
        ] {
            assert!(normalize_username(bad).is_err(), "{bad:?}");
        }
        let p = |s: &str| SecretString::from(s.to_owned());
        assert!(check_password_rules("anna", &p("short")).is_err());
        assert!(check_password_rules("annaannaanna", &p("AnnaAnnaAnna")).is_err());
        assert!(check_password_rules("anna", &p(&"x".repeat(257))).is_err());
        assert!(check_password_rules("anna", &p("          ")).is_err());
        check_password_rules("anna", &p("correct horse battery")).unwrap();
    }
}
