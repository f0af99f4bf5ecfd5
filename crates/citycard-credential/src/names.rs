//! Rules for the name fields (`docs/card-format.md` §5).

use crate::error::{Error, NameField, NameProblem, Result};
use unicode_normalization::{IsNormalized, is_nfc_quick};

/// Most characters in the given names or the family name.
pub const MAX_NAME_CHARS: usize = 64;
/// Most UTF-8 bytes in the given names or the family name.
pub const MAX_NAME_BYTES: usize = 160;
/// Most characters in the issuer identifier.
pub const MAX_ISSUER_CHARS: usize = 32;
/// Most UTF-8 bytes in the issuer identifier.
pub const MAX_ISSUER_BYTES: usize = 64;

/// Characters never allowed in a name: controls, line and paragraph
/// separators, bidi embeddings/overrides/isolates, byte-order mark, and every
/// whitespace other than U+0020. ZWJ and ZWNJ (needed in Persian and Indic
/// scripts) are allowed.
fn forbidden(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' // LRM, RLM
                | '\u{202A}'..='\u{202E}' // embeddings, overrides
                | '\u{2066}'..='\u{2069}' // isolates
                | '\u{061C}' // Arabic letter mark
                | '\u{FEFF}' // BOM
                | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
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
    let nfc = match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => true,
        IsNormalized::No => false,
        IsNormalized::Maybe => unicode_normalization::is_nfc(text),
    };
    if !nfc {
        return fail(NameProblem::NotNfc);
    }
    Ok(())
}

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
}
