//! A minimal HTTP/1.1 client for the emulator's control API (plain HTTP on 127.0.0.1 only).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `(status, body)` of a GET.
pub fn get(endpoint: &str, path: &str) -> std::io::Result<(u16, String)> {
    request(endpoint, "GET", path, None)
}

/// `(status, body)` of a POST with a JSON body.
pub fn post(endpoint: &str, path: &str, json: &str) -> std::io::Result<(u16, String)> {
    request(endpoint, "POST", path, Some(json))
}

/// `(status, header lines, body)` of a GET: for the emulator's ALB data plane, whose debug
/// headers (`x-ecsdeploy-path`: what the app received) tell how a request was routed.
pub fn get_with_headers(endpoint: &str, path: &str) -> std::io::Result<(u16, String, String)> {
    let (status, head, body) = exchange(endpoint, "GET", path, None)?;
    Ok((status, head.to_ascii_lowercase(), body))
}

fn request(endpoint: &str, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    exchange(endpoint, method, path, body).map(|(status, _, body)| (status, body))
}

fn exchange(endpoint: &str, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String, String)> {
    let address = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, rest) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(rest) } else { rest.to_string() };
    Ok((status, head.to_string(), body))
}

fn dechunk(mut text: &str) -> String {
    let mut body = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || rest.len() < size {
            break;
        }
        body.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    body
}
