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
//!
//! **The duplicate check** (docs/office.md, "Partial dates and the duplicate
//! check") treats two dates of birth as possibly the same person when one
//! can mean the other: `1987` matches `1987`, any month of 1987 and any day
//! of 1987; `03.1987` matches `1987`, `03.1987` and any day of March 1987;
//! `14.03.1987` matches itself, `03.1987` and `1987`. [`could_be_the_same`]
//! lists them; the office looks up the keyed tag of each.

pub use citycard_credential::BirthDate;
use time::{Date, Month};

/// Every date of birth that could denote the same birthday as `b` (`b`
/// included): the coarser forms that contain it and, for a partial date,
/// every finer one inside it. At most 1 + 12 + 366 entries.
pub fn could_be_the_same(b: BirthDate) -> Vec<BirthDate> {
    let mut out = vec![b];
    let days_of = |year: i32, month: Month| -> Vec<BirthDate> {
        (1..=month.length(year))
            .filter_map(|d| Date::from_calendar_date(year, month, d).ok())
            .map(BirthDate::Day)
            .collect()
    };
    match b {
        BirthDate::Day(d) => {
            out.push(BirthDate::Month {
                year: d.year(),
                month: d.month(),
            });
            out.push(BirthDate::Year(d.year()));
        }
        BirthDate::Month { year, month } => {
            out.push(BirthDate::Year(year));
            out.extend(days_of(year, month));
        }
        BirthDate::Year(year) => {
            for month in (1..=12u8).filter_map(|m| Month::try_from(m).ok()) {
                out.push(BirthDate::Month { year, month });
                out.extend(days_of(year, month));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn same_birthday_in_every_precision() {
        let day = BirthDate::Day(date!(1987 - 03 - 14));
        let march = BirthDate::Month {
            year: 1987,
            month: Month::March,
        };
        let year = BirthDate::Year(1987);
        assert_eq!(could_be_the_same(day), vec![day, march, year]);
        let m = could_be_the_same(march);
        assert_eq!(m.len(), 2 + 31);
        assert!(m.contains(&day) && m.contains(&year));
        assert!(!m.contains(&BirthDate::Day(date!(1987 - 04 - 01))));
        let y = could_be_the_same(year);
        assert_eq!(y.len(), 1 + 12 + 365);
        assert!(y.contains(&day) && y.contains(&march));
        assert!(!y.contains(&BirthDate::Year(1988)));
        assert_eq!(could_be_the_same(BirthDate::Year(2024)).len(), 1 + 12 + 366);
    }
}
