import { createSign, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface SigningKeys {
  privateKey: KeyObject;
  /** Standard SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem: string;
  /**
   * The key as Freshchat's webhook settings page shows it and admins paste it: labelled
   * "RSA PUBLIC KEY" although the body is SPKI, all on one line.
   */
  publicKeyOneLine: string;
}

/** A fresh RSA 2048 pair per sandbox, like the per-account key of Freshchat. */
export async function generateSigningKeys(): Promise<SigningKeys> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyOneLine: `-----BEGIN RSA PUBLIC KEY----- ${der.toString('base64')} -----END RSA PUBLIC KEY-----`,
  };
}

/** `X-Freshchat-Signature`: base64 of RSA PKCS#1 v1.5 SHA-256 over the exact body bytes. */
export function signBody(privateKey: KeyObject, body: Buffer): string {
  return createSign('RSA-SHA256').update(body).sign(privateKey, 'base64');
}
