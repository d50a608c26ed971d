import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ERROR_CATALOGUE, isErrorCode } from '../../../src/core/error-catalogue';
import { JunctionError, toJunctionError } from '../../../src/core/errors';

describe('error catalogue', () => {
  const docs = readFileSync('docs/errors.md', 'utf8');

  for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
    it(`${code} is documented in docs/errors.md with its status and a fix`, () => {
      const section = docs.split(/^### /m).find((s) => s.startsWith(`${code}\n`));
      expect(section, `no "### ${code}" section`).to.be.a('string');
      expect(section).to.contain(`HTTP ${spec.httpStatus}`);
      expect(section).to.contain(spec.retryable ? 'Retryable: yes' : 'Retryable: no');
      expect(section).to.match(/\*\*Fix:\*\*/);
    });
  }

  it('every documented code exists', () => {
    const documented = [...docs.matchAll(/^### (JCT_[A-Z_]+)$/gm)].map((m) => m[1]);
    expect(documented.filter((c) => !isErrorCode(c))).to.deep.equal([]);
  });
});

describe('JunctionError', () => {
  it('takes status and retryable from the catalogue', () => {
    const e = new JunctionError('JCT_ENDPOINT_TIMEOUT', 'slow');
    expect([e.httpStatus, e.retryable, e.code]).to.deep.equal([504, true, 'JCT_ENDPOINT_TIMEOUT']);
  });

  it('round-trips through its plain form without a stack', () => {
    const e = new JunctionError('JCT_VALIDATION_FAILED', 'bad', { violations: [{ path: '/a', message: 'is required' }], details: { endpoint: 'oa', status: 400 } });
    const plain = JSON.parse(JSON.stringify(e)) as ReturnType<JunctionError['toJSON']>;
    expect(plain).to.deep.equal({ code: 'JCT_VALIDATION_FAILED', message: 'bad', retryable: false, violations: [{ path: '/a', message: 'is required' }], details: { endpoint: 'oa', status: 400 } });
    expect(JSON.stringify(plain)).to.not.contain('stack');
    const back = JunctionError.fromJSON(plain);
    expect(back.toJSON()).to.deep.equal(plain);
  });

  it('rebuilds an unknown code as JCT_INTERNAL', () => {
    const back = JunctionError.fromJSON({ code: 'JCT_NOPE' as never, message: 'x', retryable: true });
    expect(back.code).to.equal('JCT_INTERNAL');
  });

  it('hides foreign error text behind JCT_INTERNAL', () => {
    const e = toJunctionError(new Error('ER_ACCESS_DENIED for user root@10.0.0.1 password=secret'));
    expect(e.code).to.equal('JCT_INTERNAL');
    expect(e.message).to.not.contain('secret');
  });
});
