import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { BufferedIo } from '../../../src/cli/cli-io';
import { CliLogger } from '../../../src/cli/cli-logger';
import { checkConfig, configCheckExitCode, redactUrl } from '../../../src/cli/config-check';
import { renderConfigProblems, renderConfigSummary } from '../../../src/cli/config-check-report';
import { TempConfigDir } from '../../support/temp-config';
import { freePort } from '../../support/ports';

describe('junction config check, in process (src/cli/config-check)', function () {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());
  const logger = (): CliLogger => new CliLogger(() => undefined, { echoErrors: false });

  it('summarises the demo configuration: services, endpoints, routes with entries and chains', async function () {
    const result = await checkConfig('config/default.yaml', logger());
    expect(result.problems).to.deep.equal([]);
    expect(configCheckExitCode(result)).to.equal(0);
    const summary = result.summary!;
    expect(summary.services.map((s) => s.name)).to.deep.equal(['crm']);
    expect(summary.endpoints.map((e) => e.name)).to.include.members(['erp-customers', 'oa-approvals']);
    const upsert = summary.routes.find((r) => r.id === 'upsert-customer');
    expect(upsert).to.deep.include({ pattern: 'request-reply', steps: ['crm-to-erp'], replySteps: ['erp-to-crm'] });
    expect(upsert?.entries).to.deep.equal(['REST PUT /api/v1/customers/{customerId}', 'SOAP crm/UpsertCustomer']);
    const text = renderConfigSummary(result, new BufferedIo());
    expect(text).to.match(/^OK: configuration .*default\.yaml is valid\./);
    expect(text).to.contain('upsert-customer');
    expect(summary.services[0]?.idempotency).to.equal('key');
    expect(text).not.to.contain('wsa:MessageID');
  });

  it('says which SOAP services take wsa:MessageID as the idempotency key (idempotency: messageId)', async function () {
    // The demo, with its files named from the repository (the copy lives elsewhere) and the opt-in on its service.
    const demo = readFileSync('config/default.yaml', 'utf8').replaceAll('../wsdl/', `${process.cwd()}/wsdl/`)
      .replace(/(schema|mapping): (schemas|mappings)\//g, `$1: ${process.cwd()}/config/$2/`);
    const file = temp.write('default.yaml', demo.replace(/(\n    crm:\n)/, '$1      idempotency: messageId\n'));
    const result = await checkConfig(file, logger());
    expect(result.problems).to.deep.equal([]);
    expect(result.summary?.services[0]?.idempotency).to.equal('messageId');
    expect(renderConfigSummary(result, new BufferedIo())).to.match(/crm +\/soap\/crm +\(WSDL .*; wsa:MessageID is the idempotency key when none is sent\)/);
  });

  it('finds what only a start finds (a SOAP operation the WSDL lacks) and names file:line', async function () {
    const file = temp.write('junction.yaml', `
endpoints:
  erp: { type: soap, wsdl: ${process.cwd()}/wsdl/erp/erp.wsdl, operation: Nope }
routes:
  - id: a
    entry: { rest: { method: POST, path: /a } }
    to: [erp]
`);
    const result = await checkConfig(file, logger());
    expect(result.ok).to.equal(false);
    expect(configCheckExitCode(result)).to.equal(2);
    expect(result.problems).to.have.length(1);
    expect(result.problems[0]?.location).to.equal(`${file}:3:8 endpoints.erp`);
    expect(result.problems[0]?.message).to.contain('no operation "Nope"');
    expect(renderConfigProblems(result)).to.equal(`junction: Configuration ${file} has 1 problem:\n  - ${file}:3:8 endpoints.erp: ${result.problems[0]?.message}\n`);
  });

  it('lists every schema problem with its location, and a missing file plainly', async function () {
    const file = temp.write('bad.yaml', 'log: { level: loud }\nroutes:\n  - id: a\n    to: [nowhere]\n');
    const result = await checkConfig(file, logger());
    expect(configCheckExitCode(result)).to.equal(2);
    expect(result.problems.map((p) => p.location)).to.include.members([`${file}:1:15 log.level`, `${file}:3:5 routes[0]`]);
    const missing = await checkConfig(`${temp.dir}/none.yaml`, logger());
    expect(missing.problems[0]?.message).to.match(/^JCT_CONFIG_UNREADABLE: .*it does not exist/);
  });

  it('exits 1, not 2, when a WSDL URL does not answer: the file may well be right', async function () {
    const port = await freePort();
    const file = temp.write('junction.yaml', `
endpoints:
  erp: { type: soap, wsdl: "http://127.0.0.1:${port}/erp?wsdl", operation: CreateOrUpdateCustomer }
routes:
  - id: a
    entry: { rest: { method: POST, path: /a } }
    to: [erp]
`);
    const result = await checkConfig(file, logger());
    expect(result.problems[0]?.configuration).to.equal(false);
    expect(configCheckExitCode(result)).to.equal(1);
  });

  it('never prints a password in a URL', () => {
    expect(redactUrl('mysql://junction:s3cret@db:3306/junction')).to.equal('mysql://junction:***@db:3306/junction');
    expect(redactUrl('amqp://guest:guest@localhost:5672/%2F')).to.equal('amqp://guest:***@localhost:5672/%2F');
    expect(redactUrl('sqlite:.junction/junction.db')).to.equal('sqlite:.junction/junction.db');
    expect(redactUrl('http://host/path?x=1')).to.equal('http://host/path?x=1');
  });
});
