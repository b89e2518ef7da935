//! The command line: `nestcms serve | worker | migrate | seed | admin | events | print-config |
//! openapi | paytabs-sim`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, LogFormat, Overrides};
use crate::{startup, telemetry};

/// NestCMS: offers, contracts, projects and PayTabs payments for construction companies.
///
/// With no configuration, `nestcms serve` runs on an SQLite file under ./data.
/// Configuration layers, lowest first: defaults, a TOML file (--config or NESTCMS_CONFIG),
/// environment variables NESTCMS__SECTION__KEY (e.g. NESTCMS__DATABASE__URL), then flags.
#[derive(Debug, Parser)]
#[command(name = "nestcms", version, about, long_about)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "NESTCMS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log line format (overrides log.format).
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies pending migrations first unless database.auto_migrate = false).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DataDirArg),
    /// Run the background work (payment reconciliation, the broker relay) without serving HTTP.
    Worker(DataDirArg),
    /// Print the effective configuration as TOML, secrets redacted.
    PrintConfig(ServeArgs),
    /// Print the OpenAPI 3.1 document of this build as JSON.
    Openapi,
    /// Fill the database: `--demo` for a newcomer, `--scale N` for benchmarks.
    Seed(SeedArgs),
    /// Run the PayTabs simulator (a sandbox: no real payment is ever made).
    PaytabsSim(SimArgs),
    /// Grant or withdraw the platform-operator flag of an account (audited).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Operate the event consumers.
    #[command(subcommand)]
    Events(EventsCommand),
}

/// `nestcms events …`.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Make a consumer handle again every event from a time on (only missing effects are
    /// made: each is unique per event), e.g. to backfill a webhook endpoint added later.
    Replay(ReplayArgs),
}

/// Flags of `events replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The consumer: receipts, prompts, webhooks, webhooks.domain or sagas.
    #[arg(long, value_name = "NAME")]
    pub consumer: String,
    /// From when, RFC 3339 (e.g. 2026-11-30T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: chrono::DateTime<chrono::Utc>,
    /// The data directory.
    #[command(flatten)]
    pub data: DataDirArg,
}

/// `nestcms admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make the account with this e-mail a platform operator.
    Grant(AdminArgs),
    /// Withdraw the account's platform-operator flag.
    Revoke(AdminArgs),
}

/// Flags of `admin grant` and `admin revoke`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The account's e-mail.
    #[arg(value_name = "EMAIL")]
    pub email: String,
    /// The data directory.
    #[command(flatten)]
    pub data: DataDirArg,
}

/// Flags of `paytabs-sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:9100", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// The merchant profile id it accepts.
    #[arg(long, value_name = "N")]
    pub profile_id: u64,
    /// The server key it accepts and signs with.
    #[arg(
        long,
        value_name = "KEY",
        env = "NESTCMS_SIM_SERVER_KEY",
        hide_env_values = true
    )]
    pub server_key: String,
    /// Sent as the `client-key` header of IPNs.
    #[arg(long, default_value = "CSIMULATOR-CLIENT-KEY", value_name = "KEY")]
    pub client_key: String,
    /// The simulator's own URL as clients reach it (for `redirect_url`) [default: http://LISTEN].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Identical requests within this many seconds get 409 (code 4).
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub duplicate_window: u64,
    /// Fault: added latency per API call, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,
    /// Fault: share of API calls answered with HTTP 500 (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    pub error_rate: f64,
    /// Fault: never deliver IPNs.
    #[arg(long)]
    pub drop_ipns: bool,
    /// Fault: answer the first N API calls with HTTP 503.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub burst_5xx: u64,
    /// Fault: share of API calls left unanswered until the caller times out (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    pub timeout_rate: f64,
    /// Fault: decline every refund.
    #[arg(long)]
    pub decline_refunds: bool,
}

/// Flags of `seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// One demo organization with people, an offer, a contract, a project and earnings.
    #[arg(long, conflicts_with = "scale", required_unless_present = "scale")]
    pub demo: bool,
    /// N organizations of 1,000 projects with 10 earnings each (N = 100 gives 100,000
    /// projects and 1,000,000 earnings).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub scale: Option<u32>,
    /// The data directory.
    #[command(flatten)]
    pub data: DataDirArg,
}

/// Flags of `serve` (and `print-config`, to show their effect).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (server.listen) [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// The data directory.
    #[command(flatten)]
    pub data: DataDirArg,
}

