import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  METADATA_ENCRYPTION_KEY_ID,
} from '../../codec/aes-gcm-codec.js';
import type { EncryptionKey } from '../../codec/encryption-keys.js';

const keyA: EncryptionKey = { id: 'key-a', key: randomBytes(32) };
const keyB: EncryptionKey = { id: 'key-b', key: randomBytes(32) };

const customerMessage = {
  conversationId: 'conv-42',
  email: 'jane.doe@example.com',
  text: 'Hallo, mein Paket ist nicht angekommen. Bestellnummer 12345.',
};

const str = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  expect.fail('expected the promise to reject');
}

describe('AesGcmPayloadCodec', () => {
  it('round-trips JSON payloads made by the default payload converter', async () => {
    const codec = new AesGcmPayloadCodec([keyA]);
    const values = [customerMessage, 'plain string', 42, null, undefined, ['a', { b: true }]];
    const payloads = values.map((value) => defaultPayloadConverter.toPayload(value));

    const encoded = await codec.encode(payloads);
    const decoded = await codec.decode(encoded);

    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).to.deep.equal(values);
    expect(str(decoded[0]!.metadata!['encoding'])).to.equal('json/plain');
  });

  it('hides the plaintext and the original metadata', async () => {
    const codec = new AesGcmPayloadCodec([keyA]);
    const payload = defaultPayloadConverter.toPayload(customerMessage);
    const [encrypted] = await codec.encode([payload]);

    const data = Buffer.from(encrypted!.data!);
    for (const secret of [customerMessage.email, customerMessage.text, 'Paket', 'json/plain']) {
      expect(data.includes(secret), secret).to.equal(false);
      expect(data.toString('base64')).not.to.include(Buffer.from(secret).toString('base64'));
    }
    // nonce + ciphertext + tag: longer than the protobuf-encoded original, not equal to it
    expect(data.length).to.be.greaterThan(payload.data!.length + 28 - 1);
  });

  it('labels encrypted payloads with the encoding and the key id, and nothing else', async () => {
    const codec = new AesGcmPayloadCodec([keyA]);
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(customerMessage)]);
    expect(Object.keys(encrypted!.metadata!).sort()).to.deep.equal(['encoding', METADATA_ENCRYPTION_KEY_ID].sort());
    expect(str(encrypted!.metadata!['encoding'])).to.equal(ENCRYPTED_ENCODING);
    expect(str(encrypted!.metadata![METADATA_ENCRYPTION_KEY_ID])).to.equal('key-a');
  });

  it('uses a fresh nonce for every payload', async () => {
    const codec = new AesGcmPayloadCodec([keyA]);
    const payload = defaultPayloadConverter.toPayload(customerMessage);
    const [first, second] = await codec.encode([payload, payload]);
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).to.equal(false);
    expect(Buffer.from(first!.data!.subarray(0, 12)).equals(Buffer.from(second!.data!.subarray(0, 12)))).to.equal(false);
  });

  describe('key rotation', () => {
    it('decodes payloads written with an old key once a new key is put first', async () => {
      const before = new AesGcmPayloadCodec([keyA]);
      const after = new AesGcmPayloadCodec([keyB, keyA]);
      const encoded = await before.encode([defaultPayloadConverter.toPayload(customerMessage)]);
      const [decoded] = await after.decode(encoded);
      expect(defaultPayloadConverter.fromPayload(decoded!)).to.deep.equal(customerMessage);
    });

    it('encrypts with the first key of the list', async () => {
      const codec = new AesGcmPayloadCodec([keyB, keyA]);
      expect(codec.encryptionKeyId).to.equal('key-b');
      const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
      expect(str(encrypted!.metadata![METADATA_ENCRYPTION_KEY_ID])).to.equal('key-b');
      // and only key B can read it
      const error = await rejection(new AesGcmPayloadCodec([keyA]).decode([encrypted!]));
      expect(error.message).to.include('"key-b"');
    });
  });

  it('fails on an unknown key id with a message naming it and the known ids', async () => {
    const [encrypted] = await new AesGcmPayloadCodec([keyB]).encode([defaultPayloadConverter.toPayload(customerMessage)]);
    const error = await rejection(new AesGcmPayloadCodec([keyA, { id: 'key-c', key: randomBytes(32) }]).decode([encrypted!]));
    expect(error.message).to.include('"key-b"');
    expect(error.message).to.include('known key ids: "key-a", "key-c"');
    expect(error.message).not.to.include(customerMessage.email);
  });

  it('detects a modified ciphertext, nonce or tag', async () => {
    const codec = new AesGcmPayloadCodec([keyA]);
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(customerMessage)]);
    const length = encrypted!.data!.length;
    for (const position of [0, 20, length - 1]) {
      const data = Buffer.from(encrypted!.data!);
      data[position] = data[position]! ^ 0x01;
      const error = await rejection(codec.decode([{ ...encrypted!, data }]));
      expect(error.message, `byte ${position}`).to.match(/key id "key-a": authentication failed/);
    }
  });

  it('detects a truncated ciphertext', async () => {
    const codec = new AesGcmPayloadCodec([keyA]);
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(customerMessage)]);
    const short = await rejection(codec.decode([{ ...encrypted!, data: encrypted!.data!.subarray(0, 20) }]));
    expect(short.message).to.include('truncated');
    const cut = await rejection(codec.decode([{ ...encrypted!, data: encrypted!.data!.subarray(0, encrypted!.data!.length - 1) }]));
    expect(cut.message).to.include('authentication failed');
  });

  it('fails when the key id is missing from an encrypted payload', async () => {
    const codec = new AesGcmPayloadCodec([keyA]);
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const { [METADATA_ENCRYPTION_KEY_ID]: _keyId, ...metadata } = encrypted!.metadata!;
    const error = await rejection(codec.decode([{ ...encrypted!, metadata }]));
    expect(error.message).to.include(METADATA_ENCRYPTION_KEY_ID);
  });

  it('passes payloads that are not encrypted through decode untouched', async () => {
    const codec = new AesGcmPayloadCodec([keyA]);
    const plain: Payload[] = [
      defaultPayloadConverter.toPayload(customerMessage),
      defaultPayloadConverter.toPayload(undefined),
      { data: new Uint8Array([1, 2, 3]) },
    ];
    const decoded = await codec.decode(plain);
    expect(decoded).to.have.length(3);
    decoded.forEach((payload, i) => expect(payload).to.equal(plain[i]));
  });

  it('refuses to start without keys or with a key of the wrong size', () => {
    expect(() => new AesGcmPayloadCodec([])).to.throw(/at least one/);
    expect(() => new AesGcmPayloadCodec([{ id: 'short', key: randomBytes(16) }])).to.throw(/"short" is 16 bytes/);
    expect(() => new AesGcmPayloadCodec([keyA, keyA])).to.throw(/more than once/);
  });
});
