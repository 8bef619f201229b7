//! `tls-config`: the certificates a client connection presents and trusts
//! (CA, client certificate and key, server name, whether to verify the
//! server), shared by the nodes that open TLS connections (`mqtt-broker`).
//!
//! As in Node-RED, the PEM texts come either from files named in the flow
//! (`ca`, `cert`, `key`) or, uploaded in the editor, from the node's
//! credentials (`cadata`, `certdata`, `keydata`), never from flow
//! properties. The rustls client configuration is built once per deploy.

use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, ConfigObject, NodeType};
use flowgate_runtime::Problem;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};

use crate::support::settings::{self, de, Field, NodeSettings, Secret};

/// Largest certificate or key file read (a PEM file is a few KiB).
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// A `tls-config` node's settings (uploaded PEM texts are credentials).
#[derive(Debug, Serialize, Deserialize)]
pub struct TlsSettings {
    /// `files` (PEM files or uploaded PEM texts); `pfx` and `env` are not
    /// supported.
    #[serde(rename = "certType", deserialize_with = "de::text")]
    pub cert_type: String,
    /// Path of the client certificate (PEM).
    #[serde(deserialize_with = "de::text")]
    pub cert: String,
    /// Path of the client certificate's private key (PEM).
    #[serde(deserialize_with = "de::text")]
    pub key: String,
    /// Path of the CA certificates trusted for the server (PEM).
    #[serde(deserialize_with = "de::text")]
    pub ca: String,
    /// Kept for the editor: the broker's host is the name checked.
    #[serde(deserialize_with = "de::text")]
    pub servername: String,
    #[serde(deserialize_with = "de::flag")]
    pub verifyservercert: bool,
    #[serde(deserialize_with = "de::text")]
    pub alpnprotocol: String,
}

impl NodeSettings for TlsSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::text("certType", "files").hidden(),
        Field::text("cert", "").label("Certificate"),
        Field::text("key", "").label("Private Key"),
        Field::text("ca", "").label("CA Certificate"),
        Field::text("certname", "").hidden(),
        Field::text("keyname", "").hidden(),
        Field::text("caname", "").hidden(),
        Field::text("p12", "").hidden(),
        Field::text("p12name", "").hidden(),
        Field::text("certEnv", "").hidden(),
        Field::text("keyEnv", "").hidden(),
        Field::text("caEnv", "").hidden(),
        Field::text("servername", "").label("Server Name"),
        Field::checkbox("verifyservercert", true).label("Verify server certificate"),
        Field::text("alpnprotocol", "").label("ALPN Protocol"),
        Field::credential("certdata", Secret::Text, true).label("Certificate (uploaded)"),
        Field::credential("keydata", Secret::Password, true).label("Private Key (uploaded)"),
        Field::credential("cadata", Secret::Text, true).label("CA Certificate (uploaded)"),
        Field::credential("passphrase", Secret::Password, false).label("Passphrase"),
    ];
    const LABEL: Option<&'static str> = Some("name");
}

pub const HELP: &str = "Certificates for TLS connections, used by the mqtt-broker node.\n\n\
Certificate, private key and CA certificate are paths of PEM files, or PEM texts uploaded \
in the editor (kept as credentials). With \"Verify server certificate\" the server's \
certificate must chain to the CA certificate (or the system's roots when none is given) and \
name the server's host; without it any certificate is accepted. Not supported: a \
\"Server Name\" other than the host connected to, encrypted private keys (a passphrase), \
pfx/p12 files and certificates from environment variables.";

pub fn node_type() -> NodeType {
    NodeType::config("tls-config", build)
        .help(HELP)
        .editor(settings::editor_json::<TlsSettings>())
}

/// A built `tls-config`: the rustls client configuration.
pub struct TlsConfig {
    pub client: Arc<ClientConfig>,
}

