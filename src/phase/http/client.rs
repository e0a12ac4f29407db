//! The HTTP client of one virtual user: turns a request into a response or
//! a failure of a named kind, over a kept-alive connection of its own (hyper
//! directly, one connection per user, as wrk and oha do): HTTP/1.1 over TCP
//! (the fast path), or over TLS, or HTTP/2 (one stream at a time per
//! connection, as `oha --http2` by default).

use super::plan::Request;
use super::transport::{self, Transport};
use crate::config::http::HttpVersion;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// The most body bytes kept for checks and captures (16 MiB).
pub const MAX_KEPT: u64 = 16 << 20;

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureKind {
    /// The connection could not be made (refused, unreachable, bad address).
    Connect,
    /// No full response within the step's timeout.
    Timeout,
    /// The connection broke mid-request, or the response was malformed.
    Request,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

/// A response, with the body only when asked for.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Option<Bytes>,
    /// Body bytes received.
    pub bytes: u64,
}

enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

struct Connection {
    authority: String,
    tls: bool,
    sender: Sender,
}

impl Connection {
    fn serves(&self, req: &Request) -> bool {
        self.tls == req.tls && self.authority == req.authority
    }
}

/// One user's connections (usually one).
pub struct Client {
    transport: Arc<Transport>,
    connections: Vec<Connection>,
}

impl Default for Client {
    /// HTTP/1.1, or HTTP/2 where an https server offers it; system roots.
    fn default() -> Client {
        Client::new(Arc::new(Transport::default()))
    }
}

impl Client {
    pub fn new(transport: Arc<Transport>) -> Client {
        Client {
            transport,
            connections: Vec::new(),
        }
    }

    /// Sends `req`; the timeout covers connecting, sending and reading the body.
    pub async fn send(
        &mut self,
        req: &Request,
        need_body: bool,
        timeout: Duration,
    ) -> Result<Response, Failure> {
        match tokio::time::timeout(timeout, self.exchange(req, need_body)).await {
            Ok(r) => r,
            Err(_) => {
                // The connection is in an unknown state; start afresh.
                self.connections.retain(|c| !c.serves(req));
                Err(Failure {
                    kind: FailureKind::Timeout,
                    message: format!("no response within {timeout:?}"),
                })
            }
        }
    }

    async fn exchange(&mut self, req: &Request, need_body: bool) -> Result<Response, Failure> {
        // A kept-alive connection may have been closed by the server between
        // requests; that is not the request's fault, so retry once afresh.
        let reused = self.ready_connection(req).await;
        let index = match reused {
            Some(i) => i,
            None => self.connect(req).await?,
        };
        match self.exchange_on(index, req, need_body).await {
            Err((_, true)) if reused.is_some() => {
                self.connections.swap_remove(index);
                let index = self.connect(req).await?;
                self.exchange_on(index, req, need_body)
                    .await
                    .map_err(|(f, _)| f)
            }
            other => other.map_err(|(f, _)| f),
        }
    }

    async fn ready_connection(&mut self, req: &Request) -> Option<usize> {
        let i = self.connections.iter().position(|c| c.serves(req))?;
        let ready = match &mut self.connections[i].sender {
            Sender::Http1(s) => s.ready().await,
            Sender::Http2(s) => s.ready().await,
        };
        if ready.is_err() {
            self.connections.swap_remove(i);
            return None;
        }
        Some(i)
    }

