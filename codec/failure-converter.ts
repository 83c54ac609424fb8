/**
 * The failure converter used when payloads are encrypted. The SDK loads it by path (the `failureConverter`
 * export), because workflow code runs in a sandbox bundle that cannot receive objects from the worker:
 * `DataConverter.failureConverterPath` for clients and workers, `bundleWorkflowCode({ failureConverterPath })`
 * for pre-built workflow bundles.
 *
 * Keep this module sandbox-safe: it is bundled into workflow code, so it may import only @temporalio/common.
 */
import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Moves error messages and stack traces into an `encodedAttributes` payload, which the payload codec then
 * encrypts: an error thrown while handling a message often quotes the customer's text or email.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
