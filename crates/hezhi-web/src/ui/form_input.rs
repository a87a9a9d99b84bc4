//! What a page's form sent: its text fields and, for a form with file inputs
//! (`multipart/form-data`), the files chosen. Every form that writes carries an idempotency
//! key made when the page was drawn, so a submission repeated because its answer was lost
//! (a flaky phone connection, a double tap) replays the first answer instead of writing again.

use crate::error::ApiError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use hezhi_app::IdempotencyRequest;
use hezhi_app::service::request_hash;

/// The most files one form may carry.
pub const MAX_FILES_PER_FORM: usize = 4;

/// A file chosen in a form.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The name the browser gave (its last path component is kept).
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct FormInput {
    pub fields: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
}

fn unreadable(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", detail)
}

impl<S: Send + Sync> FromRequest<S> for FormInput {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let axum::Form(fields) =
                axum::Form::<Vec<(String, String)>>::from_request(request, state)
                    .await
                    .map_err(|e| unreadable(e.body_text()))?;
            return Ok(FormInput {
                fields,
                files: Vec::new(),
            });
        }
        let mut parts = Multipart::from_request(request, state)
            .await
            .map_err(|e| unreadable(e.body_text()))?;
        let mut input = FormInput::default();
        loop {
            let part = match parts.next_field().await {
                Ok(Some(part)) => part,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "file_too_large",
                        e.body_text(),
                    )
                    .with_field("file"));
                }
                Err(e) => return Err(unreadable(e.body_text())),
            };
            let name = part.name().unwrap_or_default().to_owned();
            match part.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let bytes = part.bytes().await.map_err(|e| unreadable(e.body_text()))?;
                    // A file input left empty still sends a part, without a name or bytes.
                    if file_name.is_empty() && bytes.is_empty() {
                        continue;
                    }
                    if input.files.len() == MAX_FILES_PER_FORM {
                        return Err(ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "too_many_files",
                            format!("at most {MAX_FILES_PER_FORM} files at a time"),
                        )
                        .with_field("file"));
                    }
                    input.files.push(UploadedFile {
                        name: file_name,
                        bytes: bytes.to_vec(),
                    });
                }
                None => {
                    let value = part.text().await.map_err(|e| unreadable(e.body_text()))?;
                    input.fields.push((name, value));
                }
            }
        }
        Ok(input)
    }
}

impl FormInput {
    /// The first value of a field, or "".
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// The form's idempotency key for the write `part` of the request to `path`, bound to
    /// the fields (without the CSRF token, which a retry from a reloaded page changes) and
    /// the files' contents. `None` when the form carries no key.
    pub fn idempotency(
        &self,
        path: &str,
        part: &str,
    ) -> Result<Option<IdempotencyRequest>, ApiError> {
        let key = self.field("idempotency_key").trim();
        if key.is_empty() {
            return Ok(None);
        }
        let mut request: Vec<u8> = Vec::new();
        for (name, value) in &self.fields {
            if name != "csrf_token" {
                request.extend([name.as_bytes(), b"=", value.as_bytes(), b"&"].concat());
            }
        }
        for file in &self.files {
            request.extend(hezhi_media::digest(&file.bytes).into_bytes());
        }
        let hash = request_hash(&[b"POST", path.as_bytes(), &request]);
        IdempotencyRequest::new(&format!("{key}:{part}"), hash)
            .map(Some)
            .map_err(|e| ApiError::from(hezhi_app::AppError::from(e)))
    }
}

/// A fresh idempotency key for a form being drawn.
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    // Without the OS generator the key is all zeros: a repeated submit is then refused as a
    // reused key, never applied twice.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hidden field that carries a form's idempotency key.
pub fn idempotency_field(key: &str) -> String {
    format!(
        r#"<input type="hidden" name="idempotency_key" value="{}">"#,
        super::html::escape(key)
    )
}
