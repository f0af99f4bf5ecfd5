//! Who acts: the roles, what each role may do, and the actor that every
//! domain function takes. Nothing here touches the database; the accounts,
//! cards and audit modules all depend on this file and it on none of them.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// What a user may do, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Users and keys.
    Admin,
    /// Revoke, erase, reprint; and everything a clerk does.
    Supervisor,
    /// Enrol, issue, renew, replace, search, print.
    Clerk,
    /// Reads the audit log, nothing else.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Supervisor, Role::Clerk, Role::Auditor];

    /// The name stored and shown: `admin`, `supervisor`, `clerk`, `auditor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Clerk => "clerk",
            Role::Auditor => "auditor",
        }
    }

    /// Whether this role has the permission.
    pub fn allows(self, p: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Admin => matches!(
                p,
                P::ManageUsers | P::ManageKeys | P::ManageSites | P::ReadFigures
            ),
            Role::Supervisor => matches!(
                p,
                P::IssueCards
                    | P::SearchCards
                    | P::PrintCards
                    | P::ReprintCards
                    | P::RevokeCards
                    | P::EraseResidents
                    | P::HandOverCards
            ),
            Role::Clerk => matches!(
                p,
                P::IssueCards | P::SearchCards | P::PrintCards | P::HandOverCards
            ),
            Role::Auditor => matches!(p, P::ReadAudit),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| Error::invalid("role", crate::error::Rule::Choice))
    }
}

/// Something a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Enrol residents, issue, renew and replace cards.
    IssueCards,
    /// Search for and look at cards.
    SearchCards,
    /// See the print queue, print a card once and mark it printed.
    PrintCards,
    /// Print a card again after it was marked printed.
    ReprintCards,
    /// Revoke a card.
    RevokeCards,
    /// Erase a resident's personal data.
    EraseResidents,
    /// Create, change and disable users.
    ManageUsers,
    /// See and manage the office's keys and lists.
    ManageKeys,
    /// Read and export the audit log.
    ReadAudit,
    /// Send, receive, hand over and destroy cards on their way to a
    /// resident (the pick-up list).
    HandOverCards,
    /// Create, rename, close and reopen sites.
    ManageSites,
    /// See the per-site figures (counts only).
    ReadFigures,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 12] = [
        Permission::IssueCards,
        Permission::SearchCards,
        Permission::PrintCards,
        Permission::ReprintCards,
        Permission::RevokeCards,
        Permission::EraseResidents,
        Permission::ManageUsers,
        Permission::ManageKeys,
        Permission::ReadAudit,
        Permission::HandOverCards,
        Permission::ManageSites,
        Permission::ReadFigures,
    ];

    /// The stable code an API token's `permissions` list names it by.
    pub fn code(self) -> &'static str {
        match self {
            Permission::IssueCards => "cards.issue",
            Permission::SearchCards => "cards.read",
            Permission::PrintCards => "cards.print",
            Permission::ReprintCards => "cards.reprint",
            Permission::RevokeCards => "cards.revoke",
            Permission::EraseResidents => "residents.erase",
            Permission::ManageUsers => "users.manage",
            Permission::ManageKeys => "keys.manage",
            Permission::ReadAudit => "audit.read",
            Permission::HandOverCards => "cards.hand_over",
            Permission::ManageSites => "sites.manage",
            Permission::ReadFigures => "figures.read",
        }
    }

    /// The permission of a code (`None`: no such permission).
    pub fn from_code(code: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.code() == code)
    }

    /// What it allows, for messages: "a clerk may not {…}".
    pub fn describe(self) -> &'static str {
        match self {
            Permission::IssueCards => "issue cards",
            Permission::SearchCards => "search cards",
            Permission::PrintCards => "print cards",
            Permission::ReprintCards => "reprint cards",
            Permission::RevokeCards => "revoke cards",
            Permission::EraseResidents => "erase residents",
            Permission::ManageUsers => "manage users",
            Permission::ManageKeys => "manage keys",
            Permission::ReadAudit => "read the audit log",
            Permission::HandOverCards => "hand over cards",
            Permission::ManageSites => "manage sites",
            Permission::ReadFigures => "see the per-site figures",
        }
    }
}

