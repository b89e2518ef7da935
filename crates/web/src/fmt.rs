//! Numbers, money and dates as each language writes them: Arabic-Indic digits and separators
//! and Arabic month names in Arabic; money always with its currency's decimals (two for SAR,
//! three for KWD), from integer minor units, never through a float. Times are in UTC and say so.

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};
use nestcms_domain::Money;

use crate::i18n::Lang;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_AR: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

/// Digits and separators of `text` as the language writes them.
pub fn digits(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_owned(),
        Lang::Ar => text
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap_or(c),
                '.' => '\u{066B}',
                ',' => '\u{066C}',
                other => other,
            })
            .collect(),
    }
}

/// `amount_string` with thousands grouped: `1234567.890` → `1,234,567.890`.
fn grouped(plain: &str) -> String {
    let (sign, rest) = plain.strip_prefix('-').map_or(("", plain), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// The currency's sign in Arabic, its code otherwise.
fn symbol(lang: Lang, code: &str) -> &str {
    match (lang, code) {
        (Lang::Ar, "SAR") => "ر.س",
        (Lang::Ar, "AED") => "د.إ",
        (Lang::Ar, "KWD") => "د.ك",
        (Lang::Ar, "EGP") => "ج.م",
        (Lang::Ar, "BHD") => "د.ب",
        (Lang::Ar, "OMR") => "ر.ع",
        (Lang::Ar, "QAR") => "ر.ق",
        (_, code) => code,
    }
}

/// Money as a person reads it: `SAR 1,500.00` or `١٬٥٠٠٫٠٠ ر.س`.
pub fn money(lang: Lang, m: Money) -> String {
    let code = m.currency().code();
    let amount = digits(lang, &grouped(&m.amount_string()));
    match lang {
        Lang::En => format!("{code} {amount}"),
        Lang::Ar => format!("{amount} {}", symbol(lang, code)),
    }
}

/// A calendar date: `1 Dec 2026` or `١ ديسمبر ٢٠٢٦`.
pub fn date(lang: Lang, d: NaiveDate) -> String {
    let month = d.month0() as usize;
    match lang {
        Lang::En => format!("{} {} {}", d.day(), MONTHS_EN[month % 12], d.year()),
        Lang::Ar => digits(
            lang,
            &format!("{} {} {}", d.day(), MONTHS_AR[month % 12], d.year()),
        ),
    }
}

/// A moment, in UTC: `1 Dec 2026 14:05 UTC`.
pub fn moment(lang: Lang, t: DateTime<Utc>) -> String {
    let time = digits(lang, &t.format("%H:%M").to_string());
    format!("{} {time} UTC", date(lang, t.date_naive()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nestcms_domain::money::Currency;

    #[test]
    fn money_keeps_the_currencys_decimals_in_both_languages() {
        let kwd = Money::from_minor(1_234_567_890, Currency::Kwd);
        assert_eq!(money(Lang::En, kwd), "KWD 1,234,567.890");
        assert_eq!(money(Lang::Ar, kwd), "١٬٢٣٤٬٥٦٧٫٨٩٠ د.ك");
        let sar = Money::from_minor(-5, Currency::Sar);
        assert_eq!(money(Lang::En, sar), "SAR -0.05");
    }

    #[test]
    fn dates_are_written_per_language() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(date(Lang::En, d), "1 Dec 2026");
        assert_eq!(date(Lang::Ar, d), "١ ديسمبر ٢٠٢٦");
    }
}
