//! Starting, configuring and stopping the executable.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nestcms_testkit::TestDatabase;

use crate::support::{Server, nestcms, run, stderr};

#[tokio::test]
async fn serve_with_no_configuration_creates_the_sqlite_file_and_exits_0_on_sigterm()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(nestcms(dir.path()))?;
    let res = reqwest::get(server.url("/health/ready")).await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await?["database"], "sqlite");
    assert!(
        dir.path().join("data/nestcms.db").is_file(),
        "the SQLite file lives under ./data"
    );
    assert!(
        dir.path().join("data/secrets/jwt.key").is_file(),
        "a development key is generated"
    );
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}

#[test]
fn sigterm_during_a_slow_request_lets_it_finish_then_exits_0() -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir()?;
    let server = Server::start(nestcms(dir.path()))?;
    let body = r#"{"email":"slow@example.com","password":"correct horse battery staple","full_name":"Slow Uploader"}"#;
    let (head, tail) = body.split_at(body.len() / 2);
    let mut conn = std::net::TcpStream::connect(&server.addr)?;
    conn.set_read_timeout(Some(Duration::from_secs(15)))?;
    write!(
        conn,
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        server.addr,
        body.len()
    )?;
    conn.flush()?;
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.child.id().to_string();
    anyhow::ensure!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()?
            .success(),
        "kill failed"
    );
    std::thread::sleep(Duration::from_millis(500));
    conn.write_all(tail.as_bytes())?;
    let mut response = String::new();
    conn.read_to_string(&mut response)?;
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "the in-flight request completes: {response}"
    );
    assert_eq!(server.terminate_after_signal()?, Some(0));
    Ok(())
}

#[tokio::test]
async fn the_database_url_from_the_environment_is_migrated_and_served() -> anyhow::Result<()> {
    // With NESTCMS_TEST_DATABASE_URL this is PostgreSQL; otherwise an explicit SQLite URL.
    let db = TestDatabase::create().await?;
    let mut cmd = nestcms(db.dir());
    cmd.env("NESTCMS__DATABASE__URL", db.url());
    let server = Server::start(cmd)?;
    let body: serde_json::Value = reqwest::get(server.url("/health/ready"))
        .await?
        .json()
        .await?;
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["database"],
        if db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}

#[tokio::test]
async fn migrate_then_serve_without_auto_migration() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let with_db = |dir: &Path| {
        let mut cmd = nestcms(dir);
        cmd.env("NESTCMS__DATABASE__URL", db.url())
            .env("NESTCMS__DATABASE__AUTO_MIGRATE", "false");
        cmd
    };
    let not_migrated = Server::start(with_db(db.dir()))?;
    assert_eq!(
        reqwest::get(not_migrated.url("/health/ready"))
            .await?
            .status(),
        503
    );
    assert_eq!(not_migrated.terminate()?, Some(0));

    let out = run(with_db(db.dir()).arg("migrate"))?;
    assert!(out.status.success(), "{}", stderr(&out));
    let server = Server::start(with_db(db.dir()))?;
    assert_eq!(
        reqwest::get(server.url("/health/ready")).await?.status(),
        200
    );
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}

#[test]
fn an_invalid_value_exits_non_zero_naming_the_key() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let cases = [
        ("NESTCMS__SERVER__LISTEN", "not-an-address", "server.listen"),
        (
            "NESTCMS__DATABASE__MAX_CONNECTIONS",
            "lots",
            "database.max_connections",
        ),
        ("NESTCMS__DATABASE__URL", "mysql://db/x", "database.url"),
        (
            "NESTCMS__SERVER__REQUEST_TIMEOUT",
            "soon",
            "server.request_timeout",
        ),
        ("NESTCMS__LOG__FORMAT", "xml", "log.format"),
        ("NESTCMS__ENV", "staging", "env"),
        ("NESTCMS__SERVER__LISTN", "127.0.0.1:1", "listn"),
    ];
    for (var, value, key) in cases {
        let out = run(nestcms(dir.path()).env(var, value).arg("serve"))?;
        assert!(!out.status.success(), "{var}={value} must fail");
        let err = stderr(&out);
        assert!(
            err.contains(key),
            "{var}={value}: message must name {key}: {err}"
        );
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created when the configuration is invalid"
    );
    Ok(())
}

#[test]
fn production_without_a_signing_secret_refuses_to_start() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = run(nestcms(dir.path())
        .env("NESTCMS__ENV", "production")
        .arg("serve"))?;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("auth.jwt_secret"), "{}", stderr(&out));
    Ok(())
}

