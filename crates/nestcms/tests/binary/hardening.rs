//! What a black-box probe of the release binary found, each refused as it should be.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Server, nestcms, run, stderr};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

#[test]
fn production_refuses_to_start_without_gateway_credentials_naming_the_keys() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = run(nestcms(dir.path())
        .env("NESTCMS__ENV", "production")
        .env("NESTCMS__AUTH__JWT_SECRET", SECRET)
        .arg("serve"))?;
    assert!(
        !out.status.success(),
        "production must not start on the simulator"
    );
    let err = stderr(&out);
    assert!(
        err.contains("paytabs.server_key") && err.contains("paytabs.profile_id"),
        "{err}"
    );
    let out = run(nestcms(dir.path())
        .env("NESTCMS__ENV", "production")
        .arg("serve"))?;
    let err = stderr(&out);
    assert!(
        err.contains("auth.jwt_secret") && err.contains("paytabs.server_key"),
        "every missing production key is named at once: {err}"
    );
    Ok(())
}

#[tokio::test]
async fn production_never_mounts_the_simulator_or_its_completion_hook() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut cmd = nestcms(dir.path());
    cmd.env("NESTCMS__ENV", "production")
        .env("NESTCMS__AUTH__JWT_SECRET", SECRET)
        .env("NESTCMS__PAYTABS__SERVER_KEY", "SREAL-KEY-FOR-TEST")
        .env("NESTCMS__PAYTABS__PROFILE_ID", "12345");
    let server = Server::start(cmd)?;
    let client = reqwest::Client::new();
    for path in [
        "/sim/paytabs/payment/request",
        "/sim/paytabs/page/x/complete",
    ] {
        let res = client.post(server.url(path)).body("{}").send().await?;
        assert_eq!(res.status(), 404, "{path} must not exist in production");
    }
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}

#[test]
fn values_that_started_and_then_panicked_or_hung_are_refused_at_start() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let cases = [
        (
            "PAYTABS__RECONCILE_INTERVAL",
            "0s",
            "paytabs.reconcile_interval",
        ),
        (
            "DATABASE__REPLICA_CHECK_INTERVAL",
            "0s",
            "database.replica_check_interval",
        ),
        (
            "PAYTABS__RECONCILE_AFTER",
            "300000years",
            "paytabs.reconcile_after",
        ),
        ("PAYTABS__PAGE_TTL", "300000years", "paytabs.page_ttl"),
        (
            "AUTH__REFRESH_TOKEN_TTL",
            "300000years",
            "auth.refresh_token_ttl",
        ),
        (
            "DATABASE__MAX_CONNECTIONS",
            "4294967295",
            "database.max_connections",
        ),
        ("AUTH__HASH_PARALLELISM", "100000", "auth.hash_parallelism"),
        ("PAYTABS__TIMEOUT", "0s", "paytabs.timeout"),
        (
            "PAYTABS__PUBLIC_BASE_URL",
            "notaurl",
            "paytabs.public_base_url",
        ),
        ("PAYTABS__REGION", "MARS", "paytabs.region"),
        ("METRICS__TOKEN", "", "metrics.token"),
        ("SERVER__MAX_CONNECTIONS", "0", "server.max_connections"),
        (
            "SERVER__HEADER_READ_TIMEOUT",
            "0s",
            "server.header_read_timeout",
        ),
    ];
    for (var, value, key) in cases {
        let started = Instant::now();
        let out = run(nestcms(dir.path())
            .env(format!("NESTCMS__{var}"), value)
            .args(["serve", "--listen", "127.0.0.1:0"]))?;
        assert!(!out.status.success(), "{var}={value} must not start");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{var}={value} must fail fast"
        );
        let err = stderr(&out);
        assert!(err.contains(key), "{var}={value}: must name {key}: {err}");
        assert!(!err.contains("panicked"), "{var}={value}: {err}");
    }
    Ok(())
}

/// A server with a low connection cap and short deadlines, so the probe needs few sockets.
fn tight_server(dir: &std::path::Path) -> anyhow::Result<Server> {
    let mut cmd = nestcms(dir);
    cmd.env("NESTCMS__SERVER__MAX_CONNECTIONS", "32")
        .env("NESTCMS__SERVER__HEADER_READ_TIMEOUT", "1s")
        .env("NESTCMS__SERVER__IDLE_TIMEOUT", "4s")
        .env("NESTCMS__SERVER__BODY_LIMIT_BYTES", "65536");
    Server::start(cmd)
}

