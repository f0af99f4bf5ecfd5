//! Calendar days as used by the format: `time::Date`, counted as days since
//! 1970-01-01 (RFC 8943) in our own maps, and as NumericDate seconds at
//! 00:00 UTC in the standard CWT claims.

use crate::error::{Error, Result};
use time::Date;

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;
const SECONDS_PER_DAY: i64 = 86_400;

/// Earliest date the format accepts anywhere (1900-01-01).
pub const MIN_DAYS: i64 = -25_567;
/// Latest date the format accepts anywhere (2199-12-31).
pub const MAX_DAYS: i64 = 84_005;

/// Days since 1970-01-01 (negative before).
pub fn to_days(date: Date) -> i64 {
    i64::from(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

/// The date `days` after 1970-01-01, if within [`MIN_DAYS`]..=[`MAX_DAYS`].
pub fn from_days(days: i64) -> Option<Date> {
    if !(MIN_DAYS..=MAX_DAYS).contains(&days) {
        return None;
    }
    let jd = i32::try_from(days).ok()? + UNIX_EPOCH_JULIAN_DAY;
    Date::from_julian_day(jd).ok()
}

/// NumericDate (seconds since the epoch) of 00:00 UTC on `date`.
pub fn to_numeric_date(date: Date) -> i64 {
    to_days(date) * SECONDS_PER_DAY
}

/// The date of a NumericDate that falls exactly on 00:00 UTC.
pub fn from_numeric_date(seconds: i64) -> Option<Date> {
    if seconds.rem_euclid(SECONDS_PER_DAY) != 0 {
        return None;
    }
    from_days(seconds.div_euclid(SECONDS_PER_DAY))
}

/// Checks that a date is in the supported range.
pub fn check_range(date: Date, what: &'static str) -> Result<()> {
    if (MIN_DAYS..=MAX_DAYS).contains(&to_days(date)) {
        Ok(())
    } else {
        Err(Error::DateRange { what })
    }
}

/// Parses `YYYY-MM-DD` (exactly; no time, no offset).
pub fn parse(text: &str) -> Result<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(text.trim(), format).map_err(|_| Error::DateSyntax)?;
    check_range(date, "date")?;
    Ok(date)
}

/// Formats as `YYYY-MM-DD`.
pub fn format(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Today's date in UTC.
pub fn today_utc() -> Date {
    time::OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(to_days(date!(1970 - 01 - 01)), 0);
        assert_eq!(to_days(date!(2000 - 03 - 01)), 11_017);
        assert_eq!(to_days(date!(1900 - 01 - 01)), MIN_DAYS);
        assert_eq!(to_days(date!(2199 - 12 - 31)), MAX_DAYS);
        assert_eq!(to_numeric_date(date!(2026 - 11 - 24)), 1_795_478_400);
        assert_eq!(
            from_numeric_date(1_795_478_400),
            Some(date!(2026 - 11 - 24))
        );
        assert_eq!(from_numeric_date(1_795_478_401), None);
        assert_eq!(from_days(MAX_DAYS + 1), None);
    }

    #[test]
    fn parse_is_strict() {
        assert_eq!(parse("2026-02-28"), Ok(date!(2026 - 02 - 28)));
        assert!(parse("2026-02-30").is_err());
        assert!(parse("26-02-28").is_err());
        assert!(parse("2026-2-28").is_err());
        assert!(parse("1899-12-31").is_err());
    }
}
