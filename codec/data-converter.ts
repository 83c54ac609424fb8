import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec.js';
import type { EncryptionKey } from './encryption-keys.js';

/**
 * Absolute path of the module whose `failureConverter` export encodes failure messages and stack traces.
 * Pass it to `bundleWorkflowCode({ failureConverterPath })` when workflows are bundled ahead of time:
 * a pre-built bundle ignores the worker's `dataConverter.failureConverterPath`.
 */
export const encryptedFailureConverterPath = fileURLToPath(new URL('./failure-converter.js', import.meta.url));

/**
 * The data converter for clients and workers: every payload (workflow and activity inputs and results,
 * signals, queries, updates, memos, failure details) is encrypted with the first key and decrypted with any
 * of them. Search attributes and headers are never run through a codec: they hold ids only.
 *
 * `null` = encryption off: the SDK's plain default converter.
 */
export function createDataConverter(keys: EncryptionKey[] | null): DataConverter {
  if (keys === null) return {};
  return {
    payloadCodecs: [new AesGcmPayloadCodec(keys)],
    // DataConverter takes the failure converter by path, not as an object: see failure-converter.ts.
    failureConverterPath: encryptedFailureConverterPath,
  };
}
