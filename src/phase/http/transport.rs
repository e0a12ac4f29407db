//! Transport: turns a phase's `http_version`, `ca_file` and `insecure` into
//! how its connections are made: plain HTTP/1.1 (the fast path, unchanged),
//! TLS with rustls (ring; the system's roots plus `ca_file`, or no
//! verification when `insecure`), and HTTP/2 by ALPN or forced.

use crate::config::http::HttpVersion;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// How a phase's connections speak; shared by its users.
#[derive(Debug, Default)]
pub struct Transport {
    pub version: HttpVersion,
    /// CA certificates (PEM) trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate.
    pub insecure: bool,
    /// The TLS configuration, built on first use (an http:// phase never
    /// reads the system's roots).
    tls: OnceLock<Result<Arc<ClientConfig>, String>>,
}

impl Transport {
    pub fn new(version: HttpVersion, ca_file: Option<PathBuf>, insecure: bool) -> Transport {
        Transport {
            version,
            ca_file,
            insecure,
            tls: OnceLock::new(),
        }
    }

    /// The TLS client configuration, or why it cannot be built (a `ca_file`
    /// that cannot be read or holds no certificate).
    pub fn tls(&self) -> Result<Arc<ClientConfig>, String> {
        self.tls
            .get_or_init(|| client_config(self.version, self.ca_file.as_deref(), self.insecure))
            .clone()
    }

    /// The protocols offered by ALPN, most preferred first.
    pub fn alpn(version: HttpVersion) -> Vec<Vec<u8>> {
        match version {
            HttpVersion::Auto => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            HttpVersion::Http1 => vec![b"http/1.1".to_vec()],
            HttpVersion::Http2 => vec![b"h2".to_vec()],
        }
    }
}

fn client_config(
    version: HttpVersion,
    ca_file: Option<&Path>,
    insecure: bool,
) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        // Unreadable system stores are skipped: `ca_file` may be all there is.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if let Some(path) = ca_file {
            let shown = path.display();
            let mut added = 0;
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("ca_file {shown}: cannot read it: {e}"))?
            {
                let cert =
                    cert.map_err(|e| format!("ca_file {shown}: not PEM certificates: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("ca_file {shown}: a certificate is not usable: {e}"))?;
                added += 1;
            }
            if added == 0 {
                return Err(format!("ca_file {shown} holds no PEM certificate"));
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = Transport::alpn(version);
    Ok(Arc::new(config))
}

/// The host part of `host:port` (`[::1]:443` → `::1`) as a TLS server name.
pub fn server_name(authority: &str) -> Result<ServerName<'static>, String> {
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    ServerName::try_from(host.to_owned())
        .map_err(|e| format!("`{host}` is not a TLS server name: {e}"))
}

/// `insecure = true`: every certificate is accepted (signatures are still
/// checked, so the handshake is a real one).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_drop_the_port_and_brackets() {
        assert!(matches!(
            server_name("127.0.0.1:8443"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name("[::1]:443"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name("api.example.com:443"),
            Ok(ServerName::DnsName(_))
        ));
    }

    #[test]
    fn a_ca_file_without_certificates_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let t = Transport::new(HttpVersion::Auto, Some(path.clone()), false);
        let err = t.tls().unwrap_err();
        assert!(err.contains("ca.pem holds no PEM certificate"), "{err}");
        let t = Transport::new(HttpVersion::Auto, Some(dir.path().join("gone.pem")), false);
        assert!(t.tls().unwrap_err().contains("gone.pem: cannot read it"));
    }

    #[test]
    fn alpn_offers_what_the_version_allows() {
        let t = Transport::new(HttpVersion::Http2, None, true);
        assert_eq!(t.tls().unwrap().alpn_protocols, vec![b"h2".to_vec()]);
        assert_eq!(Transport::alpn(HttpVersion::Auto).len(), 2);
    }
}
