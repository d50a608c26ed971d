import { expect } from 'chai';
import { BufferedIo } from '../../../src/cli/cli-io';
import { CliLogger } from '../../../src/cli/cli-logger';
import { CliStop } from '../../../src/cli/exit-codes';
import { routeTestExitCode, runRouteTest, type RouteTestOptions } from '../../../src/cli/route-test';
import { renderRouteTest } from '../../../src/cli/route-test-report';
import { TempConfigDir } from '../../support/temp-config';
import { CapturingServer } from '../endpoints/capturing-server';

describe('junction routes test, in process (src/cli/route-test)', function () {
  let temp: TempConfigDir;
  let backend: CapturingServer;
  let config: string;
  let logged: string;

  beforeEach(async function () {
    temp = new TempConfigDir();
    backend = new CapturingServer({ status: 200, contentType: 'text/plain', body: 'ok' });
    const url = await backend.start();
    config = temp.write('junction.yaml', `
endpoints:
  oa: { type: http, url: "${url}/oa/approvals", headers: { X-Api-Key: k-1 } }
  audit: { type: http, url: "${url}/audit", method: PUT }
  erp: { type: soap, wsdl: missing/erp.wsdl, operation: CreateOrUpdateCustomer }
routes:
  - id: orders
    entry: { rest: { method: POST, path: /orders, businessKey: /orderId } }
    steps:
      - { name: to-xml, type: json-to-xml, root: order }
    deliver:
      - to: oa
      - to: audit
        when: { header: x-channel, equals: web }
  - id: web-only
    entry: { rest: { method: POST, path: /web } }
    deliver:
      - { to: audit, when: { header: x-channel, equals: web } }
  - id: to-erp
    entry: { rest: { method: POST, path: /erp } }
    to: [erp]
`);
    temp.write('order.json', '{"orderId":"SO-1","amount":250.00}');
    logged = '';
  });

  afterEach(async function () {
    await backend.close();
    temp.remove();
  });

  function options(overrides: Partial<RouteTestOptions> = {}): RouteTestOptions {
    return { routeId: 'orders', sampleFile: `${temp.dir}/order.json`, config, headers: [], entryCheck: true, ...overrides };
  }
  const logger = (): CliLogger => new CliLogger((line) => { logged += line; });

  it('runs the steps, chooses recipients, previews each request, and sends nothing', async function () {
    const report = await runRouteTest(options({ headers: ['X-Channel=web'] }), logger());
    expect(report.ok).to.equal(true);
    expect(routeTestExitCode(report)).to.equal(0);
    expect(report.stages.map((s) => s.stage)).to.deep.equal(['entry', 'step:to-xml', 'route', 'deliver:oa', 'deliver:audit']);
    expect(report.stages[1]?.output).to.contain('<amount>250.00</amount>');
    for (const stage of report.stages) {
      expect(Number.isInteger(stage.durationMs), stage.stage).to.equal(true);
      expect(stage, stage.stage).not.to.have.property('seconds'); // the report shows whole milliseconds only
    }
    expect(report.message).to.include({ businessKey: 'SO-1', source: 'rest:POST /api/v1/orders' });
    const [oa, audit] = report.deliveries;
    expect(oa?.request).to.deep.include({ method: 'POST', url: `${backend.url}/oa/approvals` });
    expect(oa?.request?.headers).to.include({ 'X-Api-Key': 'k-1', 'x-junction-message-id': report.message?.id, 'content-type': 'application/xml; charset=utf-8' });
    expect(oa?.request?.body).to.equal(report.stages[1]?.output);
    expect(audit?.request?.method).to.equal('PUT');
    expect(backend.requests).to.have.length(0);
    expect(report.delivered).to.equal(false);
    expect(logged).to.equal('');

    const io = new BufferedIo();
    const text = renderRouteTest(report, io);
    expect(text).to.contain('→ oa would receive (not sent):');
    expect(text).to.contain(`    POST ${backend.url}/oa/approvals`);
    expect(text).to.contain('      <amount>250.00</amount>'); // step output, indented
    expect(text).to.match(/OK: 1 step run, 2 deliveries previewed\. Nothing was delivered\.\n$/);
  });

  it('lets conditions see --header: without it only the unconditional recipient is chosen', async function () {
    const report = await runRouteTest(options(), logger());
    expect(report.deliveries.map((d) => d.endpoint)).to.deep.equal(['oa']);
    expect(report.stages.find((s) => s.stage === 'route')?.detail).to.equal('to oa');
  });

  it('stops at a failing step with its error (exit 1) and plans no delivery', async function () {
    temp.write('list.json', '[1,2]');
    const report = await runRouteTest(options({ sampleFile: `${temp.dir}/list.json` }), logger());
    expect(report.ok).to.equal(false);
    expect(report.failure?.stage).to.equal('step:to-xml');
    expect(report.failure?.error.code).to.equal('JCT_TRANSFORM_FAILED');
    expect(report.deliveries).to.deep.equal([]);
    expect(routeTestExitCode(report)).to.equal(1);
    const text = renderRouteTest(report, new BufferedIo());
    expect(text).to.contain('✘ step:to-xml');
    expect(text).to.contain('FAILED at step:to-xml: JCT_TRANSFORM_FAILED');
  });

  it('reports a message no recipient matches as a failure of the route stage', async function () {
    const report = await runRouteTest(options({ routeId: 'web-only' }), logger());
    expect(report.failure).to.deep.include({ stage: 'route' });
    expect(report.failure?.error.code).to.equal('JCT_ROUTE_NO_MATCH');
    expect(routeTestExitCode(report)).to.equal(1);
  });

  it('reports an endpoint that cannot start for its configuration (a missing WSDL) with exit 2', async function () {
    const report = await runRouteTest(options({ routeId: 'to-erp' }), logger());
    expect(report.failure?.stage).to.equal('deliver:erp');
    expect(report.failure?.error.code).to.equal('JCT_CONFIG_REFERENCE');
    expect(report.deliveries[0]?.request).to.equal(undefined);
    expect(routeTestExitCode(report)).to.equal(2);
  });

  it('stops with exit 2 for an unknown route or a broken configuration, naming what is wrong', async function () {
    const unknown = await runRouteTest(options({ routeId: 'nope' }), logger()).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(CliStop);
    expect((unknown as CliStop).exitCode).to.equal(2);
    expect((unknown as CliStop).message).to.contain('(routes: orders, web-only, to-erp)');
    const broken = temp.write('broken.yaml', 'endpoints:\n  oa: { type: http, url: "http://127.0.0.1:9/x" }\nroutes:\n  - id: a\n    entry: { rest: { method: POST, path: /a } }\n    to: [ob]\n');
    const stop = await runRouteTest(options({ config: broken, routeId: 'a' }), logger()).catch((e: unknown) => e);
    expect((stop as CliStop).exitCode).to.equal(2);
    expect((stop as CliStop).message).to.contain(`${broken}:6:10 routes[0].to[0]: endpoint "ob" is not defined`);
  });
});
