//! The ZATCA phase-1 QR payload: base64 of five TLV fields (seller name, VAT number, time
//! stamp, total with VAT, VAT total). Each length is the value's UTF-8 *byte* count (an
//! Arabic seller name has about twice as many bytes as letters, the classic bug) and one
//! byte wide, so a value is at most 255 bytes. Written by hand: it is twenty lines, and no
//! maintained crate covers it.

use base64::Engine as _;
use chrono::{DateTime, Utc};

/// The five fields, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrFields {
    /// Seller's name.
    pub seller: String,
    /// Seller's VAT registration number.
    pub vat_number: String,
    /// When the invoice was issued.
    pub issued_at: DateTime<Utc>,
    /// Total with VAT, as a decimal (`"1150.00"`).
    pub total: String,
    /// VAT total, as a decimal (`"150.00"`).
    pub vat: String,
}

/// A field longer than a one-byte length can say.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("QR field {tag} is {len} bytes; at most 255 fit")]
pub struct TooLong {
    /// The TLV tag.
    pub tag: u8,
    /// Its UTF-8 length.
    pub len: usize,
}

/// The base64 text the QR code carries.
pub fn encode(f: &QrFields) -> Result<String, TooLong> {
    let stamp = f.issued_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut out = Vec::new();
    for (tag, value) in [
        (1u8, f.seller.as_str()),
        (2, &f.vat_number),
        (3, &stamp),
        (4, &f.total),
        (5, &f.vat),
    ] {
        let bytes = value.as_bytes();
        let len = u8::try_from(bytes.len()).map_err(|_| TooLong {
            tag,
            len: bytes.len(),
        })?;
        out.push(tag);
        out.push(len);
        out.extend_from_slice(bytes);
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// Reads a payload back into its `(tag, value)` fields (for tests and support staff).
pub fn decode(text: &str) -> Option<Vec<(u8, String)>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    let mut fields = Vec::new();
    let mut rest = bytes.as_slice();
    while let [tag, len, tail @ ..] = rest {
        let len = usize::from(*len);
        let value = tail.get(..len)?;
        fields.push((*tag, String::from_utf8(value.to_vec()).ok()?));
        rest = &tail[len..];
    }
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arabic_seller_name_is_measured_in_bytes() {
        let f = QrFields {
            seller: "شركة البناء".to_owned(),
            vat_number: "300000000000003".to_owned(),
            issued_at: "2026-11-30T09:05:07Z".parse().unwrap(),
            total: "1150.00".to_owned(),
            vat: "150.00".to_owned(),
        };
        let text = encode(&f).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .unwrap();
        // 11 characters, 21 bytes: two per Arabic letter, one for the space.
        assert_eq!(f.seller.chars().count(), 11);
        assert_eq!(&raw[..2], &[1, 21]);
        let fields = decode(&text).unwrap();
        assert_eq!(
            fields,
            vec![
                (1, "شركة البناء".to_owned()),
                (2, "300000000000003".to_owned()),
                (3, "2026-11-30T09:05:07Z".to_owned()),
                (4, "1150.00".to_owned()),
                (5, "150.00".to_owned()),
            ]
        );
        let long = QrFields {
            seller: "ب".repeat(128),
            ..f
        };
        assert_eq!(encode(&long), Err(TooLong { tag: 1, len: 256 }));
    }
}
