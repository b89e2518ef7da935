//! The payment link of an instalment: the firm asks for a payment, the client is sent a link,
//! and the link's page opens the gateway's page without signing in (looking at the link
//! changes nothing); a link for another payment, or a changed one, opens nothing; once paid
//! it shows the result.

use std::time::Duration;

use nestcms_paytabs_sim::Faults;
use serde_json::Value;

use crate::helpers::{TestApp, problem, spawn_app_with_sim, start_sim};
use crate::instalments::{approved_contract_due, pay_instalment};
use crate::payments::{Shop, ok, press, shop, wait_for};

/// The links in the client's payment-link messages, oldest first.
async fn links(app: &TestApp, s: &Shop, n: usize) -> anyhow::Result<Vec<(Value, String)>> {
    for _ in 0..200 {
        let list = ok(
            app.get_as(&s.client, "/api/v1/users/me/notifications")
                .await?,
            200,
        )
        .await?;
        let got: Vec<(Value, String)> = list["data"]
            .as_array()
            .into_iter()
            .flatten()
            .rev()
            .filter(|m| m["kind"] == "payment_link")
            .map(|m| {
                let body = m["body"].as_str().unwrap_or_default();
                let link = body[body.find("http").unwrap_or(body.len())..].trim();
                (m.clone(), link.to_owned())
            })
            .collect();
        if got.len() >= n {
            return Ok(got);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("fewer than {n} payment links")
}

async fn open(app: &TestApp, link: &str) -> anyhow::Result<reqwest::Response> {
    Ok(app.client.get(link).send().await?)
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_instalment_asked_for_sends_its_client_a_link_that_pays_it_without_signing_in()
-> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (_, contract) = approved_contract_due(&app, &s, [5, 30, 60]).await?;
    let first = ok(pay_instalment(&app, &s, &contract, 1).await?, 201).await?;
    let (message, link) = links(&app, &s, 1).await?.remove(0);
    assert!(
        message["subject"]
            .as_str()
            .is_some_and(|t| t.contains("Instalment 1") && t.contains("150.000 KWD")),
        "{message}"
    );
    let id = first["id"].as_str().unwrap_or_default();
    assert!(
        link.contains(&format!("/api/v1/payments/{id}/pay?token=")),
        "{link}"
    );

    // Changed, or used for another payment, it opens nothing.
    let changed = format!(
        "{}{}",
        &link[..link.len() - 1],
        if link.ends_with('A') { 'B' } else { 'A' }
    );
    problem(open(&app, &changed).await?, 403, "invalid_payment_link").await?;
    let second = ok(pay_instalment(&app, &s, &contract, 2).await?, 201).await?;
    let elsewhere = link.replace(id, second["id"].as_str().unwrap_or_default());
    problem(open(&app, &elsewhere).await?, 403, "invalid_payment_link").await?;

    // Opened (no session; a mail scanner's preview too), it only shows what it pays…
    let res = open(&app, &link).await?;
    assert_eq!(res.status(), 200);
    let page = res.text().await?;
    assert!(
        page.contains("150.000 KWD") && page.contains("method=\"post\""),
        "{page}"
    );
    let path = format!("/api/v1/orgs/{}/payments/{id}", s.org);
    let unopened = ok(app.get_as(&s.owner, &path).await?, 200).await?;
    assert_eq!(
        unopened["state"], "created",
        "looking at the link opens no page"
    );
    // …and its button sends the client to the gateway's page for that payment.
    problem(
        app.client.post(&changed).send().await?,
        403,
        "invalid_payment_link",
    )
    .await?;
    let res = app.client.post(&link).send().await?;
    assert_eq!(res.status(), 303);
    let gateway = location(&res);
    assert!(
        gateway.starts_with(&sim.url),
        "the gateway's page: {gateway}"
    );
    press(&gateway, "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    // Paid, the same link shows the result instead of charging again.
    for res in [
        open(&app, &link).await?,
        app.client.post(&link).send().await?,
    ] {
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), format!("/api/v1/payments/{id}/result"));
    }
    // Each payment asked for has its own link, once.
    assert_eq!(links(&app, &s, 2).await?.len(), 2);
    Ok(())
}
