import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ApplicationFailure, type Payload } from '@temporalio/common';
import {
  decodeMapFromPayloads,
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
  encodeMapToPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow/index.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../codec/aes-gcm-codec.js';
import { createDataConverter, encryptedFailureConverterPath } from '../../codec/data-converter.js';
import type { EncryptionKey } from '../../codec/encryption-keys.js';

const keys: EncryptionKey[] = [{ id: 'k1', key: randomBytes(32) }];
const secret = 'customer jane.doe@example.com wrote: where is my parcel?';

const str = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');

describe('createDataConverter', () => {
  it('is the plain default converter when encryption is off', () => {
    const loaded = loadDataConverter(createDataConverter(null));
    expect(loaded.payloadCodecs).to.deep.equal([]);
    expect(createDataConverter(null).failureConverterPath).to.equal(undefined);
  });

  it('encrypts with an AesGcmPayloadCodec and points at the encoding failure converter', () => {
    const converter = createDataConverter(keys);
    expect(converter.payloadCodecs).to.have.length(1);
    expect(converter.payloadCodecs![0]).to.be.instanceOf(AesGcmPayloadCodec);
    expect(converter.failureConverterPath).to.equal(encryptedFailureConverterPath);
    expect(encryptedFailureConverterPath).to.match(/codec[\\/]failure-converter\.js$/);
  });

  // The SDK loads failureConverterPath with require(): this checks that it can load our ESM module.
  it('encrypts failure messages and stack traces, and restores them on decode', async () => {
    const loaded = loadDataConverter(createDataConverter(keys));
    const error = ApplicationFailure.create({ message: secret, type: 'HandoffFailed' });

    const failure = await encodeErrorToFailure(loaded, error);

    expect(failure.message).to.equal('Encoded failure');
    expect(failure.stackTrace).to.equal('');
    expect(str(failure.encodedAttributes?.metadata?.['encoding'])).to.equal(ENCRYPTED_ENCODING);
    expect(JSON.stringify(failure)).not.to.include('jane.doe');
    expect(Buffer.from(failure.encodedAttributes!.data!).includes('jane.doe')).to.equal(false);

    const decoded = await decodeOptionalFailureToOptionalError(loaded, failure);
    expect(decoded?.message).to.equal(secret);
    expect((decoded as ApplicationFailure).type).to.equal('HandoffFailed');
  });

  // The client's start/signalWithStart encode memos with this same helper (see the codec report).
  it('encrypts memo values the way the client encodes them', async () => {
    const loaded = loadDataConverter(createDataConverter(keys));
    const memo = { customerEmail: 'jane.doe@example.com', conversationUrl: 'https://example.freshchat.com/a/1' };

    const fields: Record<string, Payload> = await encodeMapToPayloads(loaded, memo);

    for (const payload of Object.values(fields)) {
      expect(str(payload.metadata?.['encoding'])).to.equal(ENCRYPTED_ENCODING);
      expect(Buffer.from(payload.data!).includes('jane.doe')).to.equal(false);
    }
    expect(await decodeMapFromPayloads(loaded, fields)).to.deep.equal(memo);
  });
});
