import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';

export class WebhookKeyError extends Error {}

/**
 * Loads the webhook public key exactly as an admin pastes it from Freshchat: any PEM label
 * (Freshchat labels an X.509 SubjectPublicKeyInfo "RSA PUBLIC KEY"), newlines or spaces,
 * or the bare base64 body. Node rejects the mislabelled PEM, so the armour is stripped and
 * the DER is loaded as SPKI, falling back to PKCS#1 for a true RSA key.
 */
export function parseWebhookPublicKey(pasted: string): KeyObject {
  const body = pasted
    .replace(/-----(BEGIN|END)[A-Z ]*-----/g, '')
    .replace(/\\n/g, '')
    .replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new WebhookKeyError('the webhook public key is not a PEM/base64 key');
  }
  const der = Buffer.from(body, 'base64');
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType !== 'rsa') throw new WebhookKeyError('the webhook public key is not an RSA key');
      return key;
    } catch (error) {
      if (error instanceof WebhookKeyError) throw error;
    }
  }
  throw new WebhookKeyError('the webhook public key could not be loaded as an RSA public key (SPKI or PKCS#1)');
}

/**
 * One standard base64 value (RFC 4648 §4): whole 4-character groups, `=` only as the final
 * padding. Node's base64 decoder is lenient (it skips unknown characters and accepts missing
 * padding and the URL-safe alphabet), so the header text is checked before it is decoded.
 */
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RSA PKCS#1 v1.5 SHA-256 over the exact raw bytes Freshchat sent, signature in base64. */
export function isValidWebhookSignature(rawBody: Buffer, signature: string | undefined, key: KeyObject): boolean {
  if (!signature || signature.length > 2048) return false;
  const encoded = signature.trim();
  if (encoded === '' || !STANDARD_BASE64.test(encoded)) return false;
  const bytes = Buffer.from(encoded, 'base64');
  // Non-zero padding bits would be a second spelling of the same bytes: only the canonical one passes.
  if (bytes.toString('base64') !== encoded) return false;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(rawBody);
  try {
    return verifier.verify(key, bytes);
  } catch {
    return false;
  }
}
