//! Invoices end to end: the tax profile, drafts issued by hand with gap-free numbers under
//! concurrency across two instances, the ZATCA chain and QR code, immutability once issued,
//! credit notes, and the invoice and credit note the sagas issue for a paid instalment and
//! its refund.

use std::collections::HashMap;

use nestcms_paytabs_sim::Faults;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with_sim, start_sim};
use crate::instalments::{approved_contract_due, paid_instalment as pay};
use crate::payments::{Shop, ok, shop};
use crate::sagas::finished;

/// The Arabic legal name the QR code carries.
pub(crate) const SELLER_AR: &str = "شركة البناء المتحدة";

/// Sets a Saudi tax profile for the shop.
pub(crate) async fn saudi(app: &TestApp, s: &Shop) -> anyhow::Result<Value> {
    let body = json!({
        "country": "SA", "legal_name_en": "United Building Co.", "legal_name_ar": SELLER_AR,
        "vat_number": "300000000000003", "street": "King Fahd Road 12", "city": "Riyadh",
        "postal_code": "12211",
    });
    let res = app
        .client
        .put(app.url(&format!("/api/v1/orgs/{}/tax-profile", s.org)))
        .bearer_auth(&s.owner)
        .json(&body)
        .send()
        .await?;
    ok(res, 200).await
}

fn invoices(s: &Shop) -> String {
    format!("/api/v1/orgs/{}/invoices", s.org)
}

async fn list(app: &TestApp, token: &str, path: &str) -> anyhow::Result<Vec<Value>> {
    let body = ok(app.get_as(token, path).await?, 200).await?;
    Ok(body["data"].as_array().cloned().unwrap_or_default())
}

#[tokio::test]
async fn a_paid_instalment_is_invoiced_once_and_its_full_refund_credited_once() -> anyhow::Result<()>
{
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    saudi(&app, &s).await?;
    let (k, contract) = approved_contract_due(&app, &s, [5, 30, 60]).await?;
    let paid = pay(&app, &s, &contract, 1).await?;
    let saga = finished(&app, &s.owner, &paid, "payment").await?;
    assert_eq!(saga["steps"][1]["name"], "invoice_issued", "{saga}");
    assert_eq!(saga["steps"][1]["status"], "done", "{saga}");

    let all = list(&app, &s.owner, &invoices(&s)).await?;
    assert_eq!(all.len(), 1, "{all:?}");
    let inv = &all[0];
    let payment_id = paid.rsplit('/').next().unwrap_or_default();
    assert_eq!(inv["payment_id"], payment_id);
    assert_eq!(inv["contract_id"], contract);
    assert_eq!(
        (&inv["number"], &inv["kind"], &inv["form"], &inv["state"]),
        (
            &json!("INV-000001"),
            &json!("invoice"),
            &json!("simplified"),
            &json!("paid")
        )
    );
    // 150.000 KWD with 15 % VAT included: VAT = 150 × 15/115 = 19.5652… → 19.565.
    assert_eq!(
        (&inv["gross"], &inv["vat"], &inv["net"], &inv["balance"]),
        (
            &json!("150.000"),
            &json!("19.565"),
            &json!("130.435"),
            &json!("0.000")
        )
    );
    assert_eq!(inv["seller"]["vat_number"], "300000000000003");
    assert_eq!(inv["counter"], 1);
    let qr = nestcms_domain::invoices::qr::decode(inv["qr"].as_str().unwrap_or_default())
        .expect("the QR payload decodes");
    let tags: Vec<u8> = qr.iter().map(|(t, _)| *t).collect();
    assert_eq!(tags, [1, 2, 3, 4, 5]);
    assert_eq!(qr[0].1, SELLER_AR);
    assert_eq!((qr[3].1.as_str(), qr[4].1.as_str()), ("150.000", "19.565"));
    // The contract shows the instalment paid, with its payment and its invoice.
    let schedule = ok(app.get_as(&s.client, &k).await?, 200).await?["schedule"].clone();
    assert_eq!(
        (
            &schedule[0]["status"],
            &schedule[0]["payment_id"],
            &schedule[0]["invoice_number"],
            &schedule[0]["invoice_id"]
        ),
        (
            &json!("paid"),
            &json!(payment_id),
            &json!("INV-000001"),
            &inv["id"]
        )
    );
    assert_eq!(schedule[1]["invoice_number"], Value::Null);
    // The client has a receipt of the payment.
    let receipt = app.get_as(&s.client, &format!("{paid}/receipt")).await?;
    assert_eq!(receipt.status(), 200);
    assert_eq!(receipt.headers()["content-type"], "application/pdf");
    assert!(receipt.bytes().await?.starts_with(b"%PDF"));
    // The client reads their invoice too.
    let theirs = list(&app, &s.client, &invoices(&s)).await?;
    assert_eq!(theirs.len(), 1);

    let refund = json!({ "amount": "150.000", "reason": "Works postponed" });
    ok(
        app.post(Some(&s.owner), &format!("{paid}/refunds"), &refund)
            .await?,
        201,
    )
    .await?;
    let saga = finished(&app, &s.owner, &paid, "refund").await?;
    assert_eq!(saga["steps"][1]["name"], "credit_note_issued", "{saga}");
    assert_eq!(saga["steps"][1]["status"], "done", "{saga}");
    let notes = list(
        &app,
        &s.owner,
        &format!("{}?kind=credit_note", invoices(&s)),
    )
    .await?;
    assert_eq!(notes.len(), 1, "{notes:?}");
    let cn = &notes[0];
    assert_eq!(
        (&cn["number"], &cn["references"]),
        (&json!("CN-000001"), &inv["id"])
    );
    assert_eq!(
        (&cn["gross"], &cn["vat"]),
        (&json!("150.000"), &json!("19.565"))
    );
    assert_eq!(cn["counter"], 2);
    assert_eq!(
        cn["previous_hash"], inv["hash"],
        "the note follows the invoice in the chain"
    );
    let voided = ok(
        app.get_as(
            &s.owner,
            &format!(
                "{}/{}",
                invoices(&s),
                inv["id"].as_str().unwrap_or_default()
            ),
        )
        .await?,
        200,
    )
    .await?;
    assert_eq!(
        (&voided["state"], &voided["credited"]),
        (&json!("void"), &json!("150.000"))
    );
    assert_eq!(
        list(&app, &s.owner, &invoices(&s)).await?.len(),
        2,
        "one invoice, one note"
    );
    Ok(())
}

