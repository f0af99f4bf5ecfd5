//! The rules a card's data must follow: names, photo, date of birth, and
//! the expiry arithmetic.

use crate::config::{AgeRules, DateOfBirthPolicy, RenewalWindow};
use crate::error::{Error, Result, Rule};
use crate::office::Office;
use crate::vault::PersonalData;
use citycard_credential::{BirthDate, Date, NameField, date, names};

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

/// The resident's age on `day` in whole years: the one function that turns
/// a date of birth into an age (minimum age, caretaker, validity band).
/// It answers the *youngest possible* age ([`BirthDate::youngest_age_on`]:
/// born on the last day the date allows), so that a year-only or
/// year-and-month date of birth never gives a minor an adult's validity.
pub fn age_on(date_of_birth: BirthDate, day: Date) -> u32 {
    u32::try_from(date_of_birth.youngest_age_on(day)).unwrap_or(0)
}

/// What the age bands say about a resident on the day of issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeBand {
    /// The youngest possible age (`None`: no date of birth recorded).
    pub age: Option<u32>,
    /// Below the minimum age: no card.
    pub too_young: bool,
    /// A caretaker must be present (the clerk attests it).
    pub caretaker_needed: bool,
    /// Years of validity of a card issued today.
    pub validity_years: u8,
}

/// The age band of a resident born on `date_of_birth`, on `today`. Without
/// a date of birth the office cannot tell an age: the adult validity
/// applies and no age rule is checked (an office that enrols minors sets
/// `date_of_birth = "required"`; docs/office.md).
pub fn age_band(
    rules: &AgeRules,
    adult_years: u8,
    date_of_birth: Option<BirthDate>,
    today: Date,
) -> AgeBand {
    let age = date_of_birth.map(|d| age_on(d, today));
    let below = |limit: u8| age.is_some_and(|a| a < u32::from(limit));
    AgeBand {
        age,
        too_young: below(rules.minimum_age),
        caretaker_needed: below(rules.caretaker_under),
        validity_years: if below(rules.minors_under) {
            rules.minor_validity_years
        } else {
            adult_years
        },
    }
}

/// Where a card stands in its renewal window on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalState {
    /// Too early: the window opens on `opens`.
    NotYet {
        /// First day of the window.
        opens: Date,
        /// Last day of the window.
        closes: Date,
    },
    /// The card may be renewed until `closes`.
    Open {
        /// Last day of the window.
        closes: Date,
    },
    /// Too late: the window closed on `closed`; a new enrolment is needed.
    Closed {
        /// First day of the window.
        opened: Date,
        /// Last day of the window.
        closed: Date,
    },
}

/// The renewal window of a card whose last valid day is `expires`.
pub fn renewal_state(window: &RenewalWindow, expires: Date, today: Date) -> RenewalState {
    let opens = expires
        .checked_sub(time::Duration::days(i64::from(window.days_before)))
        .unwrap_or(Date::MIN);
    let closes = expires
        .checked_add(time::Duration::days(i64::from(window.days_after)))
        .unwrap_or(Date::MAX);
    if today < opens {
        RenewalState::NotYet { opens, closes }
    } else if today > closes {
        RenewalState::Closed {
            opened: opens,
            closed: closes,
        }
    } else {
        RenewalState::Open { closes }
    }
}

impl RenewalState {
    /// Refuses a renewal outside the window.
    pub fn require_open(self) -> Result<()> {
        match self {
            RenewalState::Open { .. } => Ok(()),
            RenewalState::NotYet { opens, closes } => Err(Error::OutsideRenewalWindow {
                opens,
                closes,
                too_early: true,
            }),
            RenewalState::Closed { opened, closed } => Err(Error::OutsideRenewalWindow {
                opens: opened,
                closes: closed,
                too_early: false,
            }),
        }
    }
}

impl Office {
    /// The age band of a resident born on `date_of_birth`, today.
    pub fn age_band(&self, date_of_birth: Option<BirthDate>) -> AgeBand {
        let c = self.config();
        age_band(&c.ages, c.card_validity_years, date_of_birth, self.today())
    }

