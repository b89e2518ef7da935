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
    pub payments: nestcms_app::payments::Payments,
    /// Health of the background tasks, as readiness sees it.
    pub tasks: Arc<nestcms_app::background::TaskHealth>,
    /// The circuit breakers, as operators see them.
    pub breakers: Arc<nestcms_resilience::Registry>,
    pub config: Config,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self.client.get(self.url(path)).send().await?)
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await?)
    }

    /// POST a JSON body, optionally with a bearer token.
    pub async fn post(
        &self,
        token: Option<&str>,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<reqwest::Response> {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Ok(req.send().await?)
    }

    /// PATCH a JSON body with a bearer token.
    pub async fn patch(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?)
    }

    /// Registers a user and returns their id.
    pub async fn register(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let body =
            serde_json::json!({ "email": email, "password": password, "full_name": "Test Person" });
        let res = self.post(None, "/api/v1/auth/register", &body).await?;
        anyhow::ensure!(
            res.status() == 201,
            "register {email}: {}",
            res.text().await?
        );
        let user: serde_json::Value = res.json().await?;
        Ok(user["id"].as_str().unwrap_or_default().to_owned())
    }

    /// Logs in and returns (access token, refresh token).
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<(String, String)> {
        let res = self
            .post(
                None,
                "/api/v1/auth/login",
                &serde_json::json!({ "email": email, "password": password }),
            )
            .await?;
        anyhow::ensure!(res.status() == 200, "login {email}: {}", res.text().await?);
        let t: serde_json::Value = res.json().await?;
        Ok((
            t["access_token"].as_str().unwrap_or_default().to_owned(),
            t["refresh_token"].as_str().unwrap_or_default().to_owned(),
        ))
    }

    /// Registers and logs in; returns (user id, access token).
    pub async fn user(&self, email: &str) -> anyhow::Result<(String, String)> {
        let id = self.register(email, PASSWORD).await?;
        let (access, _) = self.login(email, PASSWORD).await?;
        Ok((id, access))
    }

    /// Creates an organization and returns its id.
    pub async fn org(&self, token: &str, title: &str) -> anyhow::Result<String> {
        let res = self
            .post(
                Some(token),
                "/api/v1/orgs",
                &serde_json::json!({ "title": title }),
            )
            .await?;
        anyhow::ensure!(res.status() == 201, "create org: {}", res.text().await?);
        Ok(res.json::<serde_json::Value>().await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Invites a registered user (password [`PASSWORD`]) with a role; they sign in and accept
    /// with the token the invitation returned.
    pub async fn add_member(
        &self,
        token: &str,
        org: &str,
        email: &str,
        role: &str,
    ) -> anyhow::Result<()> {
        let body = serde_json::json!({ "email": email, "role": role });
        let res = self
            .post(
                Some(token),
                &format!("/api/v1/orgs/{org}/invitations"),
                &body,
            )
            .await?;
        anyhow::ensure!(res.status() == 201, "invite: {}", res.text().await?);
        let invitation: serde_json::Value = res.json().await?;
        let token = invitation["accept_token"].as_str().unwrap_or_default();
        let (invitee, _) = self.login(email, PASSWORD).await?;
        let res = self
            .post(
                Some(&invitee),
                "/api/v1/invitations/accept",
                &serde_json::json!({ "token": token }),
            )
            .await?;
        anyhow::ensure!(res.status() == 200, "accept: {}", res.text().await?);
        Ok(())
    }
}

/// A password that meets the policy.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Stops this process's service (as if it were killed) and starts a new one on the same
    /// database and configuration.
    pub async fn restart(mut self) -> anyhow::Result<TestApp> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.store.close().await;
        let config = self.config.clone();
        let db = std::mem::replace(&mut self.db, TestDatabase::create().await?);
        drop(self);
        start(db, config).await
    }
}

/// A second instance of the same service: same database, same configuration (as at scale).
pub struct Twin {
    /// Its base URL.
    pub base: String,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    /// Starts another instance beside this one.
    pub async fn twin(&self) -> anyhow::Result<Twin> {
        let running = launch(self.config.clone()).await?;
        Ok(Twin {
            base: format!("http://{}", running.addr),
            _stop: running.stop,
        })
    }
}

/// A service running on its own task until `stop` fires or drops.
struct Running {
    addr: SocketAddr,
    store: Arc<Store>,
    payments: nestcms_app::payments::Payments,
    tasks: Arc<nestcms_app::background::TaskHealth>,
    breakers: Arc<nestcms_resilience::Registry>,
    stop: oneshot::Sender<()>,
}

/// Builds the service for `config` and runs it on its own task.
async fn launch(config: Config) -> anyhow::Result<Running> {
    let service = startup::build(&config).await?;
    let running = (
        service.app.local_addr()?,
        service.store.clone(),
        service.payments.clone(),
        service.tasks.clone(),
        service.breakers.clone(),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = startup::run(service, &config, async {
            let _ = stopped.await;
        })
        .await;
    });
    let (addr, store, payments, tasks, breakers) = running;
    Ok(Running {
        addr,
        store,
        payments,
        tasks,
        breakers,
        stop,
    })
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
    // Every test user registers from 127.0.0.1; the throttle and the rate limits have their
    // own tests.
    config.auth.registrations_per_hour = 10_000;
    config.server.rate_limits.enabled = false;
    // CI's PostgreSQL run names a broker: every test then runs at scale, its consumers
    // reading their queues. Tests sharing a broker keep to their own queues, which it deletes
    // a minute after the test stops consuming them.
    if let Ok(url) = std::env::var(nestcms_testkit::AMQP_URL_VAR) {
        config.bus.url = Some(SecretString::from(url));
    }
    config.bus.namespace = nestcms_testkit::amqp::namespace();
    config.bus.queue_expiry = Some(std::time::Duration::from_secs(60));
    // What a queue dead-letters while a test makes the database fail is swept up soon.
    config.bus.sweep_interval = std::time::Duration::from_secs(5);
    tweak(&mut config);
    start(db, config).await
}

