//! Dates as people type them: one parser for the clerk UI and the JSON API.
//!
//! - The UI accepts the German way clerks type dates, `14.03.1988` or
//!   `14.3.1988` (day first, four-digit year), and ISO `1988-03-14`.
//!   The JSON API accepts ISO only ([`DateSyntax::Iso`]), as it always has.
//! - A date of birth may be partial, as many refugees' documents give it
//!   (issue 13): only a year, `1987` (both), or a month and year, `03.1987`,
//!   `3.1987` or `03/1987` (UI) and `1987-03` (UI and API). It becomes a
//!   [`BirthDate::Year`] or [`BirthDate::Month`], never an invented day.
//! - A date that is written correctly but cannot be a date of birth is told
//!   why: there is no such day (`2023-02-30`), it is before 1900 (the card
//!   format's first day), or it is in the future. Only a text that is not a
//!   date at all is told to change its form.
//! - Problems carry a stable [`DateProblem::code`] that the UI translates;
//!   their English text names the rule, never the value typed.

use citycard_credential::{BirthDate, Date, date};
use std::fmt;

/// Which ways of writing a date are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSyntax {
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (the JSON API).
    Iso,
    /// The ISO forms, `DD.MM.YYYY`, `D.M.YYYY`, `MM.YYYY`, `M.YYYY` and
    /// `MM/YYYY` (the clerk UI).
    IsoOrGerman,
}

/// Why a typed date of birth was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    /// Not written in an accepted form.
    Syntax,
    /// Day first, but the year has fewer than four digits (`14.03.88`).
    ShortYear,
    /// Written correctly, but no such day exists (`2023-02-30`); the month
    /// has this many days in that year.
    NoSuchDay {
        /// Days in the month typed (0 when the month itself does not exist).
        days_in_month: u8,
    },
    /// Before 1900-01-01, the first day the card format holds.
    TooEarly,
    /// After today.
    InFuture,
}

impl DateProblem {
    /// A stable code: `syntax`, `short_year`, `no_such_day`, `no_such_month`,
    /// `too_early`, `in_future`.
    pub fn code(self) -> &'static str {
        match self {
            DateProblem::Syntax => "syntax",
            DateProblem::ShortYear => "short_year",
            DateProblem::NoSuchDay { days_in_month: 0 } => "no_such_month",
            DateProblem::NoSuchDay { .. } => "no_such_day",
            DateProblem::TooEarly => "too_early",
            DateProblem::InFuture => "in_future",
        }
    }
}

impl fmt::Display for DateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateProblem::Syntax => f.write_str("must be a date written YYYY-MM-DD"),
            DateProblem::ShortYear => f.write_str("must have a four-digit year"),
            DateProblem::NoSuchDay { days_in_month: 0 } => {
                f.write_str("is not a date: there is no such month")
            }
            DateProblem::NoSuchDay { days_in_month } => write!(
                f,
                "is not a date: that month has {days_in_month} days in that year"
            ),
            DateProblem::TooEarly => f.write_str("is before 1900"),
            DateProblem::InFuture => f.write_str("is in the future"),
        }
    }
}

/// Parses a typed date of birth: empty is `Ok(None)`; otherwise a day, a
/// month or a year that exists, is not before 1900 and not (wholly) after
/// `today`: a year of birth may be this year.
pub fn parse_date_of_birth(
    text: &str,
    syntax: DateSyntax,
    today: Date,
) -> Result<Option<BirthDate>, DateProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Some((year, month)) = split_partial(text, syntax)? {
        let year = i32::try_from(year).map_err(|_| DateProblem::Syntax)?;
        if year < 1900 {
            return Err(DateProblem::TooEarly);
        }
        let born = match month {
            None => BirthDate::year(year),
            Some(m) => {
                let m = u8::try_from(m).map_err(|_| DateProblem::Syntax)?;
                if !(1..=12).contains(&m) {
                    return Err(DateProblem::NoSuchDay { days_in_month: 0 });
                }
                BirthDate::month(year, m)
            }
        };
        return match born {
            Some(b) if b.earliest() <= today => Ok(Some(b)),
            _ => Err(DateProblem::InFuture),
        };
    }
    let (year, month, day) = split(text, syntax)?;
    let month_of_year = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok());
    let Some(month_of_year) = month_of_year else {
        return Err(DateProblem::NoSuchDay { days_in_month: 0 });
    };
    let year = i32::try_from(year).map_err(|_| DateProblem::Syntax)?;
    let days_in_month = month_of_year.length(year);
    let d = u8::try_from(day)
        .ok()
        .filter(|d| (1..=days_in_month).contains(d))
        .ok_or(DateProblem::NoSuchDay { days_in_month })?;
    let date = Date::from_calendar_date(year, month_of_year, d)
        .map_err(|_| DateProblem::NoSuchDay { days_in_month })?;
    if date::check_range(date, "date of birth").is_err() || year < 1900 {
        return Err(if year < 1900 {
            DateProblem::TooEarly
        } else {
            DateProblem::InFuture
        });
    }
    if date > today {
        return Err(DateProblem::InFuture);
    }
    Ok(Some(BirthDate::Day(date)))
}

