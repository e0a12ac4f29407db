//! TLS: turns the one rustls crypto provider perfguard is built with (ring)
//! into the process default, so every https client (octocrab's for GitHub,
//! reqwest's) negotiates with the same code.

use std::sync::Once;

/// Installs ring as rustls' process-wide crypto provider, once.
///
/// reqwest is built with `rustls-no-provider` and panics when it builds a
/// client without a process default, so anything that builds a reqwest
/// client calls this first; the GitHub client calls it too, so both share
/// one provider. Only ring is compiled in: aws-lc-rs would add a large C
/// build for the same job.
pub fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // An error means a provider is already the default (another crate
        // installed one first); rustls then uses that one, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_the_process_default_and_an_https_client_can_be_built() {
        install_crypto_provider();
        install_crypto_provider();
        let suites = |p: &rustls::crypto::CryptoProvider| {
            p.cipher_suites
                .iter()
                .map(|s| s.suite())
                .collect::<Vec<_>>()
        };
        let installed = rustls::crypto::CryptoProvider::get_default().expect("installed");
        assert_eq!(
            suites(installed),
            suites(&rustls::crypto::ring::default_provider())
        );
        let client = reqwest::Client::builder().https_only(true).build();
        assert!(client.is_ok(), "{:?}", client.err());
    }
}
