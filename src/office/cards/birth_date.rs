//! A resident's date of birth: a day, or only a month and year, or only a
//! year, as their documents give it (issue 13).
//!
//! The type is the credential crate's [`BirthDate`], so the office, the card
//! and every verifier mean the same thing by it. Rules that need a day use
//! its bounds, never an invented 1 January:
//!
//! - [`BirthDate::latest`] (= [`BirthDate::youngest_possible_birthday`]) and
//!   [`BirthDate::youngest_age_on`]: for age rules that must not make a
//!   person older than they can be (a minor's validity, a minimum age);
//! - [`BirthDate::earliest`] and [`BirthDate::oldest_age_on`]: the other way.
//!
//! Forms: [`BirthDate::iso`] (`1987-03-14`, `1987-03`, `1987`) in the API,
//! the CLI and the duplicate check; [`BirthDate::display`] on the card and
//! pages (`14.03.1987`, `03.1987`, `1987`; English `03/1987`). Clerks type
//! them as `src/dates.rs` parses them.

pub use citycard_credential::BirthDate;
