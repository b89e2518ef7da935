//! Arabic or English: the person's choice (a cookie set by the language switch), else the
//! browser's `Accept-Language`.

use axum::http::HeaderMap;

use crate::session;
use crate::words::{AR, EN, Words};

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English, left to right.
    En,
    /// Arabic, right to left.
    Ar,
}

impl Lang {
    /// The person's choice, else the first of `ar` or `en` the browser accepts, else English.
    pub fn of(headers: &HeaderMap) -> Self {
        if let Some(chosen) = session::cookie(headers, session::LANG).and_then(Self::parse) {
            return chosen;
        }
        let accepted = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        accepted
            .split(',')
            .filter_map(|tag| tag.split(';').next())
            .filter_map(|tag| tag.trim().split('-').next())
            .find_map(Self::parse)
            .unwrap_or(Self::En)
    }

    /// `ar` or `en` (any case).
    pub fn parse(tag: &str) -> Option<Self> {
        match tag.to_ascii_lowercase().as_str() {
            "ar" => Some(Self::Ar),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The other one, for the switch.
    pub const fn other(self) -> Self {
        match self {
            Self::En => Self::Ar,
            Self::Ar => Self::En,
        }
    }

    /// `lang` attribute.
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ar => "ar",
        }
    }

    /// `dir` attribute.
    pub const fn dir(self) -> &'static str {
        match self {
            Self::En => "ltr",
            Self::Ar => "rtl",
        }
    }

    /// The words of the pages.
    pub fn words(self) -> &'static Words {
        match self {
            Self::En => &EN,
            Self::Ar => &AR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_choice_wins_over_the_browser_and_the_browser_over_english() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of(&h), Lang::En);
        h.insert(
            "accept-language",
            HeaderValue::from_static("fr-FR, ar-SA;q=0.8, en;q=0.5"),
        );
        assert_eq!(Lang::of(&h), Lang::Ar);
        h.insert("cookie", HeaderValue::from_static("nestcms_lang=en"));
        assert_eq!(Lang::of(&h), Lang::En);
    }
}
