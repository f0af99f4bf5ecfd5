//! Dates as people type them: one parser for the clerk UI and the JSON API.
//!
//! - The UI accepts the German way clerks type dates, `14.03.1988` or
//!   `14.3.1988` (day first, four-digit year), and ISO `1988-03-14`.
//!   The JSON API accepts ISO only ([`DateSyntax::Iso`]), as it always has.
//! - A date that is written correctly but cannot be a date of birth is told
//!   why: there is no such day (`2023-02-30`), it is before 1900 (the card
//!   format's first day), or it is in the future. Only a text that is not a
//!   date at all is told to change its form.
//! - Problems carry a stable [`DateProblem::code`] that the UI translates;
//!   their English text names the rule, never the value typed.

use citycard_credential::{Date, date};
use std::fmt;

/// Which ways of writing a date are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSyntax {
    /// `YYYY-MM-DD` only (the JSON API).
    Iso,
    /// `YYYY-MM-DD`, `DD.MM.YYYY` or `D.M.YYYY` (the clerk UI).
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

/// Parses a typed date of birth: empty is `Ok(None)`; otherwise a date
/// that exists, is not before 1900 and not after `today`.
pub fn parse_date_of_birth(
    text: &str,
    syntax: DateSyntax,
    today: Date,
) -> Result<Option<Date>, DateProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
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
    Ok(Some(date))
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
        parse_date_of_birth(s, DateSyntax::IsoOrGerman, TODAY)
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
            Ok(d)
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
    }
}
