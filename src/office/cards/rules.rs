//! The rules a card's data must follow: names, photo, date of birth, and
//! the expiry arithmetic.

use crate::config::DateOfBirthPolicy;
use crate::error::{Error, Result, Rule};
use crate::office::{Office, today};
use crate::vault::PersonalData;
use citycard_credential::{Date, NameField, date, names};

/// Largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// A name as typed, normalised (NFC, spaces collapsed) and checked
/// (`field` is `given_names` or `family_name`). The enrolment does this
/// itself; forms call it to report every field's problem at once.
pub fn clean_name(field: &'static str, text: &str, may_be_empty: bool) -> Result<String> {
    let which = if field == "given_names" {
        NameField::GivenNames
    } else {
        NameField::FamilyName
    };
    if text.len() > 4 * names::MAX_NAME_BYTES {
        return Err(Error::invalid(field, Rule::TooLong));
    }
    let n = names::normalize(text);
    names::check(which, &n, may_be_empty)
        .and_then(|()| names::check_assigned(which, &n))
        .map_err(|e| {
            use citycard_credential::NameProblem as P;
            let (rule, code_point) = match e {
                citycard_credential::Error::Name { problem, .. } => match problem {
                    P::Empty => (Rule::Required, None),
                    P::TooManyChars { .. } | P::TooManyBytes { .. } => (Rule::TooLong, None),
                    P::ForbiddenChar { code_point } | P::Unassigned { code_point } => {
                        (Rule::Characters, Some(code_point))
                    }
                    _ => (Rule::Characters, None),
                },
                _ => (Rule::Characters, None),
            };
            Error::Invalid {
                field,
                rule,
                code_point,
            }
        })?;
    Ok(n)
}

pub(super) fn check_photo(photo: Option<&[u8]>) -> Result<()> {
    let Some(p) = photo else {
        return Ok(());
    };
    if p.len() > MAX_PHOTO_BYTES {
        return Err(Error::invalid("photo", Rule::TooLarge));
    }
    let jpeg = p.starts_with(&[0xFF, 0xD8, 0xFF]);
    let png = p.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    if !(jpeg || png) {
        return Err(Error::invalid("photo", Rule::NotAnImage));
    }
    Ok(())
}

/// The words of names, loosely folded (for matching given names).
pub(super) fn loose_words(names: &str) -> Vec<String> {
    crate::vault::fold_loosely(names)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The same day `years` later (29 February → 28 February).
pub(super) fn add_years(d: Date, years: u8) -> Date {
    let year = d.year().saturating_add(i32::from(years));
    d.replace_year(year)
        .or_else(|_| d.replace_day(28).and_then(|d28| d28.replace_year(year)))
        .unwrap_or(Date::MAX)
}

impl Office {
    pub(super) fn validate_personal(
        &self,
        given_names: &str,
        family_name: &str,
        date_of_birth: Option<Date>,
    ) -> Result<PersonalData> {
        let given_names = clean_name("given_names", given_names, true)?;
        let family_name = clean_name("family_name", family_name, false)?;
        match (self.config().date_of_birth, date_of_birth) {
            (DateOfBirthPolicy::Required, None) => {
                return Err(Error::invalid("date_of_birth", Rule::Required));
            }
            (DateOfBirthPolicy::None, Some(_)) => {
                return Err(Error::invalid("date_of_birth", Rule::NotCollected));
            }
            _ => {}
        }
        if let Some(d) = date_of_birth {
            if d > today() {
                return Err(Error::invalid("date_of_birth", Rule::InFuture));
            }
            if date::check_range(d, "date of birth").is_err() {
                return Err(Error::invalid("date_of_birth", Rule::TooEarly));
            }
        }
        Ok(PersonalData {
            given_names,
            family_name,
            date_of_birth,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::publish::add_days;

    #[test]
    fn expiry_arithmetic() {
        let d = |s| date::parse(s).unwrap();
        assert_eq!(add_years(d("2028-02-29"), 5), d("2033-02-28"));
        assert_eq!(add_years(d("2026-03-01"), 5), d("2031-03-01"));
        assert_eq!(add_days(d("2026-12-30"), 7), d("2027-01-06"));
    }

    #[test]
    fn names_are_normalised_and_checked() {
        assert_eq!(
            clean_name("family_name", "  Müller   Lüdenscheidt ", false).unwrap(),
            "Müller Lüdenscheidt"
        );
        assert!(clean_name("family_name", "", false).is_err());
        assert_eq!(clean_name("given_names", "", true).unwrap(), "");
        let e = clean_name("family_name", &"x".repeat(500), false).unwrap_err();
        assert_eq!(e.code(), "invalid_input");
        assert!(e.to_string().starts_with("family_name: "), "{e}");
        let e = clean_name("given_names", "Ann\u{202E}a", true).unwrap_err();
        assert!(e.to_string().contains("U+202E"), "{e}");
        assert!(!e.to_string().contains("Ann"), "{e}");
        assert!(clean_name("given_names", "A\u{0007}", true).is_err());
    }

    /// Issue 10 finding 11: invisible (default-ignorable) and unassigned
    /// code points are refused, naming the code point, never the name.
    #[test]
    fn invisible_and_unassigned_code_points_are_refused() {
        for (text, cp) in [
            ("Ana\u{200B}Maria", "U+200B"),
            ("Ana\u{2060}", "U+2060"),
            ("Mül\u{00AD}ler", "U+00AD"),
            ("\u{3164}", "U+3164"),
            ("\u{3164}\u{3164}\u{3164}", "U+3164"),
            ("Ana\u{0378}", "U+0378"),
        ] {
            let e = clean_name("family_name", text, false).unwrap_err();
            assert_eq!(e.rule(), Some(Rule::Characters), "{cp}");
            assert!(e.to_string().contains(cp), "{e}");
            assert!(!e.to_string().contains("Ana"), "{e}");
        }
        assert!(clean_name("given_names", "زهرا\u{200C}سادات", true).is_ok());
    }

    /// The credential crate writes Default_Ignorable_Code_Point out (§5
    /// lists it); it must be exactly ICU's data for the property.
    #[test]
    fn the_default_ignorable_list_is_the_unicode_property() {
        use icu_properties::{CodePointSetData, props::DefaultIgnorableCodePoint};
        let icu = CodePointSetData::new::<DefaultIgnorableCodePoint>();
        let differ: Vec<String> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| names::is_default_ignorable(c) != icu.contains(c))
            .map(|c| format!("U+{:04X}", u32::from(c)))
            .collect();
        assert!(differ.is_empty(), "{differ:?}");
    }

    #[test]
    fn photos_are_checked() {
        check_photo(None).unwrap();
        check_photo(Some(&[0xFF, 0xD8, 0xFF, 0xE0])).unwrap();
        assert!(check_photo(Some(b"GIF89a")).is_err());
        let big = [vec![0xFF, 0xD8, 0xFF], vec![0; MAX_PHOTO_BYTES]].concat();
        assert!(check_photo(Some(&big)).is_err());
    }
}