    pub(super) fn validate_personal(
        &self,
        given_names: &str,
        family_name: &str,
        date_of_birth: Option<BirthDate>,
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
            // A partial date is in the future only when all of it is: a
            // year of birth may be this year.
            if d.earliest() > self.today() {
                return Err(Error::invalid("date_of_birth", Rule::InFuture));
            }
            if date::check_range(d.earliest(), "date of birth").is_err()
                || date::check_range(d.latest(), "date of birth").is_err()
            {
                return Err(Error::invalid("date_of_birth", Rule::TooEarly));
            }
            if self.age_band(Some(d)).too_young {
                return Err(Error::invalid("date_of_birth", Rule::TooYoung));
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

    const AGES: AgeRules = AgeRules {
        minimum_age: 10,
        caretaker_under: 14,
        minors_under: 14,
        minor_validity_years: 2,
    };

    #[test]
    fn age_is_whole_years_completed() {
        let d = |s| BirthDate::Day(date::parse(s).unwrap());
        let on = |s| date::parse(s).unwrap();
        assert_eq!(age_on(d("2014-06-15"), on("2026-06-14")), 11);
        assert_eq!(age_on(d("2014-06-15"), on("2026-06-15")), 12);
        assert_eq!(age_on(d("2012-02-29"), on("2026-02-28")), 13);
        assert_eq!(age_on(d("2012-02-29"), on("2026-03-01")), 14);
        assert_eq!(age_on(d("2026-12-01"), on("2026-12-01")), 0);
    }

    #[test]
    fn a_partial_date_of_birth_gives_the_youngest_possible_age() {
        let on = |s| date::parse(s).unwrap();
        // Born "2012": possibly on 31 December, so 13 until then.
        let year = BirthDate::Year(2012);
        assert_eq!(age_on(year, on("2026-12-30")), 13);
        assert_eq!(age_on(year, on("2026-12-31")), 14);
        let band = age_band(&AGES, 5, Some(year), on("2026-12-01"));
        assert_eq!((band.validity_years, band.caretaker_needed), (2, true));
        // Born "06.2012": possibly on 30 June.
        let june = BirthDate::month(2012, 6).unwrap();
        assert_eq!(age_on(june, on("2026-06-29")), 13);
        assert_eq!(age_on(june, on("2026-06-30")), 14);
        // "2016": maybe not yet 10 until the year's last day.
        assert!(age_band(&AGES, 5, Some(BirthDate::Year(2016)), on("2026-12-30")).too_young);
        assert!(!age_band(&AGES, 5, Some(BirthDate::Year(2016)), on("2026-12-31")).too_young);
    }

    #[test]
    fn age_bands_give_minors_the_shorter_validity() {
        let d = |s| BirthDate::Day(date::parse(s).unwrap());
        let today = date::parse("2026-12-01").unwrap();
        let twelve = age_band(&AGES, 5, Some(d("2014-06-15")), today);
        assert_eq!(twelve.age, Some(12));
        assert!(twelve.caretaker_needed && !twelve.too_young);
        assert_eq!(twelve.validity_years, 2);
        // The day before the 14th birthday: still a minor.
        let almost = age_band(&AGES, 5, Some(d("2012-12-02")), today);
        assert_eq!((almost.validity_years, almost.caretaker_needed), (2, true));
        let fourteen = age_band(&AGES, 5, Some(d("2012-12-01")), today);
        assert_eq!(
            (fourteen.validity_years, fourteen.caretaker_needed),
            (5, false)
        );
        assert!(age_band(&AGES, 5, Some(d("2016-12-02")), today).too_young);
        assert!(!age_band(&AGES, 5, Some(d("2016-12-01")), today).too_young);
        let unknown = age_band(&AGES, 5, None, today);
        assert_eq!(unknown.validity_years, 5);
        assert!(!unknown.too_young && !unknown.caretaker_needed);
    }

    #[test]
    fn renewal_window_bounds() {
        let d = |s| date::parse(s).unwrap();
        let w = RenewalWindow {
            days_before: 60,
            days_after: 180,
        };
        let expires = d("2027-06-30");
        assert!(matches!(
            renewal_state(&w, expires, d("2027-04-30")),
            RenewalState::NotYet { .. }
        ));
        assert!(
            renewal_state(&w, expires, d("2027-05-01"))
                .require_open()
                .is_ok()
        );
        assert!(
            renewal_state(&w, expires, d("2027-12-27"))
                .require_open()
                .is_ok()
        );
        let late = renewal_state(&w, expires, d("2027-12-28"))
            .require_open()
            .unwrap_err();
        assert_eq!(late.code(), "outside_renewal_window");
        assert!(late.to_string().contains("2027-12-27"), "{late}");
        let early = renewal_state(&w, expires, d("2027-01-01"))
            .require_open()
            .unwrap_err();
        assert!(early.to_string().contains("2027-05-01"), "{early}");
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