/// A draft of one line for the concurrency test.
fn draft(n: usize) -> Value {
    json!({
        "currency": "SAR", "buyer": { "name": format!("Buyer {n}") },
        "lines": [{ "description": "Site visit", "quantity": "1", "unit_price": "115.00" }],
    })
}

#[tokio::test]
async fn invoices_issued_at_once_on_two_instances_get_numbers_without_gap_or_duplicate()
-> anyhow::Result<()> {
    let app = spawn_app().await?;
    let twin = app.twin().await?;
    let s = shop(&app).await?;
    saudi(&app, &s).await?;
    let mut ids = Vec::new();
    for n in 0..200 {
        let d = ok(
            app.post(Some(&s.owner), &invoices(&s), &draft(n)).await?,
            201,
        )
        .await?;
        ids.push(d["id"].as_str().unwrap_or_default().to_owned());
    }
    let sends = ids.iter().enumerate().map(|(n, id)| {
        let base = if n % 2 == 0 {
            app.url("")
        } else {
            twin.base.clone()
        };
        let url = format!("{base}{}/{id}/issue", invoices(&s));
        let req = app.client.post(url).bearer_auth(&s.owner).send();
        async move { req.await.map(|r| r.status().as_u16()) }
    });
    let statuses = futures::future::join_all(sends).await;
    assert!(
        statuses.iter().all(|s| matches!(s, Ok(200))),
        "{statuses:?}"
    );

    let mut docs: Vec<Value> = Vec::new();
    loop {
        let after = docs
            .last()
            .and_then(|d| d["id"].as_str())
            .map(|id| format!("&starting_after={id}"))
            .unwrap_or_default();
        let got = list(
            &app,
            &s.owner,
            &format!("{}?limit=100{after}", invoices(&s)),
        )
        .await?;
        if got.is_empty() {
            break;
        }
        docs.extend(got);
    }
    let mut numbers: Vec<String> = docs
        .iter()
        .map(|d| d["number"].as_str().unwrap_or_default().to_owned())
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=200).map(|n| format!("INV-{n:06}")).collect();
    assert_eq!(numbers, expected, "numbers 1..200, no gap, no duplicate");
    // The chain: counters 1..200, each document carrying the hash of the one before.
    let by_counter: HashMap<i64, &Value> = docs
        .iter()
        .map(|d| (d["counter"].as_i64().unwrap_or(0), d))
        .collect();
    assert_eq!(by_counter.len(), 200);
    for c in 2..=200 {
        assert_eq!(
            by_counter[&c]["previous_hash"],
            by_counter[&(c - 1)]["hash"],
            "link {c}"
        );
    }
    assert_eq!(
        by_counter[&1]["previous_hash"],
        nestcms_domain::invoices::FIRST_PREVIOUS_HASH
    );
    Ok(())
}

