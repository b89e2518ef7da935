//! Platform operators are made from the command line, and only they see the breakers.

use serde_json::{Value, json};

use crate::support::{Server, nestcms, run, stderr};

#[tokio::test]
async fn only_an_operator_granted_from_the_command_line_sees_and_resets_the_breakers()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(nestcms(dir.path()))?;
    let http = reqwest::Client::new();
    let creds = json!({ "email": "ops@nest.example", "password": "correct horse battery staple" });
    let mut register = creds.clone();
    register["full_name"] = json!("Ops");
    let res = http
        .post(server.url("/api/v1/auth/register"))
        .json(&register)
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    let login: Value = http
        .post(server.url("/api/v1/auth/login"))
        .json(&creds)
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let breakers = || {
        http.get(server.url("/api/v1/admin/breakers"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        breakers().await?.status(),
        403,
        "an ordinary account is not an operator"
    );

    let out = run(nestcms(dir.path()).args(["admin", "grant", "ops@nest.example"]))?;
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Value = breakers().await?.json().await?;
    let names: Vec<&str> = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "database",
            "paytabs.follow_ups",
            "paytabs.pages",
            "paytabs.queries"
        ]
    );
    let reset = |name: &str| {
        http.post(server.url(&format!("/api/v1/admin/breakers/{name}/reset")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(reset("paytabs.pages").await?.status(), 204);
    assert_eq!(reset("nope").await?.status(), 404);

    let out = run(nestcms(dir.path()).args(["admin", "revoke", "ops@nest.example"]))?;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        breakers().await?.status(),
        403,
        "withdrawn on the next request"
    );
    let out = run(nestcms(dir.path()).args(["admin", "grant", "nobody@nest.example"]))?;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("nobody@nest.example"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}
