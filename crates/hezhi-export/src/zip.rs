//! The smallest zip container Office Open XML needs: deflated entries, each with its local
//! header, then the central directory and its end record. No ZIP64, no encryption, no
//! comments; every entry is stamped 1980-01-01 00:00 so that the same parts give the same
//! bytes.

use crate::ExportError;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use std::io::Write;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Version 2.0 (deflate), made on MS-DOS (FAT attributes): what Excel itself writes.
const VERSION: u16 = 20;
const DEFLATE: u16 = 8;
/// 1980-01-01 in MS-DOS date format (years since 1980, month, day); the time is 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

/// A zip archive being written into memory.
#[derive(Debug, Default)]
pub(crate) struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl ZipWriter {
    pub(crate) fn new() -> ZipWriter {
        ZipWriter::default()
    }

    /// Adds the file `name` (ASCII, `/` between folders) with the content `data`, deflated.
    pub(crate) fn add(&mut self, name: &str, data: &[u8]) -> Result<(), ExportError> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(data)
            .map_err(|e| ExportError::Compress(e.to_string()))?;
        let compressed = encoder
            .finish()
            .map_err(|e| ExportError::Compress(e.to_string()))?;
        let crc = crc32fast::hash(data);
        let size = u32_of(data.len())?;
        let compressed_size = u32_of(compressed.len())?;
        let name_len = u16::try_from(name.len()).map_err(|_| ExportError::TooLarge)?;
        let offset = u32_of(self.out.len())?;
        self.entries = self.entries.checked_add(1).ok_or(ExportError::TooLarge)?;

        let out = &mut self.out;
        put32(out, LOCAL_HEADER);
        put16(out, VERSION); // version needed to extract
        put16(out, 0); // flags
        put16(out, DEFLATE);
        put16(out, DOS_TIME);
        put16(out, DOS_DATE);
        put32(out, crc);
        put32(out, compressed_size);
        put32(out, size);
        put16(out, name_len);
        put16(out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&compressed);

        let central = &mut self.central;
        put32(central, CENTRAL_HEADER);
        put16(central, VERSION); // version made by
        put16(central, VERSION); // version needed to extract
        put16(central, 0); // flags
        put16(central, DEFLATE);
        put16(central, DOS_TIME);
        put16(central, DOS_DATE);
        put32(central, crc);
        put32(central, compressed_size);
        put32(central, size);
        put16(central, name_len);
        put16(central, 0); // extra field length
        put16(central, 0); // comment length
        put16(central, 0); // disk number start
        put16(central, 0); // internal attributes
        put32(central, 0); // external attributes
        put32(central, offset);
        central.extend_from_slice(name.as_bytes());
        Ok(())
    }

    /// The archive: the entries, the central directory and the end record.
    pub(crate) fn finish(self) -> Result<Vec<u8>, ExportError> {
        let ZipWriter {
            mut out,
            central,
            entries,
        } = self;
        let central_offset = u32_of(out.len())?;
        let central_size = u32_of(central.len())?;
        out.extend_from_slice(&central);
        put32(&mut out, END_OF_CENTRAL_DIRECTORY);
        put16(&mut out, 0); // this disk
        put16(&mut out, 0); // the disk where the central directory starts
        put16(&mut out, entries); // entries on this disk
        put16(&mut out, entries); // entries in all
        put32(&mut out, central_size);
        put32(&mut out, central_offset);
        put16(&mut out, 0); // comment length
        Ok(out)
    }
}

fn u32_of(n: usize) -> Result<u32, ExportError> {
    u32::try_from(n).map_err(|_| ExportError::TooLarge)
}

fn put16(out: &mut Vec<u8>, n: u16) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_archive_is_just_the_end_record() {
        let zip = ZipWriter::new().finish().expect("an empty archive");
        assert_eq!(zip, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn entries_are_stamped_1980_01_01() {
        let mut zip = ZipWriter::new();
        zip.add("a.txt", b"hello").expect("added");
        let bytes = zip.finish().expect("finished");
        // Local header: signature, version, flags, method, then time and date.
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        assert_eq!(&bytes[8..10], &DEFLATE.to_le_bytes());
        assert_eq!(&bytes[10..14], &[0, 0, 0x21, 0]);
        assert_eq!(&bytes[14..18], &crc32fast::hash(b"hello").to_le_bytes());
    }
}
