//! Where messages may go. An organization types any URL it likes; without this guard it could
//! point NestCMS at the metadata service, the database or an admin port on the private network
//! and read the answers in the attempt log (server-side request forgery). Names are checked
//! when an endpoint is saved and again on every connection, by the resolver the HTTP client
//! uses, so a name that later resolves somewhere private (DNS rebinding) is refused too.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use nestcms_domain::webhooks::ports::TargetError;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address is one a webhook must not reach: loopback, private, link-local,
/// carrier-grade NAT, unique-local, unspecified, broadcast or multicast.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms are judged
            // as the IPv4 address they carry.
            if let Some(v4) = v6.to_ipv4() {
                return forbidden(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Checks a URL's form: absolute, `https` (or `http` where private targets are allowed, for
/// receivers on the same network), a host, no credentials.
pub fn parse(url: &str, allow_private: bool) -> Result<url::Url, TargetError> {
    let u = url::Url::parse(url).map_err(|e| TargetError::Invalid(format!("not a URL: {e}")))?;
    match u.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(TargetError::Invalid("must be an https:// URL".to_owned())),
    }
    if u.host().is_none() {
        return Err(TargetError::Invalid("must name a host".to_owned()));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(TargetError::Invalid(
            "must not carry credentials; the signature authenticates the sender".to_owned(),
        ));
    }
    Ok(u)
}

/// Refuses an address literal in a URL (the resolver never sees those).
pub fn literal_allowed(u: &url::Url, allow_private: bool) -> Result<(), TargetError> {
    let ip = match u.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if !allow_private && forbidden(ip) {
        return Err(refusal(ip));
    }
    Ok(())
}

fn refusal(ip: IpAddr) -> TargetError {
    TargetError::Forbidden(format!(
        "{ip} is a loopback, private or link-local address; the operator has not allowed private webhook targets"
    ))
}

/// The system resolver, keeping only addresses a webhook may reach.
#[derive(Debug, Clone, Copy)]
pub struct Guarded {
    /// Whether private addresses are allowed after all.
    pub allow_private: bool,
}

impl Guarded {
    /// The addresses `host` resolves to that a webhook may reach; refused when none is.
    pub async fn lookup(self, host: &str, port: u16) -> Result<Vec<SocketAddr>, TargetError> {
        let all: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| TargetError::Unreachable(format!("cannot resolve {host}: {e}")))?
            .collect();
        let kept: Vec<SocketAddr> = all
            .iter()
            .copied()
            .filter(|a| self.allow_private || !forbidden(a.ip()))
            .collect();
        match (kept.is_empty(), all.first()) {
            (false, _) => Ok(kept),
            (true, Some(a)) => Err(refusal(a.ip())),
            (true, None) => Err(TargetError::Unreachable(format!(
                "{host} resolves to no address"
            ))),
        }
    }
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let (guard, host) = (*self, name.as_str().to_owned());
        Box::pin(async move {
            let addrs = guard.lookup(&host, 0).await?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

impl Guarded {
    /// As the HTTP client's resolver.
    pub fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "172.32.0.1"] {
            assert!(!forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_must_be_https_without_credentials_unless_private_targets_are_allowed() {
        assert!(parse("https://hooks.example.com/x", false).is_ok());
        assert!(matches!(
            parse("http://hooks.example.com/x", false),
            Err(TargetError::Invalid(_))
        ));
        assert!(parse("http://127.0.0.1:9000/x", true).is_ok());
        assert!(matches!(
            parse("https://u:p@example.com/", false),
            Err(TargetError::Invalid(_))
        ));
        assert!(matches!(
            parse("ftp://example.com/", true),
            Err(TargetError::Invalid(_))
        ));
        let literal = parse("https://127.0.0.1/x", false).unwrap();
        assert!(matches!(
            literal_allowed(&literal, false),
            Err(TargetError::Forbidden(_))
        ));
        assert!(literal_allowed(&literal, true).is_ok());
    }

    #[tokio::test]
    async fn a_name_for_loopback_is_refused_by_the_resolver() {
        let refused = Guarded {
            allow_private: false,
        }
        .lookup("localhost", 80)
        .await;
        assert!(
            matches!(refused, Err(TargetError::Forbidden(_))),
            "{refused:?}"
        );
        let allowed = Guarded {
            allow_private: true,
        }
        .lookup("localhost", 80)
        .await;
        assert!(allowed.is_ok_and(|a| !a.is_empty()));
    }
}
