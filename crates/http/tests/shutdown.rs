//! Graceful shutdown of a real listening server: in-flight requests finish, new connections are
//! refused, and a request that outlives the grace period does not keep the process alive.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use nestcms_http::{Application, HttpSettings, layers};

fn slow_app(delay: Duration) -> Router {
    layers::apply(
        Router::new().route(
            "/slow",
            get(move || async move {
                tokio::time::sleep(delay).await;
                "finished"
            }),
        ),
        &HttpSettings::default(),
    )
}

#[tokio::test]
async fn an_in_flight_request_finishes_after_the_shutdown_signal() -> anyhow::Result<()> {
    let app =
        Application::bind("127.0.0.1:0".parse()?, slow_app(Duration::from_millis(800))).await?;
    let addr = app.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(10),
    ));

    let client = reqwest::Client::new();
    let in_flight = tokio::spawn(client.get(format!("http://{addr}/slow")).send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop.send(());

    let res = in_flight.await??;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await?, "finished");
    tokio::time::timeout(Duration::from_secs(5), server).await???;
    assert!(
        reqwest::get(format!("http://{addr}/slow")).await.is_err(),
        "no new connections after shutdown"
    );
    Ok(())
}

#[tokio::test]
async fn the_grace_period_bounds_how_long_shutdown_waits() -> anyhow::Result<()> {
    let app = Application::bind("127.0.0.1:0".parse()?, slow_app(Duration::from_secs(30))).await?;
    let addr = app.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(
        async {
            let _ = stopped.await;
        },
        Duration::from_millis(300),
    ));
    let _in_flight = tokio::spawn(reqwest::get(format!("http://{addr}/slow")));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server).await???;
    assert!(started.elapsed() < Duration::from_secs(5));
    Ok(())
}
