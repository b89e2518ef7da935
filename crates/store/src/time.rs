//! [`Ts`]: a UTC timestamp that sorts correctly on both backends.
//!
//! sqlx writes `DateTime<Utc>` to SQLite as RFC 3339 with a *variable* number of fractional
//! digits (`…:05Z`, `…:05.120Z`, `…:05.123456Z`), so comparing stored timestamps as text, as
//! SQLite does, puts `…:05Z` after `…:05.1Z`. `Ts` always writes exactly six fractional digits,
//! which makes text order equal time order; on PostgreSQL it is a plain `timestamptz`.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Postgres, Sqlite, Type};

/// A UTC instant, microsecond precision in storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub DateTime<Utc>);

impl From<DateTime<Utc>> for Ts {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t)
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> <Sqlite as Database>::TypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.to_rfc3339_opts(SecondsFormat::Micros, true), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: <Sqlite as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Self(
            DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc),
        ))
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> <Postgres as Database>::TypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: <Postgres as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<Postgres>>::decode(value).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order() {
        let base =
            DateTime::parse_from_rfc3339("2026-11-22T10:00:05Z").map(|t| t.with_timezone(&Utc));
        let Ok(base) = base else { return };
        let later = base + chrono::Duration::milliseconds(100);
        let (a, b) = (
            base.to_rfc3339_opts(SecondsFormat::Micros, true),
            later.to_rfc3339_opts(SecondsFormat::Micros, true),
        );
        assert_eq!(a, "2026-11-22T10:00:05.000000Z");
        assert!(a < b, "{a} < {b}");
        // What sqlx would write by default orders wrongly:
        let (x, y) = (
            base.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            later.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        );
        assert!(x > y, "{x} vs {y}: the reason Ts exists");
    }
}
