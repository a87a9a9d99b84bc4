//! Escaping shared by the XML of a workbook and the HTML page.

/// Whether XML 1.0 allows `c` in a document (its `Char` production). Control characters other
/// than tab, line feed and carriage return, and U+FFFE and U+FFFF, are not allowed even as
/// character references; HTML treats them as parse errors.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` ready to stand in markup, as element content or as a quoted attribute value: `&`,
/// `<`, `>`, `"` and `'` escaped, and the characters XML forbids removed.
pub(crate) fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_forbidden_characters_are_dropped() {
        assert_eq!(
            escape_markup("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape_markup("a\u{0}b\u{1b}c\u{FFFE}d\te\nf"), "abcd\te\nf");
        assert_eq!(escape_markup("和治 😀"), "和治 😀");
    }
}
