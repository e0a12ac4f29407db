//! https and HTTP/2 targets: a loopback server (hyper, over tokio-rustls
//! with a certificate made here by rcgen, or h2c in the clear) that counts
//! the requests it answers and the HTTP version each came in.

use crate::common::{perfguard, write};
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Requests answered, by HTTP version (`HTTP/1.1`, `HTTP/2.0`).
type Seen = Arc<Mutex<BTreeMap<String, u64>>>;

struct Server {
    port: u16,
    seen: Seen,
    /// The self-signed certificate's PEM (https servers).
    cert_pem: String,
}

impl Server {
    fn count(&self) -> u64 {
        self.seen.lock().unwrap().values().sum()
    }

    fn versions(&self) -> Vec<String> {
        self.seen.lock().unwrap().keys().cloned().collect()
    }
}

/// A server on 127.0.0.1:0 answering `ok` to everything: over TLS offering
/// `alpn` (both HTTP/1.1 and HTTP/2 served), or in the clear (`alpn` empty:
/// HTTP/1.1 and h2c by prior knowledge).
fn start(tls: bool, alpn: &[&[u8]]) -> Server {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert_pem = certified.cert.pem();
    let acceptor = tls.then(|| {
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let s = Arc::clone(&s);
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let s = Arc::clone(&s);
                        async move {
                            *s.lock()
                                .unwrap()
                                .entry(format!("{:?}", req.version()))
                                .or_default() += 1;
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                                Bytes::from_static(b"ok"),
                            )))
                        }
                    });
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match acceptor {
                        Some(a) => {
                            // A refused handshake (the client's verdict) ends here.
                            if let Ok(tls) = a.accept(stream).await {
                                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                            }
                        }
                        None => {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                });
            }
        });
    });
    Server {
        port,
        seen,
        cert_pem,
    }
}

/// Runs one HTTP phase of 120 iterations on 3 users with `keys` added.
fn run(dir: &Path, base_url: &str, keys: &str) -> (i32, Value, String) {
    write(
        dir,
        "perfguard.toml",
        &format!(
            "[[phase]]\nname = \"load\"\nkind = \"http\"\nbase_url = \"{base_url}\"\nvus = 3\niterations = 120\ntimeout = \"5s\"\n{keys}\n[[phase.step]]\nname = \"get\"\npath = \"/\"\nexpect = {{ status = 200, contains = \"ok\" }}\n"
        ),
    );
    let out = perfguard(dir)
        .args(["run", "-c", "perfguard.toml", "-o", "results.json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let results = std::fs::read_to_string(dir.join("results.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        results,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn metric(results: &Value, name: &str) -> f64 {
    results["phases"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))["value"]
        .as_f64()
        .unwrap()
}

/// The same metrics as HTTP/1.1, every request counted by the server.
fn assert_all_answered(results: &Value, server: &Server) {
    assert_eq!(metric(results, "requests"), 120.0);
    assert_eq!(server.count(), 120);
    assert_eq!(metric(results, "error_rate"), 0.0);
    assert_eq!(metric(results, "checks"), 1.0);
    assert!(metric(results, "latency.p50") > 0.0);
    assert!(metric(results, "latency.p50") <= metric(results, "latency.p99"));
    assert!(metric(results, "throughput") > 0.0);
}

#[test]
fn https_with_ca_file_negotiates_http2_and_counts_every_request() {
    let server = start(true, &[b"h2", b"http/1.1"]);
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "certs/ca.pem", &server.cert_pem);
    let base = format!("https://127.0.0.1:{}", server.port);
    let (code, results, stderr) = run(tmp.path(), &base, "ca_file = \"certs/ca.pem\"");
    assert_eq!(code, 0, "{stderr}");
    assert_all_answered(&results, &server);
    // ALPN offered both; the server chose HTTP/2.
    assert_eq!(server.versions(), ["HTTP/2.0"]);
    assert!(!stderr.contains("insecure"), "{stderr}");
}

#[test]
fn https_http_version_1_1_stays_on_http1() {
    let server = start(true, &[b"h2", b"http/1.1"]);
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "ca.pem", &server.cert_pem);
    let base = format!("https://127.0.0.1:{}", server.port);
    let (code, results, stderr) = run(
        tmp.path(),
        &base,
        "ca_file = \"ca.pem\"\nhttp_version = \"1.1\"",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_all_answered(&results, &server);
    assert_eq!(server.versions(), ["HTTP/1.1"]);
}

#[test]
fn a_self_signed_certificate_is_refused_unless_trusted_or_insecure() {
    let server = start(true, &[b"h2", b"http/1.1"]);
    let tmp = tempfile::tempdir().unwrap();
    let base = format!("https://127.0.0.1:{}", server.port);
    let (code, results, stderr) = run(tmp.path(), &base, "");
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("TLS handshake with 127.0.0.1:")
            && stderr.contains("invalid peer certificate")
            && stderr.contains("ca_file"),
        "{stderr}"
    );
    assert!(metric(&results, "errors.connect") > 0.0);
    assert_eq!(server.count(), 0);

    let (code, results, stderr) = run(tmp.path(), &base, "insecure = true");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("insecure = true: TLS certificates are not verified"),
        "{stderr}"
    );
    assert_all_answered(&results, &server);
}

#[test]
fn http2_is_forced_by_alpn_and_refused_by_a_server_without_it() {
    let server = start(true, &[b"http/1.1"]);
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "ca.pem", &server.cert_pem);
    let base = format!("https://127.0.0.1:{}", server.port);
    let (code, _, stderr) = run(
        tmp.path(),
        &base,
        "ca_file = \"ca.pem\"\nhttp_version = \"2\"",
    );
    assert_eq!(code, 3, "{stderr}");
    // rustls refuses the handshake (no common ALPN protocol); a server that
    // ignores ALPN would be refused by perfguard after it.
    assert!(
        stderr.contains("does not offer HTTP/2 by ALPN")
            || stderr.contains("did not agree to HTTP/2"),
        "{stderr}"
    );
    assert_eq!(server.count(), 0);
}

#[test]
fn http2_in_the_clear_by_prior_knowledge() {
    let server = start(false, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", server.port);
    let (code, results, stderr) = run(tmp.path(), &base, "http_version = \"2\"");
    assert_eq!(code, 0, "{stderr}");
    assert_all_answered(&results, &server);
    assert_eq!(server.versions(), ["HTTP/2.0"]);
}

#[test]
fn a_ca_file_that_is_not_pem_fails_the_phase_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "ca.pem", "hello\n");
    let (code, _, stderr) = run(tmp.path(), "https://127.0.0.1:9", "ca_file = \"ca.pem\"");
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("ca.pem holds no PEM certificate"),
        "{stderr}"
    );
}
