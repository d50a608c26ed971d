import path from 'node:path';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { JunctionError } from '../../core/errors';
import { createEntities, storeNames, type StoreEntities } from './entities';
import { createMigrations } from './migrations';

/** URL forms the transaction log understands, as shown in errors and docs. */
export const SUPPORTED_URL_FORMS = Object.freeze([
  'mysql://user:password@host:port/database',
  'mariadb://user:password@host:port/database',
  'sqlite:path/to/file.db',
  'sqlite::memory:',
]);

/** Where the log lives, parsed from its URL; `label` is safe to show (never holds the password). */
export type StoreTarget =
  | { readonly dialect: 'mysql'; readonly flavour: 'mysql' | 'mariadb'; readonly label: string; readonly host: string; readonly port: number;
      readonly user: string; readonly password: string; readonly database: string }
  | { readonly dialect: 'sqlite'; readonly label: string; readonly file: string };

/** Options of {@link createDataSource} besides the URL. */
export interface DataSourceSettings {
  /** Table prefix (default `jct_`). */
  readonly tablePrefix: string;
  /** MySQL: connections in the pool (default 10). Ignored by SQLite (one connection). */
  readonly poolSize?: number;
  /** MySQL: ms to wait for a new connection (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** SQLite: ms to wait on a database locked by another process (default 5 000). */
  readonly busyTimeoutMs?: number;
  /** Receives TypeORM's own messages (migrations, warnings). */
  readonly typeormLogger?: TypeOrmLogger;
  /** MySQL: TLS to the server. */
  readonly tls?: StoreTls | undefined;
}

/** TLS to MySQL/MariaDB (PEM texts, already read). */
export interface StoreTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
}

/** mysql2's `ssl` options of {@link mysqlSsl}. */
interface MysqlSsl extends StoreTls {
  readonly verifyIdentity: boolean;
}

/**
 * mysql2's `ssl` options for store.tls, for both of the log's pools. mysql2 checks that the
 * certificate names the server only when asked (`verifyIdentity`, off by default: any certificate
 * a trusted CA issued, for any host, would do), so it is asked whenever certificates are checked.
 * The name checked is the host of store.url (an IP address against the certificate's IP
 * entries): mysql2 takes no other server name.
 */
export function mysqlSsl(tls: StoreTls): MysqlSsl {
  const { ca, cert, key, rejectUnauthorized } = tls;
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}), rejectUnauthorized, verifyIdentity: rejectUnauthorized };
}

function invalid(message: string): JunctionError {
  return new JunctionError('JCT_CONFIG_INVALID', message);
}

function parseSqlite(url: string): StoreTarget {
  let rest = url.slice('sqlite:'.length);
  if (rest.startsWith('///')) rest = rest.slice(2);
  else if (rest.startsWith('//')) {
    throw invalid('Transaction log URL "sqlite://..." is ambiguous: use sqlite:relative/path.db, sqlite:/absolute/path.db or sqlite::memory:.');
  }
  if (rest === '') throw invalid('Transaction log URL "sqlite:" names no file: use sqlite:path/to/file.db or sqlite::memory:.');
  if (rest === ':memory:') return { dialect: 'sqlite', label: 'SQLite in memory', file: ':memory:' };
  const file = path.resolve(decodeURIComponent(rest));
  return { dialect: 'sqlite', label: `SQLite file ${file}`, file };
}

function parseMysql(url: string, flavour: 'mysql' | 'mariadb'): StoreTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`Transaction log URL for ${url.slice(0, url.indexOf(':'))} is not a valid URL (expected mysql://user:password@host:port/database).`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  if (parsed.hostname === '' || database === '' || database.includes('/')) {
    throw invalid('Transaction log URL must name a host and one database: mysql://user:password@host:port/database.');
  }
  return {
    dialect: 'mysql',
    flavour,
    label: `${flavour === 'mysql' ? 'MySQL' : 'MariaDB'} ${parsed.hostname}:${port}/${database}`,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database,
  };
}

/**
 * Parses a transaction log URL: `mysql://user:pass@host:port/db` (or `mariadb://`), `sqlite:path.db`
 * (relative to the working directory), `sqlite:/abs/path.db` or `sqlite::memory:`. Throws
 * JCT_CONFIG_INVALID naming the scheme for anything else; errors never repeat the password.
 */
export function parseStoreUrl(url: string): StoreTarget {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return parseSqlite(url);
  if (scheme === 'mysql' || scheme === 'mariadb') return parseMysql(url, scheme);
  throw invalid(`Transaction log URL scheme "${scheme ?? '(none)'}" is not supported; supported: mysql, mariadb, sqlite `
    + `(${SUPPORTED_URL_FORMS.join(', ')}).`);
}

/** A DataSource not yet connected, with the entity schemas registered on it. */
export interface StoreDataSource {
  readonly dataSource: DataSource;
  readonly entities: StoreEntities;
}

/** Connect timeout of the log's pools when none is configured. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Session settings of every MySQL connection of the log (TypeORM's pool and the group commit
 * writer's): UTF-8 for any text, UTC for DATETIMEs; FOUND_ROWS (mysql2's default, named because
 * transitions rely on affectedRows counting matched rows, not only changed ones).
 */
export const MYSQL_SESSION = Object.freeze({ charset: 'utf8mb4', timezone: 'Z', flags: ['FOUND_ROWS'] });

/**
 * mysql2 pool settings of both pools. trace: false — mysql2 would capture a stack trace for every
 * query (a few % of a busy process's CPU, docs/performance.md); driver errors keep their own stack.
 */
export const MYSQL_POOL = Object.freeze({ enableKeepAlive: true, waitForConnections: true, queueLimit: 0, trace: false });

/** Builds (without connecting) the TypeORM DataSource for a target; `synchronize` stays off. */
export function createDataSource(target: StoreTarget, settings: DataSourceSettings): StoreDataSource {
  const names = storeNames(settings.tablePrefix);
  const entities = createEntities(settings.tablePrefix, target.dialect);
  const common = {
    entities: [entities.message, entities.stage, entities.audit, entities.replayJob, entities.nonce],
    migrations: createMigrations(settings.tablePrefix),
    migrationsTableName: names.migrations,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    ...(settings.typeormLogger ? { logger: settings.typeormLogger } : { logging: false }),
  };
  if (target.dialect === 'sqlite') {
    return { entities, dataSource: new DataSource({
      ...common,
      type: 'better-sqlite3',
      database: target.file,
      enableWAL: target.file !== ':memory:',
      // better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1 (NORMAL: a power cut may lose
      // the last commits). A message is "accepted" only once durable, so: FULL, one fsync per commit.
      prepareDatabase: (db: { pragma(source: string): unknown }) => { db.pragma('synchronous = FULL'); },
      timeout: settings.busyTimeoutMs ?? 5000,
    }) };
  }
  return { entities, dataSource: new DataSource({
    ...common,
    // mariadb:// selects TypeORM's MariaDB dialect (it reads MariaDB's catalogue right); same mysql2 client.
    type: target.flavour,
    host: target.host,
    port: target.port,
    username: target.user,
    password: target.password,
    database: target.database,
    ...MYSQL_SESSION,
    poolSize: settings.poolSize ?? 10,
    connectTimeout: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    extra: { ...MYSQL_POOL },
    // TLS to the server (store.tls): mysql2's `ssl` options, certificates read at boot.
    ...(settings.tls ? { ssl: mysqlSsl(settings.tls) } : {}),
  }) };
}
