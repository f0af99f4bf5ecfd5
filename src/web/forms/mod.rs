//! Form parsing shared by the clerk UI and the JSON API: the photo (one
//! pipeline: size limit, type sniffing, re-encoding), dates of birth (the
//! one parser in [`crate::dates`]), names and the attestation checkboxes.
//!
//! Each part gives a value or the field's problem as data; the UI
//! translates the problem next to its field (and reports every field at
//! once), the API answers with the first one. The rules themselves stay in
//! the domain (it checks them again).

pub mod photo;

use crate::dates::{DateProblem, DateSyntax};
use crate::office::cards::{Attestation, clean_name};
use citycard_credential::date::today_utc;

pub use photo::{PhotoError, PhotoInput, photo};

/// A typed date of birth: blank is `None`; otherwise a plausible date of
/// birth written in `syntax` (the UI: ISO or German, the API: ISO), a
/// day, or only a month and year, or only a year.
pub fn date_of_birth(
    text: Option<&str>,
    syntax: DateSyntax,
) -> Result<Option<citycard_credential::BirthDate>, DateProblem> {
    crate::dates::parse_date_of_birth(text.unwrap_or_default(), syntax, today_utc())
}

/// The problems of the typed names (given names may be empty), in field
/// order, so that a form can show every one at once.
pub fn name_problems(given_names: &str, family_name: &str) -> Vec<crate::Error> {
    [
        ("given_names", given_names, true),
        ("family_name", family_name, false),
    ]
    .into_iter()
    .filter_map(|(field, text, may_be_empty)| clean_name(field, text, may_be_empty).err())
    .collect()
}

/// The attestation from its checkboxes (or the API's booleans). The
/// caretaker's is asked for minors only: the domain refuses when it is
/// needed and missing.
pub fn attestation(
    identity_checked: bool,
    residence_checked: bool,
    caretaker_present: bool,
) -> Attestation {
    Attestation {
        identity_checked,
        residence_checked,
        caretaker_present,
    }
}

/// The UI's checkbox fields of an attestation that are not ticked.
pub fn unticked(a: Attestation) -> impl Iterator<Item = &'static str> {
    [
        (a.identity_checked, "attest_identity"),
        (a.residence_checked, "attest_residence"),
    ]
    .into_iter()
    .filter(|(ticked, _)| !ticked)
    .map(|(_, field)| field)
}
