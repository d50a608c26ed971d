import { envelopeNamespace, type SoapVersion } from './soap-namespaces';

/** The prefix Junction writes the Envelope namespace with: `soap` (1.1) or `env` (1.2). */
export function envelopePrefix(version: SoapVersion): 'soap' | 'env' {
  return version === '1.1' ? 'soap' : 'env';
}

/**
 * A complete SOAP envelope as text: XML declaration, Envelope, optional Header, Body holding
 * `body` (already serialised; it must declare its own namespaces).
 */
export function writeEnvelope(version: SoapVersion, body: string, header?: string): string {
  const p = envelopePrefix(version);
  return '<?xml version="1.0" encoding="utf-8"?>'
    + `<${p}:Envelope xmlns:${p}="${envelopeNamespace(version)}">`
    + (header ? `<${p}:Header>${header}</${p}:Header>` : '')
    + `<${p}:Body>${body}</${p}:Body>`
    + `</${p}:Envelope>`;
}
