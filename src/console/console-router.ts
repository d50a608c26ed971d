import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ConsoleSignIn } from './console-sign-in';

/** Mount point of the operators' console. */
export const CONSOLE_BASE = '/console';

/** Options of {@link createConsoleRouter}. */
export interface ConsoleRouterOptions {
  /** The package root (holds `console/public/` and `dist/console/`). */
  readonly root?: string;
  /** Single sign-on at the identity provider (`admin.console.oidc`); without it the console signs in by pasted token only. */
  readonly signIn?: ConsoleSignIn;
}

/**
 * The console's Content-Security-Policy: its own scripts, styles and API only — plus, with single
 * sign-on, the origin of the identity provider's token endpoint, which the page posts the code to.
 * Nothing else may be loaded, framed, or posted to.
 */
export function consoleCsp(tokenOrigin: string | undefined): string {
  return [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    `connect-src 'self'${tokenOrigin ? ` ${tokenOrigin}` : ''}`,
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; ');
}

/** A request URL's path and its query (`?…`, or '' without one). */
function splitQuery(url: string): [string, string] {
  const at = url.indexOf('?');
  return at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at)];
}

/**
 * The console's files: `console/public/` (HTML, CSS) and `dist/console/` (its TypeScript from
 * `console/src/`, compiled for the browser by `npm run build`), both found from the package root,
 * and `sign-in.json` (what the page needs to sign in at the identity provider; public, no
 * secrets). Plain static files: the page talks to the admin API with the operator's token.
 */
export function createConsoleRouter(options: ConsoleRouterOptions = {}): Router {
  const root = options.root ?? path.resolve(__dirname, '..', '..', '..');
  const { signIn } = options;
  const router = express.Router();
  // No redirect of express.static's own: it sends a directory without its slash to that directory
  // with one (`/console/src` → `/console/src/`), whose index does not exist — a redirect to a 404.
  // The one redirect the console needs, /console → /console/, is below.
  const files = { index: 'index.html', fallthrough: true, maxAge: 0, redirect: false };
  router.use((_req: Request, res: Response, next: NextFunction) => {
    // The sign-in code arrives in the page's query: no Referer may carry it anywhere.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!signIn) {
      res.setHeader('Content-Security-Policy', consoleCsp(undefined));
      next();
      return;
    }
    signIn.tokenOrigin().then((origin) => {
      res.setHeader('Content-Security-Policy', consoleCsp(origin));
      next();
    }, next);
  });
  router.get('/sign-in.json', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    if (!signIn) {
      res.json({ oidc: null });
      return;
    }
    signIn.document().then((document) => res.json(document), next);
  });
  // Relative links in the page need the trailing slash. The query goes along: an identity provider
  // sends the sign-in code there when the redirect URI is registered without the slash.
  router.get('/', (req, res, next) => {
    const [pathname, query] = splitQuery(req.originalUrl);
    if (!pathname.endsWith('/')) res.redirect(301, `${req.baseUrl}/${query}`);
    else next();
  });
  router.use(express.static(path.join(root, 'console', 'public'), files));
  router.use(express.static(path.join(root, 'dist', 'console'), files));
  return router;
}
