-- Why: photos from the spot, agreements and other documents are evidence on a case. A file is
-- stored once, under the SHA-256 of its content, in the database itself, so that it is backed
-- up, replicated and made durable with the events that point at it. What the content tells
-- (type, size, the camera's time and position) is kept beside it; which case a file belongs
-- to is told by the case's `attached` events.

CREATE TABLE attachment_files (
    digest      TEXT PRIMARY KEY,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    width       INTEGER,
    height      INTEGER,
    taken_at    TEXT,
    latitude    REAL,
    longitude   REAL,
    stored_at   INTEGER NOT NULL,
    content     BLOB NOT NULL,
    thumbnail   BLOB
);
