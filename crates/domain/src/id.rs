//! Typed identifiers.
//!
//! Every entity id is a UUIDv7 (time-ordered, so B-tree indexes stay compact and listing by id is
//! listing by creation time) wrapped in its own type, so an `OrgId` can never be passed where a
//! `UserId` is expected.

/// Declares a typed UUIDv7 identifier.
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }
    };
}

define_id!(
    /// Identifies one installation (one database) of NestCMS.
    InstallationId
);

#[cfg(test)]
mod tests {
    use super::InstallationId;

    #[test]
    fn ids_are_time_ordered_and_round_trip_through_text() {
        let a = InstallationId::new();
        let b = InstallationId::new();
        assert!(a < b, "UUIDv7 ids must sort by creation time");
        let parsed: InstallationId = a.to_string().parse().unwrap_or_default();
        assert_eq!(parsed, a);
        assert!("not-a-uuid".parse::<InstallationId>().is_err());
    }
}
