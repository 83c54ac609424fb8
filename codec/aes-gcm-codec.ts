import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
// @temporalio/proto is CommonJS: Node's ESM loader only offers its exports as the default import.
import proto from '@temporalio/proto';
import { KEY_LENGTH_BYTES, type EncryptionKey } from './encryption-keys.js';

const ProtoPayload = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
/** 96-bit nonces are GCM's native size; random ones are safe for far more payloads than one key will see. */
const NONCE_LENGTH = 12;
const AUTH_TAG_LENGTH = 16;
/** Key ids in error messages come from payload metadata, i.e. from whoever sent the payload: keep them short. */
const MAX_REPORTED_KEY_ID_LENGTH = 64;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Encrypts every payload with AES-256-GCM (node:crypto) under the first key, and decrypts with whichever key
 * the payload names, so keys can be rotated without losing old history.
 *
 * The plaintext is the whole original Payload, protobuf-encoded, so its metadata (e.g. `encoding: json/plain`)
 * is hidden and restored too. Ciphertext layout in `data`: nonce (12 bytes) | ciphertext | GCM tag (16 bytes),
 * the same layout as WebCrypto's AES-GCM output with the IV in front, as in Temporal's encryption samples.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly encryptionKey: EncryptionKey;
  private readonly keysById: ReadonlyMap<string, Buffer>;

  constructor(keys: EncryptionKey[]) {
    const [first] = keys;
    if (first === undefined) throw new Error('AesGcmPayloadCodec needs at least one encryption key');
    const keysById = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (key.length !== KEY_LENGTH_BYTES) {
        throw new Error(`Encryption key "${id}" is ${key.length} bytes long, AES-256 needs ${KEY_LENGTH_BYTES}`);
      }
      if (keysById.has(id)) throw new Error(`Encryption key id "${id}" appears more than once`);
      keysById.set(id, key);
    }
    this.encryptionKey = first;
    this.keysById = keysById;
  }

  /** Id of the key new payloads are encrypted with. */
  get encryptionKeyId(): string {
    return this.encryptionKey.id;
  }

  /** Ids of all keys this codec can decrypt with. */
  get knownKeyIds(): string[] {
    return [...this.keysById.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encryptPayload(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decryptPayload(payload));
  }

  private encryptPayload(payload: Payload): Payload {
    const { id, key } = this.encryptionKey;
    const plaintext = ProtoPayload.encode(payload).finish();
    const nonce = randomBytes(NONCE_LENGTH);
    const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: AUTH_TAG_LENGTH });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: textEncoder.encode(ENCRYPTED_ENCODING),
        [METADATA_ENCRYPTION_KEY_ID]: textEncoder.encode(id),
      },
      data: Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decryptPayload(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    // Payloads written before encryption was switched on (or by another codec) are passed on as they are.
    if (encoding == null || textDecoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;

    const keyIdBytes = payload.metadata?.[METADATA_ENCRYPTION_KEY_ID];
    if (keyIdBytes == null) {
      throw new Error(`Cannot decrypt payload: it is ${ENCRYPTED_ENCODING} but has no ${METADATA_ENCRYPTION_KEY_ID}`);
    }
    const keyId = describeKeyId(textDecoder.decode(keyIdBytes));
    const key = this.keysById.get(textDecoder.decode(keyIdBytes));
    if (key === undefined) {
      throw new Error(
        `Cannot decrypt payload: it was encrypted with key id ${keyId}, which this process does not have ` +
          `(known key ids: ${this.knownKeyIds.map((id) => JSON.stringify(id)).join(', ')}); ` +
          'add that key to PAYLOAD_ENCRYPTION_KEYS',
      );
    }

    const data = payload.data ?? new Uint8Array(0);
    if (data.length < NONCE_LENGTH + AUTH_TAG_LENGTH) {
      throw new Error(`Cannot decrypt payload with key id ${keyId}: the ciphertext is truncated`);
    }
    const nonce = data.subarray(0, NONCE_LENGTH);
    const ciphertext = data.subarray(NONCE_LENGTH, data.length - AUTH_TAG_LENGTH);
    const authTag = data.subarray(data.length - AUTH_TAG_LENGTH);
    const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: AUTH_TAG_LENGTH });
    decipher.setAuthTag(authTag);
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      // node:crypto says only "Unsupported state or unable to authenticate data".
      throw new Error(
        `Cannot decrypt payload with key id ${keyId}: authentication failed, the ciphertext was modified ` +
          'or was encrypted with a different key under the same id',
      );
    }
    const decoded = ProtoPayload.decode(plaintext);
    // A plain object rather than the protobufjs message: the SDK and our tests treat payloads as data.
    const result: Payload = { metadata: decoded.metadata, data: decoded.data };
    if (decoded.externalPayloads.length > 0) result.externalPayloads = decoded.externalPayloads;
    return result;
  }
}

/** Quoted, shortened key id for error messages (it may come from an untrusted request). */
function describeKeyId(id: string): string {
  const shortened = id.length > MAX_REPORTED_KEY_ID_LENGTH ? `${id.slice(0, MAX_REPORTED_KEY_ID_LENGTH)}…` : id;
  return JSON.stringify(shortened);
}
