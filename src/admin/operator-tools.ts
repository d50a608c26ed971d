import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import type { LoadedConfig } from '../config/load-config';
import type { Logger } from '../core/logger';
import type { TransactionLog } from '../core/transaction-log';
import type { MessageIntake } from '../gateway/message-intake';
import type { CompiledRoutes } from '../routes/compiled-route';
import type { SecurityRuntime } from '../security/security-setup';
import { checkAdminConfig, TokenAuthenticator } from './admin-auth';
import { createAdminApi } from './admin-api';
import { ClientAuthenticator } from './client-authenticator';
import { ReplayJobRunner } from './replay-job-runner';
import { ReplayService } from './replay-service';
import { RetentionSweeper } from './retention-sweeper';

/** The operators' side of a process: the admin API, the bulk replay runner and the retention sweeper. */
export interface OperatorTools {
  readonly api: Router;
  readonly runner: ReplayJobRunner;
  readonly sweeper?: RetentionSweeper;
  start(): void;
  close(): Promise<void>;
}

/** What the operators' side needs from the rest of the process. */
export interface OperatorDeps {
  readonly log: TransactionLog;
  readonly routes: CompiledRoutes;
  readonly intake: MessageIntake;
  readonly logger: Logger;
  /** Issue 7's authenticator (API keys, JWTs, client certificates) and masker, built once by compileSecurity. */
  readonly security: Pick<SecurityRuntime, 'authenticator' | 'masker'>;
}

/**
 * Builds (without I/O) what operators use; throws JCT_CONFIG_INVALID for a token written in clear.
 * The admin API accepts admin tokens, and the API keys, bearer JWTs and client certificates the gateways accept, whose
 * roles `admin.roles` maps to viewer / operator / admin — whatever `security.auth.mode` says
 * (that setting is for the gateways; the admin API always needs credentials).
 */
export function buildOperatorTools(loaded: LoadedConfig, deps: OperatorDeps): OperatorTools {
  checkAdminConfig(loaded);
  const { config } = loaded;
  const { authenticator: checker, masker } = deps.security;
  const logger = deps.logger.child({ component: 'admin' });
  const authenticator = new TokenAuthenticator(config.admin.tokens);
  const service = new ReplayService({ log: deps.log, routes: deps.routes, intake: deps.intake, logger, masker });
  const runner = new ReplayJobRunner({ log: deps.log, service, logger, owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}` });
  const sweeper = config.retention.enabled ? new RetentionSweeper({ log: deps.log, logger, settings: config.retention }) : undefined;
  const api = createAdminApi({
    log: deps.log, routes: deps.routes, service, runner, settings: config.admin, masker,
    authenticators: [authenticator, new ClientAuthenticator(checker, config.admin.roles)],
    auth: checker,
    bodyLimitBytes: config.server.bodyLimitBytes, logger,
  });
  return {
    api, runner, ...(sweeper ? { sweeper } : {}),
    start: () => {
      for (const name of authenticator.disabled) logger.warn('admin token has no value (its environment variable is unset); it is disabled', { name });
      runner.start();
      sweeper?.start();
    },
    close: async () => { await runner.close(); await sweeper?.close(); },
  };
}
