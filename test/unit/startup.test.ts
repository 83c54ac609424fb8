import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadApiStartup, loadWorkerStartup } from '../../config/startup.js';
import { ConfigError } from '../../config/env.js';

const key = `k1:${Buffer.alloc(32, 1).toString('base64')}`;

function errorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('start-up settings', () => {
  const goodWorkerEnv = {
    FRESHCHAT_API_URL: 'https://acme.freshchat.com/v2',
    FRESHCHAT_API_TOKEN: 'token',
    FRESHCHAT_AI_AGENT_EMAIL: 'ai@acme.com',
    PAYLOAD_ENCRYPTION_KEYS: key,
  };

  it('accepts a complete production environment with the example settings file', () => {
    const startup = loadWorkerStartup(goodWorkerEnv);
    expect(startup.env.FRESHCHAT_ROUTING_MODE).to.equal('auto');
    expect(startup.env.TEMPORAL_TASK_QUEUE).to.equal('freshchat-ai');
    expect(startup.aiProvider).to.deep.equal({ provider: 'faq' });
    expect(startup.encryptionKeys?.[0]?.id).to.equal('k1');
  });

  it('names every wrong setting in one message: environment and settings file together', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-startup-'));
    const settingsPath = join(dir, 'settings.yaml');
    writeFileSync(settingsPath, 'knowledgeBase: missing.yaml\nhandoff:\n  minConfidence: 3\n');
    const error = errorOf(() =>
      loadWorkerStartup({
        FRESHCHAT_API_URL: 'not a url',
        FRESHCHAT_ROUTING_MODE: 'sometimes',
        AI_PROVIDER: 'openai',
        ASSISTANT_SETTINGS: settingsPath,
      }),
    );
    for (const named of ['FRESHCHAT_API_URL', 'FRESHCHAT_API_TOKEN', 'FRESHCHAT_AI_AGENT_EMAIL', 'FRESHCHAT_ROUTING_MODE', 'OPENAI_API_KEY', 'OPENAI_MODEL', 'OPENAI_BASE_URL', 'PAYLOAD_ENCRYPTION_KEYS', 'handoff.minConfidence']) {
      expect(error.message).to.include(named);
    }
  });

  it('refuses to run keyless unless encryption is turned off explicitly', () => {
    const { PAYLOAD_ENCRYPTION_KEYS: _, ...keyless } = goodWorkerEnv;
    expect(errorOf(() => loadWorkerStartup(keyless)).message).to.include('PAYLOAD_ENCRYPTION_KEYS');
    expect(loadWorkerStartup({ ...keyless, PAYLOAD_ENCRYPTION: 'off' }).encryptionKeys).to.equal(null);
  });

  it('checks the API: webhook key and port', () => {
    const error = errorOf(() => loadApiStartup({ FRESHCHAT_WEBHOOK_PUBLIC_KEY: '-----BEGIN RSA PUBLIC KEY----- nope -----END RSA PUBLIC KEY-----', PORT: 'eighty', PAYLOAD_ENCRYPTION_KEYS: key }));
    expect(error.message).to.include('FRESHCHAT_WEBHOOK_PUBLIC_KEY');
    expect(error.message).to.include('PORT');
  });
});