/// The data directory flag.
#[derive(Debug, Args)]
pub struct DataDirArg {
    /// Directory for the SQLite file, uploads and development secrets (data_dir) [default: ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl Cli {
    /// Executes the chosen command.
    pub async fn run(self) -> anyhow::Result<()> {
        let overrides = |listen: Option<String>, data_dir: Option<PathBuf>| Overrides {
            listen,
            data_dir,
            log_format: self.log_format,
        };
        match self.command {
            Command::Serve(args) => {
                let config = Config::load(
                    self.config.as_deref(),
                    &overrides(args.listen, args.data.data_dir),
                )?;
                let telemetry = telemetry::init(&config.log, &config.telemetry);
                let service = startup::build(&config).await?;
                let served = startup::run(service, &config, startup::shutdown_signal()).await;
                telemetry.shutdown();
                served
            }
            Command::Migrate(args) => {
                let config = Config::load(self.config.as_deref(), &overrides(None, args.data_dir))?;
                let _telemetry = telemetry::init(&config.log, &config.telemetry);
                let store = migrated_store(&config).await?;
                tracing::info!("migrations applied");
                store.close().await;
                Ok(())
            }
            Command::Worker(args) => {
                let config = Config::load(self.config.as_deref(), &overrides(None, args.data_dir))?;
                let telemetry = telemetry::init(&config.log, &config.telemetry);
                let worked = startup::worker(&config, startup::shutdown_signal()).await;
                telemetry.shutdown();
                worked
            }
            Command::PrintConfig(args) => {
                let config = Config::load(
                    self.config.as_deref(),
                    &overrides(args.listen, args.data.data_dir),
                )?;
                print!("{}", config.redacted_toml()?);
                Ok(())
            }
            Command::Seed(args) => {
                let config =
                    Config::load(self.config.as_deref(), &overrides(None, args.data.data_dir))?;
                let _telemetry = telemetry::init(&config.log, &config.telemetry);
                let store = std::sync::Arc::new(migrated_store(&config).await?);
                let result = match args.scale {
                    Some(n) => crate::seed::scale(&store, n).await,
                    None => crate::seed::demo(&config, store.clone()).await,
                };
                store.close().await;
                result
            }
            Command::PaytabsSim(a) => {
                let config = Config::load(self.config.as_deref(), &overrides(None, None))?;
                let _telemetry = telemetry::init(&config.log, &config.telemetry);
                crate::sim::run(a).await
            }
            Command::Admin(cmd) => {
                let (args, grant) = match cmd {
                    AdminCommand::Grant(a) => (a, true),
                    AdminCommand::Revoke(a) => (a, false),
                };
                let config =
                    Config::load(self.config.as_deref(), &overrides(None, args.data.data_dir))?;
                let _telemetry = telemetry::init(&config.log, &config.telemetry);
                let store = std::sync::Arc::new(migrated_store(&config).await?);
                let identity: nestcms_app::Store = store.clone();
                let result = nestcms_app::identity::operators::set(&identity, &args.email, grant)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e}", args.email));
                store.close().await;
                let user = result?;
                println!(
                    "{} is {} a platform operator (user {user})",
                    args.email,
                    if grant { "now" } else { "no longer" }
                );
                Ok(())
            }
            Command::Events(EventsCommand::Replay(args)) => {
                let config =
                    Config::load(self.config.as_deref(), &overrides(None, args.data.data_dir))?;
                let _telemetry = telemetry::init(&config.log, &config.telemetry);
                let store = migrated_store(&config).await?;
                let result = nestcms_app::background::replay(&store, &args.consumer, args.since)
                    .await
                    .map_err(|e| match e {
                        nestcms_domain::DomainError::Validation(f) => anyhow::anyhow!(
                            "--consumer {}: {}",
                            args.consumer,
                            f.first().map_or("", |f| f.message.as_str())
                        ),
                        other => anyhow::anyhow!("{other}"),
                    });
                store.close().await;
                let n = result?;
                println!(
                    "{}: {n} events will be handled again from {}",
                    args.consumer, args.since
                );
                Ok(())
            }
            Command::Openapi => {
                println!("{}", nestcms_http::openapi().to_pretty_json()?);
                Ok(())
            }
        }
    }
}

/// The store of a one-shot command (`migrate`, `seed`, `admin`), with every migration applied.
/// Its replicas' breakers are the command's own: nothing serves them.
async fn migrated_store(config: &Config) -> anyhow::Result<nestcms_store::Store> {
    let store = startup::connect_store(config, &nestcms_resilience::Registry::default()).await?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}
