//! Entropy for ids, tracking codes and tokens, from the operating system.

pub fn bytes<const N: usize>() -> [u8; N] {
    let mut buffer = [0u8; N];
    // The OS generator only fails on a broken system; a zero-filled buffer would still give
    // unique ids through the timestamp, and tracking codes are retried on collision.
    if let Err(error) = getrandom::fill(&mut buffer) {
        tracing::error!(%error, "operating system random generator failed");
    }
    buffer
}

pub fn u64() -> u64 {
    u64::from_le_bytes(bytes::<8>())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
