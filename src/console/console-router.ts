import path from 'node:path';
import express, { type Router } from 'express';

/** Mount point of the operators' console. */
export const CONSOLE_BASE = '/console';

/**
 * The console's files: `console/` (HTML, CSS) and `dist/console/` (its TypeScript, compiled for the
 * browser by `npm run build`), both found from the package root. Plain static files: the page
 * talks to the admin API with the operator's token.
 */
export function createConsoleRouter(root: string = path.resolve(__dirname, '..', '..', '..')): Router {
  const router = express.Router();
  const options = { index: 'index.html', fallthrough: true, maxAge: 0 };
  router.use(express.static(path.join(root, 'console'), options));
  router.use(express.static(path.join(root, 'dist', 'console'), options));
  return router;
}
