//! The HTML alternative of a message: the same words in a page laid out in the reader's
//! direction (right to left for Arabic, so a phone's mail app aligns and orders it right),
//! with addresses made into links (the payment link is tapped, not copied).

use nestcms_domain::identity::Language;
use nestcms_domain::markup::escape_html as escape;

/// `text` as an HTML document in `language`.
pub(crate) fn page(subject: &str, text: &str, language: Language) -> String {
    let (lang, dir, align) = match language {
        Language::En => ("en", "ltr", "left"),
        Language::Ar => ("ar", "rtl", "right"),
    };
    let paragraphs: String = text
        .split('\n')
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{}</p>", linked(l)))
        .collect();
    format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title></head>\
         <body style=\"direction:{dir};text-align:{align};font-family:sans-serif\">{paragraphs}</body></html>",
        escape(subject)
    )
}

/// One line, escaped, with each `http(s)://` word made a link.
fn linked(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            if word.starts_with("https://") || word.starts_with("http://") {
                let w = escape(word);
                format!("<a href=\"{w}\">{w}</a>")
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_reads_right_to_left_and_what_people_typed_stays_text() {
        let ar = page("إيصال", "استلمنا دفعتك <b>", Language::Ar);
        assert!(ar.contains("lang=\"ar\" dir=\"rtl\""), "{ar}");
        assert!(ar.contains("&lt;b&gt;") && !ar.contains("<b>"), "{ar}");
        let en = page(
            "Pay",
            "Pay here: https://x.example/pay?a=1&b=2",
            Language::En,
        );
        assert!(en.contains("dir=\"ltr\""), "{en}");
        assert!(
            en.contains("<a href=\"https://x.example/pay?a=1&amp;b=2\">"),
            "{en}"
        );
    }
}
