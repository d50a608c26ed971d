import { expect } from 'chai';
import { ERROR_CATALOGUE } from '../../../src/core/error-catalogue';
import { JunctionError } from '../../../src/core/errors';
import { toProblem } from '../../../src/gateway/http/problem';

describe('problem documents (src/gateway/http/problem)', () => {
  it('carry the details docs/errors.md promises: a replay refusal\'s reason and the replay that took over, a job\'s status, the role needed', () => {
    const refused = new JunctionError('JCT_REPLAY_REFUSED', 'Message m-1 was replayed already; replay its latest replay instead (an admin may force it).', {
      details: { reason: 'replayed', status: 'FAILED', replayedBy: '0c2b0e7e-6f0e-4d8a-9d8e-0a4b6d2c1e02' },
    });
    expect(toProblem(refused, '/admin/api/messages/m-1/replay', 'req-1')).to.deep.equal({
      type: 'urn:junction:error:JCT_REPLAY_REFUSED', title: ERROR_CATALOGUE.JCT_REPLAY_REFUSED.title, status: 409,
      detail: refused.message, code: 'JCT_REPLAY_REFUSED', instance: '/admin/api/messages/m-1/replay', requestId: 'req-1',
      details: { reason: 'replayed', status: 'FAILED', replayedBy: '0c2b0e7e-6f0e-4d8a-9d8e-0a4b6d2c1e02' },
    });
    expect(toProblem(new JunctionError('JCT_REPLAY_JOB_CONFLICT', 'Replay job j is completed.', { details: { status: 'completed' } })).details).to.deep.equal({ status: 'completed' });
    expect(toProblem(new JunctionError('JCT_ADMIN_FORBIDDEN', 'Forcing a replay needs the admin role.', { details: { needed: 'admin', role: 'operator' } })).details)
      .to.deep.equal({ needed: 'admin', role: 'operator' });
  });

  it('keep other errors\' details out — internal hosts, files and backend fault texts reach REST callers of a synchronous route; messageId stays on top', () => {
    const rejected = new JunctionError('JCT_ENDPOINT_REJECTED', 'Endpoint "erp" rejected CreateSalesOrder with SOAP fault Client', {
      details: { endpoint: 'erp', operation: 'CreateSalesOrder', faultcode: 'Client', faultDetail: '<card>4111111111111111</card>', messageId: 'm-9' },
    });
    const problem = toProblem(rejected);
    expect(problem).not.to.have.property('details');
    expect(problem.messageId).to.equal('m-9');
    for (const error of [
      new JunctionError('JCT_STORE_UNAVAILABLE', 'The transaction log is unavailable.', { details: { driverCode: 'HANDSHAKE_SSL_ERROR', tls: 'CERT_HAS_EXPIRED' } }),
      new JunctionError('JCT_ENDPOINT_UNREACHABLE', 'Endpoint "erp" cannot fetch its WSDL.', { details: { endpoint: 'erp', wsdl: '/etc/junction/wsdl/erp.wsdl' } }),
      new JunctionError('JCT_BROKER_UNAVAILABLE', 'RabbitMQ did not confirm.', { details: { queue: 'junction.route.submit-order' } }),
    ]) expect(toProblem(error), error.code).not.to.have.property('details');
    const withId = toProblem(new JunctionError('JCT_REPLAY_REFUSED', 'x', { details: { reason: 'resolved', messageId: 'm-2' } }));
    expect([withId.messageId, withId.details]).to.deep.equal(['m-2', { reason: 'resolved' }]);
  });

  it('titles fit every use of their code: a query parameter as much as a body, a resolve and a bulk replay as much as a replay; the detail says which', () => {
    expect(toProblem(new JunctionError('JCT_REQUEST_MALFORMED', '"status" must be one of RECEIVED, … (got "BOGUS").')).title).to.equal('Request is malformed');
    expect(toProblem(new JunctionError('JCT_REPLAY_REFUSED', 'Message m-1 is not an unresolved FAILED message; only those can be resolved.')).title).to.equal('Replay or resolve refused');
  });
});
