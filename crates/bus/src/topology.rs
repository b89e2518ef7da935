//! What the broker holds for us, declared by every relay and consumer that connects (the
//! declarations are idempotent): the topic exchange events are published to, one durable
//! quorum queue per consumer bound to the routing keys it reads, and beside each a
//! dead-letter queue that keeps the events a consumer failed on too many times.
//!
//! Quorum queues count deliveries themselves (`x-delivery-limit`), so an event that keeps
//! failing cannot circle for ever and holds up nothing behind it: after the last attempt the
//! broker moves it to `<namespace>.<consumer>.dead`, where an operator sees it (and `nestcms
//! events replay` feeds it again once the cause is fixed).

use std::time::Duration;

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

use crate::BusError;

/// One consumer's queue: its name and the routing keys (topic patterns) bound to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The consumer's name (`receipts`, `webhooks`, …).
    pub name: String,
    /// Topic patterns such as `payment.#`.
    pub topics: Vec<String>,
}

/// The names and limits every instance of a deployment shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The prefix of every name (`nestcms`: exchange `nestcms.events`).
    pub namespace: String,
    /// How many times a consumer is handed one event before it is dead-lettered.
    pub attempts: u32,
    /// Queues nobody consumed for this long are deleted by the broker (for test and review
    /// environments that come and go; never set in production, where it would lose events).
    pub queue_expiry: Option<Duration>,
    /// Every consumer's queue.
    pub queues: Vec<Subscription>,
}

impl Topology {
    /// The topic exchange events are published to.
    pub fn exchange(&self) -> String {
        format!("{}.events", self.namespace)
    }

    /// The exchange failed events are moved to (routing key: the consumer's name).
    pub fn dead_exchange(&self) -> String {
        format!("{}.dead", self.namespace)
    }

    /// A consumer's queue.
    pub fn queue(&self, consumer: &str) -> String {
        format!("{}.{consumer}", self.namespace)
    }

    /// Where a consumer's failed events wait for an operator.
    pub fn dead_queue(&self, consumer: &str) -> String {
        format!("{}.{consumer}.dead", self.namespace)
    }

    /// Declares the exchanges and every queue with its bindings (the relay, before it
    /// publishes anything).
    pub async fn declare(&self, channel: &Channel) -> Result<(), BusError> {
        self.declare_exchanges(channel).await?;
        for q in &self.queues {
            self.declare_queue_of(channel, q).await?;
        }
        Ok(())
    }

    /// Declares the exchanges and `consumer`'s own queues (a consumer, before it reads).
    pub async fn declare_for(&self, channel: &Channel, consumer: &str) -> Result<(), BusError> {
        self.declare_exchanges(channel).await?;
        for q in self.queues.iter().filter(|q| q.name == consumer) {
            self.declare_queue_of(channel, q).await?;
        }
        Ok(())
    }

    async fn declare_exchanges(&self, channel: &Channel) -> Result<(), BusError> {
        declare_exchange(channel, &self.exchange()).await?;
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        channel
            .exchange_declare(
                self.dead_exchange().as_str().into(),
                ExchangeKind::Direct,
                durable,
                FieldTable::default(),
            )
            .await?;
        Ok(())
    }

    /// A consumer's queue with its bindings, and its dead-letter queue.
    async fn declare_queue_of(&self, channel: &Channel, q: &Subscription) -> Result<(), BusError> {
        let mut args = self.queue_args();
        // The limit counts returns: `attempts` deliveries are `attempts - 1` returns.
        let returns = i32::try_from(self.attempts.saturating_sub(1)).unwrap_or(i32::MAX);
        args.insert("x-delivery-limit".into(), AMQPValue::LongInt(returns));
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(self.dead_exchange().into()),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(q.name.as_str().into()),
        );
        let queue = self.queue(&q.name);
        declare_queue(channel, &queue, args).await?;
        for topic in &q.topics {
            bind(channel, &queue, &self.exchange(), topic).await?;
        }
        let dead = self.dead_queue(&q.name);
        declare_queue(channel, &dead, self.queue_args()).await?;
        bind(channel, &dead, &self.dead_exchange(), &q.name).await
    }

    fn queue_args(&self) -> FieldTable {
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        if let Some(expiry) = self.queue_expiry {
            let ms = i32::try_from(expiry.as_millis()).unwrap_or(i32::MAX);
            args.insert("x-expires".into(), AMQPValue::LongInt(ms));
        }
        args
    }
}

/// Declares the durable topic exchange `name`; idempotent, so publishers and consumers both
/// may.
pub async fn declare_exchange(channel: &Channel, name: &str) -> Result<(), BusError> {
    channel
        .exchange_declare(
            name.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

async fn declare_queue(channel: &Channel, name: &str, args: FieldTable) -> Result<(), BusError> {
    let options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel.queue_declare(name.into(), options, args).await?;
    Ok(())
}

async fn bind(channel: &Channel, queue: &str, exchange: &str, key: &str) -> Result<(), BusError> {
    channel
        .queue_bind(
            queue.into(),
            exchange.into(),
            key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok(())
}
