//! Rules for uploaded design files: which types are accepted, checked against the bytes, and
//! what an uploaded name may look like.

use crate::error::FieldError;

/// Accepted types: (MIME type, extension, leading bytes).
const TYPES: &[(&str, &str, &[u8])] = &[
    ("application/pdf", "pdf", b"%PDF-"),
    ("image/png", "png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", "jpg", b"\xff\xd8\xff"),
];

/// Checks that the declared type is accepted and that the bytes really are of that type (a
/// renamed executable is refused); returns the extension to store under.
pub fn check_upload(content_type: &str, bytes: &[u8]) -> Result<&'static str, FieldError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((_, ext, magic)) = TYPES.iter().find(|(mime, _, _)| *mime == essence) else {
        return Err(FieldError::new(
            "Content-Type",
            "unsupported_type",
            "upload a PDF, PNG or JPEG file",
        ));
    };
    if bytes.is_empty() {
        return Err(FieldError::new("body", "empty_file", "the file is empty"));
    }
    if !bytes.starts_with(magic) {
        return Err(FieldError::new(
            "body",
            "content_mismatch",
            format!("the bytes are not a {essence} file"),
        ));
    }
    Ok(ext)
}

/// A display name safe to store and to send back in `Content-Disposition`: the last path
/// component, only letters, digits, spaces, dots, dashes and underscores, at most 100
/// characters; `fallback` when nothing is left.
pub fn safe_file_name(name: &str, fallback: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " ._-".contains(*c))
        .take(100)
        .collect::<String>()
        .trim_matches(|c: char| c == '.' || c == ' ')
        .to_owned();
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_type_must_match_the_bytes() {
        assert_eq!(check_upload("application/pdf", b"%PDF-1.7 ..."), Ok("pdf"));
        assert_eq!(
            check_upload("image/PNG", b"\x89PNG\r\n\x1a\nrest"),
            Ok("png")
        );
        assert_eq!(
            check_upload("application/pdf", b"MZ\x90\x00").map_err(|e| e.code),
            Err("content_mismatch")
        );
        assert_eq!(
            check_upload("application/x-msdownload", b"MZ").map_err(|e| e.code),
            Err("unsupported_type")
        );
        assert_eq!(
            check_upload("image/jpeg", b"").map_err(|e| e.code),
            Err("empty_file")
        );
    }

    #[test]
    fn names_lose_paths_and_odd_characters() {
        assert_eq!(safe_file_name("../../etc/passwd", "file"), "passwd");
        assert_eq!(
            safe_file_name("C:\\plans\\Ground floor v2.pdf", "file"),
            "Ground floor v2.pdf"
        );
        assert_eq!(safe_file_name("\"; rm -rf /\".pdf", "file"), "pdf");
        assert_eq!(safe_file_name("plan<script>.pdf", "file"), "planscript.pdf");
        assert_eq!(safe_file_name("...", "design.pdf"), "design.pdf");
    }
}
