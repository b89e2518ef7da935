//! A private queue on the event exchange, for tests that look at what reached the broker.

use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, Consumer};

/// A namespace of one test's own (`test-<uuid>`), so tests sharing a broker never read each
/// other's queues.
pub fn namespace() -> String {
    format!("test-{}", uuid::Uuid::now_v7().simple())
}

/// Declares the default namespace's exchange, binds an exclusive auto-deleted queue to
/// `binding` (such as `payment.#`) and consumes it without acknowledgements. Bind before the
/// messages are published; the connection must outlive the consumer.
pub async fn listen(url: &str, binding: &str) -> anyhow::Result<(Connection, Consumer)> {
    listen_on(url, nestcms_bus::EXCHANGE, binding).await
}

/// As [`listen`], on the exchange `exchange`.
pub async fn listen_on(
    url: &str,
    exchange: &str,
    binding: &str,
) -> anyhow::Result<(Connection, Consumer)> {
    let conn = Connection::connect(url, ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    nestcms_bus::declare_exchange(&ch, exchange).await?;
    let q = ch
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    ch.queue_bind(
        q.name().clone(),
        exchange.into(),
        binding.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    let consumer = ch
        .basic_consume(
            q.name().clone(),
            "test".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok((conn, consumer))
}
