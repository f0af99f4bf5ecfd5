//! Per-site figures for admins (issue 11): cards enrolled, printed, handed
//! over and not collected per site and month, and the cards waiting for
//! pick-up now. Counts only, never a name or a card number.
//!
//! The monthly counts are kept as they happen (`site_figures`, one row per
//! site, month and step, added to in the transaction of the step); the
//! cards waiting now are counted from the cards on their way. A count
//! below [`SMALL`] of a partner organisation is shown as "< 5": a small
//! count of a small site could point at a person.

use crate::db;
use crate::error::Result;
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::cards::PickupStep;
use crate::office::sites::{Site, SiteKind};
use std::collections::HashMap;

/// Counts of partner organisations below this are shown as "< 5".
pub const SMALL: i64 = 5;

/// A count as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// The count.
    Exact(i64),
    /// Between 1 and 4 (a partner organisation's small count).
    FewerThan5,
}

impl Count {
    fn of(kind: SiteKind, n: i64) -> Count {
        if kind == SiteKind::Partner && n > 0 && n < SMALL {
            Count::FewerThan5
        } else {
            Count::Exact(n)
        }
    }

    /// What the table shows: the number, or `< 5`.
    pub fn label(self) -> String {
        match self {
            Count::Exact(n) => n.to_string(),
            Count::FewerThan5 => format!("< {SMALL}"),
        }
    }

    /// The number to draw (a hidden small count: `None`).
    pub fn value(self) -> Option<i64> {
        match self {
            Count::Exact(n) => Some(n),
            Count::FewerThan5 => None,
        }
    }
}

/// One site's counts in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Cards enrolled (first cards, renewals, replacements) at the site.
    pub enrolled: Count,
    /// Cards printed for pick-up at the site.
    pub printed: Count,
    /// Cards handed over at the site.
    pub handed_over: Count,
    /// Cards not collected at the site.
    pub not_collected: Count,
}

/// One site's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFigures {
    /// The site.
    pub site: Site,
    /// Cards printed or on their way, waiting for pick-up there now.
    pub waiting_now: Count,
    /// The months, oldest first (only months with any count).
    pub months: Vec<MonthRow>,
    /// Totals over the months shown.
    pub total: MonthRow,
}

impl Office {
    /// The figures of every site for the last `months` months (admins).
    pub fn site_figures(&self, actor: &Actor, months: u8) -> Result<Vec<SiteFigures>> {
        actor.require(Permission::ReadFigures)?;
        let today = self.today();
        let first = first_month(today, months);
        let sites = self.sites()?;
        let (rows, waiting) = self.db().read(|c| {
            let rows = db::sites::figures_from(c, &first)?;
            let everyone = Actor::command_line(self.office_name());
            let mut waiting: HashMap<i64, i64> = HashMap::new();
            for (.., site) in self.on_the_way(
                c,
                &everyone,
                &[PickupStep::Printed, PickupStep::Sent, PickupStep::Ready],
            )? {
                *waiting.entry(site).or_default() += 1;
            }
            Ok((rows, waiting))
        })?;
        let mut by_site: HashMap<i64, Vec<(String, String, i64)>> = HashMap::new();
        for (site, month, event, n) in rows {
            by_site.entry(site).or_default().push((month, event, n));
        }
        Ok(sites
            .into_iter()
            .map(|site| {
                let kind = site.kind;
                let mut months: Vec<String> = by_site
                    .get(&site.id)
                    .map(|v| v.iter().map(|(m, ..)| m.clone()).collect())
                    .unwrap_or_default();
                months.sort();
                months.dedup();
                let get = |month: Option<&str>, event: &str| -> i64 {
                    by_site.get(&site.id).map_or(0, |v| {
                        v.iter()
                            .filter(|(m, e, _)| e == event && month.is_none_or(|x| x == m))
                            .map(|(.., n)| *n)
                            .sum()
                    })
                };
                let row = |month: Option<&str>| MonthRow {
                    month: month.unwrap_or("").to_owned(),
                    enrolled: Count::of(kind, get(month, "enrolled")),
                    printed: Count::of(kind, get(month, "printed")),
                    handed_over: Count::of(kind, get(month, "handed_over")),
                    not_collected: Count::of(kind, get(month, "not_collected")),
                };
                SiteFigures {
                    waiting_now: Count::of(kind, waiting.get(&site.id).copied().unwrap_or(0)),
                    months: months.iter().map(|m| row(Some(m))).collect(),
                    total: row(None),
                    site,
                }
            })
            .collect())
    }
}

/// The first month (`YYYY-MM`) of the last `months` months up to today's.
fn first_month(today: citycard_credential::Date, months: u8) -> String {
    let index = i64::from(today.year()) * 12 + i64::from(u8::from(today.month()))
        - 1
        - i64::from(months.max(1))
        + 1;
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_of_partners_are_hidden() {
        assert_eq!(Count::of(SiteKind::Partner, 4).label(), "< 5");
        assert_eq!(Count::of(SiteKind::Partner, 0).label(), "0");
        assert_eq!(Count::of(SiteKind::Partner, 5).label(), "5");
        assert_eq!(Count::of(SiteKind::Counter, 1).label(), "1");
    }
}
