//! The connector against the simulator, both real HTTP servers on loopback: what NestCMS will
//! rely on, checked without mocks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use nestcms_paytabs::signature::{verify_ipn, verify_return};
use nestcms_paytabs::wire::{FollowUp, PaymentRequest, Status, TranType};
use nestcms_paytabs::{Amount, Client, ClientConfig, Error};
use nestcms_paytabs_sim::{Faults, SimConfig, Simulator, router};
use secrecy::SecretString;
use serde_json::json;

const KEY: &str = "SGJNZ96JLG-JDMKHGRWT9-RWRK2KJNRJ";

/// IPNs received: (signature header, client-key header, raw body).
type Inbox = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

struct Fixture {
    sim: Arc<Simulator>,
    base: String,
    client: Client,
    inbox: Inbox,
    callback: String,
}

async fn serve(app: Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

/// A simulator, a client for it, and an IPN receiver that refuses the first `refuse` deliveries.
async fn fixture(refuse: usize, faults: Faults) -> anyhow::Result<Fixture> {
    let inbox: Inbox = Arc::default();
    let seen = Arc::new(Mutex::new(0usize));
    let receiver = {
        let inbox = inbox.clone();
        Router::new().route(
            "/ipn",
            post(move |headers: HeaderMap, body: Bytes| {
                let inbox = inbox.clone();
                let seen = seen.clone();
                async move {
                    let mut n = seen.lock().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
                    *n += 1;
                    if *n <= refuse {
                        return Err(StatusCode::SERVICE_UNAVAILABLE);
                    }
                    let h = |k: &str| {
                        headers
                            .get(k)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    inbox
                        .lock()
                        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
                        .push((h("signature"), h("client-key"), body.to_vec()));
                    Ok::<_, StatusCode>("ok")
                }
            }),
        )
    };
    let callback = format!("{}/ipn", serve(receiver).await?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let sim = Arc::new(Simulator::new(SimConfig {
        profile_id: 48214,
        server_key: KEY.into(),
        client_key: "CKEY-TEST".into(),
        public_url: base.clone(),
        duplicate_window: Duration::from_secs(60),
        ipn_retry_step: Duration::from_millis(20),
        faults,
    }));
    let app = router(sim.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client::new(ClientConfig {
        base_url: base.parse()?,
        profile_id: 48214,
        server_key: SecretString::from(KEY),
        timeout: Duration::from_secs(5),
    })?;
    Ok(Fixture {
        sim,
        base,
        client,
        inbox,
        callback,
    })
}

fn page(
    cart_id: &str,
    minor: i64,
    currency: &str,
    decimals: u32,
    callback: &str,
) -> PaymentRequest {
    PaymentRequest {
        profile_id: 0,
        tran_type: TranType::Sale,
        tran_class: "ecom",
        cart_id: cart_id.into(),
        cart_description: "Instalment 1 of 3".into(),
        cart_currency: currency.into(),
        cart_amount: Amount::new(minor, decimals),
        callback: Some(callback.into()),
        return_url: Some("https://nest.example/api/v1/payments/return/paytabs".into()),
        paypage_lang: None,
        customer_details: None,
        hide_shipping: None,
    }
}

async fn wait_for_ipns(inbox: &Inbox, n: usize) -> anyhow::Result<Vec<(String, String, Vec<u8>)>> {
    for _ in 0..200 {
        let got = inbox.lock().map(|v| v.clone()).unwrap_or_default();
        if got.len() >= n {
            return Ok(got);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("IPN not received")
}

#[tokio::test]
async fn a_page_approved_by_the_test_hook_sends_a_signed_ipn_and_a_signed_return()
-> anyhow::Result<()> {
    let f = fixture(0, Faults::default()).await?;
    let r = f
        .client
        .create_page(page("pay-1", 150_000, "KWD", 3, &f.callback))
        .await?;
    assert!(
        r.redirect_url
            .starts_with(&format!("{}/payment/page/", f.base)),
        "{}",
        r.redirect_url
    );
    assert_eq!(
        (r.cart_amount.as_str(), r.tran_type.as_str()),
        ("150.000", "Sale")
    );
    assert_eq!(
        f.client.query(&r.tran_ref).await?.status(),
        Status::Unknown(String::new()),
        "nothing happened yet"
    );

    let http = reqwest::Client::new();
    let done: serde_json::Value = http
        .post(format!("{}/complete", r.redirect_url))
        .json(&json!({ "response_status": "A" }))
        .send()
        .await?
        .json()
        .await?;
    let fields: Vec<(String, String)> = done["return_fields"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    assert!(
        verify_return(KEY, &fields, &[]),
        "the browser return is signed per §6.2"
    );

    let ipns = wait_for_ipns(&f.inbox, 1).await?;
    let (signature, client_key, body) = &ipns[0];
    assert!(
        verify_ipn(KEY, body, signature),
        "the IPN is signed over the exact bytes sent"
    );
    assert_eq!(client_key, "CKEY-TEST");
    let ipn: nestcms_paytabs::wire::Transaction = serde_json::from_slice(body)?;
    assert_eq!(
        (
            ipn.tran_ref.as_str(),
            ipn.status(),
            ipn.cart_amount.as_str()
        ),
        (r.tran_ref.as_str(), Status::Authorised, "150.000")
    );
    assert!(ipn.ipn_trace.is_some());
    assert_eq!(
        f.client.query(&r.tran_ref).await?.status(),
        Status::Authorised
    );
    assert_eq!(f.client.query_cart("pay-1").await?.len(), 1);

    let again = http
        .post(format!("{}/complete", r.redirect_url))
        .json(&json!({ "response_status": "D" }))
        .send()
        .await?;
    assert_eq!(
        again.status(),
        409,
        "a completed page cannot be completed again"
    );
    Ok(())
}

#[tokio::test]
async fn authentication_validation_and_duplicates_use_paytabs_codes() -> anyhow::Result<()> {
    let f = fixture(0, Faults::default()).await?;
    let wrong = Client::new(ClientConfig {
        base_url: f.base.parse()?,
        profile_id: 48214,
        server_key: SecretString::from("SWRONG-KEY"),
        timeout: Duration::from_secs(5),
    })?;
    assert!(matches!(
        wrong
            .create_page(page("x", 100, "SAR", 2, &f.callback))
            .await,
        Err(Error::Gateway {
            status: 401,
            code: 1,
            ..
        })
    ));
    let other_profile = Client::new(ClientConfig {
        base_url: f.base.parse()?,
        profile_id: 1,
        server_key: SecretString::from(KEY),
        timeout: Duration::from_secs(5),
    })?;
    assert!(matches!(
        other_profile.query("TST1").await,
        Err(Error::Gateway {
            status: 401,
            code: 1,
            ..
        })
    ));

    assert!(matches!(
        f.client
            .create_page(page("x", 100, "XYZ", 2, &f.callback))
            .await,
        Err(Error::Gateway {
            status: 400,
            code: 206,
            ..
        })
    ));
    let http = reqwest::Client::new();
    let raw = json!({ "profile_id": 48214, "tran_type": "sale", "tran_class": "ecom", "cart_id": 42, "cart_description": "d", "cart_currency": "SAR", "cart_amount": 1.5 });
    let res: serde_json::Value = http
        .post(format!("{}/payment/request", f.base))
        .header("authorization", KEY)
        .json(&raw)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        res["code"], 101,
        "a numeric cart_id is refused as in production"
    );

    f.client
        .create_page(page("dup", 5_000, "SAR", 2, &f.callback))
        .await?;
    let second = f
        .client
        .create_page(page("dup", 5_000, "SAR", 2, &f.callback))
        .await;
    assert!(
        matches!(
            second,
            Err(Error::Gateway {
                status: 409,
                code: 4,
                ..
            })
        ),
        "{second:?}"
    );
    Ok(())
}

#[tokio::test]
async fn refunds_are_limited_to_what_was_paid() -> anyhow::Result<()> {
    let f = fixture(0, Faults::default()).await?;
    let r = f
        .client
        .create_page(page("refund-me", 100_000, "SAR", 2, &f.callback))
        .await?;
    reqwest::Client::new()
        .post(format!("{}/complete", r.redirect_url))
        .json(&json!({ "response_status": "A" }))
        .send()
        .await?;
    let refund = |cart: &str, minor| FollowUp {
        profile_id: 0,
        tran_type: TranType::Refund,
        tran_class: "ecom",
        cart_id: cart.into(),
        cart_currency: "SAR".into(),
        cart_amount: Amount::new(minor, 2),
        cart_description: "Client changed the tiles".into(),
        tran_ref: r.tran_ref.clone(),
        callback: None,
    };
    let first = f.client.follow_up(refund("refund-1", 40_000)).await?;
    assert_eq!(
        (
            first.previous_tran_ref.as_deref(),
            first.tran_type.as_str(),
            first.status()
        ),
        (Some(r.tran_ref.as_str()), "Refund", Status::Authorised)
    );
    let too_much = f.client.follow_up(refund("refund-2", 60_001)).await;
    assert!(
        matches!(
            too_much,
            Err(Error::Gateway {
                status: 400,
                code: 2,
                ..
            })
        ),
        "{too_much:?}"
    );
    f.client.follow_up(refund("refund-3", 60_000)).await?;
    assert_eq!(
        f.client.query_cart("refund-me").await?.len(),
        1,
        "refunds carry their own cart ids"
    );

    let declined = f
        .client
        .create_page(page("declined", 1_000, "SAR", 2, &f.callback))
        .await?;
    reqwest::Client::new()
        .post(format!("{}/complete", declined.redirect_url))
        .json(&json!({ "response_status": "D" }))
        .send()
        .await?;
    let on_declined = FollowUp {
        tran_ref: declined.tran_ref.clone(),
        ..refund("refund-4", 100)
    };
    assert!(matches!(
        f.client.follow_up(on_declined).await,
        Err(Error::Gateway { status: 400, .. })
    ));
    Ok(())
}

#[tokio::test]
async fn an_ipn_is_retried_until_the_receiver_accepts_it() -> anyhow::Result<()> {
    let f = fixture(2, Faults::default()).await?;
    let r = f
        .client
        .create_page(page("retry", 1_000, "AED", 2, &f.callback))
        .await?;
    reqwest::Client::new()
        .post(format!("{}/complete", r.redirect_url))
        .json(&json!({ "response_status": "D" }))
        .send()
        .await?;
    let ipns = wait_for_ipns(&f.inbox, 1).await?;
    assert_eq!(ipns.len(), 1);
    assert_eq!(
        f.sim
            .ipn_attempts
            .load(std::sync::atomic::Ordering::Relaxed),
        3,
        "two refusals, then accepted"
    );
    Ok(())
}

#[tokio::test]
async fn the_page_a_person_sees_is_labelled_sandbox_and_its_buttons_work() -> anyhow::Result<()> {
    let f = fixture(0, Faults::default()).await?;
    let mut req = page("browser", 2_500, "SAR", 2, &f.callback);
    req.return_url = Some("https://nest.example/return?g=1".into());
    let r = f.client.create_page(req).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let html = http.get(&r.redirect_url).send().await?.text().await?;
    assert!(
        html.contains("SANDBOX")
            && html.contains("Approve")
            && html.contains("Decline")
            && html.contains("Cancel")
            && html.contains("25.00 SAR")
    );
    let res = http
        .post(format!("{}/pay", r.redirect_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("response_status=C")
        .send()
        .await?;
    let form = res.text().await?;
    assert!(
        form.contains("action=\"https://nest.example/return?g=1\"")
            && form.contains("name=\"respStatus\" value=\"C\""),
        "{form}"
    );
    assert_eq!(
        f.client.query(&r.tran_ref).await?.status(),
        Status::Cancelled
    );
    Ok(())
}

#[tokio::test]
async fn configured_faults_show_up_as_retryable_errors() -> anyhow::Result<()> {
    let f = fixture(
        0,
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    )
    .await?;
    let e = f.client.query("TST1").await.err();
    assert!(e.as_ref().is_some_and(Error::is_retryable), "{e:?}");
    // A client that gives up after 150 ms, against a simulator with `faults`.
    let impatient = async |faults: Faults| -> anyhow::Result<Client> {
        let f = fixture(0, faults).await?;
        Ok(Client::new(ClientConfig {
            base_url: f.base.parse()?,
            profile_id: 48214,
            server_key: SecretString::from(KEY),
            timeout: Duration::from_millis(150),
        })?)
    };
    let slow = impatient(Faults {
        latency: Duration::from_millis(400),
        ..Faults::default()
    })
    .await?;
    assert!(matches!(slow.query("TST1").await, Err(Error::Timeout)));
    let hanging = impatient(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    })
    .await?;
    assert!(
        matches!(hanging.query("TST1").await, Err(Error::Timeout)),
        "a call picked to time out is never answered in time"
    );
    let bursty = fixture(
        0,
        Faults {
            burst_5xx: 2,
            ..Faults::default()
        },
    )
    .await?;
    for _ in 0..2 {
        let e = bursty.client.query("TST1").await.err();
        assert!(
            matches!(e, Some(Error::Busy { status: 503, retry_after }) if retry_after == Duration::from_secs(1)),
            "a 503 with Retry-After says how long to wait: {e:?}"
        );
    }
    assert!(
        matches!(
            bursty.client.query("TST1").await,
            Err(Error::Gateway { status: 400, .. })
        ),
        "recovered after the burst"
    );
    Ok(())
}
