/** Operator roles, weakest first: viewer (read), operator (replay, dry-run, resolve), admin (force). */
export type AdminRole = 'viewer' | 'operator' | 'admin';

/** An admin API token: its secret comes from the environment (`token: ${VAR}`) or as a SHA-256 hash. */
export interface AdminTokenConfig {
  readonly name: string;
  readonly role: AdminRole;
  /** The token itself, after `${ENV}` interpolation; empty = this entry is disabled. */
  readonly token?: string;
  /** Hex SHA-256 of the token. */
  readonly sha256?: string;
}

/** For each admin role, the client or JWT roles that grant it (`admin.roles`). */
export type AdminRoleMapping = Readonly<Record<AdminRole, readonly string[]>>;

/** `admin.console.oidc`: the console signs operators in at the identity provider (authorization code flow with PKCE). */
export interface ConsoleOidcConfig {
  /** The client id the console is registered under at the identity provider (a public client: no secret). */
  readonly clientId: string;
  /** Space-separated scopes asked for (default `openid`). */
  readonly scope: string;
  /** Which token of the token endpoint's answer the console sends to the admin API. */
  readonly token: 'access' | 'id';
  /** The issuer to sign in at; only needed when `security.auth.jwt.issuer` lists several. */
  readonly issuer?: string;
  /** An `audience` parameter for the authorization request (Auth0 names the API this way). */
  readonly audience?: string;
  /** The console's address as registered at the identity provider; default: the address the browser shows. */
  readonly redirectUri?: string;
}

/** The `admin` section. */
export interface AdminConfig {
  readonly tokens: readonly AdminTokenConfig[];
  /** Which roles of API-key and certificate clients and bearer JWTs grant viewer, operator, admin. */
  readonly roles: AdminRoleMapping;
  /** The operators' console: `oidc` turns on "Sign in with your identity provider". */
  readonly console: { readonly oidc?: ConsoleOidcConfig };
  readonly replay: {
    /** Default pace of a bulk replay, messages per second. */
    readonly ratePerSecond: number;
    /** The fastest pace an operator may ask for. */
    readonly maxRatePerSecond: number;
  };
}

/** The `retention` section: how long settled messages are kept. */
export interface RetentionConfig {
  readonly enabled: boolean;
  /** DELIVERED messages older than this many days are deleted. */
  readonly deliveredDays: number;
  /** FAILED messages replayed or resolved, older than this many days, are deleted. */
  readonly resolvedDays: number;
  /** Messages deleted per transaction. */
  readonly batchSize: number;
  /** Time between purge rounds, in ms. */
  readonly intervalMs: number;
  /** Pause between two batches of one round, in ms. */
  readonly pauseMs: number;
}
