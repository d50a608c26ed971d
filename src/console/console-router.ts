import path from 'node:path';
import express, { type Router } from 'express';

/** Mount point of the operators' console. */
export const CONSOLE_BASE = '/console';

/**
 * The console's files: `console/public/` (HTML, CSS) and `dist/console/` (its TypeScript from
 * `console/src/`, compiled for the browser by `npm run build`), both found from the package root.
 * Plain static files: the page talks to the admin API with the operator's token.
 */
export function createConsoleRouter(root: string = path.resolve(__dirname, '..', '..', '..')): Router {
  const router = express.Router();
  const options = { index: 'index.html', fallthrough: true, maxAge: 0 };
  // Relative links in the page need the trailing slash.
  router.get('/', (req, res, next) => { if (!req.originalUrl.split('?')[0]?.endsWith('/')) res.redirect(301, `${req.baseUrl}/`); else next(); });
  router.use(express.static(path.join(root, 'console', 'public'), options));
  router.use(express.static(path.join(root, 'dist', 'console'), options));
  return router;
}
