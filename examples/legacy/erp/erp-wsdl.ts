import { existsSync } from 'node:fs';
import path from 'node:path';
import { escapeXml } from './soap-envelope.js';

const RELATIVE = path.join('wsdl', 'erp', 'erp.wsdl');

/**
 * The absolute path of wsdl/erp/erp.wsdl, found by walking up from this file (it runs from
 * dist/examples/legacy/erp, the WSDL lives at the repository root).
 */
export function findErpWsdlPath(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`cannot find ${RELATIVE} above ${from}`);
  }
}

/** The WSDL with its `soap:address location` pointing at `address`. */
export function withAddress(wsdl: string, address: string): string {
  return wsdl.replace(/(<(?:[A-Za-z_][\w.-]*:)?address\b[^>]*\blocation=")[^"]*(")/g, `$1${escapeXml(address)}$2`);
}
