//! Hand-written attacks on a running server: slow clients that never finish their headers,
//! header floods and oversized bodies. The server refuses them without a 5xx, keeps
//! answering, and its memory comes back down.

use crate::backup::start_server;
use crate::cli::{hezhi_with, stdout};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::Duration;

/// The resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS")
}

/// Sends `request` on a new connection and returns the status code of the answer, or `None`
/// when the server closed the connection without one.
fn status_of(address: &str, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    // The server may close before all of a flood is written: that is an answer too.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
}

async fn healthy(address: &str) -> bool {
    reqwest::Client::new()
        .get(format!("http://{address}/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_header_floods_and_huge_bodies_are_refused_and_the_server_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    stdout(&hezhi_with(&data, &["seed", "demo"], &[]));
    let (mut server, address) = start_server(&data, Stdio::null()).await;
    let pid = server.id();
    assert!(healthy(&address).await);
    let before = rss_kib(pid);

    // 200 clients that start a request and never finish its headers.
    let mut slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut stream = TcpStream::connect(&address).expect("connect");
            stream
                .write_all(b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .expect("write");
            stream
        })
        .collect();
    assert!(healthy(&address).await, "answers while they hang");
    // Past the header time limit (2 s here) the server has let go of every one of them.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for stream in &mut slow {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut buffer = [0u8; 64];
        let read = stream.read(&mut buffer);
        // Closed, or reset: not still waiting (a read that times out).
        let cut_off = match &read {
            Ok(0) => true,
            Ok(_) => buffer.starts_with(b"HTTP/1.1 408"),
            Err(error) => !matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        };
        assert!(cut_off, "a slow client was cut off: {read:?}");
    }
    drop(slow);

    // Header floods: a thousand headers, and one header of a megabyte.
    let mut many = String::from("GET /api/v1/cases HTTP/1.1\r\nHost: x\r\n");
    for i in 0..1000 {
        many.push_str(&format!("X-Flood-{i}: {}\r\n", "a".repeat(100)));
    }
    many.push_str("\r\n");
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\n\r\n",
        "b".repeat(1 << 20)
    );
    for request in [many.as_bytes(), huge.as_bytes()] {
        for _ in 0..20 {
            let status = status_of(&address, request);
            assert!(
                status.is_none_or(|s| (400..500).contains(&s)),
                "a flood is refused, not failed: {status:?}"
            );
        }
    }
    assert!(healthy(&address).await, "answers after the floods");

    // Bodies past the limits: 20 MB of JSON, 20 times.
    let body = format!("{{\"title\":\"{}\"}}", "x".repeat(20 << 20));
    for _ in 0..20 {
        let request = format!(
            "POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let status = status_of(&address, request.as_bytes());
        assert!(
            status.is_none_or(|s| s == 413 || s == 401),
            "an oversized body is refused: {status:?}"
        );
    }
    assert!(healthy(&address).await, "answers after the bodies");

    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid);
    eprintln!("RSS before the attacks {before} KiB, after {after} KiB");
    assert!(
        after < before + 64 * 1024,
        "memory comes back down: {before} KiB before, {after} KiB after"
    );
    let _ = server.kill();
    let _ = server.wait();
}
