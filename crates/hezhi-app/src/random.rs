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

/// Bytes for secrets (session ids, CSRF tokens, TOTP secrets, passwords): unlike [`bytes`],
/// a broken generator is an error, never a predictable secret.
pub fn secret_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buffer = [0u8; N];
    getrandom::fill(&mut buffer)?;
    Ok(buffer)
}
