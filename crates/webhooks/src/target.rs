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
/// carrier-grade NAT, benchmarking, reserved, unique-local, site-local, unspecified, broadcast
/// or multicast; and IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4)
/// are judged by the address they carry, since a gateway on the way delivers to it.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b & 0xfe) == 18)
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4() {
                return forbidden(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let carried = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                forbidden(IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d)))
            };
            // IPv4-translated (SIIT, ::ffff:0:a.b.c.d).
            if s[..6] == [0, 0, 0, 0, 0xffff, 0] {
                return carried(s[6], s[7]);
            }
            match s[0] {
                // NAT64, well-known prefix 64:ff9b::/96.
                0x0064 if s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] => carried(s[6], s[7]),
                // Local-use NAT64 (64:ff9b:1::/48): translated inside someone's own network.
                0x0064 if s[1] == 0xff9b && s[2] == 1 => true,
                // 6to4: 2002:a.b.c.d::/48.
                0x2002 => carried(s[1], s[2]),
                // Teredo (2001::/32) hides the client's IPv4 address.
                0x2001 if s[1] == 0 => true,
                first => {
                    v6.is_loopback()
                        || v6.is_unspecified()
                        || v6.is_multicast()
                        || (first & 0xfe00) == 0xfc00
                        || (first & 0xffc0) == 0xfe80
                        || (first & 0xffc0) == 0xfec0
                }
            }
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
        return Err(refusal(&ip.to_string()));
    }
    Ok(())
}

/// The refusal of a target; `what` is the address the organization typed, or its host name
/// (never the address a name resolved to, which would tell them about the network inside).
fn refusal(what: &str) -> TargetError {
    TargetError::Forbidden(format!(
        "{what} is or resolves to a loopback, private or link-local address; the operator has not allowed private webhook targets"
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
            (true, Some(_)) => Err(refusal(host)),
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
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.0.170",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2001:0:4136:e378::1",
            "fec0::1",
            "::ffff:0:7f00:1",
        ] {
            assert!(forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:4700::1111",
            "172.32.0.1",
            "198.20.0.1",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
        ] {
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
        let Err(TargetError::Forbidden(why)) = refused else {
            panic!("{refused:?}");
        };
        assert!(why.starts_with("localhost "), "{why}");
        assert!(
            !why.contains("127.0.0.1") && !why.contains("::1"),
            "the address a name resolves to stays inside: {why}"
        );
        let allowed = Guarded {
            allow_private: true,
        }
        .lookup("localhost", 80)
        .await;
        assert!(allowed.is_ok_and(|a| !a.is_empty()));
    }
}