fn health_answers(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"GET /health/live HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// Whether the server has closed `s`: after any answers already sent, a read sees the end of
/// the stream or a reset rather than waiting.
fn closed(s: &mut TcpStream) -> bool {
    let _ = s.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

#[test]
fn idle_and_dribbling_sockets_cannot_starve_the_health_probe() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = tight_server(dir.path())?;
    // First a few that send a header line now and then (they get connection slots), then ten
    // times the cap of sockets that send nothing.
    let mut dribbling: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(&server.addr))
        .collect::<Result<_, _>>()?;
    for s in &mut dribbling {
        s.write_all(b"GET /health/live HTTP/1.1\r\n")?;
    }
    let flooded = Instant::now();
    let mut idle: Vec<TcpStream> = (0..320)
        .filter_map(|_| TcpStream::connect(&server.addr).ok())
        .collect();
    let mut answered = None;
    let mut dribblers_cut = None;
    while flooded.elapsed() < Duration::from_secs(10)
        && (answered.is_none() || dribblers_cut.is_none())
    {
        for s in &mut dribbling {
            let _ = s.write_all(b"x-slow: 1\r\n");
        }
        if dribblers_cut.is_none() && dribbling.iter_mut().all(closed) {
            dribblers_cut = Some(flooded.elapsed());
        }
        if answered.is_none() && health_answers(&server.addr) {
            answered = Some(flooded.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let answered = answered.ok_or_else(|| anyhow::anyhow!("/health/live never answered"))?;
    assert!(
        answered < Duration::from_secs(5),
        "within the head deadline, not after the flood gives up: {answered:?}"
    );
    let cut = dribblers_cut.ok_or_else(|| anyhow::anyhow!("a dribbled head was never cut"))?;
    assert!(
        cut >= Duration::from_millis(500) && cut < Duration::from_secs(5),
        "a head dribbled line by line is cut at the 1 s deadline, not before and not never: {cut:?}"
    );
    // The idle ones meet their own deadline; on a loaded machine the last may close a moment
    // after the probe answered.
    let idle_deadline = Instant::now() + Duration::from_secs(5);
    while !idle.iter_mut().all(closed) && Instant::now() < idle_deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        idle.iter_mut().all(closed),
        "every idle socket was closed by the server"
    );
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}

#[test]
fn a_kept_alive_connection_waits_for_its_next_request_until_the_idle_timeout() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let server = tight_server(dir.path())?;
    let mut s = TcpStream::connect(&server.addr)?;
    let request = b"GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n";
    s.write_all(request)?;
    std::thread::sleep(Duration::from_millis(1500));
    // Past the 1 s head deadline but well within the 4 s idle timeout: still open and usable.
    assert!(
        !closed(&mut s),
        "an idle kept-alive connection is not cut at the head deadline"
    );
    s.write_all(request)?;
    std::thread::sleep(Duration::from_millis(5500));
    assert!(
        closed(&mut s),
        "closed once idle for longer than server.idle_timeout"
    );
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}

#[test]
fn a_declared_oversized_body_is_refused_before_it_is_sent() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = tight_server(dir.path())?;
    for (path, length) in [
        ("/api/v1/auth/register", 67_108_864u64),
        (
            "/api/v1/orgs/0190d0c0-0000-7000-8000-000000000000/projects/0190d0c0-0000-7000-8000-000000000000/designs/0190d0c0-0000-7000-8000-000000000000/uploads",
            21 * 1024 * 1024,
        ),
    ] {
        let mut s = TcpStream::connect(&server.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        let started = Instant::now();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
        )?;
        let mut head = [0u8; 512];
        let n = s.read(&mut head)?;
        let head = String::from_utf8_lossy(&head[..n]);
        assert!(head.starts_with("HTTP/1.1 413"), "{path}: {head}");
        assert!(head.contains("application/problem+json"), "{head}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "answered at once"
        );
    }
    assert_eq!(server.terminate()?, Some(0));
    Ok(())
}
