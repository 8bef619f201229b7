//! `flowgate token` and `flowgate keygen`: the command-line twins of an
//! organisation portal's "Generate JWT" page and of the key pairs token
//! services such as Cobrowse.io ask for.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use clap::Args;
use flowgate_nodes::security::jwt::keys::{self, Generated};
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
    /// Algorithm the key is for: RS256/384/512, PS256/384/512, ES256/384/512,
    /// EdDSA (a key pair), or HS256/384/512 (a random secret).
    #[arg(long, default_value = "RS256")]
    alg: String,
    /// RSA key size in bits.
    #[arg(long, default_value_t = keys::RSA_BITS)]
    bits: usize,
    /// Write the private key (or secret) to this file, mode 0600, and the
    /// public key beside it (`_priv` in the name becomes `_pub`, else
    /// `.pub` is appended) instead of printing them. Existing files are
    /// never overwritten.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Print a token signed by a flow's jwt-config. Loading the flow is what
/// `flowgate run` does (a generated secret is saved the same way, so both
/// sign with the same key), but nothing is started.
pub fn token(args: TokenArgs) -> anyhow::Result<String> {
    let claims = match serde_json::from_str::<Value>(&args.claims) {
        Ok(Value::Object(m)) => m,
        Ok(other) => bail!(
            "--claims must be a JSON object, not {}",
            flowgate_nodes::security::jwt::claims::type_name(&other)
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
    let config = flowgate_nodes::security::jwt::find_config(&loaded.flows, &args.config)?;
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
    let generated = keys::generate(alg, args.bits)?;
    let Some(out) = args.out else {
        return Ok(match generated {
            Generated::Secret(s) => format!("{s}\n"),
            Generated::KeyPair {
                private_pem,
                public_pem,
            } => format!("{private_pem}{public_pem}"),
        });
    };
    match generated {
        Generated::Secret(s) => {
            write_new(&out, format!("{s}\n").as_bytes(), true)?;
            Ok(format!("wrote {}\n", out.display()))
        }
        Generated::KeyPair {
            private_pem,
            public_pem,
        } => {
            let public_path = public_path_for(&out);
            // Both names are checked before either is written, so a refused
            // run leaves no half pair behind.
            for p in [&out, &public_path] {
                if p.exists() {
                    bail!("{} already exists: not overwriting it", p.display());
                }
            }
            write_new(&out, private_pem.as_bytes(), true)?;
            write_new(&public_path, public_pem.as_bytes(), false)?;
            Ok(format!(
                "wrote {} (private) and {} (public)\n",
                out.display(),
                public_path.display()
            ))
        }
    }
}

/// `keys/rsa_priv_key` → `keys/rsa_pub_key`; `key.pem` → `key.pem.pub`.
fn public_path_for(private: &Path) -> PathBuf {
    let name = private
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let public = if name.contains("_priv") {
        name.replacen("_priv", "_pub", 1)
    } else {
        format!("{name}.pub")
    };
    private.with_file_name(public)
}

/// Create `path` (failing if it exists), private files with mode 0600 from
/// the start so a key is never readable by others, even briefly.
fn write_new(path: &Path, data: &[u8], private: bool) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(data)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}
