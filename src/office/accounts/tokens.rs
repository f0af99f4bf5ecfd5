//! Tokens: how session and API tokens are made and stored, and the API
//! tokens a user makes, lists and revokes.
//!
//! An API token:
//! - is made only from a password session, never with another token
//!   ([`Error::SessionRequired`]): a stolen token cannot mint more;
//! - lives at most `api_token_max_days` (default 90); one made without
//!   `valid_for_days` gets that maximum, and more is refused with a field
//!   error (never cut silently). The maximum also holds for tokens made
//!   before it was lowered;
//! - may be limited to some of its owner's permissions (their codes,
//!   [`Permission::code`]: `cards.read`, `cards.issue`, …); the limit is
//!   stored with the token and checked on every request
//!   ([`crate::office::actor::Actor::require`]), and the owner's role of
//!   the moment still applies;
//! - ends with its owner's password change, an admin's password reset, and
//!   when the owner is disabled.

use crate::db;
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use crate::vault::random_bytes;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::time::Duration;
use time::PrimitiveDateTime;

/// Prefix of session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "ccs_";

/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "cca_";

/// A new API token.
pub struct NewApiToken {
    /// Its id (to list and revoke it).
    pub id: i64,
    /// The token, shown once.
    pub token: SecretString,
}

impl fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// An API token as its owner sees it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenSummary {
    /// Id.
    pub id: i64,
    /// The owner's label.
    pub label: String,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Last used.
    pub last_used_at: Option<PrimitiveDateTime>,
    /// Ends then.
    pub expires_at: Option<PrimitiveDateTime>,
    /// Revoked then.
    pub revoked_at: Option<PrimitiveDateTime>,
    /// The permissions it is limited to (`None`: the owner's role).
    pub permissions: Option<Vec<Permission>>,
}

/// The stored form of a token's permissions: codes separated by spaces.
fn store_permissions(permissions: &[Permission]) -> String {
    permissions
        .iter()
        .map(|p| p.code())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A token's stored permissions (`None`: the owner's role).
pub(super) fn parse_permissions(stored: Option<&str>) -> Result<Option<Vec<Permission>>> {
    stored
        .map(|s| {
            s.split_whitespace()
                .map(|c| {
                    Permission::from_code(c)
                        .ok_or(Error::Integrity("an API token has an unknown permission"))
                })
                .collect()
        })
        .transpose()
}

/// The permissions asked for a new token, checked against the owner's
/// role: each a known code the role has, at least one.
fn requested_permissions(actor: &Actor, codes: &[String]) -> Result<Vec<Permission>> {
    let refused = |rule| Error::invalid("permissions", rule);
    if codes.is_empty() {
        return Err(refused(Rule::Required));
    }
    let mut out = Vec::new();
    for code in codes {
        let p = Permission::from_code(code.trim()).ok_or_else(|| refused(Rule::Choice))?;
        if !actor.role.allows(p) {
            return Err(refused(Rule::Choice));
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out.sort_by_key(|p| Permission::ALL.iter().position(|q| q == p));
    Ok(out)
}

pub(super) fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// A new random token with a prefix: `prefix` + 64 hex digits.
pub(super) fn new_token(prefix: &str) -> Result<SecretString> {
    let bytes = random_bytes::<32>()?;
    let mut s = String::with_capacity(prefix.len() + 64);
    s.push_str(prefix);
    s.push_str(&citycard_credential::keys::to_hex(bytes.as_ref()));
    Ok(SecretString::from(s))
}

/// The stored form of a token.
pub(super) fn token_hash(token: &str) -> Vec<u8> {
    sha256(token.trim().as_bytes())
}

impl Office {
    /// Makes an API token for the actor themself, with the owner's whole
    /// role ([`Office::create_limited_api_token`] with no limit).
    pub fn create_api_token(
        &self,
        actor: &Actor,
        label: &str,
        valid_for_days: Option<u32>,
    ) -> Result<NewApiToken> {
        self.create_limited_api_token(actor, label, valid_for_days, None)
    }

    /// Makes an API token for the actor themself: only from a password
    /// session; valid for `valid_for_days` (1 to `api_token_max_days`;
    /// `None`: the maximum); limited to `permissions` (codes of the
    /// owner's role's permissions; `None`: the whole role).
    pub fn create_limited_api_token(
        &self,
        actor: &Actor,
        label: &str,
        valid_for_days: Option<u32>,
        permissions: Option<&[String]>,
    ) -> Result<NewApiToken> {
        if actor.api_token.is_some() {
            return Err(Error::SessionRequired);
        }
        if actor.must_change_password {
            return Err(Error::PasswordChangeRequired);
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 64 || label.chars().any(char::is_control) {
            return Err(Error::invalid("label", Rule::Format));
        }
        let max_days = self.config().api_token_max_days;
        let days = match valid_for_days {
            None => max_days,
            Some(0) => return Err(Error::invalid("valid_for_days", Rule::TooShort)),
            Some(d) if d > max_days => {
                return Err(Error::invalid("valid_for_days", Rule::TooLong));
            }
            Some(d) => d,
        };
        let permissions = permissions
            .map(|codes| requested_permissions(actor, codes))
            .transpose()?;
        let stored = permissions.as_deref().map(store_permissions);
        let token = new_token(API_TOKEN_PREFIX)?;
        let hash = token_hash(token.expose_secret());
        let now = db::now();
        let expires = db::later(now, Duration::from_secs(u64::from(days) * 86_400));
        let id = self.db().write(|c| {
            let id = db::tokens::insert(
                c,
                actor.user_id,
                &hash,
                label,
                now,
                Some(expires),
                stored.as_deref(),
            )?;
            let scope = match &stored {
                Some(p) => format!(" permissions={}", p.replace(' ', ",")),
                None => String::new(),
            };
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::ApiTokenCreated,
                None,
                &format!("token_id={id} days={days}{scope}"),
            )?;
            Ok(id)
        })?;
        Ok(NewApiToken { id, token })
    }

    /// The actor's own API tokens.
    pub fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenSummary>> {
        let rows = self.db().read(|c| db::tokens::of_user(c, actor.user_id))?;
        let max_life = Duration::from_secs(u64::from(self.config().api_token_max_days) * 86_400);
        rows.into_iter()
            .map(|r| {
                // The end the maximum sets, if sooner than the stored one.
                let cap = db::later(r.created_at, max_life);
                Ok(ApiTokenSummary {
                    id: r.id,
                    label: r.label,
                    created_at: r.created_at,
                    last_used_at: r.last_used_at,
                    expires_at: Some(r.expires_at.map_or(cap, |e| e.min(cap))),
                    revoked_at: r.revoked_at,
                    permissions: parse_permissions(r.permissions.as_deref())?,
                })
            })
            .collect()
    }

    /// Revokes one of the actor's API tokens (admins: anyone's).
    pub fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let admin = actor.require(Permission::ManageUsers).is_ok();
        self.write_accounts(|c| {
            let owner = db::tokens::owner(c, id)?;
            match owner {
                Some(o) if o == actor.user_id || admin => {}
                _ => return Err(Error::NotFound("API token")),
            }
            db::tokens::revoke(c, id, db::now())?;
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::ApiTokenRevoked,
                None,
                &format!("token_id={id}"),
            )?;
            Ok(())
        })
    }
}
