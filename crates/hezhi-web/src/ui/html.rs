//! Building HTML by hand: every piece of text goes through [`escape`] (or [`Html::text`]),
//! so user input can never become markup.

use std::fmt::Write as _;

/// Text made safe for element content and for attribute values in double quotes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page body being written: markup in [`Html::raw`], text in [`Html::text`].
#[derive(Debug, Default)]
pub struct Html(String);

impl Html {
    pub fn new() -> Html {
        Html(String::new())
    }

    /// Markup written by this crate (never user input).
    pub fn raw(&mut self, markup: &str) -> &mut Html {
        self.0.push_str(markup);
        self
    }

    /// Text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Html {
        self.0.push_str(&escape(text));
        self
    }

    /// `<tag attrs>text</tag>`, the text escaped; `attrs` is markup of this crate.
    pub fn element(&mut self, tag: &str, attrs: &str, text: &str) -> &mut Html {
        let space = if attrs.is_empty() { "" } else { " " };
        let _ = write!(self.0, "<{tag}{space}{attrs}>{}</{tag}>", escape(text));
        self
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        let mut html = Html::new();
        html.element("p", r#"class="a""#, "1 < 2");
        assert_eq!(html.into_string(), r#"<p class="a">1 &lt; 2</p>"#);
    }
}
