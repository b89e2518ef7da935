//! Traces across the process boundary: a request arriving with a W3C `traceparent` is exported
//! (OTLP/HTTP, to a receiver in this test) as spans of that trace for the request, its SQL and
//! its PayTabs call; the simulator's side of that call continues the same trace; the log lines
//! carry the trace id; and the broker message the request caused carries the trace context.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use futures::StreamExt;
use lapin::types::AMQPValue;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::json;

use crate::support::{Api, Server, nestcms};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// One exported span, as the receiver decoded it.
#[derive(Debug, Clone)]
struct Exported {
    name: String,
    trace_id: String,
    span_id: String,
    parent: String,
    kind: i32,
}

/// An OTLP/HTTP receiver: `POST /v1/traces` with a protobuf `ExportTraceServiceRequest`.
async fn receiver() -> anyhow::Result<(String, Arc<Mutex<Vec<Exported>>>)> {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&spans);
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let kept = Arc::clone(&kept);
            async move {
                let Ok(req) = ExportTraceServiceRequest::decode(body) else {
                    return axum::http::StatusCode::BAD_REQUEST;
                };
                let mut out = kept.lock().unwrap_or_else(PoisonError::into_inner);
                for s in req
                    .resource_spans
                    .into_iter()
                    .flat_map(|r| r.scope_spans)
                    .flat_map(|s| s.spans)
                {
                    out.push(Exported {
                        name: s.name,
                        trace_id: hex(&s.trace_id),
                        span_id: hex(&s.span_id),
                        parent: hex(&s.parent_span_id),
                        kind: s.kind,
                    });
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{addr}"), spans))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn an_incoming_traceparent_reaches_sql_paytabs_the_logs_and_the_broker() -> anyhow::Result<()>
{
    let amqp = nestcms_testkit::service_url(
        nestcms_testkit::AMQP_URL_VAR,
        "an_incoming_traceparent_reaches_sql_paytabs_the_logs_and_the_broker (broker part)",
    );
    let (endpoint, spans) = receiver().await?;
    let dir = tempfile::tempdir()?;
    let mut cmd = nestcms(dir.path());
    cmd.env("NESTCMS__TELEMETRY__OTLP_ENDPOINT", &endpoint)
        .env("NESTCMS__TELEMETRY__SAMPLING_RATIO", "1.0")
        // Export every 200 ms instead of every 5 s.
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        // Quiet logs (only the request lines) must not silence the spans.
        .env(
            "NESTCMS__LOG__LEVEL",
            "warn,nestcms::access=info,nestcms::startup=info",
        );
    let consumer = match &amqp {
        Some(url) => {
            let ns = nestcms_testkit::amqp::namespace();
            cmd.env("NESTCMS__BUS__URL", url)
                .env("NESTCMS__BUS__NAMESPACE", &ns)
                .env("NESTCMS__BUS__QUEUE_EXPIRY", "60s");
            let exchange = format!("{ns}.events");
            Some(nestcms_testkit::amqp::listen_on(url, &exchange, "payment.#").await?)
        }
        None => None,
    };
    let api = Api {
        http: reqwest::Client::new(),
        server: Server::start(cmd)?,
    };

    let (_, owner) = api.user("owner@trace.example").await?;
    let org = api
        .call(
            Some(&owner),
            "/api/v1/orgs",
            &json!({ "title": "Traced" }),
            None,
        )
        .await?;
    let org = org["id"].as_str().unwrap_or_default().to_owned();
    let (client_id, client) = api.user("client@trace.example").await?;
    let invitation = api
        .call(
            Some(&owner),
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": "client@trace.example", "role": "client" }),
            None,
        )
        .await?;
    api.call(
        Some(&client),
        "/api/v1/invitations/accept",
        &json!({ "token": invitation["accept_token"] }),
        None,
    )
    .await?;
    let payment = api
        .call(
            Some(&owner),
            &format!("/api/v1/orgs/{org}/payments"),
            &json!({ "client_id": client_id, "amount": "12.500", "currency": "KWD", "description": "Traced survey" }),
            None,
        )
        .await?;
    let payment = payment["id"].as_str().unwrap_or_default().to_owned();
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    api.call(
        Some(&client),
        &format!("/api/v1/orgs/{org}/payments/{payment}/checkout"),
        &json!({}),
        Some(&traceparent),
    )
    .await?;

    // Spans arrive in batches, each when it ends: the simulator's span can come in a batch
    // before the request's own, which ends last. Wait for every span the assertions below
    // look for (or the deadline, and let them say what is missing).
    let expected = [
        "/sim/paytabs",
        "POST /api/v1/orgs/{org_id}/payments/{payment_id}/checkout",
        "payments.checkout",
        "payments.issue_page",
        "POST paytabs payment/request",
    ];
    let deadline = Instant::now() + Duration::from_secs(20);
    let ours = loop {
        let ours: Vec<Exported> = spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|s| s.trace_id == TRACE_ID)
            .cloned()
            .collect();
        let complete = expected
            .iter()
            .all(|want| ours.iter().any(|s| s.name.contains(want)));
        if complete || Instant::now() > deadline {
            break ours;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let names: Vec<&str> = ours.iter().map(|s| s.name.as_str()).collect();
    let request = ours
        .iter()
        .find(|s| s.name == "POST /api/v1/orgs/{org_id}/payments/{payment_id}/checkout")
        .ok_or_else(|| anyhow::anyhow!("no request span in {names:?}"))?;
    assert_eq!(
        request.parent, CALLER_SPAN,
        "the request continues the caller's span"
    );
    assert_eq!(request.kind, 2, "a server span");
    assert!(
        ours.iter().any(|s| s.name == "payments.checkout"),
        "a use-case span in {names:?}"
    );
    assert!(
        ours.iter().any(|s| s.name == "payments.issue_page"),
        "a span per named SQL statement in {names:?}"
    );
    let gateway = ours
        .iter()
        .find(|s| s.name == "POST paytabs payment/request")
        .ok_or_else(|| anyhow::anyhow!("no PayTabs span in {names:?}"))?;
    assert_eq!(gateway.kind, 3, "a client span");
    let sim = ours
        .iter()
        .find(|s| s.name.starts_with("POST /sim/paytabs"))
        .ok_or_else(|| anyhow::anyhow!("the simulator's span is not in the trace: {names:?}"))?;
    assert_eq!(
        sim.parent, gateway.span_id,
        "the call carried our traceparent to the gateway"
    );

    let logged = api
        .server
        .logs
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|l| l.contains(&format!("\"trace_id\":\"{TRACE_ID}\"")))
        .count();
    assert!(logged > 0, "log lines of the request carry its trace id");

    if let Some((_conn, mut consumer)) = consumer {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut found = None;
        while found.is_none() && Instant::now() < deadline {
            let Ok(Some(delivery)) =
                tokio::time::timeout(Duration::from_secs(1), consumer.next()).await
            else {
                continue;
            };
            let delivery = delivery?;
            if delivery.routing_key.as_str() != "payment.page_issued" {
                continue;
            }
            found = delivery
                .properties
                .headers()
                .as_ref()
                .and_then(|h| h.inner().get("traceparent").cloned());
        }
        match found {
            Some(AMQPValue::LongString(tp)) => {
                let tp = tp.to_string();
                assert!(
                    tp.starts_with(&format!("00-{TRACE_ID}-")),
                    "the message continues the request's trace: {tp}"
                );
            }
            other => anyhow::bail!("payment.page_issued carried no traceparent: {other:?}"),
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let published = loop {
            let seen = spans
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|s| s.trace_id == TRACE_ID && s.name == "publish payment.page_issued");
            if seen || Instant::now() > deadline {
                break seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(published, "the relay's publish joins the request's trace");
    }
    Ok(())
}
