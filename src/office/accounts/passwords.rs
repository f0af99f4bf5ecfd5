//! Passwords: hashing (argon2id), the rules a new password must follow,
//! one-time passwords, and setting or changing a password.

use super::password_checks::PasswordCheckPermit;
use super::tokens::token_hash;
use crate::db;
use crate::db::users::by_id as load_user_by_id;
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::office::actor::Actor;
use crate::office::audit::{self, AuditAction};
use crate::vault::random_bytes;
use secrecy::{ExposeSecret, SecretString};

/// Fewest characters in a password.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Most bytes in a password (hashing cost is bounded).
pub const MAX_PASSWORD_BYTES: usize = 256;

/// A hash to verify against when the user does not exist, so that the
/// answer takes as long as for a real user.
pub(super) fn dummy_hash(permit: &PasswordCheckPermit) -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        permit
            .hash(&SecretString::from("dummy password for timing"))
            .unwrap_or_else(|_| String::new())
    })
}

/// Checks the password rules: 10 to 256 bytes' worth, not just spaces, not
/// the user name.
pub fn check_password_rules(username: &str, password: &SecretString) -> Result<()> {
    let p = password.expose_secret();
    if p.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid("password", Rule::TooShort));
    }
    if p.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid("password", Rule::TooLong));
    }
    if p.trim().is_empty() || p.chars().any(char::is_control) {
        return Err(Error::invalid("password", Rule::Characters));
    }
    if p.trim().to_lowercase() == username.trim().to_lowercase() {
        return Err(Error::invalid("password", Rule::SameAsUsername));
    }
    Ok(())
}

/// A one-time password: 20 characters from an alphabet without look-alikes.
pub(super) fn one_time_password() -> Result<SecretString> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479";
    let bytes = random_bytes::<20>()?;
    let s: String = bytes
        .iter()
        .map(|b| {
            let i = usize::from(*b) % ALPHABET.len();
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect();
    Ok(SecretString::from(s))
}

impl Office {
    /// A user changes their own password (required after a one-time
    /// password). Ends every other session of the user and revokes all
    /// their API tokens. Needs a password session: an API token cannot
    /// change the password that made it ([`Error::SessionRequired`]).
    pub fn change_own_password(
        &self,
        actor: &Actor,
        current: &SecretString,
        new: &SecretString,
        keep_session: Option<&SecretString>,
    ) -> Result<()> {
        if actor.api_token.is_some() {
            return Err(Error::SessionRequired);
        }
        check_password_rules(&actor.username, new)?;
        let user = self
            .db()
            .read(|c| load_user_by_id(c, actor.user_id))?
            .ok_or(Error::Unauthenticated)?;
        if user.disabled {
            return Err(Error::Unauthenticated);
        }
        let permit = self.password_checks().try_permit()?;
        if !permit.verify(current, &user.password_hash) {
            return Err(Error::invalid("current_password", Rule::Wrong));
        }
        if permit.verify(new, &user.password_hash) {
            return Err(Error::invalid("password", Rule::SameAsCurrent));
        }
        let hash = permit.hash(new)?;
        drop(permit);
        let keep = keep_session.map(|t| token_hash(t.expose_secret()));
        self.write_accounts(|c| {
            let now = db::now();
            db::users::store_password(c, user.id, &hash, false, now)?;
            // A new password ends the user's API tokens too.
            db::tokens::revoke_of_user(c, user.id, now)?;
            match &keep {
                Some(k) => db::sessions::delete_of_user_except(c, user.id, k)?,
                None => {
                    db::sessions::delete_of_user(c, user.id)?;
                }
            }
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::PasswordChanged,
                None,
                &format!("user={}", user.username),
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_with_the_required_parameters() {
        let checks = super::super::password_checks::PasswordChecks::new(19);
        let permit = checks.try_permit().unwrap();
        let hash_password = |p: &SecretString| permit.hash(p);
        let verify_password = |p: &SecretString, h: &str| permit.verify(p, h);
        let hash = hash_password(&SecretString::from("correct horse battery")).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(
            &SecretString::from("correct horse battery"),
            &hash
        ));
        assert!(!verify_password(
            &SecretString::from("correct horse batter"),
            &hash
        ));
        assert!(!verify_password(&SecretString::from("x"), "not a hash"));
        assert_eq!(checks.verifications(), 2);
        let otp = one_time_password().unwrap();
        assert_eq!(otp.expose_secret().len(), 20);
    }
}
