//! Sessions: who a request belongs to (session cookie or bearer token),
//! CSRF, logout, and purging ended sessions.

use super::tokens::{
    API_TOKEN_PREFIX, SESSION_TOKEN_PREFIX, new_token, parse_permissions, token_hash,
};
use crate::db::{self, users::UserRow};
use crate::error::{Error, Result};
use crate::office::Office;
use crate::office::actor::{Actor, TokenScope};
use crate::office::audit::{self, AuditAction};
use crate::vault::random_bytes;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::time::Duration;
use time::PrimitiveDateTime;

/// A session's last-seen time is written at most this often.
pub(super) const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// A new session after a successful login.
pub struct NewSession {
    /// The session token, for a cookie or an `Authorization: Bearer` header.
    /// Shown once, stored only hashed.
    pub token: SecretString,
    /// The CSRF token to put in every form of this session.
    pub csrf_token: String,
    /// Who logged in.
    pub actor: Actor,
    /// The session ends after this long without a request.
    pub idle_timeout: Duration,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// A request's authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// Who.
    pub actor: Actor,
    /// The session's CSRF token (`None` for API tokens, which need none).
    pub csrf_token: Option<String>,
}

impl Authenticated {
    /// Checks a form's CSRF token against the session's (constant time).
    pub fn check_csrf(&self, submitted: &str) -> Result<()> {
        match &self.csrf_token {
            Some(expected) if constant_time_eq(expected.as_bytes(), submitted.as_bytes()) => Ok(()),
            _ => Err(Error::Csrf),
        }
    }
}

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Office {
    /// Opens a session for a user whose password was right (the last step
    /// of [`Office::login`]): clears the account's failure count, gives the
    /// address's reservation back, stores the session and records the
    /// login.
    pub(super) fn open_session(
        &self,
        user: UserRow,
        now: PrimitiveDateTime,
        address_tag: Option<&[u8]>,
    ) -> Result<NewSession> {
        let office = self.office_name().to_owned();
        let idle = self.config().session_idle_timeout;
        let max_life = self.config().session_max_lifetime;
        let token = new_token(SESSION_TOKEN_PREFIX)?;
        let csrf = citycard_credential::keys::to_hex(random_bytes::<32>()?.as_ref());
        let role = user.role()?;
        self.db().write(|c| {
            // A closed site's users do no more work (the password was right:
            // saying so tells nothing to a guesser).
            self.check_site_open(c, user.site_id)?;
            db::users::clear_failures(c, user.id)?;
            if let Some(tag) = address_tag {
                db::throttle::release(c, tag)?;
            }
            db::sessions::insert(
                c,
                &token_hash(token.expose_secret()),
                user.id,
                &csrf,
                now,
                db::later(now, max_life),
            )?;
            audit::append(
                c,
                &user.username,
                &office,
                AuditAction::LoginSucceeded,
                None,
                &format!("role={role}"),
            )?;
            Ok(())
        })?;
        Ok(NewSession {
            token,
            csrf_token: csrf,
            actor: Actor {
                user_id: user.id,
                username: user.username,
                role,
                office,
                must_change_password: user.must_change_password,
                api_token: None,
                site: user.site_id,
            },
            idle_timeout: idle,
        })
    }

    /// The user of a session token (cookie), or `Unauthenticated`. Refreshes
    /// the idle timer (at most once a minute).
    pub fn authenticate_session(&self, token: &str) -> Result<Authenticated> {
        if !token.starts_with(SESSION_TOKEN_PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let hash = token_hash(token);
        let now = db::now();
        let idle = self.config().session_idle_timeout;
        let mut conn = self.db().conn()?;
        let Some(found) = db::sessions::find(&mut conn, &hash)? else {
            return Err(Error::Unauthenticated);
        };
        let user = found.user;
        if user.disabled || now >= found.expires_at || now >= db::later(found.last_seen_at, idle) {
            db::sessions::delete(&mut conn, &hash)?;
            return Err(Error::Unauthenticated);
        }
        self.check_site_open(&mut conn, user.site_id)?;
        if now >= db::later(found.last_seen_at, TOUCH_INTERVAL) {
            db::sessions::touch(&mut conn, &hash, now)?;
        }
        Ok(Authenticated {
            actor: Actor {
                user_id: user.id,
                role: user.role()?,
                username: user.username,
                office: self.office_name().to_owned(),
                must_change_password: user.must_change_password,
                api_token: None,
                site: user.site_id,
            },
            csrf_token: Some(found.csrf_token),
        })
    }

    /// The user of an `Authorization: Bearer` token: an API token, or a
    /// session token from `POST /api/v1/sessions`.
    pub fn authenticate_bearer(&self, token: &str) -> Result<Authenticated> {
        let epoch = self.auth_cache().epoch();
        let auth = self.check_bearer(token)?;
        self.auth_cache().remember(token_hash(token), &auth, epoch);
        Ok(auth)
    }

    /// The user of a bearer token checked less than a second ago, without
    /// a database read (`None`: call [`Office::authenticate_bearer`]).
    pub fn remembered_bearer(&self, token: &str) -> Option<Authenticated> {
        self.auth_cache().get(&token_hash(token))
    }

    fn check_bearer(&self, token: &str) -> Result<Authenticated> {
        let token = token.trim();
        if token.starts_with(SESSION_TOKEN_PREFIX) {
            return self.authenticate_session(token).map(|mut a| {
                a.csrf_token = None;
                a
            });
        }
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let hash = token_hash(token);
        let now = db::now();
        let max_life = Duration::from_secs(u64::from(self.config().api_token_max_days) * 86_400);
        let mut conn = self.db().conn()?;
        let Some(found) = db::tokens::find(&mut conn, &hash)? else {
            return Err(Error::Unauthenticated);
        };
        let user = found.user;
        // The configured maximum holds for every token, also one made
        // before it was lowered or before there was one.
        let ends = found
            .expires_at
            .map_or(db::later(found.created_at, max_life), |e| {
                e.min(db::later(found.created_at, max_life))
            });
        if user.disabled || found.revoked_at.is_some() || now >= ends {
            return Err(Error::Unauthenticated);
        }
        let permissions = parse_permissions(found.permissions.as_deref())?;
        self.check_site_open(&mut conn, user.site_id)?;
        if found
            .last_used_at
            .is_none_or(|l| now >= db::later(l, TOUCH_INTERVAL))
        {
            db::tokens::touch(&mut conn, found.id, now)?;
        }
        Ok(Authenticated {
            actor: Actor {
                user_id: user.id,
                role: user.role()?,
                username: user.username,
                office: self.office_name().to_owned(),
                must_change_password: user.must_change_password,
                api_token: Some(TokenScope {
                    token_id: found.id,
                    permissions,
                }),
                site: user.site_id,
            },
            csrf_token: None,
        })
    }

    /// Ends a session (logout), recorded in the audit log. Unknown tokens
    /// are ignored.
    pub fn logout(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        let office = self.office_name().to_owned();
        self.write_accounts(|c| {
            let Some(username) = db::sessions::username(c, &hash)? else {
                return Ok(());
            };
            db::sessions::delete(c, &hash)?;
            audit::append(c, &username, &office, AuditAction::LoggedOut, None, "")?;
            Ok(())
        })
    }

    /// Deletes ended sessions and old throttle rows; returns how many rows.
    pub fn purge_sessions(&self) -> Result<usize> {
        let now = db::now();
        let idle = self.config().session_idle_timeout;
        let window = self.config().login.window;
        let mut conn = self.db().conn()?;
        let n = db::sessions::purge(&mut conn, now, db::earlier(now, idle))?;
        let m = db::throttle::purge(&mut conn, db::earlier(now, window), now)?;
        Ok(n + m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_comparison() {
        let a = Authenticated {
            actor: Actor::command_line("x"),
            csrf_token: Some("abc".to_owned()),
        };
        a.check_csrf("abc").unwrap();
        assert!(a.check_csrf("abd").is_err());
        assert!(a.check_csrf("").is_err());
        let b = Authenticated {
            csrf_token: None,
            ..a
        };
        assert!(b.check_csrf("").is_err());
    }
}