#[test]
fn a_config_file_is_read_and_its_unknown_keys_rejected() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("nestcms.toml");
    std::fs::write(
        &file,
        "[server]\nlisten = \"127.0.0.1:9999\"\n[database]\nmax_connections = 7\n",
    )?;
    let out = run(nestcms(dir.path())
        .arg("--config")
        .arg(&file)
        .arg("print-config"))?;
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        printed.contains("listen = \"127.0.0.1:9999\"") && printed.contains("max_connections = 7"),
        "{printed}"
    );

    let out = run(nestcms(dir.path())
        .env("NESTCMS__SERVER__LISTEN", "127.0.0.1:7777")
        .arg("--config")
        .arg(&file)
        .arg("print-config"))?;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("127.0.0.1:7777"),
        "environment overrides the file"
    );
    let out = run(nestcms(dir.path())
        .env("NESTCMS__SERVER__LISTEN", "127.0.0.1:7777")
        .arg("print-config")
        .args(["--listen", "127.0.0.1:6666"]))?;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("127.0.0.1:6666"),
        "flags override the environment"
    );

    std::fs::write(&file, "[databse]\nurl = \"sqlite://x.db\"\n")?;
    let out = run(nestcms(dir.path()).arg("--config").arg(&file).arg("serve"))?;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("databse"), "{}", stderr(&out));
    let out = run(nestcms(dir.path()).args(["--config", "missing.toml", "serve"]))?;
    assert!(
        !out.status.success() && stderr(&out).contains("missing.toml"),
        "{}",
        stderr(&out)
    );
    Ok(())
}

#[test]
fn print_config_redacts_every_secret() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = run(nestcms(dir.path())
        .env(
            "NESTCMS__DATABASE__URL",
            "postgres://app:hunter2-db@db.internal/nest",
        )
        .env(
            "NESTCMS__DATABASE__REPLICAS",
            "[\"postgres://ro:hunter3-ro@replica/nest\"]",
        )
        .env(
            "NESTCMS__AUTH__JWT_SECRET",
            "jwt-secret-value-that-is-long-enough-000",
        )
        .arg("print-config"))?;
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    for secret in ["hunter2-db", "hunter3-ro", "jwt-secret-value"] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
    assert!(
        printed.contains("postgres://app:REDACTED@db.internal/nest"),
        "{printed}"
    );
    assert!(printed.contains("jwt_secret = \"REDACTED\""), "{printed}");
    Ok(())
}

#[test]
fn openapi_subcommand_prints_the_document() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = run(nestcms(dir.path()).arg("openapi"))?;
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(doc["openapi"], "3.1.0");
    Ok(())
}

#[tokio::test]
async fn seed_demo_is_repeatable_and_scale_loads_volume() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let seed = |args: &[&str]| {
        let mut cmd = nestcms(db.dir());
        cmd.env("NESTCMS__DATABASE__URL", db.url())
            .arg("seed")
            .args(args);
        run(&mut cmd)
    };
    let first = seed(&["--demo"])?;
    assert!(first.status.success(), "{}", stderr(&first));
    let printed = String::from_utf8_lossy(&first.stdout);
    assert!(
        printed.contains("owner@demo.nestcms.test") && printed.contains("is ready"),
        "{printed}"
    );
    let again = seed(&["--demo"])?;
    assert!(
        again.status.success() && String::from_utf8_lossy(&again.stdout).contains("already there"),
        "a second run changes nothing"
    );
    let scale = seed(&["--scale", "1"])?;
    assert!(scale.status.success(), "{}", stderr(&scale));
    assert!(String::from_utf8_lossy(&scale.stdout).contains("1000 projects, 10000 earnings"));
    let neither = seed(&[])?;
    assert!(!neither.status.success(), "seed needs --demo or --scale");

    let server = Server::start({
        let mut cmd = nestcms(db.dir());
        cmd.env("NESTCMS__DATABASE__URL", db.url());
        cmd
    })?;
    let client = reqwest::Client::new();
    let login = serde_json::json!({ "email": "owner@demo.nestcms.test", "password": nestcms::seed::DEMO_PASSWORD });
    let res = client
        .post(server.url("/api/v1/auth/login"))
        .json(&login)
        .send()
        .await?;
    assert_eq!(res.status(), 200, "the printed demo login works");
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}

#[tokio::test]
async fn events_replay_names_the_consumers_it_knows_and_counts_what_it_reopens()
-> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let mut cmd = nestcms(db.dir());
    cmd.env("NESTCMS__DATABASE__URL", db.url()).args([
        "events",
        "replay",
        "--consumer",
        "postman",
        "--since",
        "2026-11-01T00:00:00Z",
    ]);
    let out = run(&mut cmd)?;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("--consumer postman") && err.contains("webhooks"),
        "{err}"
    );

    let mut cmd = nestcms(db.dir());
    cmd.env("NESTCMS__DATABASE__URL", db.url()).args([
        "events",
        "replay",
        "--consumer",
        "webhooks",
        "--since",
        "2026-11-01T00:00:00Z",
    ]);
    let out = run(&mut cmd)?;
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("webhooks: 0 events"), "{said}");
    Ok(())
}
