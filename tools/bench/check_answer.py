#!/usr/bin/env python3
"""Check one benchmark answer before it is timed.

    check_answer.py CHECK BODY_FILE KEY_DIR

CHECK (the variants table's last column):
  token:ALG  the body is {"access_token": JWT}; the JWT's header names ALG,
             its signature verifies (HS256 with KEY_DIR/secret, RS256 with
             KEY_DIR/rsa.pub.pem, ES256/ES384 with KEY_DIR/ec256.pub.pem /
             ec384.pub.pem, through openssl) and its claims are the
             benchmark's, unexpired;
  claims     the body is the benchmark's claims (a verify endpoint's answer);
  status     nothing beyond the 200 the caller already checked;
  compute    the compute body's answer: 50 claims built in a loop, their
             summary string and count, exactly as the body builds them
             (so flowgate and Node-RED answer alike);
  kore       the Kore token service's {"jwt": JWT}: HS256 with the secret,
             for the posted identity, with the claims that pass through
             and without the registered ones posted (kore-body.json).
Exits 1 with the reason when the answer is wrong.
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

NAME = "CYber Group Inc."


def b64(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def der_int(value):
    raw = value.lstrip(b"\0") or b"\0"
    if raw[0] & 0x80:
        raw = b"\0" + raw
    return b"\x02" + der_len(len(raw)) + raw


def der_len(n):
    return bytes([n]) if n < 128 else bytes([0x81, n])


def openssl_verify(digest, public_pem, message, signature):
    with tempfile.NamedTemporaryFile() as sig, tempfile.NamedTemporaryFile() as msg:
        sig.write(signature), sig.flush()
        msg.write(message), msg.flush()
        done = subprocess.run(["openssl", "dgst", f"-{digest}", "-verify", public_pem,
                               "-signature", sig.name, msg.name], capture_output=True)
        return done.returncode == 0


def signature_ok(alg, key_dir, message, signature):
    if alg == "HS256":
        secret = open(os.path.join(key_dir, "secret"), "rb").read()
        return hmac.compare_digest(hmac.new(secret, message, hashlib.sha256).digest(), signature)
    if alg == "RS256":
        return openssl_verify("sha256", os.path.join(key_dir, "rsa.pub.pem"), message, signature)
    if alg in ("ES256", "ES384"):
        # JWS carries r || s; openssl wants an ASN.1 SEQUENCE of the two.
        half = len(signature) // 2
        body = der_int(signature[:half]) + der_int(signature[half:])
        der = b"\x30" + der_len(len(body)) + body
        bits = alg[2:]
        return openssl_verify(f"sha{bits}", os.path.join(key_dir, f"ec{256 if bits == '256' else 384}.pub.pem"),
                              message, der)
    raise SystemExit(f"unknown algorithm {alg}")


def claims_ok(claims):
    if not isinstance(claims, dict) or claims.get("name") != NAME:
        raise SystemExit(f"not the benchmark's claims: {claims}")


def compute_ok(answer):
    claims, parts = {}, []
    for i in range(50):
        key = f"claim{i}"
        value = f"value-{(i * 7) % 13}-{key.upper()}"
        claims[key] = value
        parts.append(f"{key}={value}")
    expected = {"sub": "bench", "claims": claims, "summary": "&".join(parts), "count": 50}
    if answer != expected:
        raise SystemExit(f"not the compute body's answer: {str(answer)[:200]}")


def kore_ok(answer, key_dir):
    token = answer.get("jwt", "") if isinstance(answer, dict) else ""
    parts = token.split(".")
    if len(parts) != 3 or not signature_ok("HS256", key_dir, f"{parts[0]}.{parts[1]}".encode(), b64(parts[2])):
        raise SystemExit(f"the Kore token does not verify: {str(answer)[:200]}")
    claims = json.loads(b64(parts[1]))
    if claims.get("sub") != "user@example.com" or claims.get("locale") != "en-GB" or claims.get("iss") == "ignored":
        raise SystemExit(f"not the Kore token's claims: {claims}")


def main():
    check, body_file, key_dir = sys.argv[1:4]
    body = open(body_file, "rb").read()
    if check == "status":
        return
    try:
        answer = json.loads(body)
    except ValueError:
        raise SystemExit(f"not JSON: {body[:200]!r}")
    if check == "claims":
        claims_ok(answer)
        return
    if check == "compute":
        compute_ok(answer if not isinstance(answer, str) else json.loads(answer))
        return
    if check == "kore":
        kore_ok(answer, key_dir)
        return
    if not check.startswith("token:"):
        raise SystemExit(f"unknown check {check}")
    alg = check[len("token:"):]
    token = answer.get("access_token", "") if isinstance(answer, dict) else ""
    parts = token.split(".")
    if len(parts) != 3:
        raise SystemExit(f"no compact JWS in {body[:200]!r}")
    header = json.loads(b64(parts[0]))
    if header.get("alg") != alg:
        raise SystemExit(f"header {header} is not {alg}")
    if not signature_ok(alg, key_dir, f"{parts[0]}.{parts[1]}".encode(), b64(parts[2])):
        raise SystemExit(f"{alg} signature does not verify")
    claims = json.loads(b64(parts[1]))
    claims_ok(claims)
    if not claims.get("exp", 0) > time.time():
        raise SystemExit(f"expired or no exp: {claims}")


if __name__ == "__main__":
    main()
