//! Resolution of the secrets the service needs to start.
//!
//! In production every secret must come from configuration. In development a missing signing
//! key is generated once, written to `<data-dir>/secrets/jwt.key` (mode 0600), reused on every
//! later start so sessions survive restarts, and a warning says so.

use std::io::Write;
use std::path::Path;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Config, ConfigError, Environment};

/// Shortest accepted signing key, in bytes (HS256 wants at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// The secrets the running service holds.
pub struct Secrets {
    /// Signs access tokens.
    pub jwt: SecretString,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

/// Takes secrets from the configuration, or in development generates the missing ones.
pub fn resolve(config: &Config) -> Result<Secrets, ConfigError> {
    let jwt = match (&config.auth.jwt_secret, config.env) {
        (Some(s), _) => {
            if s.expose_secret().len() < MIN_SECRET_BYTES {
                return Err(ConfigError(format!(
                    "auth.jwt_secret: expected at least {MIN_SECRET_BYTES} bytes"
                )));
            }
            s.clone()
        }
        (None, Environment::Production) => {
            return Err(ConfigError("auth.jwt_secret: required when env = \"production\" (set NESTCMS__AUTH__JWT_SECRET)".into()));
        }
        (None, Environment::Development) => {
            development_secret(&config.data_dir.join("secrets").join("jwt.key"))?
        }
    };
    Ok(Secrets { jwt })
}

fn development_secret(path: &Path) -> Result<SecretString, ConfigError> {
    let io_err = |what: &str, e: std::io::Error| {
        ConfigError(format!("data_dir: cannot {what} {}: {e}", path.display()))
    };
    match std::fs::read_to_string(path) {
        Ok(existing) if existing.trim().len() >= MIN_SECRET_BYTES => {
            return Ok(SecretString::from(existing.trim().to_owned()));
        }
        Ok(_) => {
            return Err(ConfigError(format!(
                "data_dir: {} is too short to be a signing key; delete it to regenerate",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("read", e)),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_err("create the directory for", e))?;
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| io_err("create", e))?;
    file.write_all(key.as_bytes())
        .map_err(|e| io_err("write", e))?;
    tracing::warn!(
        path = %path.display(),
        "generated a development signing key; set auth.jwt_secret (NESTCMS__AUTH__JWT_SECRET) and env = \"production\" for real deployments"
    );
    Ok(SecretString::from(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_in(dir: &Path, env: Environment) -> Config {
        Config {
            env,
            data_dir: dir.to_path_buf(),
            ..Config::default()
        }
    }

    #[test]
    fn development_key_is_generated_once_and_reused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let first = resolve(&config_in(dir.path(), Environment::Development))?;
        let second = resolve(&config_in(dir.path(), Environment::Development))?;
        assert_eq!(first.jwt.expose_secret(), second.jwt.expose_secret());
        assert!(first.jwt.expose_secret().len() >= MIN_SECRET_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets/jwt.key"))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "key file must not be readable by others");
        }
        Ok(())
    }

    #[test]
    fn production_refuses_to_start_without_a_secret() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let err = resolve(&config_in(dir.path(), Environment::Production))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("auth.jwt_secret"), "{err}");
        assert!(
            !dir.path().join("secrets/jwt.key").exists(),
            "production must not write a key"
        );
        Ok(())
    }

    #[test]
    fn short_configured_secrets_are_rejected() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut config = config_in(dir.path(), Environment::Production);
        config.auth.jwt_secret = Some(SecretString::from("short"));
        assert!(resolve(&config).is_err_and(|e| e.to_string().contains("at least 32 bytes")));
        Ok(())
    }
}
