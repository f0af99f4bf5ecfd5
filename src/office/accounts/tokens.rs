//! Tokens: how session and API tokens are made and stored, and the API
//! tokens a user makes, lists and revokes.

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
    /// Makes an API token for the actor themself.
    pub fn create_api_token(
        &self,
        actor: &Actor,
        label: &str,
        valid_for_days: Option<u32>,
    ) -> Result<NewApiToken> {
        if actor.must_change_password {
            return Err(Error::PasswordChangeRequired);
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 64 || label.chars().any(char::is_control) {
            return Err(Error::invalid("label", Rule::Format));
        }
        let token = new_token(API_TOKEN_PREFIX)?;
        let hash = token_hash(token.expose_secret());
        let now = db::now();
        let expires =
            valid_for_days.map(|d| db::later(now, Duration::from_secs(u64::from(d) * 86_400)));
        let id = self.db().write(|c| {
            let id = db::tokens::insert(c, actor.user_id, &hash, label, now, expires)?;
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::ApiTokenCreated,
                None,
                &format!("token_id={id}"),
            )?;
            Ok(id)
        })?;
        Ok(NewApiToken { id, token })
    }

    /// The actor's own API tokens.
    pub fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenSummary>> {
        let rows = self.db().read(|c| db::tokens::of_user(c, actor.user_id))?;
        Ok(rows
            .into_iter()
            .map(|r| ApiTokenSummary {
                id: r.id,
                label: r.label,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                expires_at: r.expires_at,
                revoked_at: r.revoked_at,
            })
            .collect())
    }

    /// Revokes one of the actor's API tokens (admins: anyone's).
    pub fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let admin = actor.require(Permission::ManageUsers).is_ok();
        self.db().write(|c| {
            let owner = db::tokens::owner(c, id)?;
            match owner {
                Some(o) if o == actor.user_id || admin => {}
                _ => return Err(Error::NotFound("API token")),
            }
            db::tokens::revoke(c, id, db::now())?;
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::ApiTokenRevoked,
                None,
                &format!("token_id={id}"),
            )?;
            Ok(())
        })
    }
}
