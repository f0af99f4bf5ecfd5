//! A date of birth as identity documents give it: a whole day, or only a
//! month and year, or only a year (`docs/card-format.md` §5.1).
//!
//! Many refugees' documents give only a year of birth. A partial date is
//! carried as what it is, never as an invented 1 January: it is written
//! `1987` or `03.1987` (English `03/1987`), and rules that need a day ask
//! for the earliest or latest day it can be ([`BirthDate::earliest`],
//! [`BirthDate::latest`]) or the youngest age the person can have
//! ([`BirthDate::youngest_age_on`]).

use crate::date;
use std::fmt;
use time::{Date, Month};

/// First year the format holds (1900, as the earliest day).
pub const MIN_YEAR: i32 = 1900;
/// Last year the format holds (2199, as the latest day).
pub const MAX_YEAR: i32 = 2199;

/// A date of birth: a day, a month of a year, or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BirthDate {
    /// The day is known.
    Day(Date),
    /// Only the month and the year are known.
    Month {
        /// Year, [`MIN_YEAR`]..=[`MAX_YEAR`].
        year: i32,
        /// Month of that year.
        month: Month,
    },
    /// Only the year is known, [`MIN_YEAR`]..=[`MAX_YEAR`].
    Year(i32),
}

impl BirthDate {
    /// A month of a year, if the year is in range.
    pub fn month(year: i32, month: u8) -> Option<Self> {
        let month = Month::try_from(month).ok()?;
        (MIN_YEAR..=MAX_YEAR)
            .contains(&year)
            .then_some(BirthDate::Month { year, month })
    }

    /// A year, if in range.
    pub fn year(year: i32) -> Option<Self> {
        (MIN_YEAR..=MAX_YEAR)
            .contains(&year)
            .then_some(BirthDate::Year(year))
    }

    /// The earliest day the person can have been born on.
    pub fn earliest(self) -> Date {
        match self {
            BirthDate::Day(d) => d,
            BirthDate::Month { year, month } => first_of(year, month),
            BirthDate::Year(year) => first_of(year, Month::January),
        }
    }

    /// The latest day the person can have been born on: the birthday that
    /// makes them youngest.
    pub fn latest(self) -> Date {
        match self {
            BirthDate::Day(d) => d,
            BirthDate::Month { year, month } => last_of(year, month),
            BirthDate::Year(year) => last_of(year, Month::December),
        }
    }

    /// Same as [`BirthDate::latest`]: the birthday that makes the person
    /// youngest, for rules that must not overestimate an age.
    pub fn youngest_possible_birthday(self) -> Date {
        self.latest()
    }

    /// The youngest age (in whole years) the person can have on `day`:
    /// their age if born on [`BirthDate::latest`]. Negative before that day.
    pub fn youngest_age_on(self, day: Date) -> i32 {
        age_on(self.latest(), day)
    }

    /// The oldest age (in whole years) the person can have on `day`.
    pub fn oldest_age_on(self, day: Date) -> i32 {
        age_on(self.earliest(), day)
    }

    /// Whether only part of the date is known.
    pub fn is_partial(self) -> bool {
        !matches!(self, BirthDate::Day(_))
    }

    /// ISO 8601 at its precision: `1987-03-14`, `1987-03` or `1987`.
    /// This is how the JSON API, the CLI and the vectors write it.
    pub fn iso(self) -> String {
        match self {
            BirthDate::Day(d) => date::format(d),
            BirthDate::Month { year, month } => format!("{year:04}-{:02}", u8::from(month)),
            BirthDate::Year(year) => format!("{year:04}"),
        }
    }

    /// How a card and the desk page show it: German `14.03.1987`,
    /// `03.1987`, `1987`; English `1987-03-14`, `03/1987`, `1987`.
    pub fn display(self, german: bool) -> String {
        match (self, german) {
            (BirthDate::Day(d), true) => {
                format!("{:02}.{:02}.{:04}", d.day(), u8::from(d.month()), d.year())
            }
            (BirthDate::Day(d), false) => date::format(d),
            (BirthDate::Month { year, month }, true) => {
                format!("{:02}.{year:04}", u8::from(month))
            }
            (BirthDate::Month { year, month }, false) => {
                format!("{:02}/{year:04}", u8::from(month))
            }
            (BirthDate::Year(year), _) => format!("{year:04}"),
        }
    }

