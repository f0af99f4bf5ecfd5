//! The counter's pages: overview, enrol and issue (with the duplicate
//! warning), the card page, renew / replace / revoke / erase, search,
//! printing.

mod card;
mod enrol;
mod lifecycle;
mod search;

pub use card::{card, card_page};
pub use enrol::{enrol, enrol_form};
pub use lifecycle::{
    erase, erase_form, renew, renew_form, replace, replace_form, revoke, revoke_form,
};
pub use search::{search_form, search_name, search_number};

use super::errors::field_error;
use super::i18n::Lang;
use super::upload::{PhotoUpload, UploadForm};
use super::view::FieldErrors;
use crate::config::DateOfBirthPolicy;
use crate::dates::{DateProblem, DateSyntax};
use crate::office::cards::Attestation;
use crate::office::cards::parse_card_number;
use crate::web::error::AppError;
use crate::web::forms::{self, PhotoError, PhotoInput};
use crate::web::state::AppState;
use citycard_credential::{CardNumber, Date};

pub(super) fn number_from_path(path: &str) -> Result<CardNumber, AppError> {
    parse_card_number(path).map_err(|_| AppError::not_found("card").html())
}

pub(super) fn dob_policy(state: &AppState) -> (bool, bool) {
    match state.config().date_of_birth {
        DateOfBirthPolicy::Required => (true, true),
        DateOfBirthPolicy::Optional => (true, false),
        DateOfBirthPolicy::None => (false, false),
    }
}

/// A typed date of birth (German `14.03.1988` or ISO): empty is `None`;
/// anything else that is not a plausible date of birth is a field error
/// that says why.
pub(super) fn parse_dob(lang: Lang, text: &str, errors: &mut FieldErrors) -> Option<Date> {
    match forms::date_of_birth(Some(text), DateSyntax::IsoOrGerman) {
        Ok(d) => d,
        Err(problem) => {
            let days = match problem {
                DateProblem::NoSuchDay { days_in_month } => days_in_month.to_string(),
                _ => String::new(),
            };
            errors.add(
                "date_of_birth",
                lang.tf(
                    &format!("field.date_{}", problem.code()),
                    &[("days", &days)],
                ),
            );
            None
        }
    }
}

/// The photo of a form (the file, else the kept one), re-encoded, or a
/// field error.
pub(super) async fn photo_of(
    lang: Lang,
    form: &mut UploadForm,
    errors: &mut FieldErrors,
) -> Result<Option<Vec<u8>>, AppError> {
    let input = match std::mem::take(&mut form.photo) {
        PhotoUpload::TooLarge => PhotoInput::TooLarge,
        PhotoUpload::Bytes(b) => PhotoInput::Bytes(b),
        PhotoUpload::None => PhotoInput::Base64(form.text("photo_kept").to_owned()),
    };
    let key = match forms::photo(input).await {
        Err(e) => return Err(AppError::from(e).html()),
        Ok(Ok(p)) => return Ok(p),
        Ok(Err(PhotoError::NotBase64)) => {
            return Err(AppError::bad_body("the kept photo is damaged").html());
        }
        Ok(Err(PhotoError::TooLarge)) => "field.photo_too_large",
        Ok(Err(PhotoError::TooSmall)) => "field.photo_too_small",
        Ok(Err(PhotoError::TooManyPixels)) => "field.photo_too_many_pixels",
        Ok(Err(_)) => "field.photo",
    };
    errors.add("photo", lang.t(key));
    Ok(None)
}

/// The attestation checkboxes; each one not ticked is a field error.
pub(super) fn attestation_of(
    lang: Lang,
    form: &UploadForm,
    errors: &mut FieldErrors,
) -> Attestation {
    let a = forms::attestation(
        form.checked("attest_identity"),
        form.checked("attest_residence"),
    );
    for field in forms::unticked(a) {
        errors.add(field, lang.t(&format!("field.{field}")));
    }
    a
}

/// Adds the field error of a domain error, or gives the error back.
pub(super) fn to_field(lang: Lang, e: AppError, errors: &mut FieldErrors) -> Result<(), AppError> {
    if let Some((field, msg)) = crate::web::ui::errors::unprintable_field_error(lang, &e) {
        errors.add(field, msg);
        return Ok(());
    }
    match field_error(lang, &e) {
        Some((field, msg)) => {
            errors.add(field, msg);
            Ok(())
        }
        None => Err(e.html()),
    }
}
