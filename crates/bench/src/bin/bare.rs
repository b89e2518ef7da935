//! The baseline of `bench/read-path.sh`: the smallest axum service answering a small JSON
//! object, on the same Tokio runtime flavour as `nestcms serve`. Every NestCMS path is
//! reported as a share of what this does on the same machine in the same run.
//!
//! Usage: `bare 127.0.0.1:PORT`.

use axum::Json;
use axum::routing::get;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: bare ADDRESS:PORT"))?;
    let app = axum::Router::new().route(
        "/",
        get(|| async { Json(serde_json::json!({ "status": "ok", "service": "bare" })) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
