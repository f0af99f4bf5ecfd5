//! Rules for the name fields (`docs/card-format.md` §5).

use crate::error::{Error, NameField, NameProblem, Result};
use unicode_normalization::{IsNormalized, is_nfc_quick};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Most characters in the given names or the family name.
pub const MAX_NAME_CHARS: usize = 64;
/// Most UTF-8 bytes in the given names or the family name.
pub const MAX_NAME_BYTES: usize = 160;
/// Most characters in the issuer identifier.
pub const MAX_ISSUER_CHARS: usize = 32;
/// Most UTF-8 bytes in the issuer identifier.
pub const MAX_ISSUER_BYTES: usize = 64;

/// The Unicode property `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt;
/// the same ranges in Unicode 15.1, 16.0 and 17.0), as inclusive ranges:
/// characters that are invisible or have no glyph of their own (U+00AD soft
/// hyphen, U+200B zero width space, U+2060 word joiner, U+3164 Hangul
/// filler, variation selectors, tags, …). `docs/card-format.md` §5 lists the
/// same ranges.
pub const DEFAULT_IGNORABLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

/// Whether `c` is a `Default_Ignorable_Code_Point` ([`DEFAULT_IGNORABLE`]).
pub fn is_default_ignorable(c: char) -> bool {
    // Below the first range (every ASCII letter and digit): none.
    c >= '\u{00AD}'
        && DEFAULT_IGNORABLE
            .iter()
            .any(|&(first, last)| (first..=last).contains(&c))
}

/// Characters never allowed in a name: controls, line and paragraph
/// separators, every whitespace other than U+0020, every default-ignorable
/// code point (bidi marks, embeddings, overrides and isolates, the
/// byte-order mark, zero-width and filler characters, variation selectors)
/// except ZWJ and ZWNJ (needed in Persian and Indic scripts), the
/// interlinear annotation characters, U+FFFC–U+FFFF and private use.
fn forbidden(c: char) -> bool {
    if c.is_ascii() {
        // The same answer for ASCII, in one comparison: the controls
        // (U+0000–U+001F, U+007F) include every ASCII whitespace but the
        // space, and no ASCII character is in the other classes.
        return c.is_ascii_control();
    }
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || (is_default_ignorable(c) && !matches!(c, '\u{200C}' | '\u{200D}'))
        || matches!(
            c,
            '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
                | '\u{FFFC}'..='\u{FFFF}' // replacement, non-characters
                | '\u{E000}'..='\u{F8FF}' // private use
        )
}

/// Checks a name (or issuer) against the rules. `may_be_empty` is true for
/// the given names only.
pub fn check(field: NameField, text: &str, may_be_empty: bool) -> Result<()> {
    let fail = |problem| Err(Error::Name { field, problem });
    let (max_chars, max_bytes) = match field {
        NameField::Issuer => (MAX_ISSUER_CHARS, MAX_ISSUER_BYTES),
        _ => (MAX_NAME_CHARS, MAX_NAME_BYTES),
    };
    if text.is_empty() {
        return if may_be_empty {
            Ok(())
        } else {
            fail(NameProblem::Empty)
        };
    }
    if text.len() > max_bytes {
        return fail(NameProblem::TooManyBytes { max: max_bytes });
    }
    if text.chars().count() > max_chars {
        return fail(NameProblem::TooManyChars { max: max_chars });
    }
    if let Some(c) = text.chars().find(|&c| forbidden(c)) {
        return fail(NameProblem::ForbiddenChar {
            code_point: u32::from(c),
        });
    }
    if text.starts_with(' ') || text.ends_with(' ') || text.contains("  ") {
        return fail(NameProblem::BadSpacing);
    }
    // ASCII text is always in NFC.
    let nfc = text.is_ascii()
        || match is_nfc_quick(text.chars()) {
            IsNormalized::Yes => true,
            IsNormalized::No => false,
            IsNormalized::Maybe => unicode_normalization::is_nfc(text),
        };
    if !nfc {
        return fail(NameProblem::NotNfc);
    }
    Ok(())
}

/// The signer's extra rule (`docs/card-format.md` §5): no code point that
/// is unassigned (General_Category `Cn`, noncharacters included) in the
/// Unicode version of this crate's tables ([`UNICODE_VERSION`]). Verifiers
/// do not apply it, since their tables may be older than the signer's;
/// [`crate::CardClaims::to_cbor`] (so every signing) does.
pub fn check_assigned(field: NameField, text: &str) -> Result<()> {
    match text
        .chars()
        // U+0000–U+00FF are all assigned: no table lookup for them.
        .find(|&c| u32::from(c) > 0xFF && c.general_category() == GeneralCategory::Unassigned)
    {
        Some(c) => Err(Error::Name {
            field,
            problem: NameProblem::Unassigned {
                code_point: u32::from(c),
            },
        }),
        None => Ok(()),
    }
}

