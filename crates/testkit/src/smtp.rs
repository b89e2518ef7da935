//! A real SMTP server for tests: it speaks enough of RFC 5321 for a client to deliver (greeting,
//! EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every message it accepts, raw, so
//! a test can count and read what was sent. `fail_next(n)` answers the next `n` messages with
//! a temporary failure (451) instead.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The sink; stops when dropped.
pub struct SmtpSink {
    /// `smtp://127.0.0.1:<port>`.
    pub url: String,
    messages: Arc<Mutex<Vec<String>>>,
    failing: Arc<AtomicU32>,
    slow_ms: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Listens on a free loopback port.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("smtp://{}", listener.local_addr()?);
        let messages = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(AtomicU32::new(0));
        let slow_ms = Arc::new(AtomicU64::new(0));
        let (m, f, w) = (
            Arc::clone(&messages),
            Arc::clone(&failing),
            Arc::clone(&slow_ms),
        );
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (m, f, w) = (Arc::clone(&m), Arc::clone(&f), Arc::clone(&w));
                tokio::spawn(async move {
                    let _ = session(socket, &m, &f, &w).await;
                });
            }
        });
        Ok(Self {
            url,
            messages,
            failing,
            slow_ms,
            task,
        })
    }

    /// Every message accepted so far, raw (headers and body).
    pub fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Keeps each accepted message, then waits this long before saying so (a slow server: a
    /// sender that dies meanwhile never learns it was accepted).
    pub fn answer_after(&self, wait: std::time::Duration) {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.slow_ms.store(ms, Ordering::SeqCst);
    }

    /// Answers the next `n` messages "451 try again later".
    pub fn fail_next(&self, n: u32) {
        self.failing.store(n, Ordering::SeqCst);
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    messages: &Mutex<Vec<String>>,
    failing: &AtomicU32,
    slow_ms: &AtomicU64,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut raw = String::new();
                while let Some(l) = lines.next_line().await? {
                    if l == "." {
                        break;
                    }
                    raw.push_str(l.strip_prefix('.').unwrap_or(&l));
                    raw.push('\n');
                }
                let refuse = failing
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if refuse {
                    b"451 try again later\r\n"
                } else {
                    messages
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(raw);
                    let wait = slow_ms.load(Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                    b"250 queued\r\n"
                }
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(answer).await?;
    }
    Ok(())
}
