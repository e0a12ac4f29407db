//! The HTTP/1.1 client of one virtual user: turns a request into a response
//! or a failure of a named kind, over a kept-alive connection of its own
//! (hyper directly, one connection per user, as wrk and oha do).

use super::plan::Request;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
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

struct Connection {
    authority: String,
    sender: SendRequest<Full<Bytes>>,
}

/// One user's connections (usually one).
#[derive(Default)]
pub struct Client {
    connections: Vec<Connection>,
}

impl Client {
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
                self.connections.retain(|c| c.authority != req.authority);
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
        let reused = self.ready_connection(&req.authority).await;
        let index = match reused {
            Some(i) => i,
            None => self.connect(&req.authority).await?,
        };
        match self.exchange_on(index, req, need_body).await {
            Err((_, true)) if reused.is_some() => {
                self.connections.swap_remove(index);
                let index = self.connect(&req.authority).await?;
                self.exchange_on(index, req, need_body)
                    .await
                    .map_err(|(f, _)| f)
            }
            other => other.map_err(|(f, _)| f),
        }
    }

    async fn ready_connection(&mut self, authority: &str) -> Option<usize> {
        let i = self
            .connections
            .iter()
            .position(|c| c.authority == authority)?;
        if self.connections[i].sender.ready().await.is_err() {
            self.connections.swap_remove(i);
            return None;
        }
        Some(i)
    }

    async fn connect(&mut self, authority: &str) -> Result<usize, Failure> {
        let stream = TcpStream::connect(authority).await.map_err(|e| Failure {
            kind: FailureKind::Connect,
            message: format!("cannot connect to {authority}: {e}"),
        })?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failure {
                kind: FailureKind::Connect,
                message: format!("cannot start HTTP with {authority}: {e}"),
            })?;
        tokio::spawn(async move {
            // Errors surface on the sender's side; nothing to do here.
            let _ = conn.await;
        });
        self.connections.push(Connection {
            authority: authority.to_owned(),
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
        let mut builder = http::Request::builder()
            .method(req.method.clone())
            .uri(req.target.clone());
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let request = builder.body(Full::new(req.body.clone())).map_err(|e| {
            let f = Failure {
                kind: FailureKind::Request,
                message: format!("cannot build the request: {e}"),
            };
            (f, false)
        })?;
        let conn = &mut self.connections[index];
        let response = conn.sender.send_request(request).await.map_err(|e| {
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

fn keeps_alive<B>(r: &http::Response<B>) -> bool {
    let close = r
        .headers()
        .get(http::header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    !close && r.version() != http::Version::HTTP_10
}