/// (year, month) of a partial form, `None` when the text is not one
/// (then it is read as a whole day).
fn split_partial(
    text: &str,
    syntax: DateSyntax,
) -> Result<Option<(u32, Option<u32>)>, DateProblem> {
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let number = |s: &str| s.parse::<u32>().map_err(|_| DateProblem::Syntax);
    if digits(text, 4, 4) {
        return Ok(Some((number(text)?, None)));
    }
    let iso: Vec<&str> = text.split('-').collect();
    if let [y, m] = iso.as_slice() {
        return if digits(y, 4, 4) && digits(m, 2, 2) {
            Ok(Some((number(y)?, Some(number(m)?))))
        } else {
            Err(DateProblem::Syntax)
        };
    }
    if syntax == DateSyntax::IsoOrGerman {
        for sep in ['.', '/'] {
            let parts: Vec<&str> = text.split(sep).collect();
            if let [m, y] = parts.as_slice() {
                if digits(m, 1, 2) && digits(y, 1, 3) {
                    return Err(DateProblem::ShortYear);
                }
                return if digits(m, 1, 2) && digits(y, 4, 4) {
                    Ok(Some((number(y)?, Some(number(m)?))))
                } else {
                    Err(DateProblem::Syntax)
                };
            }
        }
    }
    Ok(None)
}

/// (year, month, day) as numbers, from an accepted form.
fn split(text: &str, syntax: DateSyntax) -> Result<(u32, u32, u32), DateProblem> {
    let number = |s: &str, min: usize, max: usize| -> Result<u32, DateProblem> {
        if (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| DateProblem::Syntax)
        } else {
            Err(DateProblem::Syntax)
        }
    };
    let iso: Vec<&str> = text.split('-').collect();
    if let [y, m, d] = iso.as_slice() {
        return Ok((number(y, 4, 4)?, number(m, 2, 2)?, number(d, 2, 2)?));
    }
    if syntax == DateSyntax::IsoOrGerman {
        let german: Vec<&str> = text.split('.').collect();
        if let [d, m, y] = german.as_slice() {
            let (d, m) = (number(d, 1, 2)?, number(m, 1, 2)?);
            if (1..=3).contains(&y.len()) && y.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DateProblem::ShortYear);
            }
            return Ok((number(y, 4, 4)?, m, d));
        }
    }
    Err(DateProblem::Syntax)
}

/// A date of birth the way the card and the desk page show it (see
/// [`BirthDate::display`]): `14.03.1987`, `03.1987`, `1987` in German;
/// `1987-03-14`, `03/1987`, `1987` in English.
pub fn display_birth_date(d: BirthDate, german: bool) -> String {
    d.display(german)
}

