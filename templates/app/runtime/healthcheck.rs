//! `<bin> healthcheck`: a dependency-free HTTP/1.1 probe of `/healthz`, for container images that
//! ship no curl (distroless).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why the probe failed.
#[derive(Debug, thiserror::Error)]
pub enum HealthcheckError {
    #[error("no answer from 127.0.0.1:{port} within {timeout:?}")]
    Timeout { port: u16, timeout: Duration },
    #[error("cannot reach 127.0.0.1:{port}")]
    Io {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("unexpected answer: {status_line:?}")]
    Unhealthy { status_line: String },
}

/// GETs `http://127.0.0.1:{port}/healthz` and succeeds only on a 200 within `timeout`.
pub async fn check(port: u16, timeout: Duration) -> Result<(), HealthcheckError> {
    let status_line = tokio::time::timeout(timeout, status_line(port))
        .await
        .map_err(|_| HealthcheckError::Timeout { port, timeout })?
        .map_err(|source| HealthcheckError::Io { port, source })?;
    if status_line.starts_with("HTTP/1.1 200 ") || status_line.starts_with("HTTP/1.0 200 ") {
        Ok(())
    } else {
        Err(HealthcheckError::Unhealthy { status_line })
    }
}

async fn status_line(port: u16) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0_u8; 256];
    // The status line is all we need; stop reading as soon as it is complete.
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}