/// The client configuration of a TLS connection without a `tls-config`:
/// the system's roots when `verify`, else any server certificate.
pub fn default_client(verify: bool) -> Arc<ClientConfig> {
    let s = TlsSettings {
        cert_type: "files".into(),
        cert: String::new(),
        key: String::new(),
        ca: String::new(),
        servername: String::new(),
        verifyservercert: verify,
        alpnprotocol: String::new(),
    };
    Arc::new(client_config(&s, None, None, None).expect("no certificates to refuse"))
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<ConfigObject, Problem> {
    let s: TlsSettings = settings::load(config, cx)?;
    if matches!(s.cert_type.as_str(), "pfx" | "env") {
        return Err(config.problem(
            Some("certType"),
            "pfx/p12 files and certificates from environment variables are not supported: \
             use PEM files or uploaded PEM texts",
        ));
    }
    if !s.servername.trim().is_empty() {
        tracing::warn!(
            node = %config.id,
            "tls-config: Server Name {:?} is not supported; the host connected to is checked",
            s.servername
        );
    }
    if cx.credential("passphrase").is_some() {
        return Err(config.problem(
            Some("passphrase"),
            "encrypted private keys are not supported: give the key unencrypted",
        ));
    }
    let pem = |field: &str, path: &str, credential: &str| -> Result<Option<Vec<u8>>, Problem> {
        if !path.trim().is_empty() {
            return read_pem_file(path.trim())
                .map(Some)
                .map_err(|e| config.problem(Some(field), e));
        }
        Ok(cx.credential(credential).map(String::into_bytes))
    };
    let cert = pem("cert", &s.cert, "certdata")?;
    let key = pem("key", &s.key, "keydata")?;
    let ca = pem("ca", &s.ca, "cadata")?;
    let client = client_config(&s, cert, key, ca).map_err(|(f, e)| config.problem(Some(f), e))?;
    Ok(Arc::new(TlsConfig {
        client: Arc::new(client),
    }))
}

fn read_pem_file(path: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if !meta.is_file() || meta.len() > MAX_PEM_BYTES {
        return Err(format!(
            "{path} is not a regular file of at most {MAX_PEM_BYTES} bytes"
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// The rustls client configuration for these certificates; an error names
/// the field at fault.
fn client_config(
    s: &TlsSettings,
    cert: Option<Vec<u8>>,
    key: Option<Vec<u8>>,
    ca: Option<Vec<u8>>,
) -> Result<ClientConfig, (&'static str, String)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ("verifyservercert", e.to_string()))?;
    let builder = if s.verifyservercert {
        let mut roots = RootCertStore::empty();
        match ca {
            Some(pem) => {
                for c in certificates(&pem).map_err(|e| ("ca", e))? {
                    roots.add(c).map_err(|e| ("ca", e.to_string()))?;
                }
            }
            None => {
                let found = rustls_native_roots();
                roots.add_parsable_certificates(found);
            }
        }
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
    };
    let mut config = match (cert, key) {
        (Some(cert), Some(key)) => {
            let chain = certificates(&cert).map_err(|e| ("cert", e))?;
            let key = private_key(&key).map_err(|e| ("key", e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| ("key", e.to_string()))?
        }
        (None, None) => builder.with_no_client_auth(),
        (Some(_), None) => return Err(("key", "a certificate needs its private key".into())),
        (None, Some(_)) => return Err(("cert", "a private key needs its certificate".into())),
    };
    if !s.alpnprotocol.trim().is_empty() {
        config.alpn_protocols = vec![s.alpnprotocol.trim().as_bytes().to_vec()];
    }
    Ok(config)
}

/// The system's trusted roots (`/etc/ssl/certs`), as Node.js trusts by
/// default when no CA is given.
fn rustls_native_roots() -> Vec<CertificateDer<'static>> {
    let mut out = Vec::new();
    for path in [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
    ] {
        if let Ok(pem) = std::fs::read(path) {
            out.extend(certificates(&pem).unwrap_or_default());
            break;
        }
    }
    out
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificate found".into());
    }
    Ok(certs)
}

fn private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    rustls_pemfile::private_key(&mut &pem[..])
        .map_err(|e| format!("not a PEM private key: {e}"))?
        .ok_or_else(|| "no unencrypted PEM private key found".into())
}

/// `verifyservercert` off: any server certificate is accepted (Node.js's
/// `rejectUnauthorized: false`); the handshake's signatures are still
/// checked, so the connection is encrypted, only not authenticated.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
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
