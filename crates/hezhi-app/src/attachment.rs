//! Attaching files to cases: storing what was sent once its content has been checked, and
//! giving it back only to those who may read a case it is attached to.

use crate::error::AppError;
use crate::idempotency::IdempotencyRequest;
use crate::service::{App, WriteOutcome};
use chrono::{DateTime, Utc};
use hezhi_domain::access::{Action, Relation, permits};
use hezhi_domain::{
    CaseId, Command, CommandKind, ContentDigest, EventKind, Position, Principal, Role,
    ValidationError,
};
use hezhi_media::MediaError;
use hezhi_store::AttachmentFile;

/// A file attached to a case, as the case shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseAttachment {
    /// The name given when it was attached.
    pub name: String,
    pub attached_at: DateTime<Utc>,
    pub attached_by_role: Role,
    pub file: AttachmentFile,
}

fn refusal(error: MediaError) -> ValidationError {
    let (code, message) = match &error {
        MediaError::Empty => ("file_empty", error.to_string()),
        MediaError::TooLarge { .. } => ("file_too_large", error.to_string()),
        MediaError::UnsupportedType => ("unsupported_file_type", error.to_string()),
        MediaError::Unreadable(..) => ("unreadable_file", error.to_string()),
    };
    ValidationError::new("file", code, message)
}

/// Checks a file by its content without storing it: a form checks all its files before it
/// writes anything.
pub fn check_file(bytes: &[u8]) -> Result<(), ValidationError> {
    hezhi_media::inspect(bytes).map(|_| ()).map_err(refusal)
}

impl App {
    /// Checks a file by its content and stores it under its digest, with a thumbnail and the
    /// camera's time and position for images. Storing the same bytes again is harmless. Only a
    /// user with a role that may attach files somewhere may store one.
    pub async fn store_attachment_file(
        &self,
        principal: &Principal,
        bytes: &[u8],
    ) -> Result<AttachmentFile, AppError> {
        let may_attach = principal.assignments.iter().any(|actor| {
            permits(
                actor.role,
                Relation::Inside,
                Action::Command(CommandKind::Attach),
            )
        });
        if !may_attach {
            return Err(AppError::Forbidden("role_not_permitted"));
        }
        let inspected = hezhi_media::inspect(bytes).map_err(refusal)?;
        let file = AttachmentFile {
            digest: ContentDigest::parse(&inspected.digest)?,
            media_type: inspected.media_type.mime().to_owned(),
            size: bytes.len() as u64,
            width: inspected.dimensions.map(|d| d.0),
            height: inspected.dimensions.map(|d| d.1),
            taken_at: inspected.taken_at,
            position: inspected
                .position
                .and_then(|p| Position::new(p.latitude, p.longitude).ok()),
            has_thumbnail: inspected.thumbnail.is_some(),
            stored_at: self.now(),
        };
        self.store()
            .put_attachment_file(&file, bytes, inspected.thumbnail.as_deref())
            .await?;
        // The row that is there now: the first upload's, if these bytes came before.
        let stored = self
            .store()
            .attachment_files(std::slice::from_ref(&file.digest))
            .await?
            .pop()
            .ok_or(AppError::Internal("a stored file is missing".into()))?;
        Ok(stored)
    }

    /// Stores a file and attaches it to a case in one step, as a form does. Retried with the
    /// same idempotency key, the file is stored once and attached once.
    pub async fn attach_file(
        &self,
        principal: &Principal,
        id: CaseId,
        expected_version: Option<u32>,
        name: &str,
        bytes: &[u8],
        idempotency: Option<IdempotencyRequest>,
    ) -> Result<WriteOutcome, AppError> {
        let file = self.store_attachment_file(principal, bytes).await?;
        let command = Command::Attach {
            digest: file.digest,
            name: name.to_owned(),
        };
        self.run_command(principal, id, expected_version, command, idempotency)
            .await
    }

    /// The files attached to a case, oldest first, for a user who may read the case. A
    /// resident sees the files residents sent, not the units' working documents.
    pub async fn case_attachments(
        &self,
        principal: &Principal,
        id: CaseId,
    ) -> Result<Vec<CaseAttachment>, AppError> {
        let events = self.events(principal, id).await?;
        let resident_only = principal
            .assignments
            .iter()
            .all(|a| a.role == Role::Resident);
        let attached: Vec<_> = events
            .iter()
            .filter(|event| !resident_only || event.role == Role::Resident)
            .filter_map(|event| match &event.kind {
                EventKind::Attached { digest, name } => Some((event, digest, name)),
                _ => None,
            })
            .collect();
        let digests: Vec<ContentDigest> = attached.iter().map(|(_, d, _)| (*d).clone()).collect();
        let files = self.store().attachment_files(&digests).await?;
        Ok(attached
            .into_iter()
            .filter_map(|(event, digest, name)| {
                let file = files.iter().find(|f| &f.digest == digest)?.clone();
                Some(CaseAttachment {
                    name: name.clone(),
                    attached_at: event.at,
                    attached_by_role: event.role,
                    file,
                })
            })
            .collect())
    }

    /// The bytes of a file attached to a case (or its thumbnail) and its media type. A file
    /// that is stored but not attached to this case is not found, whoever asks.
    pub async fn attachment_content(
        &self,
        principal: &Principal,
        id: CaseId,
        digest: &ContentDigest,
        thumbnail: bool,
    ) -> Result<(String, Vec<u8>), AppError> {
        let attachments = self.case_attachments(principal, id).await?;
        let attachment = attachments
            .iter()
            .find(|a| &a.file.digest == digest)
            .ok_or(AppError::NotFound("attachment"))?;
        let bytes = self
            .store()
            .attachment_content(digest, thumbnail)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        let media_type = if thumbnail {
            "image/jpeg".to_owned()
        } else {
            attachment.file.media_type.clone()
        };
        Ok((media_type, bytes))
    }
}
