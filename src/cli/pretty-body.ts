/** Re-exported from core: the admin API pretty-prints payloads the same way. */
export { prettyBody, prettyJson, prettyXml } from '../core/pretty-body';