/// The Unicode version of the tables behind [`check_assigned`] (and of the
/// NFC check): `(major, minor, update)`.
pub const UNICODE_VERSION: (u64, u64, u64) = unicode_properties::UNICODE_VERSION;

/// Brings typed input into the form the rules accept: NFC, spaces collapsed
/// and trimmed. It does not remove forbidden characters: those are refused
/// with an error so that a person sees and fixes them.
pub fn normalize(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = text.nfc().collect();
    nfc.split(' ')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortcuts_give_the_full_rules_answer() {
        // forbidden(): ASCII by one comparison, the rest by the full rule.
        let full = |c: char| {
            c.is_control()
                || (c.is_whitespace() && c != ' ')
                || (DEFAULT_IGNORABLE
                    .iter()
                    .any(|&(first, last)| (first..=last).contains(&c))
                    && !matches!(c, '\u{200C}' | '\u{200D}'))
                || matches!(c, '\u{FFF9}'..='\u{FFFF}' | '\u{E000}'..='\u{F8FF}')
        };
        for c in (0..=0x3000).filter_map(char::from_u32) {
            assert_eq!(forbidden(c), full(c), "U+{:04X}", u32::from(c));
        }
        // check_assigned() skips U+0000–U+00FF: all of them are assigned.
        for c in (0..=0xFF).filter_map(char::from_u32) {
            assert_ne!(c.general_category(), GeneralCategory::Unassigned);
        }
        assert!(!is_default_ignorable('A'));
        assert!(is_default_ignorable('\u{00AD}'));
    }

    #[test]
    fn accepts_names_in_many_scripts() {
        for name in [
            "Zoë Ünal-Łukasiewicz",
            "Nguyễn Thị Minh Khai",
            "محمد عبد الله",
            "زهرا\u{200C}سادات",
            "王小明",
            "Ἀλέξανδρος",
            "ተስፋዬ",
            "ნინო",
            "דוד",
            "O'Brien",
        ] {
            assert_eq!(check(NameField::FamilyName, name, false), Ok(()), "{name}");
        }
    }

    #[test]
    fn refuses_what_breaks_the_rules() {
        let f = NameField::GivenNames;
        let err = |p| {
            Err(Error::Name {
                field: f,
                problem: p,
            })
        };
        assert_eq!(check(f, "", false), err(NameProblem::Empty));
        assert_eq!(check(f, "", true), Ok(()));
        assert_eq!(check(f, " Ana", false), err(NameProblem::BadSpacing));
        assert_eq!(check(f, "Ana  Maria", false), err(NameProblem::BadSpacing));
        assert_eq!(
            check(f, "Ana\u{202E}", false),
            err(NameProblem::ForbiddenChar { code_point: 0x202E })
        );
        assert_eq!(
            check(f, "Ana\tMaria", false),
            err(NameProblem::ForbiddenChar { code_point: 9 })
        );
        // "e" + combining acute is not NFC.
        assert_eq!(check(f, "Rene\u{301}", false), err(NameProblem::NotNfc));
        assert_eq!(
            check(f, &"a".repeat(65), false),
            err(NameProblem::TooManyChars { max: 64 })
        );
        assert_eq!(
            check(f, &"王".repeat(54), false),
            err(NameProblem::TooManyBytes { max: 160 })
        );
        assert_eq!(normalize("  Rene\u{301}   Dupont "), "René Dupont");
    }

    #[test]
    fn refuses_invisible_and_unassigned_code_points() {
        let f = NameField::FamilyName;
        for (text, cp) in [
            ("Ana\u{200B}Maria", 0x200B),
            ("Ana\u{2060}", 0x2060),
            ("Mül\u{00AD}ler", 0xAD),
            ("\u{3164}\u{3164}", 0x3164),
            ("Ann\u{FE0F}a", 0xFE0F),
            ("Ann\u{E0041}", 0xE0041),
            ("\u{034F}Ana", 0x34F),
        ] {
            assert_eq!(
                check(f, text, false),
                Err(Error::Name {
                    field: f,
                    problem: NameProblem::ForbiddenChar { code_point: cp }
                }),
                "U+{cp:04X}"
            );
        }
        // ZWNJ and ZWJ stay allowed (Persian, Indic scripts).
        assert_eq!(check(f, "زهرا\u{200C}سادات", false), Ok(()));
        assert_eq!(check(f, "क्\u{200D}ष", false), Ok(()));
        // U+0378 is unassigned: verifiers accept it, signers do not.
        assert_eq!(check(f, "A\u{0378}", false), Ok(()));
        assert_eq!(
            check_assigned(f, "A\u{0378}"),
            Err(Error::Name {
                field: f,
                problem: NameProblem::Unassigned { code_point: 0x378 }
            })
        );
        assert_eq!(
            check_assigned(f, "A\u{FDD0}"),
            Err(Error::Name {
                field: f,
                problem: NameProblem::Unassigned { code_point: 0xFDD0 }
            })
        );
        assert_eq!(check_assigned(f, "Zoë 王 محمد"), Ok(()));
    }
}
