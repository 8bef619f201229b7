// Decoding a JWT's header and claims in the page (no verification: that is
// the runtime's job), so a pasted token is readable before it is checked.

/** `{header, claims}` of a compact JWT, or null when it is not one. */
export function decodeJwt(text) {
  const parts = String(text || "").trim().split(".");
  if (parts.length !== 3) return null;
  try {
    return { header: JSON.parse(b64url(parts[0])), claims: JSON.parse(b64url(parts[1])) };
  } catch {
    return null;
  }
}

function b64url(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