/// Builds and runs the service on `db` with `config`.
async fn start(db: TestDatabase, config: Config) -> anyhow::Result<TestApp> {
    let running = launch(config.clone()).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok(TestApp {
        addr: running.addr,
        client,
        store: running.store,
        db,
        payments: running.payments,
        tasks: running.tasks,
        breakers: running.breakers,
        config,
        stop: Some(running.stop),
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

/// The server key of the test simulator (the published test-vector key).
pub const SIM_KEY: &str = "SGJNZ96JLG-JDMKHGRWT9-RWRK2KJNRJ";

/// A PayTabs simulator on its own port, with a known key.
pub struct Sim {
    pub sim: std::sync::Arc<nestcms_paytabs_sim::Simulator>,
    pub url: String,
}

impl Sim {
    /// A PayTabs connector pointed at this simulator, as the merchant's own tools would use.
    pub fn client(&self) -> anyhow::Result<nestcms_paytabs::Client> {
        Ok(nestcms_paytabs::Client::new(
            nestcms_paytabs::ClientConfig {
                base_url: self.url.parse()?,
                profile_id: 48214,
                server_key: SecretString::from(SIM_KEY),
                timeout: std::time::Duration::from_secs(5),
            },
        )?)
    }
}

/// Starts a simulator with the given faults.
pub async fn start_sim(faults: nestcms_paytabs_sim::Faults) -> anyhow::Result<Sim> {
    start_sim_deduping(faults, std::time::Duration::from_secs(60)).await
}

/// Starts a simulator that refuses identical requests only within `window` (zero: never, like
/// a gateway without duplicate detection).
pub async fn start_sim_deduping(
    faults: nestcms_paytabs_sim::Faults,
    window: std::time::Duration,
) -> anyhow::Result<Sim> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let sim = std::sync::Arc::new(nestcms_paytabs_sim::Simulator::new(
        nestcms_paytabs_sim::SimConfig {
            profile_id: 48214,
            server_key: SIM_KEY.into(),
            client_key: "CTEST".into(),
            public_url: url.clone(),
            duplicate_window: window,
            ipn_retry_step: std::time::Duration::from_millis(50),
            faults,
        },
    ));
    let app = nestcms_paytabs_sim::router(sim.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Sim { sim, url })
}

/// The service configured to use `sim` as PayTabs.
pub async fn spawn_app_with_sim(sim: &Sim) -> anyhow::Result<TestApp> {
    spawn_app_with_sim_and(sim, |_| {}).await
}

/// As [`spawn_app_with_sim`], after `tweak` adjusts the configuration.
pub async fn spawn_app_with_sim_and(
    sim: &Sim,
    tweak: impl FnOnce(&mut Config),
) -> anyhow::Result<TestApp> {
    let url = sim.url.clone();
    spawn_app_with(move |c| {
        c.paytabs.server_key = Some(SecretString::from(SIM_KEY));
        c.paytabs.profile_id = Some(48214);
        c.paytabs.base_url = Some(url);
        tweak(c);
    })
    .await
}

/// Seconds in the `Retry-After` header; 0 when absent or not a number, so a
/// range assertion on it fails.
pub fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Makes the database refuse every notification matching `condition` (SQL over `NEW`, the
/// same on both backends), as a failing disk or a bug would: the consumer recording it fails.
pub async fn refuse_notifications(app: &TestApp, condition: &str) -> anyhow::Result<()> {
    let statements = match app.store.primary() {
        nestcms_store::pool::Pool::Postgres(_) => vec![
            "CREATE FUNCTION refuse_notifications() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER refuse_notifications BEFORE INSERT ON notifications FOR EACH ROW \
                 WHEN ({condition}) EXECUTE FUNCTION refuse_notifications()"
            ),
        ],
        nestcms_store::pool::Pool::Sqlite(_) => vec![format!(
            "CREATE TRIGGER refuse_notifications BEFORE INSERT ON notifications WHEN {condition} \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
    };
    run_sql(app, &statements).await
}

/// Undoes [`refuse_notifications`].
pub async fn allow_notifications(app: &TestApp) -> anyhow::Result<()> {
    let statement = match app.store.primary() {
        nestcms_store::pool::Pool::Postgres(_) => {
            "DROP TRIGGER refuse_notifications ON notifications"
        }
        nestcms_store::pool::Pool::Sqlite(_) => "DROP TRIGGER refuse_notifications",
    };
    run_sql(app, &[statement.to_owned()]).await
}

async fn run_sql(app: &TestApp, statements: &[String]) -> anyhow::Result<()> {
    for sql in statements {
        nestcms_store::with_pool!(app.store.primary(), |p| {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .execute(p)
                .await
                .map(|_| ())?
        });
    }
    Ok(())
}
