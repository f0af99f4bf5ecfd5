//! The pick-up sites of the cards on their way, kept in memory once their
//! routes were opened.
//!
//! A card's pick-up site is sealed in its route (issue 11), so every list
//! of a site's cards (print queue, pick-up list, the waiting counts) must
//! open the routes of the cards on their way to find the site's own. A
//! route never changes once a card is issued: a key rotation seals the
//! same route again, and an erasure deletes it (such a card is read as
//! the first site's, as before; it is never remembered, because the
//! callers pass no sealed bytes for it). Card numbers are never reused. So
//! the pick-up site opened once is good for as long as the process runs,
//! and a list then costs reading the keys of the cards on their way, with
//! no decryption.
//!
//! The memory holds only what the process could open at any time with its
//! data key, and nothing of it is written anywhere. It is bounded: past
//! [`MAX_REMEMBERED`] cards it starts afresh (a city never has that many
//! cards on their way at once).

use std::collections::HashMap;
use std::sync::Mutex;

/// The most cards remembered at once (about 5 MB).
pub(crate) const MAX_REMEMBERED: usize = 1 << 18;

/// Card number → pick-up site id, for cards whose route was opened.
#[derive(Debug, Default)]
pub(crate) struct PickupSites {
    known: Mutex<HashMap<i64, i64>>,
}

impl PickupSites {
    /// The remembered pick-up site of a card.
    pub(crate) fn get(&self, card_number: i64) -> Option<i64> {
        self.lock().get(&card_number).copied()
    }

    /// The pick-up sites of several cards at once (one lock): `None` where
    /// not remembered.
    pub(crate) fn get_many(&self, card_numbers: &[i64]) -> Vec<Option<i64>> {
        let known = self.lock();
        card_numbers.iter().map(|n| known.get(n).copied()).collect()
    }

    /// Remembers a card's pick-up site, opened from its route.
    pub(crate) fn remember(&self, card_number: i64, site: i64) {
        let mut known = self.lock();
        if known.len() >= MAX_REMEMBERED && !known.contains_key(&card_number) {
            known.clear();
        }
        known.insert(card_number, site);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, i64>> {
        // The map holds no invariant a panic could break.
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_starts_afresh_when_full() {
        let sites = PickupSites::default();
        assert_eq!(sites.get(7), None);
        sites.remember(7, 3);
        assert_eq!(sites.get(7), Some(3));
        assert_eq!(sites.get_many(&[7, 8]), vec![Some(3), None]);
        for n in 0..MAX_REMEMBERED as i64 {
            sites.remember(1_000 + n, 1);
        }
        // The map was full before the last one: it started afresh.
        assert_eq!(sites.get(7), None);
        assert_eq!(sites.get(1_000 + MAX_REMEMBERED as i64 - 1), Some(1));
    }
}
