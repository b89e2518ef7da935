//! Running `nestcms` as an operator would: a clean environment, a server on a free port.

use std::io::{BufRead, BufReader};

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nestcms");

/// A `nestcms` command in `dir` with no inherited NestCMS settings.
pub fn nestcms(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("NESTCMS_CONFIG");
    for (key, _) in std::env::vars() {
        if key.starts_with("NESTCMS__") {
            cmd.env_remove(key);
        }
    }
    cmd
}

pub fn run(cmd: &mut Command) -> anyhow::Result<Output> {
    Ok(cmd.stdin(Stdio::null()).output()?)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A running `nestcms serve`, killed on drop if a test fails midway.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Every line the server wrote to stderr so far.
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `serve --listen 127.0.0.1:0` and waits for the "serving on" log line.
    pub fn start(mut cmd: Command) -> anyhow::Result<Self> {
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let pipe = child
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("\"listen\":\"").nth(1) {
                    let _ = tx.send(rest.split('"').next().unwrap_or_default().to_owned());
                }
                kept.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr,
            Err(e) => {
                // An orphaned server would keep the test's output pipe open.
                let _ = child.kill();
                let _ = child.wait();
                return Err(e.into());
            }
        };
        Ok(Self { child, addr, logs })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM and waits for the exit code.
    pub fn terminate(self) -> anyhow::Result<Option<i32>> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill failed");
        self.terminate_after_signal()
    }

    /// Waits for the exit code of a process already signalled.
    pub fn terminate_after_signal(mut self) -> anyhow::Result<Option<i32>> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.code());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        anyhow::bail!("did not exit within 15 s of SIGTERM")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The API of a running server, as a client calls it.
pub struct Api {
    pub http: reqwest::Client,
    pub server: Server,
}

impl Api {
    /// POSTs `body` (with a bearer token and a `traceparent` when given); the answer's JSON,
    /// or an error naming the path and status.
    pub async fn call(
        &self,
        token: Option<&str>,
        path: &str,
        body: &Value,
        traceparent: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.post(self.server.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(tp) = traceparent {
            req = req.header("traceparent", tp);
        }
        let res = req.send().await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "{path}: {status} {body}");
        Ok(body)
    }

    /// Registers and signs in; returns (user id, access token).
    pub async fn user(&self, email: &str) -> anyhow::Result<(String, String)> {
        let password = "correct horse battery staple";
        let user = self
            .call(
                None,
                "/api/v1/auth/register",
                &json!({ "email": email, "password": password, "full_name": "Trace Person" }),
                None,
            )
            .await?;
        let tokens = self
            .call(
                None,
                "/api/v1/auth/login",
                &json!({ "email": email, "password": password }),
                None,
            )
            .await?;
        Ok((
            user["id"].as_str().unwrap_or_default().to_owned(),
            tokens["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ))
    }
}
