import { expect } from 'chai';
import net from 'node:net';
import type { LogFields, Logger } from '../../../src/core/logger';
import { parseStoreUrl } from '../../../src/store/typeorm/data-source';
import { TypeOrmTransactionLog } from '../../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, expectJunctionError, rejection, testMessage } from '../../contract/transaction-log.support';
import { requireEnv, uniqueName } from '../../support/env';
import { TcpProxy } from './tcp-proxy';

/** A Logger that keeps every line, to check nothing secret is written. */
class RecordingLogger implements Logger {
  constructor(readonly lines: string[] = []) {}
  debug(message: string, fields?: LogFields): void { this.lines.push(`${message} ${JSON.stringify(fields ?? {})}`); }
  info(message: string, fields?: LogFields): void { this.debug(message, fields); }
  warn(message: string, fields?: LogFields): void { this.debug(message, fields); }
  error(message: string, fields?: LogFields): void { this.debug(message, fields); }
  child(): Logger { return this; }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe('TypeORM store on MySQL: an unreachable or failing server is JCT_STORE_UNAVAILABLE', function () {
  this.timeout(60_000);

  it('a closed port (127.0.0.1:1) fails start() at once, without the password in the error or the log', async () => {
    const logger = new RecordingLogger();
    const log = new TypeOrmTransactionLog({ url: 'mysql://junction:S3cret-Pa55@127.0.0.1:1/junction', logger });
    const { value: error, ms } = await timed(() => rejection(log.start()));
    const failure = expectJunctionError(error, 'JCT_STORE_UNAVAILABLE');
    expect(ms).to.be.below(5_000);
    expect(failure.retryable).to.equal(true);
    expect(failure.httpStatus).to.equal(503);
    expect(failure.message).to.include('127.0.0.1:1').and.include('ECONNREFUSED');
    expect(JSON.stringify(failure.toJSON()) + failure.message + logger.lines.join('\n')).not.to.include('S3cret-Pa55');
    await log.close();
  });

  it('a server that accepts but never answers fails start() within the connect timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const log = new TypeOrmTransactionLog({ url: `mysql://u:p@127.0.0.1:${port}/db`, connectTimeoutMs: 1_000 });
      const { value: error, ms } = await timed(() => rejection(log.start()));
      expectJunctionError(error, 'JCT_STORE_UNAVAILABLE');
      expect(ms).to.be.below(5_000);
      await log.close();
    } finally {
      silent.close();
    }
  });

  describe('through a fault-injecting proxy to MariaDB (JUNCTION_TEST_DB_URL)', () => {
    let url: string;
    let proxy: TcpProxy;
    let log: TypeOrmTransactionLog;
    const prefix = `${uniqueName('down').toLowerCase()}_`;

    before(async () => {
      url = requireEnv('JUNCTION_TEST_DB_URL');
      const target = parseStoreUrl(url);
      if (target.dialect !== 'mysql') throw new Error('JUNCTION_TEST_DB_URL must be a mysql:// URL');
      proxy = new TcpProxy(target.host, target.port);
      const port = await proxy.start();
      const proxied = new URL(url);
      proxied.port = String(port);
      log = new TypeOrmTransactionLog({ url: proxied.toString(), tablePrefix: prefix, poolSize: 2, connectTimeoutMs: 1_000, operationTimeoutMs: 1_500 });
      await log.start();
    });
    after(async () => {
      await log?.close();
      await proxy?.stop();
      if (url) await dropStoreTables(url, prefix);
    });

    it('lost connections with the server refusing new ones → unavailable; works again once it is back', async () => {
      const route = uniqueName('route');
      const first = testMessage(route);
      await log.recordReceived(first);
      proxy.mode = 'reject';
      proxy.cutAll();
      const { value: error, ms } = await timed(() => rejection(log.transition(first.id, { stage: 'p', status: 'QUEUED', attempt: 1 })));
      expectJunctionError(error, 'JCT_STORE_UNAVAILABLE');
      expect(ms).to.be.below(5_000);
      expectJunctionError(await rejection(log.find({ routeId: route })), 'JCT_STORE_UNAVAILABLE');
      proxy.mode = 'forward';
      expect(await log.transition(first.id, { stage: 'p', status: 'QUEUED', attempt: 1 })).to.equal('applied');
      expect((await log.find({ routeId: route })).map((m) => m.status)).to.deep.equal(['QUEUED']);
    });

    it('a frozen server → unavailable within the query timeout; works again once it thaws', async () => {
      const message = testMessage(uniqueName('route'));
      await log.recordReceived(message);
      proxy.mode = 'blackhole';
      const { value: error, ms } = await timed(() => rejection(log.load(message.id)));
      expectJunctionError(error, 'JCT_STORE_UNAVAILABLE');
      expect(ms).to.be.below(5_000);
      proxy.mode = 'forward';
      proxy.cutAll();
      expect((await log.load(message.id))?.id).to.equal(message.id);
    });
  });
});
