//! How a browser session travels over HTTP: the `hezhi_session` cookie, the CSRF token that
//! every state-changing request authenticated by that cookie must echo, and the client's
//! address for counting failed sign-ins.
//!
//! Requests with `Authorization: Bearer` carry no ambient credentials (a browser never adds
//! that header by itself), so they need no CSRF token.

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use hezhi_app::Session;
use std::net::{IpAddr, SocketAddr};

/// The session cookie.
pub const SESSION_COOKIE: &str = "hezhi_session";
/// The header a script sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field an HTML form sends the CSRF token in.
pub const CSRF_FIELD: &str = "csrf_token";

/// What the HTTP layer needs to know about how it is reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebSettings {
    /// Clients reach the server over https (its public URL starts with `https://`): the
    /// session cookie is always `Secure`.
    pub public_https: bool,
    /// A reverse proxy in front sets `X-Forwarded-Proto` and `X-Forwarded-For`, and they
    /// are believed: `https` makes the cookie `Secure`, and the last address the proxy
    /// appended is the client's. Without a proxy these headers come from the client and are
    /// ignored.
    pub trust_proxy_headers: bool,
    /// Body sizes, request time and per-client rates.
    pub limits: crate::limits::Limits,
}

fn settings(parts: &Parts) -> WebSettings {
    parts
        .extensions
        .get::<WebSettings>()
        .cloned()
        .unwrap_or_default()
}

/// The value of the session cookie, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// Whether the request reached us over TLS, as far as we can know.
pub fn came_over_tls(parts: &Parts) -> bool {
    let settings = settings(parts);
    settings.public_https
        || (settings.trust_proxy_headers
            && parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https")))
}

/// The client's address: the peer of the connection (when the server was started with
/// connect info), or behind a trusted proxy the last address in `X-Forwarded-For`.
pub fn client_address(parts: &Parts) -> Option<IpAddr> {
    if settings(parts).trust_proxy_headers {
        // Only the last entry is the proxy's own; earlier ones came from the client.
        let last = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|a| !a.is_empty());
        if let Some(address) = last.and_then(|a| a.parse::<IpAddr>().ok()) {
            return Some(address);
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
}

/// Whether a request with this method changes state (and so needs the CSRF token when
/// authenticated by the cookie).
pub fn changes_state(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The `Set-Cookie` value that gives the client `session_id` for `max_age_seconds`.
pub fn session_cookie_header(
    session_id: &str,
    max_age_seconds: i64,
    secure: bool,
) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={session_id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        max_age_seconds.max(0)
    ))
    .ok()
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_session_cookie(secure: bool) -> Option<HeaderValue> {
    session_cookie_header("", 0, secure)
}

/// The hidden input an HTML form carries its CSRF token in; the handler checks it with
/// [`crate::extract::FormCaller::check_form_token`].
pub fn hidden_field(session: &Session) -> String {
    // The token is lowercase hex, so nothing in it needs escaping.
    format!(
        r#"<input type="hidden" name="{CSRF_FIELD}" value="{}">"#,
        session.csrf_token
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&'static str, &str)]) -> Parts {
        let mut request = axum::http::Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).expect("request").into_parts().0
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let p = parts(&[("cookie", "theme=dark; hezhi_session=abc123 ; lang=zh")]);
        assert_eq!(session_cookie(&p.headers), Some("abc123"));
        let p = parts(&[("cookie", "theme=dark"), ("cookie", "hezhi_session=def")]);
        assert_eq!(session_cookie(&p.headers), Some("def"));
        let p = parts(&[("cookie", "hezhi_session_old=x; hezhi_session=")]);
        assert_eq!(session_cookie(&p.headers), None);
    }

    #[test]
    fn the_cookie_is_secure_over_https_only() {
        let cookie = session_cookie_header("abc", 60, true).expect("header");
        assert_eq!(
            cookie,
            "hezhi_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure"
        );
        let plain = session_cookie_header("abc", 60, false).expect("header");
        assert!(!plain.to_str().expect("text").contains("Secure"));

        let forwarded = [("x-forwarded-proto", "https")];
        assert!(!came_over_tls(&parts(&forwarded)), "untrusted header");
        let mut trusted = parts(&forwarded);
        trusted.extensions.insert(WebSettings {
            public_https: false,
            trust_proxy_headers: true,
            ..WebSettings::default()
        });
        assert!(came_over_tls(&trusted));
        let mut public = parts(&[]);
        public.extensions.insert(WebSettings {
            public_https: true,
            trust_proxy_headers: false,
            ..WebSettings::default()
        });
        assert!(came_over_tls(&public));
    }

    #[test]
    fn the_client_address_comes_from_the_connection_or_a_trusted_proxy() {
        assert_eq!(client_address(&parts(&[])), None);
        let mut direct = parts(&[("x-forwarded-for", "203.0.113.9")]);
        direct
            .extensions
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 40000))));
        assert_eq!(
            client_address(&direct),
            Some(IpAddr::from([192, 0, 2, 1])),
            "a client's own X-Forwarded-For is not believed"
        );
        direct.extensions.insert(WebSettings {
            public_https: false,
            trust_proxy_headers: true,
            ..WebSettings::default()
        });
        direct.headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("10.9.9.9, 203.0.113.9"),
        );
        assert_eq!(
            client_address(&direct),
            Some(IpAddr::from([203, 0, 113, 9])),
            "the address the proxy appended"
        );
    }
}
