//! A minimal HTTP/1.1 client for load generation: one keep-alive TCP connection, requests
//! written as prepared bytes, responses read with `Content-Length` or chunked bodies.
//! Self-contained (tokio and std only) so `tests/crash.rs` can include it by path.

#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Headers larger than this are refused (a bug or a wrong server, not a real reply).
const MAX_HEAD: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The server asked to close the connection after this response.
    pub close: bool,
    /// `Retry-After` in seconds, when the server sent one (429, 503).
    pub retry_after: Option<u64>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Builds one request. `bearer` adds `Authorization: Bearer`; a body is sent as JSON.
pub fn build_request(method: &str, host: &str, path: &str, bearer: Option<&str>, json_body: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + json_body.map_or(0, <[u8]>::len));
    out.extend_from_slice(format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n").as_bytes());
    if let Some(t) = bearer {
        out.extend_from_slice(format!("Authorization: Bearer {t}\r\n").as_bytes());
    }
    match json_body {
        Some(b) => {
            out.extend_from_slice(format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n", b.len()).as_bytes());
            out.extend_from_slice(b);
        }
        None => out.extend_from_slice(b"\r\n"),
    }
    out
}

/// One keep-alive connection.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed.
    pos: usize,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let mut c = Conn { addr, stream: None, buf: Vec::with_capacity(16 * 1024), pos: 0 };
        c.reconnect().await?;
        Ok(c)
    }

    async fn reconnect(&mut self) -> io::Result<()> {
        let s = TcpStream::connect(self.addr).await?;
        s.set_nodelay(true)?;
        self.stream = Some(s);
        self.buf.clear();
        self.pos = 0;
        Ok(())
    }

    /// Sends prepared request bytes and reads the whole response. Reconnects first if the
    /// previous response closed the connection. An error leaves the connection closed.
    pub async fn send(&mut self, request: &[u8]) -> io::Result<Response> {
        if self.stream.is_none() {
            self.reconnect().await?;
        }
        let r = self.exchange(request).await;
        match &r {
            Ok(resp) if !resp.close => {}
            _ => self.stream = None,
        }
        r
    }

    async fn exchange(&mut self, request: &[u8]) -> io::Result<Response> {
        self.stream.as_mut().expect("connected").write_all(request).await?;
        let head_end = loop {
            if let Some(i) = find(&self.buf[self.pos..], b"\r\n\r\n") {
                break self.pos + i + 4;
            }
            if self.buf.len() - self.pos > MAX_HEAD {
                return Err(bad("response head too large"));
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[self.pos..head_end]).map_err(|_| bad("response head is not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("bad status line"))?;
        let mut length: Option<usize> = None;
        let mut chunked = false;
        let mut close = status_line.starts_with("HTTP/1.0");
        let mut retry_after = None;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().map_err(|_| bad("bad content-length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            } else if name.eq_ignore_ascii_case("retry-after") {
                retry_after = value.parse().ok();
            }
        }
        self.pos = head_end;
        let body = if chunked {
            self.read_chunked().await?
        } else if let Some(n) = length {
            self.take(n).await?
        } else if status == 204 || status == 304 || (100..200).contains(&status) {
            Vec::new()
        } else {
            // Body runs to the end of the connection.
            close = true;
            loop {
                match self.fill().await {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                    Err(e) => return Err(e),
                }
            }
            let b = self.buf[self.pos..].to_vec();
            self.pos = self.buf.len();
            b
        };
        self.compact();
        Ok(Response { status, body, close, retry_after })
    }

    async fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() - self.pos < n {
            self.fill().await?;
        }
        let b = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(b)
    }

    async fn read_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = find(&self.buf[self.pos..], b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.pos..self.pos + i]).into_owned();
                self.pos += i + 2;
                return Ok(line);
            }
            if self.buf.len() - self.pos > MAX_HEAD {
                return Err(bad("chunk header too long"));
            }
            self.fill().await?;
        }
    }

    async fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                // Trailers, then an empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            body.extend_from_slice(&self.take(size).await?);
            self.read_line().await?;
        }
    }

    async fn fill(&mut self) -> io::Result<()> {
        self.compact();
        let mut tmp = [0u8; 16 * 1024];
        let n = self.stream.as_mut().expect("connected").read(&mut tmp).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"));
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(())
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Pulls a string field out of a JSON body without a full parse (`"name":"value"`).
pub fn json_str_field(body: &[u8], name: &str) -> Option<String> {
    let key = format!("\"{name}\"");
    let s = std::str::from_utf8(body).ok()?;
    let at = s.find(&key)? + key.len();
    let rest = s[at..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_string())
}

/// Finds `http://HOST:PORT` in a line of server output.
pub fn find_http_addr(line: &str) -> Option<SocketAddr> {
    let mut rest = line;
    while let Some(i) = rest.find("http://") {
        let tail = &rest[i + 7..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']'))).unwrap_or(tail.len());
        let hostport = tail[..end].replace("localhost", "127.0.0.1");
        if let Ok(a) = hostport.parse::<SocketAddr>() {
            return Some(a);
        }
        rest = tail;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_address_in_log_lines() {
        assert_eq!(find_http_addr("listening on http://127.0.0.1:39211/ ok"), Some("127.0.0.1:39211".parse().unwrap()));
        assert_eq!(find_http_addr("redress 已启动：http://127.0.0.1:8080"), Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(find_http_addr("no address here"), None);
    }

    #[test]
    fn extracts_json_string_fields() {
        let b = br#"{"id":12,"tracking_code": "ABCD-EFGH-JKLM","x":1}"#;
        assert_eq!(json_str_field(b, "tracking_code").as_deref(), Some("ABCD-EFGH-JKLM"));
        assert_eq!(json_str_field(b, "nope"), None);
    }

    #[tokio::test]
    async fn reads_content_length_and_chunked_responses() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\n\r\nhello").await.unwrap();
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").await.unwrap();
        });
        let mut c = Conn::connect(addr).await.unwrap();
        let req = build_request("GET", "x", "/", None, None);
        let r = c.send(&req).await.unwrap();
        assert_eq!((r.status, r.text().as_str()), (201, "hello"));
        let r = c.send(&req).await.unwrap();
        assert_eq!((r.status, r.text().as_str()), (200, "abcde"));
    }
}
