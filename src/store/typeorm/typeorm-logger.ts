import type { Logger as TypeOrmLogger } from 'typeorm';
import type { Logger } from '../../core/logger';

/**
 * Forwards TypeORM's own messages (migrations, schema, warnings) to the Junction logger. Queries
 * and their parameters are never logged: they hold payloads. Query errors are not logged here
 * either; the transaction log reports them to its caller.
 */
export class TypeOrmLoggerAdapter implements TypeOrmLogger {
  constructor(private readonly logger: Logger) {}

  logQuery(): void {}

  logQueryError(): void {}

  logQuerySlow(time: number): void {
    this.logger.warn('Slow transaction log query', { durationMs: time });
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = String(message);
    if (level === 'warn') this.logger.warn(text);
    else this.logger.debug(text);
  }
}
