//! `GET /preferences?lang=en&back=/cases`: the language and text-size switches. They only
//! set a cookie of preference, so a link does; then back to the page the user was on.

use super::{LANG_COOKIE, TEXT_COOKIE};
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Preferences {
    lang: Option<String>,
    text: Option<String>,
    back: Option<String>,
}

/// Only a path of this site: `/cases`, never `//elsewhere` or `https://…`.
fn local_path(back: Option<&str>) -> &str {
    match back {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

fn preference_cookie(name: &str, value: &str) -> Option<HeaderValue> {
    // A year; readable by pages only through the server, sent on every page.
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
    ))
    .ok()
}

pub async fn update(query: Result<Query<Preferences>, QueryRejection>) -> Response {
    let Ok(Query(preferences)) = query else {
        return Redirect::to("/").into_response();
    };
    let mut response = Redirect::to(local_path(preferences.back.as_deref())).into_response();
    let headers = response.headers_mut();
    let lang = match preferences.lang.as_deref() {
        Some("en") => Some("en"),
        Some("zh") => Some("zh"),
        _ => None,
    };
    if let Some(cookie) = lang.and_then(|lang| preference_cookie(LANG_COOKIE, lang)) {
        headers.append(header::SET_COOKIE, cookie);
    }
    let text = match preferences.text.as_deref() {
        Some("large") => Some("large"),
        Some("normal") => Some("normal"),
        _ => None,
    };
    if let Some(cookie) = text.and_then(|text| preference_cookie(TEXT_COOKIE, text)) {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_stays_on_this_site() {
        assert_eq!(
            local_path(Some("/cases?state=reported")),
            "/cases?state=reported"
        );
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(None), "/");
    }
}
