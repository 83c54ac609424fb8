import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import proto from '@temporalio/proto';
import type { Logger } from './logger.js';
import { searchAttributeDefinitions } from '../workflows/search-attributes.js';

/**
 * The Temporal connection as Temporal's own environment configuration reads it
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, or a profile in
 * TEMPORAL_CONFIG_FILE), so Temporal Cloud and self-hosted clusters need only settings.
 */
export function temporalConnectConfig() {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  return { connectionOptions: { ...connectionOptions, address: connectionOptions.address ?? 'localhost:7233' }, namespace: namespace ?? 'default' };
}

export async function connectClient(dataConverter: DataConverter): Promise<Client> {
  const { connectionOptions, namespace } = temporalConnectConfig();
  const connection = await Connection.connect({ ...connectionOptions, connectTimeout: '5s' } as Parameters<typeof Connection.connect>[0]);
  return new Client({ connection, namespace, dataConverter });
}

export async function connectWorker(): Promise<{ connection: NativeConnection; namespace: string }> {
  const { connectionOptions, namespace } = temporalConnectConfig();
  return { connection: await NativeConnection.connect(connectionOptions), namespace };
}

/**
 * The worker's connection, waiting for a Temporal server that is not reachable yet (a restart,
 * a deploy where the worker comes up first): it tries again every 2 s for `waitMs`, saying so,
 * instead of exiting at once into a process manager's growing restart backoff.
 */
export async function connectWorkerWhenReachable(logger: Logger, waitMs = 120_000): Promise<{ connection: NativeConnection; namespace: string }> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectWorker();
    } catch (error) {
      if (Date.now() + 2000 > deadline) throw error;
      logger.warn({ address: temporalConnectConfig().connectionOptions.address, attempt, error: (error as Error).message.slice(0, 200) }, 'Temporal not reachable yet: trying again in 2 s');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

export function workflowUiUrl(uiBaseUrl: string, namespace: string, workflowId: string): string {
  return `${uiBaseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The server's index type for each of the product's search-attribute types. */
export function indexedValueTypeOf(type: 'Keyword' | 'Int'): number {
  const { IndexedValueType } = proto.temporal.api.enums.v1;
  return type === 'Int' ? IndexedValueType.INDEXED_VALUE_TYPE_INT : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
}

type OperatorConnection = Pick<Connection, 'operatorService'> | Pick<NativeConnection, 'operatorService'>;

/**
 * Registers the product's search attributes on the namespace when some are missing, so that
 * `npm run worker` and `npm run api` work on a fresh cluster with nothing done by hand.
 * Where the operator API is refused (Temporal Cloud API keys), it says what to do instead.
 */
export async function ensureSearchAttributes(connection: OperatorConnection, namespace: string, logger: Logger): Promise<void> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = searchAttributeDefinitions.filter((d) => customAttributes?.[d.name] === undefined);
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((d) => [d.name, indexedValueTypeOf(d.type)])),
    });
    logger.info({ namespace, registered: missing.map((d) => d.name) }, 'search attributes registered');
  } catch (error) {
    logger.warn(
      { namespace, error: (error as Error).message },
      'could not check or register the search attributes: add them in the namespace settings (see README, "Connecting a real Freshchat account"); npm run doctor checks them',
    );
  }
}
