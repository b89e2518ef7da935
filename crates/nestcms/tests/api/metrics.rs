//! `GET /metrics`: off without a token, refused with a wrong one, and counting what an operator
//! watches (here: forged PayTabs callbacks).

use secrecy::SecretString;

use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with};

pub(crate) const TOKEN: &str = "scrape-token-for-tests";

pub(crate) async fn scrape(app: &TestApp) -> anyhow::Result<String> {
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "metrics answered {}", res.status());
    Ok(res.text().await?)
}

/// The value of an unlabelled counter (0 before its first increment).
pub(crate) fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .next()
        .unwrap_or(0)
}

#[tokio::test]
async fn metrics_need_a_token_and_count_forged_callbacks() -> anyhow::Result<()> {
    let off = spawn_app().await?;
    problem(off.get("/metrics").await?, 404, "metrics_disabled").await?;

    let app = spawn_app_with(|c| c.metrics.token = Some(SecretString::from(TOKEN))).await?;
    problem(app.get("/metrics").await?, 401, "metrics_unauthorized").await?;
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-for-test")
        .send()
        .await?;
    problem(wrong, 401, "metrics_unauthorized").await?;

    let name = "nestcms_paytabs_callbacks_rejected_total";
    let before = counter(&scrape(&app).await?, name);
    let forged = app
        .client
        .post(app.url("/api/v1/webhooks/paytabs"))
        .header("signature", "0".repeat(64))
        .header("content-type", "application/json")
        .body(r#"{"tran_ref":"TST0000000000001","cart_id":"x"}"#)
        .send()
        .await?;
    problem(forged, 401, "invalid_signature").await?;
    let after = counter(&scrape(&app).await?, name);
    assert!(after > before, "{name}: {before} then {after}");
    Ok(())
}

#[tokio::test]
async fn requests_are_counted_and_timed_by_route_template_never_by_raw_path() -> anyhow::Result<()>
{
    let app = spawn_app_with(|c| c.metrics.token = Some(SecretString::from(TOKEN))).await?;
    let (_, owner) = app.user("counted@metrics.example").await?;
    let org = app.org(&owner, "Counted Co").await?;
    for _ in 0..3 {
        assert_eq!(
            app.get_as(&owner, &format!("/api/v1/orgs/{org}"))
                .await?
                .status(),
            200
        );
    }
    let text = scrape(&app).await?;
    let line = "nestcms_http_requests_total{method=\"GET\",route=\"/api/v1/orgs/{org_id}\",status=\"200\"}";
    assert!(counter(&text, line) >= 3, "{line} in:\n{text}");
    assert!(
        text.contains("nestcms_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/orgs/{org_id}\",status=\"200\",le=\"0.1\"}"),
        "latency is a histogram with buckets"
    );
    assert!(
        text.contains(
            "nestcms_http_requests_in_flight{method=\"GET\",route=\"/api/v1/orgs/{org_id}\"}"
        ),
        "requests in flight are gauged"
    );
    assert!(!text.contains(&org), "an id never becomes a label value");
    assert!(
        counter(&text, "nestcms_db_pool_connections{state=\"max\"}") > 0,
        "the pool is gauged at scrape time"
    );
    assert!(
        text.contains("nestcms_outbox_backlog "),
        "the outbox backlog is gauged"
    );
    Ok(())
}

/// Minor units of a decimal text such as `"12.500"`.
fn minor(text: &str) -> u64 {
    text.replace('.', "").parse().unwrap_or(0)
}

#[tokio::test]
async fn business_counters_equal_what_the_database_holds() -> anyhow::Result<()> {
    use crate::payments::{checked_out, press, shop, wait_for};
    let sim = crate::helpers::start_sim(nestcms_paytabs_sim::Faults::default()).await?;
    let app = crate::helpers::spawn_app_with_sim_and(&sim, |c| {
        c.metrics.token = Some(SecretString::from(TOKEN));
    })
    .await?;
    let s = shop(&app).await?;
    // Omani rials: no other test pays in them, so the process-wide counters move only here.
    let before = scrape(&app).await?;
    for (amount, card, end) in [
        ("12.500", "A", "paid"),
        ("7.250", "D", "declined"),
        ("3.000", "A", "paid"),
    ] {
        let (path, co) = checked_out(&app, &s, amount, "OMR").await?;
        press(co["redirect_url"].as_str().unwrap_or_default(), card).await?;
        wait_for(&app, &s, &path, end).await?;
        if amount == "3.000" {
            let refund = app
                .post(
                    Some(&s.owner),
                    &format!("{path}/refunds"),
                    &serde_json::json!({ "amount": "1.000", "reason": "Short delivery" }),
                )
                .await?;
            assert_eq!(refund.status(), 201);
        }
    }
    let after = scrape(&app).await?;
    let moved = |outcome: &str, name: &str| {
        let line = format!("{name}{{outcome=\"{outcome}\",currency=\"OMR\"}}");
        counter(&after, &line) - counter(&before, &line)
    };
    // What the database holds, through the API.
    let list: serde_json::Value = app
        .get_as(&s.owner, &format!("/api/v1/orgs/{}/payments", s.org))
        .await?
        .json()
        .await?;
    let rows: Vec<&serde_json::Value> = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["currency"] == "OMR")
        .collect();
    let sum = |pick: &dyn Fn(&serde_json::Value) -> bool, field: &str| -> (u64, u64) {
        let chosen: Vec<_> = rows.iter().filter(|p| pick(p)).collect();
        (
            u64::try_from(chosen.len()).unwrap_or(u64::MAX),
            chosen
                .iter()
                .map(|p| minor(p[field].as_str().unwrap_or("0")))
                .sum(),
        )
    };
    let paid = |p: &serde_json::Value| {
        ["paid", "partially_refunded", "refunded"]
            .contains(&p["state"].as_str().unwrap_or_default())
    };
    let counts = "nestcms_payments_total";
    let amounts = "nestcms_payment_amount_minor_total";
    assert_eq!(
        (moved("created", counts), moved("created", amounts)),
        sum(&|_| true, "amount")
    );
    assert_eq!(
        (moved("paid", counts), moved("paid", amounts)),
        sum(&paid, "amount")
    );
    assert_eq!(
        (moved("declined", counts), moved("declined", amounts)),
        sum(&|p| p["state"] == "declined", "amount")
    );
    let (_, refunded) = sum(&|_| true, "refunded");
    assert_eq!(
        (moved("refunded", counts), moved("refunded", amounts)),
        (1, refunded)
    );
    assert_eq!(refunded, 1000, "one rial back");
    Ok(())
}

