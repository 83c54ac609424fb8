import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import type { Logger } from './logger.js';

/**
 * Routes the Temporal SDK's logs (worker, activity and workflow `log.*`) into pino, so every
 * line is one JSON object carrying the workflow id (and so the conversation id), redacted
 * like the rest.
 */
export class PinoSdkLogger implements SdkLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'WARN' ? 'warn' : level === 'ERROR' ? 'error' : 'info';
    // A report of many lines (the bundler's module summary at start-up) is detail, not an event:
    // at info it would be one huge JSON line. Warnings and errors stay at their level.
    const demoted = method === 'info' && message.includes('\n') ? 'debug' : method;
    this.logger[demoted](meta ?? {}, message);
  }
  trace(message: string, meta?: LogMetadata): void { this.log('TRACE', message, meta); }
  debug(message: string, meta?: LogMetadata): void { this.log('DEBUG', message, meta); }
  info(message: string, meta?: LogMetadata): void { this.log('INFO', message, meta); }
  warn(message: string, meta?: LogMetadata): void { this.log('WARN', message, meta); }
  error(message: string, meta?: LogMetadata): void { this.log('ERROR', message, meta); }
}
