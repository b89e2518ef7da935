//! `spawn_app()`: the service exactly as `nestcms serve` builds it, on port 0.

use std::net::SocketAddr;
use std::sync::Arc;

use nestcms::config::Config;
use nestcms::startup;
use nestcms_store::Store;
use nestcms_testkit::TestDatabase;
use secrecy::SecretString;
use tokio::sync::oneshot;

/// A running instance and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub store: Arc<Store>,
    pub db: TestDatabase,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self.client.get(self.url(path)).send().await?)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the service with the default configuration.
pub async fn spawn_app() -> anyhow::Result<TestApp> {
    spawn_app_with(|_| {}).await
}

/// Starts the service after `tweak` adjusts the configuration.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<TestApp> {
    let db = TestDatabase::create().await?;
    let mut config = Config {
        data_dir: db.dir().to_path_buf(),
        ..Config::default()
    };
    config.server.listen = "127.0.0.1:0".parse()?;
    config.database.url = Some(SecretString::from(db.url().to_owned()));
    config.database.max_connections = 4;
    tweak(&mut config);
    let service = startup::build(&config).await?;
    let addr = service.app.local_addr()?;
    let store = service.store.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = startup::run(service, &config, async {
            let _ = stopped.await;
        })
        .await;
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok(TestApp {
        addr,
        client,
        store,
        db,
        stop: Some(stop),
    })
}

/// Asserts the common shape of a problem response and returns its body.
pub async fn problem(
    res: reqwest::Response,
    status: u16,
    code: &str,
) -> anyhow::Result<serde_json::Value> {
    assert_eq!(res.status().as_u16(), status);
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let header_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: serde_json::Value = res.json().await?;
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["request_id"], header_id.as_str(), "{body}");
    assert!(!header_id.is_empty());
    Ok(body)
}
