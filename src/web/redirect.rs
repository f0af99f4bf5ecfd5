//! Where to go after login: only a path of this site.
//!
//! `next` comes from the query string or a form, so an attacker can write
//! it (`/login?next=…` in a phishing mail). Browsers are lenient with a
//! `Location`: they drop tabs and newlines (`/\t/evil.example/` becomes
//! `//evil.example/`, another site), read `\` as `/`, and take `//host` as
//! a host. So a target is accepted only when it is a plain local path:
//! it starts with exactly one `/`; it has no control character, no
//! whitespace (of any kind, Unicode's too) and no backslash; it is not
//! `/logout`; at most 512 bytes. Anything else falls back to `/`. (A
//! scheme such as `javascript:` or `https:` cannot start with `/`.)

/// The longest `next` kept.
pub const MAX_NEXT_BYTES: usize = 512;

/// `next` when it is a plain path of this site, else `None`.
pub fn safe_next(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let ok = chars.next() == Some('/')
        && chars.next() != Some('/')
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\' || is_invisible(c))
        && next.len() <= MAX_NEXT_BYTES
        && next != "/logout";
    ok.then_some(next)
}

/// Format characters a browser may drop or a person cannot see (zero-width
/// spaces and joiners, direction marks, the byte-order mark, soft hyphen).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_local_paths() {
        for ok in [
            "/",
            "/cards/123",
            "/search?q=x&page=2",
            "/a/b#c",
            "/%09/x",
            "/%2F%2Fx",
        ] {
            assert_eq!(safe_next(ok), Some(ok), "{ok:?}");
        }
        for bad in [
            "",
            "//evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\r/evil.example/",
            "/ /evil.example/",
            "/\u{0b}/evil.example/",
            "/\u{a0}/evil.example/",
            "/\u{200b}/evil.example/",
            "/\\evil.example/",
            "\\/evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "/logout",
            &format!("/{}", "a".repeat(MAX_NEXT_BYTES)),
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
