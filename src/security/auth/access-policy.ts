import { forbidden, authRequired, type Principal } from './principal';

/**
 * Per-route authorization: which client may call which route. A client's `routes` list names
 * route ids, or `*` for all. A caller whose name is not a configured client (a JWT subject
 * nobody configured) may call nothing.
 */
export class AccessPolicy {
  private readonly allowed: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(readonly mode: 'off' | 'required', clients: Readonly<Record<string, { readonly routes: readonly string[] }>>) {
    this.allowed = new Map(Object.entries(clients).map(([name, c]) => [name, new Set(c.routes)]));
  }

  /** True when `principal` may call `routeId` (always, with authentication off). */
  mayCall(principal: Principal | undefined, routeId: string): boolean {
    if (this.mode === 'off') return true;
    const routes = principal ? this.allowed.get(principal.name) : undefined;
    return routes !== undefined && (routes.has('*') || routes.has(routeId));
  }

  /** Throws JCT_AUTH_REQUIRED (no caller) or JCT_FORBIDDEN (this caller may not) unless {@link mayCall}. */
  check(principal: Principal | undefined, routeId: string, what: string): void {
    if (this.mode === 'off') return;
    if (!principal) throw authRequired();
    if (!this.mayCall(principal, routeId)) throw forbidden(`Client "${principal.name}" may not call ${what}; ask your Junction operator to allow it.`);
  }

  /** Throws unless someone is authenticated (with authentication on): for calls any client may make, such as status look-ups. */
  checkAuthenticated(principal: Principal | undefined): void {
    if (this.mode === 'required' && !principal) throw authRequired();
  }
}