/// Who does something: every domain operation takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id (0 for the command line).
    pub user_id: i64,
    /// The user name (what the audit log records).
    pub username: String,
    /// The role.
    pub role: Role,
    /// The office the user works at (this server's office: the city's
    /// deployment, never a site).
    pub office: String,
    /// The user's site (`None`: city-wide). Sealed in the audit log.
    pub site: Option<i64>,
    /// The user has a one-time password and may do nothing but change it.
    pub must_change_password: bool,
    /// Set when the request came with an API token (not a password
    /// session): what the token is limited to.
    pub api_token: Option<TokenScope>,
}

/// What an API token may do: its owner's role, or a part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenScope {
    /// The token's id.
    pub token_id: i64,
    /// The permissions the token is limited to (`None`: the owner's whole
    /// role). The role still decides too: a token never does more than its
    /// owner's role of the moment allows.
    pub permissions: Option<Vec<Permission>>,
}

impl TokenScope {
    /// Whether the token allows the permission (the role aside).
    pub fn allows(&self, p: Permission) -> bool {
        self.permissions.as_ref().is_none_or(|ps| ps.contains(&p))
    }
}

impl Actor {
    /// The operator at the server's command line (`citycard admin …`):
    /// an admin, recorded as `cli` in the audit log.
    pub fn command_line(office: &str) -> Actor {
        Actor {
            user_id: 0,
            username: "cli".to_owned(),
            role: Role::Admin,
            office: office.to_owned(),
            must_change_password: false,
            api_token: None,
            site: None,
        }
    }

    /// The deletion schedule run by the daily maintenance, recorded as
    /// `deletion-schedule` in the audit log. It erases through the one
    /// erasure function; no person acts.
    pub fn deletion_schedule(office: &str) -> Actor {
        Actor {
            user_id: 0,
            username: "deletion-schedule".to_owned(),
            role: Role::Admin,
            office: office.to_owned(),
            must_change_password: false,
            api_token: None,
            site: None,
        }
    }

    /// The operator at the server's command line printing the queue
    /// (`citycard print --queue`), recorded as `cli` in the audit log.
    ///
    /// [`Actor::command_line`] is an admin, and admins may not print (users
    /// and keys are kept apart from cards). Whoever runs the command line
    /// on the server already holds the configuration, the database and
    /// `data.key`, so printing from it adds no access; it gets the least
    /// role that prints: a clerk's (the queue, print once, mark printed —
    /// no reprint, revoke or erase).
    pub fn command_line_printing(office: &str) -> Actor {
        Actor {
            role: Role::Clerk,
            ..Actor::command_line(office)
        }
    }

    /// The daily maintenance revoking cards not collected in time,
    /// recorded as `pickup-schedule` in the audit log.
    pub fn pickup_schedule(office: &str) -> Actor {
        Actor {
            username: "pickup-schedule".to_owned(),
            ..Actor::command_line(office)
        }
    }

    /// A stand-in for "a user of this site", to ask what that site's lists
    /// hold (no one acts as it).
    pub(crate) fn site_probe(office: &str, site: i64) -> Actor {
        Actor {
            username: String::new(),
            role: Role::Clerk,
            site: Some(site),
            ..Actor::command_line(office)
        }
    }

    /// Who acted, as the audit log records it (sealed there): the user
    /// name, and the site for a site's user (`maria@site:123`).
    pub fn who(&self) -> String {
        match self.site {
            Some(s) => format!("{}@site:{s}", self.username),
            None => self.username.clone(),
        }
    }

    /// Refuses unless the actor's role has the permission, an API token the
    /// request came with allows it too, and no password change is pending.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.must_change_password {
            return Err(Error::PasswordChangeRequired);
        }
        let token_allows = self.api_token.as_ref().is_none_or(|t| t.allows(p));
        if !token_allows {
            return Err(Error::TokenForbidden {
                action: p.describe(),
            });
        }
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                role: self.role.as_str(),
                action: p.describe(),
            })
        }
    }
}
