//! `flowgate token` and `flowgate keygen`: the command-line twins of the
//! Cockpit portal's "Generate JWT" page (seed 000) and of the key pairs the
//! Cobrowse docs ask for (seed 003).

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use clap::Args;
use flowgate_nodes::jwt::keys::{self, Generated};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::settings::Settings;
use serde_json::Value;

#[derive(Args)]
pub struct TokenArgs {
    /// The flow file that holds the jwt-config.
    flows: PathBuf,
    /// The jwt-config to sign with, by name or id.
    #[arg(long)]
    config: String,
    /// Claims as a JSON object; the config adds iat, exp, iss, aud… as it
    /// does for its flows.
    #[arg(long, default_value = "{}")]
    claims: String,
    /// Credentials file (default: <flows>_cred.json beside the flow file).
    #[arg(long, env = "FLOWGATE_CREDENTIALS")]
    credentials: Option<PathBuf>,
}

#[derive(Args)]
pub struct KeygenArgs {
    /// Algorithm the key is for: RS256/384/512, PS256/384/512, ES256, ES384,
    /// EdDSA (a key pair), or HS256/384/512 (a random secret).
    #[arg(long, default_value = "RS256")]
    alg: String,
    /// RSA key size in bits.
    #[arg(long, default_value_t = keys::RSA_BITS)]
    bits: usize,
}

/// Print a token signed by a flow's jwt-config. Loading the flow is what
/// `flowgate run` does (a generated secret is saved the same way, so both
/// sign with the same key), but nothing is started.
pub fn token(args: TokenArgs) -> anyhow::Result<String> {
    let claims = match serde_json::from_str::<Value>(&args.claims) {
        Ok(Value::Object(m)) => m,
        Ok(other) => bail!(
            "--claims must be a JSON object, not {}",
            flowgate_nodes::jwt::claims::type_name(&other)
        ),
        Err(e) => bail!("--claims is not valid JSON: {e}"),
    };
    // Encrypted credentials are read, and a generated key saved, with the
    // same key `flowgate run` uses.
    let key = crate::cli::credential_key_from_env();
    let settings = Settings {
        flows_path: Some(args.flows.clone()),
        credentials_path: args.credentials.clone(),
        credential_key: key.clone(),
        ..Settings::default()
    };
    let runtime = Runtime::new(flowgate_nodes::registry(), settings);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let _guard = tokio.enter();
    // As `flowgate run` starts: an interrupted save is finished first, and a
    // generated key is saved with the flows it belongs to.
    let loaded = runtime.open_file(&args.flows)?;
    let config = flowgate_nodes::jwt::find_config(&loaded.flows, &args.config)?;
    let issued = config
        .issue(claims)
        .map_err(|e| anyhow!("jwt-config {}: {e}", config.label()))?;
    Ok(issued.token)
}

/// A new private key (PKCS#8 PEM) and its public key (SPKI PEM), or a secret.
pub fn keygen(args: KeygenArgs) -> anyhow::Result<String> {
    let alg = keys::parse_algorithm(&args.alg)?;
    if !(2048..=8192).contains(&args.bits) {
        bail!("--bits must be between 2048 and 8192");
    }
    Ok(match keys::generate(alg, args.bits)? {
        Generated::Secret(s) => format!("{s}\n"),
        Generated::KeyPair {
            private_pem,
            public_pem,
        } => format!("{private_pem}{public_pem}"),
    })
}
