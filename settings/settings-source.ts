/**
 * The settings file as it is now. The worker reads it again when it changes (checked on use:
 * a stat per call), so a conversation's next session, and every customer notice, follow an
 * edited file without a restart. An edited file that does not validate is refused with its
 * problems logged, and the last good settings stay.
 */
import { statSync } from 'node:fs';
import type { Logger } from '../lib/logger.js';
import { loadAssistantSettings, SettingsError, type AssistantSettings } from './assistant-settings.js';

export class SettingsSource {
  private settings: AssistantSettings;
  private stamp?: string;

  /** `path` absent: the settings stay as given (tests, tools). */
  constructor(
    initial: AssistantSettings,
    private readonly path?: string,
    private readonly logger?: Logger,
  ) {
    this.settings = initial;
    this.stamp = path ? stampOf(path) : undefined;
  }

  current(): AssistantSettings {
    if (!this.path) return this.settings;
    const stamp = stampOf(this.path);
    // A file that is briefly missing (an editor replacing it) keeps the settings as they were.
    if (stamp === undefined || stamp === this.stamp) return this.settings;
    this.stamp = stamp;
    try {
      this.settings = loadAssistantSettings(this.path);
      this.logger?.info({ settingsPath: this.path }, 'settings file changed: new sessions follow it');
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      this.logger?.error({ settingsPath: this.path, problems: error.problems }, 'settings file changed but is invalid: the previous settings stay');
    }
    return this.settings;
  }
}

function stampOf(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return undefined;
  }
}