    /// Parses what [`BirthDate::iso`] writes (exactly; range-checked).
    pub fn parse_iso(text: &str) -> Option<Self> {
        let digits = |s: &str, n: usize| -> Option<u32> {
            (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let parts: Vec<&str> = text.split('-').collect();
        match parts.as_slice() {
            [y] => BirthDate::year(i32::try_from(digits(y, 4)?).ok()?),
            [y, m] => BirthDate::month(
                i32::try_from(digits(y, 4)?).ok()?,
                u8::try_from(digits(m, 2)?).ok()?,
            ),
            [_, _, _] => {
                let d = date::parse(text).ok()?;
                Some(BirthDate::Day(d))
            }
            _ => None,
        }
    }
}

impl From<Date> for BirthDate {
    fn from(d: Date) -> Self {
        BirthDate::Day(d)
    }
}

impl fmt::Display for BirthDate {
    /// ISO at its precision (see [`BirthDate::iso`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.iso())
    }
}

fn first_of(year: i32, month: Month) -> Date {
    Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN)
}

fn last_of(year: i32, month: Month) -> Date {
    Date::from_calendar_date(year, month, month.length(year)).unwrap_or(Date::MAX)
}

/// Whole years from `born` to `day`.
fn age_on(born: Date, day: Date) -> i32 {
    let mut age = day.year() - born.year();
    if (u8::from(day.month()), day.day()) < (u8::from(born.month()), born.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn bounds_and_ages() {
        let y = BirthDate::Year(1987);
        assert_eq!(y.earliest(), date!(1987 - 01 - 01));
        assert_eq!(y.latest(), date!(1987 - 12 - 31));
        let m = BirthDate::month(2024, 2).unwrap_or(y);
        assert_eq!(m.latest(), date!(2024 - 02 - 29));
        assert_eq!(m.earliest(), date!(2024 - 02 - 01));
        // Born "2012": on 2026-06-30 they may still be 13.
        let y = BirthDate::Year(2012);
        assert_eq!(y.youngest_age_on(date!(2026 - 06 - 30)), 13);
        assert_eq!(y.oldest_age_on(date!(2026 - 06 - 30)), 14);
        assert_eq!(y.youngest_age_on(date!(2026 - 12 - 31)), 14);
        let d = BirthDate::Day(date!(2012 - 03 - 14));
        assert_eq!(d.youngest_age_on(date!(2026 - 03 - 13)), 13);
        assert_eq!(d.youngest_age_on(date!(2026 - 03 - 14)), 14);
        assert_eq!(BirthDate::year(1899), None);
        assert_eq!(BirthDate::year(2200), None);
        assert_eq!(BirthDate::month(1987, 0), None);
        assert_eq!(BirthDate::month(1987, 13), None);
    }

    #[test]
    fn display_and_iso() {
        let m = BirthDate::Month {
            year: 1987,
            month: Month::March,
        };
        assert_eq!(m.display(true), "03.1987");
        assert_eq!(m.display(false), "03/1987");
        assert_eq!(BirthDate::Year(1987).display(true), "1987");
        assert_eq!(BirthDate::Year(1987).display(false), "1987");
        let d = BirthDate::Day(date!(1988 - 03 - 14));
        assert_eq!(d.display(true), "14.03.1988");
        assert_eq!(d.display(false), "1988-03-14");
        for b in [m, BirthDate::Year(1987), d] {
            assert_eq!(BirthDate::parse_iso(&b.iso()), Some(b));
        }
        assert_eq!(m.iso(), "1987-03");
        for bad in [
            "87",
            "1987-3",
            "1987-00",
            "1987-13",
            "1899",
            "1987-03-32",
            "",
            "1987-",
        ] {
            assert_eq!(BirthDate::parse_iso(bad), None, "{bad}");
        }
    }
}
