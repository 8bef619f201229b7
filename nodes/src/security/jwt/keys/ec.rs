//! Elliptic-curve keys (ES256, ES384, ES512): PEM, SPKI and JWK parsing,
//! public JWKs and key generation written once over the curve. What differs
//! between curves is their JOSE names and which library signs with them
//! ([`JwsCurve`]); [`on_curve!`] picks the curve an algorithm names.

use elliptic_curve::pkcs8::{AssociatedOid, DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use elliptic_curve::sec1::{FromEncodedPoint, ModulusSize, ToEncodedPoint};
use elliptic_curve::{AffinePoint, CurveArithmetic, FieldBytesSize};

use super::{
    b64, pem_pair, Algorithm, DecodingKey, EncodingKey, Generated, JwkKey, KeyError, PrivateKey,
    PublicKey,
};
use serde_json::{Map, Value};

/// A curve JWS signs with: its algorithm and JWK curve name, and how its
/// keys become signing and verification keys.
pub trait JwsCurve: CurveArithmetic + AssociatedOid {
    const ALG: Algorithm;
    const CRV: &'static str;
    fn signing(key: &elliptic_curve::SecretKey<Self>) -> Result<EncodingKey, KeyError>;
    fn verifying(key: &elliptic_curve::PublicKey<Self>) -> DecodingKey;
}

/// A curve `jsonwebtoken` signs with, given its keys as DER (and AWS-LC
/// with the same DER).
macro_rules! jsonwebtoken_curve {
    ($curve:ty, $alg:ident, $crv:literal) => {
        impl JwsCurve for $curve {
            const ALG: Algorithm = Algorithm::$alg;
            const CRV: &'static str = $crv;
            fn signing(key: &elliptic_curve::SecretKey<Self>) -> Result<EncodingKey, KeyError> {
                let der = key
                    .to_pkcs8_der()
                    .map_err(|e| KeyError::Invalid(format!("cannot encode EC key: {e}")))?;
                Ok(EncodingKey::from_ec_der(Algorithm::$alg, der.as_bytes()))
            }
            fn verifying(key: &elliptic_curve::PublicKey<Self>) -> DecodingKey {
                let point = key.to_encoded_point(false);
                DecodingKey::from_ec_point(Algorithm::$alg, point.as_bytes())
            }
        }
    };
}

jsonwebtoken_curve!(p256::NistP256, ES256, "P-256");
jsonwebtoken_curve!(p384::NistP384, ES384, "P-384");

/// P-521, which `jsonwebtoken` lacks: RustCrypto's side is `p521`.
impl JwsCurve for p521::NistP521 {
    const ALG: Algorithm = Algorithm::ES512;
    const CRV: &'static str = "P-521";
    fn signing(key: &elliptic_curve::SecretKey<Self>) -> Result<EncodingKey, KeyError> {
        let der = key
            .to_pkcs8_der()
            .map_err(|e| KeyError::Invalid(format!("cannot encode EC key: {e}")))?;
        p521::ecdsa::SigningKey::from_bytes(&key.to_bytes())
            .map(|k| EncodingKey::from_p521(k, der.as_bytes()))
            .map_err(|e| KeyError::Invalid(format!("not a P-521 key: {e}")))
    }
    fn verifying(key: &elliptic_curve::PublicKey<Self>) -> DecodingKey {
        DecodingKey::from_p521(
            p521::ecdsa::VerifyingKey::from_affine(*key.as_affine())
                .expect("a public key is never the identity"),
        )
    }
}

/// Call a function generic over [`JwsCurve`] with the curve `alg` names
/// (`alg` is an EC algorithm): the one list of supported curves.
macro_rules! on_curve {
    ($alg:expr, $f:ident($($arg:expr),*)) => {
        match $alg {
            Algorithm::ES256 => $f::<p256::NistP256>($($arg),*),
            Algorithm::ES384 => $f::<p384::NistP384>($($arg),*),
            _ => $f::<p521::NistP521>($($arg),*),
        }
    };
}
pub(super) use on_curve;

/// The JWK curve name of an EC algorithm.
pub fn crv(alg: Algorithm) -> &'static str {
    fn name<C: JwsCurve>() -> &'static str {
        C::CRV
    }
    on_curve!(alg, name())
}