/// A date the way the card and the desk page show it: `30.11.2031` in
/// German, ISO `2031-11-30` in English (the desk page's English).
pub fn display(d: Date, german: bool) -> String {
    if german {
        format!("{:02}.{:02}.{:04}", d.day(), u8::from(d.month()), d.year())
    } else {
        date::format(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 01);

    fn p(s: &str) -> Result<Option<Date>, DateProblem> {
        parse_date_of_birth(s, DateSyntax::IsoOrGerman, TODAY).map(|b| match b {
            Some(BirthDate::Day(d)) => Some(d),
            _ => None,
        })
    }

    fn partial(s: &str, syntax: DateSyntax) -> Result<Option<BirthDate>, DateProblem> {
        parse_date_of_birth(s, syntax, TODAY)
    }

    #[test]
    fn partial_forms() {
        let year = Ok(BirthDate::year(1987));
        let march = Ok(BirthDate::month(1987, 3));
        for s in ["1987", " 1987 "] {
            assert_eq!(partial(s, DateSyntax::IsoOrGerman), year, "{s}");
            assert_eq!(partial(s, DateSyntax::Iso), year, "{s}");
        }
        for s in ["03.1987", "3.1987", "03/1987", "1987-03"] {
            assert_eq!(partial(s, DateSyntax::IsoOrGerman), march, "{s}");
        }
        assert_eq!(partial("1987-03", DateSyntax::Iso), march);
        assert_eq!(
            partial("03.1987", DateSyntax::Iso),
            Err(DateProblem::Syntax)
        );
        assert_eq!(partial("1899", DateSyntax::Iso), Err(DateProblem::TooEarly));
        assert_eq!(partial("2027", DateSyntax::Iso), Err(DateProblem::InFuture));
        // This year and this month are possible birth dates.
        assert_eq!(partial("2026", DateSyntax::Iso), Ok(BirthDate::year(2026)));
        assert_eq!(
            partial("12.2026", DateSyntax::IsoOrGerman),
            Ok(BirthDate::month(2026, 12))
        );
        assert_eq!(
            partial("01.2027", DateSyntax::IsoOrGerman),
            Err(DateProblem::InFuture)
        );
        assert_eq!(
            partial("13.1987", DateSyntax::IsoOrGerman).map_err(DateProblem::code),
            Err("no_such_month")
        );
        assert_eq!(
            partial("1987-00", DateSyntax::Iso).map_err(DateProblem::code),
            Err("no_such_month")
        );
        assert_eq!(
            partial("03.87", DateSyntax::IsoOrGerman),
            Err(DateProblem::ShortYear)
        );
        for bad in ["987", "19870", "1987-3", "03.1987.", "x.1987", "١٩٨٧"] {
            assert_eq!(
                partial(bad, DateSyntax::IsoOrGerman),
                Err(DateProblem::Syntax),
                "{bad}"
            );
        }
    }

    #[test]
    fn german_and_iso_forms() {
        let d = Some(date!(1988 - 03 - 14));
        assert_eq!(p("14.03.1988"), Ok(d));
        assert_eq!(p("14.3.1988"), Ok(d));
        assert_eq!(p(" 1988-03-14 "), Ok(d));
        assert_eq!(p(""), Ok(None));
        assert_eq!(p("   "), Ok(None));
        assert_eq!(
            parse_date_of_birth("14.03.1988", DateSyntax::Iso, TODAY),
            Err(DateProblem::Syntax)
        );
        assert_eq!(
            parse_date_of_birth("1988-03-14", DateSyntax::Iso, TODAY),
            Ok(d.map(BirthDate::Day))
        );
    }

    #[test]
    fn real_reasons() {
        assert_eq!(
            p("2023-02-30"),
            Err(DateProblem::NoSuchDay { days_in_month: 28 })
        );
        assert_eq!(
            p("30.2.2024"),
            Err(DateProblem::NoSuchDay { days_in_month: 29 })
        );
        assert_eq!(p("29.02.2024"), Ok(Some(date!(2024 - 02 - 29))));
        assert_eq!(
            p("2023-13-01").map_err(DateProblem::code),
            Err("no_such_month")
        );
        assert_eq!(p("1850-01-01"), Err(DateProblem::TooEarly));
        assert_eq!(p("1899-12-31"), Err(DateProblem::TooEarly));
        assert_eq!(p("1900-01-01"), Ok(Some(date!(1900 - 01 - 01))));
        assert_eq!(p("2026-12-02"), Err(DateProblem::InFuture));
        assert_eq!(p("2026-12-01"), Ok(Some(TODAY)));
        assert_eq!(p("3000-01-01"), Err(DateProblem::InFuture));
        assert_eq!(p("14.03.88"), Err(DateProblem::ShortYear));
        for bad in [
            "14/03/1988",
            "1988-3-14",
            "19880314",
            "x",
            "14.03.1988.",
            "١٩٨٨-٠٣-١٤",
        ] {
            assert_eq!(p(bad), Err(DateProblem::Syntax), "{bad}");
        }
    }

    #[test]
    fn display_like_the_card() {
        assert_eq!(display(date!(2031 - 11 - 30), true), "30.11.2031");
        assert_eq!(display(date!(2031 - 11 - 30), false), "2031-11-30");
        assert_eq!(display(date!(1988 - 03 - 04), true), "04.03.1988");
        let march = BirthDate::Month {
            year: 1987,
            month: time::Month::March,
        };
        assert_eq!(display_birth_date(march, true), "03.1987");
        assert_eq!(display_birth_date(march, false), "03/1987");
        assert_eq!(display_birth_date(BirthDate::Year(1987), false), "1987");
    }
}
