import path from 'node:path';
import { expect } from 'chai';
import { parseStoreUrl } from '../../../src/store/typeorm/data-source';
import { TypeOrmTransactionLog } from '../../../src/store/typeorm/typeorm-transaction-log';
import { expectJunctionError } from '../../contract/transaction-log.support';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return expectJunctionError(error, 'JCT_CONFIG_INVALID').message;
  }
  throw new Error('expected JCT_CONFIG_INVALID');
}

/** URL parsing needs no server (it sits here because store tests live in this folder). */
describe('Transaction log URLs', () => {
  it('reads mysql:// and mariadb:// with escaped credentials, and never puts the password in the label', () => {
    const target = parseStoreUrl('mysql://jct%40app:p%3Ass%2Fw0rd@db.example:3307/junction');
    expect(target).to.deep.equal({
      dialect: 'mysql', flavour: 'mysql', label: 'MySQL db.example:3307/junction', host: 'db.example', port: 3307,
      user: 'jct@app', password: 'p:ss/w0rd', database: 'junction',
    });
    expect(parseStoreUrl('mariadb://u:p@127.0.0.1/j')).to.include({ dialect: 'mysql', flavour: 'mariadb', port: 3306, database: 'j' });
  });

  it('reads sqlite:relative, sqlite:/absolute, sqlite:///absolute and sqlite::memory:', () => {
    expect(parseStoreUrl('sqlite:.junction/junction.db')).to.include({ dialect: 'sqlite', file: path.resolve('.junction/junction.db') });
    expect(parseStoreUrl('sqlite:/var/lib/junction/log.db')).to.include({ file: '/var/lib/junction/log.db' });
    expect(parseStoreUrl('sqlite:///var/lib/junction/log.db')).to.include({ file: '/var/lib/junction/log.db' });
    expect(parseStoreUrl('sqlite::memory:')).to.include({ dialect: 'sqlite', file: ':memory:' });
  });

  it('rejects an unknown scheme naming it and the supported ones', () => {
    const message = configError(() => parseStoreUrl('postgres://u:hunter2@h/db'));
    expect(message).to.include('"postgres"').and.include('mysql').and.include('mariadb').and.include('sqlite');
    expect(message).not.to.include('hunter2');
    expect(configError(() => parseStoreUrl('/just/a/path.db'))).to.include('"(none)"');
  });

  it('rejects a MySQL URL without a database, a bare sqlite: and sqlite://host, without echoing the password', () => {
    expect(configError(() => parseStoreUrl('mysql://u:hunter2@host:3306/'))).not.to.include('hunter2');
    configError(() => parseStoreUrl('sqlite:'));
    configError(() => parseStoreUrl('sqlite://host/file.db'));
  });

  it('checks the table prefix when the log is built, before any I/O', () => {
    expect(configError(() => new TypeOrmTransactionLog({ url: 'sqlite::memory:', tablePrefix: 'bad-prefix' }))).to.include('bad-prefix');
    expect(configError(() => new TypeOrmTransactionLog({ url: 'oracle://x' }))).to.include('"oracle"');
  });
});
