import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';

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

export function workflowUiUrl(uiBaseUrl: string, namespace: string, workflowId: string): string {
  return `${uiBaseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
