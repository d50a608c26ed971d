import { expect } from 'chai';
import { JunctionError } from '../../../src/core/errors';
import { isUnavailable, toStoreError } from '../../../src/store/typeorm/store-errors';

/** A driver error as mysql2 raises it, wrapped the way TypeORM wraps it (QueryFailedError.driverError). */
function driverFailure(code: string, message: string): Error {
  return Object.assign(new Error(`Query failed: ${message}`), { driverError: Object.assign(new Error(message), { code }) });
}

function storeError(code: string, message = ''): JunctionError {
  const mapped = toStoreError(driverFailure(code, message), 'MySQL db.internal:3306/junction');
  expect(mapped, code).to.be.instanceOf(JunctionError);
  expect((mapped as JunctionError).code).to.equal('JCT_STORE_UNAVAILABLE');
  return mapped as JunctionError;
}

describe('store errors: TLS failures read as every client of Junction reads them (tls-failure.ts)', () => {
  it('mysql2\'s HANDSHAKE_SSL_ERROR: the certificate check behind it, with what to set in store.tls', () => {
    const cases: [string, string, RegExp][] = [
      ['self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT', /not trusted; give the CA that signed it in store\.tls\.ca/],
      ['self signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN', /not trusted; give the CA that signed it in store\.tls\.ca/],
      ['unable to get local issuer certificate', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', /not trusted; give the CA that signed it in store\.tls\.ca/],
      ['certificate has expired', 'CERT_HAS_EXPIRED', /not valid now \(expired, or not yet valid\)/],
      ['certificate is not yet valid', 'CERT_NOT_YET_VALID', /not valid now \(expired, or not yet valid\)/],
      ['Hostname/IP does not match certificate\'s altnames: Host: db.internal. is not in the cert\'s altnames: DNS:other', 'ERR_TLS_CERT_ALTNAME_INVALID', /not issued for the host in store\.url/],
    ];
    for (const [text, code, reason] of cases) {
      const error = storeError('HANDSHAKE_SSL_ERROR', text);
      expect(error.message, text).to.match(reason);
      expect(error.message, text).to.contain(`(${code}).`).and.to.contain('The transaction log (MySQL db.internal:3306/junction) is unavailable: TLS: ');
      expect(error.details).to.deep.equal({ driverCode: 'HANDSHAKE_SSL_ERROR', tls: code });
      expect(error.retryable).to.equal(true);
    }
    const other = storeError('HANDSHAKE_SSL_ERROR', 'ssl3_read_bytes:tlsv13 alert certificate required');
    expect(other.message).to.match(/TLS: the handshake failed; if the server asks for a client certificate, give it in store\.tls\.cert and store\.tls\.key \(HANDSHAKE_SSL_ERROR\)\.$/);
  });

  it('a TLS code as Node.js gives it reads the same; before, CERT_NOT_YET_VALID was not even taken for a store failure', () => {
    expect(storeError('CERT_NOT_YET_VALID').message).to.match(/TLS: the server's certificate is not valid now \(expired, or not yet valid\) \(CERT_NOT_YET_VALID\)\.$/);
    expect(storeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE').message).to.contain('not trusted; give the CA that signed it in store.tls.ca (UNABLE_TO_VERIFY_LEAF_SIGNATURE).');
    expect(storeError('ERR_SSL_WRONG_VERSION_NUMBER').message).to.contain('TLS: the handshake failed;');
  });

  it('leaves the rest as it was: no TLS offered, plain connection failures, and errors that are not about reaching the database', () => {
    expect(storeError('HANDSHAKE_NO_SSL_SUPPORT').message).to.contain('the server does not offer TLS, and store.tls asks for it (HANDSHAKE_NO_SSL_SUPPORT).');
    expect(storeError('ECONNREFUSED').message).to.contain('connection refused (ECONNREFUSED).');
    const syntax = driverFailure('ER_PARSE_ERROR', 'You have an error in your SQL syntax');
    expect(isUnavailable(syntax)).to.equal(false);
    expect(toStoreError(syntax, 'x')).to.equal(syntax);
  });
});