#[tokio::test]
async fn an_issued_invoice_never_changes_and_is_corrected_by_a_credit_note() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let s = shop(&app).await?;
    // No tax profile yet: nothing can be invoiced.
    let body = json!({
        "currency": "KWD", "prices_include_vat": false, "buyer": { "name": "Gulf Trading", "vat_number": "310000000000003" },
        "lines": [
            { "description": "Concrete", "quantity": "2.5", "unit_price": "10.010" },
            { "description": "Permit fee", "quantity": "1", "unit_price": "5.000", "vat_category": "exempt" },
        ],
    });
    problem(
        app.post(Some(&s.owner), &invoices(&s), &body).await?,
        409,
        "no_tax_profile",
    )
    .await?;
    // A Saudi number must begin and end with 3.
    let bad = json!({ "country": "SA", "legal_name_en": "X", "vat_number": "300000000000004", "street": "S", "city": "C" });
    let res = app
        .client
        .put(app.url(&format!("/api/v1/orgs/{}/tax-profile", s.org)))
        .bearer_auth(&s.owner)
        .json(&bad)
        .send()
        .await?;
    let p = problem(res, 400, "validation_failed").await?;
    assert_eq!(p["errors"][0]["field"], "/vat_number", "{p}");
    saudi(&app, &s).await?;
    // The client may not write invoices.
    let res = app.post(Some(&s.client), &invoices(&s), &body).await?;
    assert_eq!(res.status(), 403);
    let bad_line = json!({ "currency": "KWD", "buyer": { "name": "B" }, "lines": [{ "description": "x", "quantity": "0", "unit_price": "1.0001" }] });
    let p = problem(
        app.post(Some(&s.owner), &invoices(&s), &bad_line).await?,
        400,
        "validation_failed",
    )
    .await?;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["/lines/0/quantity", "/lines/0/unit_price"], "{p}");

    let d = ok(app.post(Some(&s.owner), &invoices(&s), &body).await?, 201).await?;
    assert_eq!(
        (&d["state"], &d["number"], &d["form"]),
        (&json!("draft"), &json!("DRAFT"), &json!("standard"))
    );
    // 2.5 × 10.010 = 25.025; VAT 15 % = 3.75375 → 3.754; the exempt fee carries none.
    assert_eq!(
        (&d["net"], &d["vat"], &d["gross"]),
        (&json!("30.025"), &json!("3.754"), &json!("33.779"))
    );
    let one = format!("{}/{}", invoices(&s), d["id"].as_str().unwrap_or_default());
    let issued = ok(
        app.post(Some(&s.owner), &format!("{one}/issue"), &json!({}))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        (&issued["state"], &issued["number"]),
        (&json!("issued"), &json!("INV-000001"))
    );
    assert!(
        issued["hash"].is_string() && issued["qr"].is_string(),
        "{issued}"
    );

    // Issued: no rewrite, no delete, no second issue; and not even the database lets it change.
    let res = app
        .client
        .put(app.url(&one))
        .bearer_auth(&s.owner)
        .json(&body)
        .send()
        .await?;
    problem(res, 409, "not_a_draft").await?;
    let res = app
        .client
        .delete(app.url(&one))
        .bearer_auth(&s.owner)
        .send()
        .await?;
    problem(res, 409, "not_a_draft").await?;
    problem(
        app.post(Some(&s.owner), &format!("{one}/issue"), &json!({}))
            .await?,
        409,
        "not_a_draft",
    )
    .await?;
    let id: uuid::Uuid = d["id"].as_str().unwrap_or_default().parse()?;
    let tampered = nestcms_store::with_pool!(app.store.primary(), |p| {
        sqlx::query("UPDATE invoices SET total_gross = 1 WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|_| ())
    });
    assert!(
        tampered.is_err(),
        "the database refuses to change an issued invoice"
    );
    let deleted = nestcms_store::with_pool!(app.store.primary(), |p| {
        sqlx::query("DELETE FROM invoices WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|_| ())
    });
    assert!(deleted.is_err(), "nor to delete it");

    // A credit note takes part off, spread over the 15 % and the exempt line in proportion
    // (9.798 with VAT 1.278, and 1.702); more than is left is refused.
    let credit = format!("{one}/credit-notes");
    let cn = ok(
        app.post(
            Some(&s.owner),
            &credit,
            &json!({ "amount": "11.500", "reason": "Less concrete" }),
        )
        .await?,
        201,
    )
    .await?;
    assert_eq!(
        (&cn["number"], &cn["gross"], &cn["vat"]),
        (&json!("CN-000001"), &json!("11.500"), &json!("1.278"))
    );
    assert_eq!(cn["form"], "standard");
    let p = problem(
        app.post(
            Some(&s.owner),
            &credit,
            &json!({ "amount": "30.000", "reason": "Too much" }),
        )
        .await?,
        422,
        "over_credited",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/amount");
    let after = ok(app.get_as(&s.owner, &one).await?, 200).await?;
    assert_eq!(
        (&after["credited"], &after["balance"], &after["state"]),
        (&json!("11.500"), &json!("22.279"), &json!("issued"))
    );
    // The rest: the invoice is void.
    ok(
        app.post(Some(&s.owner), &credit, &json!({ "reason": "Cancelled" }))
            .await?,
        201,
    )
    .await?;
    let void = ok(app.get_as(&s.owner, &one).await?, 200).await?;
    assert_eq!(void["state"], "void");

    // A debit note adds to an invoice without crediting it; it must be in its currency.
    let mut debit = json!({
        "kind": "debit_note", "currency": "KWD", "references": d["id"], "buyer": { "name": "Gulf Trading" },
        "lines": [{ "description": "Extra formwork", "quantity": "1", "unit_price": "2.000" }],
    });
    let dn = ok(app.post(Some(&s.owner), &invoices(&s), &debit).await?, 201).await?;
    let dn_path = format!("{}/{}", invoices(&s), dn["id"].as_str().unwrap_or_default());
    let dn = ok(
        app.post(Some(&s.owner), &format!("{dn_path}/issue"), &json!({}))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        (&dn["number"], &dn["kind"], &dn["state"]),
        (&json!("DN-000001"), &json!("debit_note"), &json!("issued"))
    );
    let after = ok(app.get_as(&s.owner, &one).await?, 200).await?;
    assert_eq!(
        after["credited"], void["credited"],
        "a debit note credits nothing"
    );
    debit["currency"] = json!("SAR");
    let p = problem(
        app.post(Some(&s.owner), &invoices(&s), &debit).await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/currency");
    // Made out to somebody who is not a client of the firm: refused, not a server error.
    let stranger = json!({
        "currency": "KWD", "buyer": { "name": "X", "client_id": uuid::Uuid::now_v7() },
        "lines": [{ "description": "x", "quantity": "1", "unit_price": "1.000" }],
    });
    let p = problem(
        app.post(Some(&s.owner), &invoices(&s), &stranger).await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/buyer/client_id");
    Ok(())
}

#[tokio::test]
async fn a_draft_rewritten_while_it_is_issued_is_not_issued_as_it_was() -> anyhow::Result<()> {
    // The issue reads the draft, then another request rewrites it before the issue commits:
    // the store refuses to issue the stale version.
    let app = spawn_app().await?;
    let s = shop(&app).await?;
    saudi(&app, &s).await?;
    let d = ok(
        app.post(Some(&s.owner), &invoices(&s), &draft(1)).await?,
        201,
    )
    .await?;
    let id: nestcms_domain::invoices::InvoiceId = d["id"]
        .as_str()
        .unwrap_or_default()
        .parse::<uuid::Uuid>()
        .map(nestcms_domain::invoices::InvoiceId)?;
    let org = nestcms_domain::identity::OrgId(s.org.parse()?);
    use nestcms_domain::invoices::ports::InvoiceStore as _;
    let mut stale = app.store.invoice(org, id).await?.expect("the draft");
    let path = format!("{}/{}", invoices(&s), d["id"].as_str().unwrap_or_default());
    let res = app
        .client
        .put(app.url(&path))
        .bearer_auth(&s.owner)
        .json(&draft(2))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    stale.seller = app.store.tax_profile(org).await?;
    let refused = app.store.issue(&stale).await;
    assert!(
        matches!(&refused, Err(nestcms_domain::PortError::Constraint(c)) if c == nestcms_domain::invoices::ports::NOT_A_DRAFT),
        "{refused:?}"
    );
    let issued = ok(
        app.post(Some(&s.owner), &format!("{path}/issue"), &json!({}))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        issued["buyer"]["name"], "Buyer 2",
        "the version issued is the one last saved"
    );
    Ok(())
}
