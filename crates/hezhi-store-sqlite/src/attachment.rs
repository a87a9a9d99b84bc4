//! Attachment files in SQLite.

use crate::{SqliteStore, db_error, from_ms, ms};
use async_trait::async_trait;
use hezhi_domain::ContentDigest;
use hezhi_store::codec::AttachmentFileColumns;
use hezhi_store::{AttachmentFile, AttachmentStore, StoreResult};
use sqlx::Row;

#[async_trait]
impl AttachmentStore for SqliteStore {
    async fn put_attachment_file(
        &self,
        file: &AttachmentFile,
        content: &[u8],
        thumbnail: Option<&[u8]>,
    ) -> StoreResult<()> {
        let c = AttachmentFileColumns::of(file);
        sqlx::query(
            "INSERT INTO attachment_files (digest, media_type, size, width, height, taken_at,
                latitude, longitude, stored_at, content, thumbnail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (digest) DO NOTHING",
        )
        .bind(c.digest)
        .bind(c.media_type)
        .bind(c.size)
        .bind(c.width)
        .bind(c.height)
        .bind(c.taken_at)
        .bind(c.latitude)
        .bind(c.longitude)
        .bind(ms(c.stored_at))
        .bind(content)
        .bind(thumbnail)
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn attachment_files(
        &self,
        digests: &[ContentDigest],
    ) -> StoreResult<Vec<AttachmentFile>> {
        let names: Vec<&str> = digests.iter().map(ContentDigest::as_str).collect();
        let rows = sqlx::query(
            "SELECT digest, media_type, size, width, height, taken_at, latitude, longitude,
                    stored_at, thumbnail IS NOT NULL AS has_thumbnail
             FROM attachment_files WHERE digest IN (SELECT value FROM json_each($1))
             ORDER BY digest",
        )
        .bind(
            serde_json::to_string(&names)
                .map_err(|e| hezhi_store::StoreError::Corrupt(e.to_string()))?,
        )
        .fetch_all(&self.readers)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                AttachmentFileColumns {
                    digest: row.try_get("digest").map_err(db_error)?,
                    media_type: row.try_get("media_type").map_err(db_error)?,
                    size: row.try_get("size").map_err(db_error)?,
                    width: row.try_get("width").map_err(db_error)?,
                    height: row.try_get("height").map_err(db_error)?,
                    taken_at: row.try_get("taken_at").map_err(db_error)?,
                    latitude: row.try_get("latitude").map_err(db_error)?,
                    longitude: row.try_get("longitude").map_err(db_error)?,
                    has_thumbnail: row.try_get("has_thumbnail").map_err(db_error)?,
                    stored_at: from_ms(row.try_get("stored_at").map_err(db_error)?)?,
                }
                .decode()
            })
            .collect()
    }

    async fn attachment_content(
        &self,
        digest: &ContentDigest,
        thumbnail: bool,
    ) -> StoreResult<Option<Vec<u8>>> {
        let sql = if thumbnail {
            "SELECT thumbnail AS bytes FROM attachment_files WHERE digest = $1"
        } else {
            "SELECT content AS bytes FROM attachment_files WHERE digest = $1"
        };
        let row = sqlx::query(sql)
            .bind(digest.as_str())
            .fetch_optional(&self.readers)
            .await
            .map_err(db_error)?;
        Ok(row
            .map(|r| r.try_get::<Option<Vec<u8>>, _>("bytes"))
            .transpose()
            .map_err(db_error)?
            .flatten())
    }
}
