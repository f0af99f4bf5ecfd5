//! The application state every handler gets: `web::Data<AppState>`.
//!
//! ```ignore
//! async fn handler(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
//!     let actor = user.actor().clone();
//!     let cards = state.run(move |office| office.print_queue(&actor)).await?;
//!     …
//! }
//! ```
//!
//! [`AppState::run`] runs a blocking [`Office`] call on actix's blocking
//! thread pool (`web::block`), never on an async worker, and maps the
//! domain error to [`AppError`]. UI handlers add `.map_err(AppError::html)`.

use super::error::AppError;
use crate::config::{Config, IpNet};
use crate::office::Office;

/// What the handlers share: the office (which holds the configuration) and
/// the web settings derived from it. Cheap to share (`web::Data` is an
/// `Arc`).
#[derive(Debug)]
pub struct AppState {
    office: Office,
    secure_cookies: bool,
    development_keys: bool,
}

impl AppState {
    /// The state for this office. Cookies get `Secure` as the
    /// configuration's `secure_cookies` says ([`Config::cookies_secure`]:
    /// by default when the office serves TLS itself; `true` behind a
    /// TLS-terminating proxy).
    pub fn new(office: Office) -> Self {
        let secure_cookies = office.config().cookies_secure();
        let development_keys = crate::office::dev_keys::office_uses_development_keys(&office);
        AppState {
            office,
            secure_cookies,
            development_keys,
        }
    }

    /// Forces `Secure` cookies on or off (tests, or TLS terminated by a proxy).
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// The office (its methods block: call them through [`AppState::run`]).
    pub fn office(&self) -> &Office {
        &self.office
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.office.config()
    }

    /// Whether the office runs on development keys (every clerk-UI page
    /// then shows a banner; [`crate::office::dev_keys::office_uses_development_keys`]).
    pub fn development_keys(&self) -> bool {
        self.development_keys
    }

    /// Whether cookies are marked `Secure` (served over TLS).
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// The proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> &[IpNet] {
        &self.office.config().trusted_proxies
    }

    /// Runs a blocking office call on the blocking thread pool and maps its
    /// error (`web::block`).
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&Office) -> crate::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let office = self.office.clone();
        actix_web::web::block(move || f(&office))
            .await?
            .map_err(AppError::from)
    }

    /// Like [`AppState::run`], for a closure that answers with an
    /// [`AppError`] itself (an office call that also renders a PDF).
    pub async fn run_app<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&Office) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let office = self.office.clone();
        actix_web::web::block(move || f(&office)).await?
    }
}
