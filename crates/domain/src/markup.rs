//! Text people typed (names, titles, descriptions) made safe to show in a page or an e-mail.
//! The domain renders nothing; this lives here so the two adapters that do (the e-mail's HTML
//! part and the payment link's page) escape the same way.

/// `text` escaped for HTML. Five replacements cover text inside elements and quoted
/// attributes; no templating library is worth adding for the two small pages that use it.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