    async fn connect(&mut self, req: &Request) -> Result<usize, Failure> {
        let authority = req.authority.as_str();
        let failed = |message: String| Failure {
            kind: FailureKind::Connect,
            message,
        };
        let stream = TcpStream::connect(authority)
            .await
            .map_err(|e| failed(format!("cannot connect to {authority}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let version = self.transport.version;
        let sender = if req.tls {
            let config = self.transport.tls().map_err(failed)?;
            let name = transport::server_name(authority).map_err(failed)?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(|e| failed(tls_failure(authority, &e, &self.transport)))?;
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            if version == HttpVersion::Http2 && !h2 {
                return Err(failed(format!(
                    "{authority} did not agree to HTTP/2 by ALPN (http_version = \"2\"); it may speak only HTTP/1.1"
                )));
            }
            if h2 {
                handshake2(TokioIo::new(stream), authority).await?
            } else {
                handshake1(TokioIo::new(stream), authority).await?
            }
        } else if version == HttpVersion::Http2 {
            handshake2(TokioIo::new(stream), authority).await?
        } else {
            handshake1(TokioIo::new(stream), authority).await?
        };
        self.connections.push(Connection {
            authority: authority.to_owned(),
            tls: req.tls,
            sender,
        });
        Ok(self.connections.len() - 1)
    }

    async fn exchange_on(
        &mut self,
        index: usize,
        req: &Request,
        need_body: bool,
    ) -> Result<Response, (Failure, bool)> {
        let conn = &mut self.connections[index];
        let h2 = matches!(conn.sender, Sender::Http2(_));
        let uri = if h2 {
            // HTTP/2 sends the scheme and authority as pseudo-headers.
            absolute(req).map_err(|f| (f, false))?
        } else {
            req.target.clone()
        };
        let mut builder = http::Request::builder().method(req.method.clone()).uri(uri);
        for (name, value) in &req.headers {
            if h2 && name == http::header::HOST {
                continue;
            }
            builder = builder.header(name, value);
        }
        let request = builder.body(Full::new(req.body.clone())).map_err(|e| {
            let f = Failure {
                kind: FailureKind::Request,
                message: format!("cannot build the request: {e}"),
            };
            (f, false)
        })?;
        let sent = match &mut conn.sender {
            Sender::Http1(s) => s.send_request(request).await,
            Sender::Http2(s) => s.send_request(request).await,
        };
        let response = sent.map_err(|e| {
            // Closed before any response: the request may be retried afresh.
            let closed = e.is_canceled() || e.is_closed() || e.is_incomplete_message();
            let f = Failure {
                kind: FailureKind::Request,
                message: format!("the request failed: {e}"),
            };
            (f, closed)
        })?;
        let status = response.status().as_u16();
        let keep = keeps_alive(&response);
        let mut body = response.into_body();
        let mut bytes = 0u64;
        let mut kept: Vec<Bytes> = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                let f = Failure {
                    kind: FailureKind::Request,
                    message: format!("the response body broke off: {e}"),
                };
                (f, false)
            })?;
            if let Ok(data) = frame.into_data() {
                bytes += data.len() as u64;
                // Checks and captures read at most MAX_KEPT bytes of a body,
                // so a huge response cannot exhaust memory.
                if need_body && bytes <= MAX_KEPT {
                    kept.push(data);
                }
            }
        }
        if !keep {
            self.connections.swap_remove(index);
        }
        let body = need_body.then(|| match kept.len() {
            1 => kept.pop().unwrap_or_default(),
            _ => Bytes::from(kept.concat()),
        });
        Ok(Response {
            status,
            body,
            bytes,
        })
    }
}

async fn handshake1(
    io: TokioIo<impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static>,
    authority: &str,
) -> Result<Sender, Failure> {
    let (sender, conn) = http1::handshake(io).await.map_err(|e| Failure {
        kind: FailureKind::Connect,
        message: format!("cannot start HTTP with {authority}: {e}"),
    })?;
    tokio::spawn(async move {
        // Errors surface on the sender's side; nothing to do here.
        let _ = conn.await;
    });
    Ok(Sender::Http1(sender))
}

async fn handshake2(
    io: TokioIo<impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static>,
    authority: &str,
) -> Result<Sender, Failure> {
    let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
        .await
        .map_err(|e| Failure {
            kind: FailureKind::Connect,
            message: format!("cannot start HTTP/2 with {authority}: {e}"),
        })?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(Sender::Http2(sender))
}

/// `scheme://authority/path?query` of a request, for HTTP/2.
fn absolute(req: &Request) -> Result<http::Uri, Failure> {
    http::Uri::builder()
        .scheme(if req.tls { "https" } else { "http" })
        .authority(req.authority.as_str())
        .path_and_query(req.target.path_and_query().map_or("/", |p| p.as_str()))
        .build()
        .map_err(|e| Failure {
            kind: FailureKind::Request,
            message: format!("cannot build the HTTP/2 request URI: {e}"),
        })
}

/// A failed TLS handshake, said plainly, with the way out for the usual
/// causes (a self-signed or private CA's certificate; a server that does not
/// speak the HTTP version asked for).
fn tls_failure(authority: &str, e: &std::io::Error, transport: &Transport) -> String {
    let text = e.to_string();
    let hint = if !transport.insecure && text.contains("invalid peer certificate") {
        " (is it self-signed or from a private CA? trust it with ca_file = \"ca.pem\", or set insecure = true for a staging server)"
    } else if text.contains("NoApplicationProtocol") {
        match transport.version {
            HttpVersion::Http2 => {
                " (the server does not offer HTTP/2 by ALPN; http_version = \"2\" needs one that does)"
            }
            _ => " (the server offers none of the protocols perfguard asked for by ALPN)",
        }
    } else {
        ""
    };
    format!("TLS handshake with {authority} failed: {text}{hint}")
}

fn keeps_alive<B>(r: &http::Response<B>) -> bool {
    let close = r
        .headers()
        .get(http::header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    !close && r.version() != http::Version::HTTP_10
}