#[tokio::test]
async fn logins_callbacks_and_cache_reads_are_counted_by_outcome() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.metrics.token = Some(SecretString::from(TOKEN))).await?;
    let (_, owner) = app.user("editor@counted.example").await?;
    let org = app.org(&owner, "Counted Press").await?;
    let created = app
        .post(
            Some(&owner),
            &format!("/api/v1/orgs/{org}/articles"),
            &serde_json::json!({ "title": "Counted reads", "body": "Twice.", "status": "published" }),
        )
        .await?;
    assert_eq!(created.status(), 201);
    // The recorder is the process's: other tests move the same counters, so only growth is
    // checked, by at least what this test did.
    let before = scrape(&app).await?;
    let wrong = app
        .post(
            None,
            "/api/v1/auth/login",
            &serde_json::json!({ "email": "editor@counted.example", "password": "not the password at all" }),
        )
        .await?;
    assert_eq!(wrong.status(), 401);
    app.login("editor@counted.example", crate::helpers::PASSWORD)
        .await?;
    for _ in 0..2 {
        assert_eq!(
            app.get("/api/v1/articles/counted-reads").await?.status(),
            200
        );
    }
    let after = scrape(&app).await?;
    let grew = |line: &str| counter(&after, line) - counter(&before, line);
    assert!(grew("nestcms_logins_total{outcome=\"failed\"}") >= 1);
    assert!(grew("nestcms_logins_total{outcome=\"succeeded\"}") >= 1);
    assert!(grew("nestcms_cache_reads_total{namespace=\"articles\",outcome=\"miss\"}") >= 1);
    assert!(grew("nestcms_cache_reads_total{namespace=\"articles\",outcome=\"hit\"}") >= 1);
    Ok(())
}

#[tokio::test]
async fn a_request_cut_by_the_deadline_is_counted_as_the_503_it_answered() -> anyhow::Result<()> {
    let sim = crate::helpers::start_sim(nestcms_paytabs_sim::Faults::default()).await?;
    let app = crate::helpers::spawn_app_with_sim_and(&sim, |c| {
        c.metrics.token = Some(SecretString::from(TOKEN));
        // Long enough for the set-up (five password hashes, one at a time at low priority, on a
        // loaded machine), shorter than the gateway call's own 20 s timeout, so the request's
        // deadline is what cuts the hung call.
        c.server.request_timeout = std::time::Duration::from_secs(10);
    })
    .await?;
    let s = crate::payments::shop(&app).await?;
    let path = crate::payments::created(&app, &s, "30.00", "SAR").await?;
    let line = r#"nestcms_http_requests_total{method="POST",route="/api/v1/orgs/{org_id}/payments/{payment_id}/checkout",status="503"}"#;
    let count = |text: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix(line)?.trim().parse::<f64>().ok())
            .sum::<f64>()
    };
    let before = count(&scrape(&app).await?);
    sim.sim.hang_next(1);
    let res = app
        .post(
            Some(&s.client),
            &format!("{path}/checkout"),
            &serde_json::json!({}),
        )
        .await?;
    problem(res, 503, "request_timeout").await?;
    let after = count(&scrape(&app).await?);
    assert!(
        after > before,
        "the timed-out checkout is in the request metrics ({before} → {after})"
    );
    Ok(())
}