/// The EC algorithm of a JWK curve name.
pub fn alg_of_crv(crv: &str) -> Option<Algorithm> {
    [Algorithm::ES256, Algorithm::ES384, Algorithm::ES512]
        .into_iter()
        .find(|&a| self::crv(a) == crv)
}

/// A private key from a PEM block: SEC1 (`EC PRIVATE KEY`) or PKCS#8.
/// `None` for any other block.
pub fn private_from_pem<C>(tag: &str, der: &[u8]) -> Option<Result<PrivateKey, KeyError>>
where
    C: JwsCurve,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let key = match tag {
        "EC PRIVATE KEY" => {
            elliptic_curve::SecretKey::<C>::from_sec1_der(der).map_err(|e| e.to_string())
        }
        "PRIVATE KEY" => {
            elliptic_curve::SecretKey::<C>::from_pkcs8_der(der).map_err(|e| e.to_string())
        }
        _ => return None,
    };
    Some(
        key.map_err(|e| KeyError::Invalid(format!("not a {} EC private key: {e}", C::CRV)))
            .and_then(|k| private_key(&k)),
    )
}

/// A public key from SPKI DER.
pub fn public_from_spki<C>(der: &[u8]) -> Result<PublicKey, String>
where
    C: JwsCurve,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let key =
        elliptic_curve::PublicKey::<C>::from_public_key_der(der).map_err(|e| e.to_string())?;
    Ok(public_key(&key))
}

/// A signing key and its public half.
fn private_key<C>(key: &elliptic_curve::SecretKey<C>) -> Result<PrivateKey, KeyError>
where
    C: JwsCurve,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    Ok(PrivateKey {
        encoding: C::signing(key)?,
        public: public_key(&key.public_key()),
    })
}

/// A verification key with its public JWK.
fn public_key<C>(key: &elliptic_curve::PublicKey<C>) -> PublicKey
where
    C: JwsCurve,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let point = key.to_encoded_point(false);
    let mut jwk = Map::new();
    jwk.insert("kty".into(), "EC".into());
    jwk.insert("crv".into(), C::CRV.into());
    jwk.insert(
        "x".into(),
        b64(point.x().map_or(&[][..], |x| &x[..])).into(),
    );
    jwk.insert(
        "y".into(),
        b64(point.y().map_or(&[][..], |y| &y[..])).into(),
    );
    PublicKey {
        decoding: C::verifying(key),
        jwk: Some(jwk),
    }
}

/// An EC JWK (`kty` already checked): private when it has `d`.
pub fn from_jwk<C>(
    jwk: &Map<String, Value>,
    bytes: impl Fn(&str) -> Result<Option<Vec<u8>>, KeyError>,
) -> Result<JwkKey, KeyError>
where
    C: JwsCurve,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or("");
    if crv != C::CRV {
        return Err(KeyError::Jwk(format!(
            "curve \"{crv}\" cannot be used with {} (needs {})",
            C::ALG.name(),
            C::CRV
        )));
    }
    if let Some(d) = bytes("d")? {
        let key = elliptic_curve::SecretKey::<C>::from_slice(&d)
            .map_err(|e| KeyError::Jwk(format!("invalid EC private key: {e}")))?;
        return Ok(JwkKey::Private(private_key(&key)?));
    }
    let required =
        |name: &str| bytes(name)?.ok_or_else(|| KeyError::Jwk(format!("missing \"{name}\"")));
    let (x, y) = (required("x")?, required("y")?);
    let size = <FieldBytesSize<C> as elliptic_curve::generic_array::typenum::Unsigned>::USIZE;
    if x.len() != size || y.len() != size {
        return Err(KeyError::Jwk(format!(
            "x and y must be {size} bytes for {}",
            C::CRV
        )));
    }
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    // Refuse points that are not on the curve now rather than at every
    // verification.
    let key = elliptic_curve::PublicKey::<C>::from_sec1_bytes(&point)
        .map_err(|_| KeyError::Jwk(format!("the point is not on {}", C::CRV)))?;
    Ok(JwkKey::Public(public_key(&key)))
}

/// A new key pair as PKCS#8 and SPKI PEM.
pub fn generate<C>() -> Result<Generated, KeyError>
where
    C: JwsCurve,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let key = elliptic_curve::SecretKey::<C>::random(&mut rand::rngs::OsRng);
    pem_pair("EC key", &key, &key.public_key())
}
