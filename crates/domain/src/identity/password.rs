//! The rule a new password must meet. Hashing lives in `nestcms-auth`.

use crate::error::FieldError;

/// Shortest accepted password, in characters (NIST SP 800-63B asks at least 8; we ask more
/// because most accounts here move money).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted password, which bounds the hashing work one request can cause.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Checks length and that the password is not the e-mail address itself.
pub fn check_new_password(password: &str, email: &str, field: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            "password_too_short",
            format!("use at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            "password_too_long",
            format!("use at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if (!email.is_empty() && lower == email) || (!local.is_empty() && lower == local) {
        return Err(FieldError::new(
            field,
            "password_is_email",
            "the password must not be your e-mail address",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_email_rules() {
        assert!(check_new_password("correct horse battery", "a@b.com", "/password").is_ok());
        assert_eq!(
            check_new_password("short", "a@b.com", "/p").map_err(|e| e.code),
            Err("password_too_short")
        );
        assert_eq!(
            check_new_password(&"x".repeat(129), "a@b.com", "/p").map_err(|e| e.code),
            Err("password_too_long")
        );
        assert_eq!(
            check_new_password(
                "Sara.Engineer@Example.com",
                "sara.engineer@example.com",
                "/p"
            )
            .map_err(|e| e.code),
            Err("password_is_email")
        );
        assert_eq!(
            check_new_password("longlocalpart1", "longlocalpart1@x.com", "/p").map_err(|e| e.code),
            Err("password_is_email")
        );
    }
}
