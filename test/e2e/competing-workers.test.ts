import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables } from '../contract/transaction-log.support';
import { deleteTopology } from '../integration/bus/amqp-admin';
import { CapturingServer } from '../unit/endpoints/capturing-server';
import { requireEnv, uniqueName } from '../support/env';
import { eventually, postJson, request } from '../support/http';
import { sampleValue } from '../support/prometheus-text';
import { CliJunctionProcess as JunctionProcess } from '../support/cli-process';
import { TempConfigDir } from '../support/temp-config';
import { idDifference, messageTrail, repeatedIds } from '../support/message-trail';

const ROUTE = 'cc-orders';
const WORKERS = 3;
const ORDERS = 300;

/**
 * Scale-out as production runs it: one gateway process and three worker processes
 * (`junction start --role ...`) on one RabbitMQ and one MariaDB. The workers are competing
 * consumers of the route's queue: each takes a share of the stream, none is delivered twice, none
 * is lost. Their JSON logs carry the message and correlation ids on every line about a message,
 * and the caller's W3C trace reaches the backend.
 */
describe('competing workers: several worker processes share one route\'s stream (real RabbitMQ + MariaDB)', function () {
  this.timeout(180_000);
  const temp = new TempConfigDir();
  const tablePrefix = `${uniqueName('cc').toLowerCase().slice(0, 14)}_`;
  const busPrefix = uniqueName('cc');
  const sink = new CapturingServer({ status: 200, contentType: 'application/xml', body: '<ok/>' });
  const processes: JunctionProcess[] = [];
  let gateway: JunctionProcess;
  let workers: JunctionProcess[];
  let gatewayUrl: string;
  let workerUrls: string[];

  before(async () => {
    const sinkUrl = await sink.start();
    const config = temp.write('cc.yaml', `
server: { port: 0 }
log: { level: info, format: json }
store: { url: "${requireEnv('JUNCTION_TEST_DB_URL')}", tablePrefix: ${tablePrefix} }
bus: { url: "${requireEnv('JUNCTION_TEST_AMQP_URL')}", prefix: ${busPrefix}, prefetch: 10 }
endpoints:
  sink: { type: http, url: "${sinkUrl}/orders", timeoutMs: 5000 }
routes:
  - id: ${ROUTE}
    entry: { rest: { method: POST, path: /orders, businessKey: /orderId } }
    steps: [ { type: json-to-xml, root: order } ]
    to: [sink]
`);
    // The gateway first: it migrates the log and declares the queues.
    gateway = new JunctionProcess(['--role', 'gateway', '--config', config]);
    processes.push(gateway);
    gatewayUrl = await gateway.started();
    workers = Array.from({ length: WORKERS }, () => new JunctionProcess(['--role', 'worker', '--config', config]));
    processes.push(...workers);
    workerUrls = await Promise.all(workers.map((w) => w.started()));
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sink.close();
    await dropStoreTables(requireEnv('JUNCTION_TEST_DB_URL'), tablePrefix);
    await deleteTopology(requireEnv('JUNCTION_TEST_AMQP_URL'), busPrefix, [ROUTE]);
    temp.remove();
  });

  it('every order is delivered once, each worker delivers a share, and the log agrees', async () => {
    const traceOf = new Map<string, string>();
    const accepted: string[] = [];
    for (let start = 0; start < ORDERS; start += 25) {
      const batch = await Promise.all(Array.from({ length: Math.min(25, ORDERS - start) }, async (_, k) => {
        const traceId = randomBytes(16).toString('hex');
        const res = await postJson(`${gatewayUrl}/api/v1/orders`, `{"orderId":"CC-${start + k}","amount":"10.00"}`, {
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'x-correlation-id': `corr-${start + k}`,
        });
        expect(res.status, res.text).to.equal(202);
        traceOf.set(String(res.json.messageId), traceId);
        return String(res.json.messageId);
      }));
      accepted.push(...batch);
    }
    await eventually(async () => (new Set(sink.requests.map((r) => r.headers['x-junction-message-id'])).size >= ORDERS ? true : undefined), 90_000, 100);

    // On a failed check below: what every process logged about each wrong id, what the backend
    // saw of it and what the transaction log holds, so a rare failure explains itself.
    const explain = async (problems: readonly (readonly [string, string])[]): Promise<string> => {
      const log = new TypeOrmTransactionLog({ url: requireEnv('JUNCTION_TEST_DB_URL'), tablePrefix });
      await log.start();
      try {
        return await messageTrail(problems, {
          processes: [{ name: 'gateway', json: () => gateway.json() }, ...workers.map((w, i) => ({ name: `worker ${i}`, json: () => w.json() }))],
          requests: sink.requests, idHeader: 'x-junction-message-id', load: (id) => log.load(id),
        });
      } finally {
        await log.close();
      }
    };
    const checkOnce = async (what: string, ids: readonly string[]): Promise<void> => {
      const repeated = repeatedIds(ids);
      const { missing, unexpected } = idDifference(accepted, ids);
      if (ids.length === ORDERS && repeated.length === 0 && missing.length === 0 && unexpected.length === 0) return;
      const problems = [...repeated.map((id) => ['twice', id] as const), ...missing.map((id) => ['missing', id] as const), ...unexpected.map((id) => ['unexpected', id] as const)];
      expect.fail(`${what}: ${ids.length} for ${ORDERS} accepted; ${repeated.length} twice, ${missing.length} missing, ${unexpected.length} unexpected\n${await explain(problems)}`);
    };

    // The backend: each accepted message exactly once, none unexpected, the caller's trace continued.
    const backendIds = (): string[] => sink.requests.map((r) => String(r.headers['x-junction-message-id']));
    await checkOnce('backend requests', backendIds());
    for (const r of sink.requests) {
      const id = String(r.headers['x-junction-message-id']);
      expect(r.headers.traceparent, 'traceparent at the backend').to.match(new RegExp(`^00-${traceOf.get(id)}-[0-9a-f]{16}-01$`));
    }

    // Each worker delivered a share; together exactly the stream, nothing twice — by their logs and by their metrics.
    // A worker logs "message delivered" once the outcome is recorded, a moment after the backend answered:
    // wait until every accepted id has its line (a repeated line does not end the wait early).
    const deliveredLines = (): string[][] => workers.map((w) => w.json().filter((l) => l.message === 'message delivered').map((l) => String(l.messageId)));
    await eventually(async () => (idDifference(accepted, deliveredLines().flat()).missing.length === 0 ? true : undefined), 30_000, 50).catch(() => undefined);
    const deliveredBy = deliveredLines();
    await checkOnce('"message delivered" log lines', deliveredBy.flat());
    for (const [i, ids] of deliveredBy.entries()) expect(ids.length, `worker ${i} delivered some`).to.be.greaterThan(0);
    // No copy took over a message another worker was still handling: with no fault injected there is
    // no second copy (docs/delivery.md, "Limits, honestly"), so neither line may appear.
    const takenOver = workers.flatMap((w) => w.json().filter((l) => /^message (delivered again|already settled by another handling)/.test(l.message)).map((l) => String(l.messageId)));
    if (takenOver.length > 0) expect.fail(`a second copy took over ${takenOver.length} message(s)\n${await explain(takenOver.map((id) => ['taken over', id] as const))}`);
    // Nothing reached the backend a second time while the workers were finishing.
    await checkOnce('backend requests, once every worker had logged its deliveries', backendIds());
    const counted = await Promise.all(workerUrls.map(async (url) => sampleValue((await request(`${url}/metrics`)).text, `junction_messages_delivered_total{route="${ROUTE}",endpoint="sink"}`, 0)));
    expect(counted).to.deep.equal(deliveredBy.map((ids) => ids.length));

    const log = new TypeOrmTransactionLog({ url: requireEnv('JUNCTION_TEST_DB_URL'), tablePrefix });
    await log.start();
    try {
      const statuses = await Promise.all(accepted.map(async (id) => (await log.load(id))?.status));
      expect(new Set(statuses)).to.deep.equal(new Set(['DELIVERED']));
    } finally {
      await log.close();
    }
  });

  it('every JSON log line about a message names its message id, correlation id and trace id', () => {
    for (const process of [gateway, ...workers]) {
      const lines = process.json();
      const aboutMessages = lines.filter((l) => l.messageId !== undefined);
      expect(aboutMessages.length).to.be.greaterThan(0);
      for (const line of aboutMessages) {
        expect(line.correlationId, JSON.stringify(line)).to.match(/^corr-\d+$/);
        expect(line.traceId, JSON.stringify(line)).to.match(/^[0-9a-f]{32}$/);
        expect(line.routeId).to.equal(ROUTE);
      }
    }
    expect(gateway.json().filter((l) => l.message === 'message accepted')).to.have.length(ORDERS);
  });

  it('the gateway and each worker are ready, and the workers report the route\'s queue depth', async () => {
    for (const url of [gatewayUrl, ...workerUrls]) {
      const ready = await request(`${url}/readyz`);
      expect(ready.status, url).to.equal(200);
    }
    const text = (await request(`${workerUrls[0]}/metrics`)).text;
    expect(text).to.contain(`junction_queue_messages{route="${ROUTE}",queue="ready"} 0`);
    expect((await request(`${gatewayUrl}/metrics`)).text).not.to.contain('junction_queue_messages{');
  });
});
