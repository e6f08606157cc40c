//! Custom base URLs are accepted only on loopback (the local sandbox): a real account is always
//! reached over `https` on the Zendesk or Sunshine Conversations hosts.

use crate::text::Text;
use std::net::IpAddr;

/// Accepts an update manifest's address: `https`, never credentials in it. Debug builds also
/// accept `http` on loopback, for the tests' local server (the updater of a release build refuses
/// plain `http` whatever the host).
pub fn check_update_url(raw: &str) -> Result<url::Url, Text> {
    let url = url::Url::parse(raw).map_err(|_| crate::text!("url.not_a_url", value = raw))?;
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" | "https" if cfg!(debug_assertions) => {
            check_loopback_url(raw).map_err(|_| crate::text!("url.update_not_https"))?;
        }
        _ => return Err(crate::text!("url.update_not_https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(crate::text!("url.credentials"));
    }
    Ok(url)
}

/// Accepts `http(s)://` URLs whose host is loopback (127.0.0.0/8, ::1, localhost) only: any
/// other host must be reached over the standard https hosts, never a custom one.
pub fn check_loopback_url(raw: &str) -> Result<url::Url, Text> {
    let url = url::Url::parse(raw).map_err(|_| crate::text!("url.not_a_url", value = raw))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(crate::text!("url.scheme"));
    }
    let loopback = match url.host() {
        // `localhost` and its subdomains are loopback names (RFC 6761 §6.3).
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    if !loopback {
        return Err(crate::text!("url.not_loopback"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(crate::text!("url.query"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(crate::text!("url.credentials"));
    }
    Ok(url)
}
