import { expect } from 'chai';
import { loadConfig } from '../../../src/config/load-config';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';
import { thrownBy } from '../../support/thrown';

describe('loadConfig', () => {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  it('fills in defaults and freezes the result', () => {
    const loaded = loadConfig(temp.write('junction.yaml', MINIMAL_CONFIG), {});
    expect(loaded.config.server.port).to.equal(8080);
    expect(loaded.config.store.url).to.equal('sqlite:.junction/junction.db');
    expect(loaded.config.bus.url).to.equal('memory:');
    expect(loaded.config.routes[0]?.pattern).to.equal('one-way');
    expect(Object.isFrozen(loaded.config)).to.equal(true);
    expect(Object.isFrozen(loaded.config.routes[0]?.to)).to.equal(true);
    expect(() => { (loaded.config.server as { port: number }).port = 1; }).to.throw(TypeError);
  });

  it('interpolates ${VAR} and ${VAR:-default} from the environment, numbers included', () => {
    const file = temp.write('junction.yaml', `server:\n  port: \${PORT:-8080}\nstore:\n  url: \${DB_URL}\n${MINIMAL_CONFIG}`);
    const loaded = loadConfig(file, { PORT: '9123', DB_URL: 'mysql://u:p@127.0.0.1:3306/db' });
    expect(loaded.config.server.port).to.equal(9123);
    expect(loaded.config.store.url).to.equal('mysql://u:p@127.0.0.1:3306/db');
    expect(loadConfig(file, { DB_URL: 'sqlite::memory:' }).config.server.port).to.equal(8080);
  });

  it('names the file, line, path and variable when a ${VAR} is not set', () => {
    const file = temp.write('junction.yaml', `store:\n  url: \${JUNCTION_DB_URL}\n${MINIMAL_CONFIG}`);
    const error = thrownBy(() => loadConfig(file, {}));
    expect(error.code).to.equal('JCT_CONFIG_ENV_MISSING');
    expect(error.message).to.contain(`${file}:2:8 store.url`);
    expect(error.message).to.contain('${JUNCTION_DB_URL}');
  });

  it('does not let an environment value change the structure of the file', () => {
    const file = temp.write('junction.yaml', `server:\n  host: \${HOST}\n${MINIMAL_CONFIG}`);
    const loaded = loadConfig(file, { HOST: '127.0.0.1\nport: 1' });
    expect(loaded.config.server.host).to.equal('127.0.0.1\nport: 1');
    expect(loaded.config.server.port).to.equal(8080);
  });

  it('reports every schema problem at once with file:line:col, path and what was expected', () => {
    const file = temp.write('junction.yaml', [
      'server:',
      '  prot: 8080',
      'log:',
      '  level: loud',
      'endpoints:',
      '  oa:',
      '    type: http',
      '    url: http://127.0.0.1:9/x',
      'routes:',
      '  - id: submit-order',
      '    pattern: fire-and-forget',
      '    entry: { rest: { method: POST, path: /orders } }',
      '    to: [oa]',
    ].join('\n'));
    const error = thrownBy(() => loadConfig(file, {}));
    expect(error.code).to.equal('JCT_CONFIG_INVALID');
    expect(error.violations).to.have.length(3);
    expect(error.message).to.contain(`${file}:2:9 server.prot: is not a known setting`);
    expect(error.message).to.contain(`${file}:4:10 log.level: must be one of: debug, info, warn, error, silent`);
    expect(error.message).to.contain(`${file}:11:14 routes[0].pattern: must be one of: one-way, request-reply`);
  });

  it('reports a missing required section and a wrong type', () => {
    const file = temp.write('junction.yaml', 'server:\n  port: eighty\nendpoints: {}\n');
    const error = thrownBy(() => loadConfig(file, {}));
    expect(error.message).to.contain('server.port: must be integer');
    expect(error.message).to.contain('(top level): must have "routes"');
  });

  it('reports YAML syntax errors with their line', () => {
    const file = temp.write('junction.yaml', 'routes:\n  - id: a\n   to: [x\n');
    const error = thrownBy(() => loadConfig(file, {}));
    expect(error.code).to.equal('JCT_CONFIG_SYNTAX');
    expect(error.message).to.match(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`));
  });

  it('refuses duplicate keys', () => {
    const file = temp.write('junction.yaml', `server:\n  port: 1\n  port: 2\n${MINIMAL_CONFIG}`);
    expect(thrownBy(() => loadConfig(file, {})).code).to.equal('JCT_CONFIG_SYNTAX');
  });

  it('says plainly when the file does not exist', () => {
    const error = thrownBy(() => loadConfig(`${temp.dir}/nope.yaml`, {}));
    expect(error.code).to.equal('JCT_CONFIG_UNREADABLE');
    expect(error.message).to.contain('does not exist');
  });

  it('loads the shipped demo configuration', () => {
    const loaded = loadConfig('config/default.yaml', {});
    expect(loaded.config.routes.map((r) => r.id)).to.include('submit-order');
    expect(loaded.config.endpoints['oa-approvals']?.url).to.equal('http://127.0.0.1:8091/oa/approvals');
  });

  it('loads the production example once its environment is set, and names what is missing otherwise', () => {
    const env = { JUNCTION_DB_URL: 'mysql://j:p@db:3306/junction', JUNCTION_AMQP_URL: 'amqp://j:p@mq:5672/%2F', OA_REST_URL: 'http://oa/oa/approvals', ERP_SOAP_URL: 'http://erp/erp/soap' };
    expect(loadConfig('config/production.example.yaml', env).config.store.url).to.equal(env.JUNCTION_DB_URL);
    const error = thrownBy(() => loadConfig('config/production.example.yaml', {}));
    expect(error.violations.map((v) => v.message).join('\n')).to.contain('${JUNCTION_DB_URL}').and.contain('${JUNCTION_AMQP_URL}').and.contain('${OA_REST_URL}').and.contain('${ERP_SOAP_URL}');
  });

  it('soap.services.<name>.idempotency: key by default, messageId to opt in, anything else refused with its path', () => {
    const soap = (option: string): string => `soap:\n  services:\n    crm:\n      wsdl: crm.wsdl\n${option}${MINIMAL_CONFIG}`;
    expect(loadConfig(temp.write('a.yaml', soap('')), {}).config.soap.services.crm?.idempotency).to.equal('key');
    expect(loadConfig(temp.write('b.yaml', soap('      idempotency: messageId\n')), {}).config.soap.services.crm?.idempotency).to.equal('messageId');
    const error = thrownBy(() => loadConfig(temp.write('c.yaml', soap('      idempotency: MessageID\n')), {}));
    expect(error.code).to.equal('JCT_CONFIG_INVALID');
    expect(error.message).to.contain('soap.services.crm.idempotency');
  });
});
