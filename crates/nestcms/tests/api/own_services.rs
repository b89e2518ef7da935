//! Services of a test's own, on spare ports, that it may stop and start (fault injection); the
//! machine's shared services are never touched.

use std::time::Duration;

/// A Redis of the test's own on a free port, stopped and restarted at will (the machine's
/// shared Redis is never touched).
pub struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    pub fn start() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        Self::start_on(port)
    }

    /// On a port chosen beforehand (a service configured before Redis exists).
    pub fn start_on(port: u16) -> anyhow::Result<Self> {
        let mut r = Self { port, child: None };
        r.restart()?;
        Ok(r)
    }

    pub fn restart(&mut self) -> anyhow::Result<()> {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()?;
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        anyhow::bail!("redis-server did not start")
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, as when it hangs.
    pub fn freeze(&self, frozen: bool) -> anyhow::Result<()> {
        let pid = self.child.as_ref().map(std::process::Child::id);
        let pid = pid.ok_or_else(|| anyhow::anyhow!("redis is not running"))?;
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill {signal} {pid} failed");
        Ok(())
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A RabbitMQ node of the test's own (its own node name, ports and data directory), killed and
/// restarted at will; the machine's shared broker is never touched. The Debian server script
/// runs the node as the `rabbitmq` user, so its directory is handed to that user.
pub struct OwnRabbit {
    port: u16,
    dist_port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl OwnRabbit {
    pub async fn start() -> anyhow::Result<Self> {
        let free = || -> anyhow::Result<u16> {
            Ok(std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port())
        };
        let dir = tempfile::Builder::new()
            .prefix("nestcms-rabbit")
            .tempdir()?;
        let mut r = Self {
            port: free()?,
            dist_port: free()?,
            dir,
            child: None,
        };
        let d = r.dir.path();
        std::fs::create_dir_all(d.join("mnesia"))?;
        std::fs::create_dir_all(d.join("log"))?;
        std::fs::write(d.join("enabled_plugins"), "[].\n")?;
        std::fs::write(d.join("env"), "")?;
        std::fs::write(
            d.join("rabbitmq.conf"),
            format!(
                "listeners.tcp.local = 127.0.0.1:{}\nloopback_users = none\n",
                r.port
            ),
        )?;
        let owned = std::process::Command::new("chown")
            .args(["-R", "rabbitmq:rabbitmq"])
            .arg(d)
            .status()?;
        anyhow::ensure!(owned.success(), "cannot hand {d:?} to the rabbitmq user");
        r.restart().await?;
        Ok(r)
    }

    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let d = self.dir.path();
        let log = std::fs::File::create(d.join("server.out"))?;
        let child = std::process::Command::new("rabbitmq-server")
            .env(
                "RABBITMQ_NODENAME",
                format!("nestcms-{}@localhost", self.port),
            )
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", d.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", d.join("log"))
            .env("RABBITMQ_CONFIG_FILE", d.join("rabbitmq.conf"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", d.join("enabled_plugins"))
            .env("RABBITMQ_CONF_ENV_FILE", d.join("env"))
            .env("RABBITMQ_PID_FILE", d.join("pid"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        // The port opens before the broker is ready, and after a crash its quorum queues
        // recover after it answers: wait until it confirms a persistent message to one.
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            let ready = tokio::time::timeout(Duration::from_secs(5), self.confirms()).await;
            if matches!(ready, Ok(Ok(()))) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let out = std::fs::read_to_string(d.join("server.out")).unwrap_or_default();
        let log = self.log_tail(60);
        anyhow::bail!("rabbitmq-server was not ready within 120 s:\n{out}\n{log}")
    }

    /// Whether the broker takes a persistent message into a quorum queue and confirms it.
    async fn confirms(&self) -> anyhow::Result<()> {
        use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
        use lapin::types::{AMQPValue, FieldTable};
        let conn =
            lapin::Connection::connect(&self.url(), lapin::ConnectionProperties::default()).await?;
        let ch = conn.create_channel().await?;
        ch.confirm_select(ConfirmSelectOptions::default()).await?;
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        let durable = QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        };
        ch.queue_declare("ready-check".into(), durable, args)
            .await?;
        let props = lapin::BasicProperties::default().with_delivery_mode(2);
        let confirm = ch
            .basic_publish(
                "".into(),
                "ready-check".into(),
                BasicPublishOptions::default(),
                b"ready",
                props,
            )
            .await?
            .await?;
        anyhow::ensure!(confirm.is_ack(), "not confirmed");
        let _ = conn.close(200, "ready".into()).await;
        Ok(())
    }

    /// Kills the node outright (no clean shutdown), as a crash would.
    pub fn stop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("pid")) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", pid.trim()])
                .status();
            let _ = std::fs::remove_file(self.dir.path().join("pid"));
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Waits until each of `queues` has a consumer: a service's consumers declare their
    /// queues as they start, and a broker killed while it creates a quorum queue can keep that
    /// queue without a leader after its restart (publishes to it are then never confirmed).
    pub async fn until_consumed(&self, queues: &[String]) -> anyhow::Result<()> {
        use lapin::options::QueueDeclareOptions;
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let conn =
            lapin::Connection::connect(&self.url(), lapin::ConnectionProperties::default()).await?;
        let started = std::time::Instant::now();
        let mut waiting = queues.to_vec();
        while !waiting.is_empty() && started.elapsed() < Duration::from_secs(60) {
            // A queue not declared yet closes the channel: a new one per look. Each look is
            // bounded, so a broker that stops answering ends the wait too.
            let q = waiting[0].clone();
            let look = async {
                let ch = conn.create_channel().await?;
                let args = lapin::types::FieldTable::default();
                ch.queue_declare(q.as_str().into(), passive, args).await
            };
            match tokio::time::timeout(Duration::from_secs(5), look).await {
                Ok(Ok(found)) if found.consumer_count() > 0 => {
                    waiting.remove(0);
                    continue;
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        anyhow::ensure!(waiting.is_empty(), "no consumer on {waiting:?}");
        Ok(())
    }

    /// The node's newest log lines, for a failing test's message.
    pub fn log_tail(&self, lines: usize) -> String {
        let node = format!("nestcms-{}@localhost.log", self.port);
        let text =
            std::fs::read_to_string(self.dir.path().join("log").join(node)).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for OwnRabbit {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP forwarder in front of a shared service, which the test can cut (every connection
/// closed, new ones refused, as when the server goes down) and restore, without touching the
/// service itself.
pub struct Cut {
    port: u16,
    target: std::net::SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Cut {
    pub async fn start(target: std::net::SocketAddr) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mut c = Self {
            port: listener.local_addr()?.port(),
            target,
            task: None,
        };
        c.serve(listener);
        Ok(c)
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let target = self.target;
        self.task = Some(tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                conns.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }

    /// Closes every connection through it and refuses new ones.
    pub fn cut(&mut self) {
        if let Some(t) = self.task.take() {
            // Dropping the task drops the listener and the JoinSet, which aborts every
            // forwarding task and closes both ends of its connection.
            t.abort();
        }
    }

    /// Accepts connections again on the same port.
    pub async fn restore(&mut self) -> anyhow::Result<()> {
        for _ in 0..50 {
            if let Ok(l) = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                self.serve(l);
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        anyhow::bail!("port {} could not be bound again", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Cut {
    fn drop(&mut self) {
        self.cut();
    }
}
