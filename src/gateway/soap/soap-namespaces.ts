/** The SOAP version of a request: from its Content-Type, checked against its Envelope. */
export type SoapVersion = '1.1' | '1.2';

/** Namespace URIs the SOAP gateway reads and writes. */
export const NS = Object.freeze({
  soap11Envelope: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12Envelope: 'http://www.w3.org/2003/05/soap-envelope',
  wsdl: 'http://schemas.xmlsoap.org/wsdl/',
  wsdlSoap11: 'http://schemas.xmlsoap.org/wsdl/soap/',
  wsdlSoap12: 'http://schemas.xmlsoap.org/wsdl/soap12/',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xml: 'http://www.w3.org/XML/1998/namespace',
  xmlns: 'http://www.w3.org/2000/xmlns/',
  /** WS-Security 1.0 secext: its fault codes (wsse:FailedCheck, …). */
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  /** Where Junction's fault detail (`JunctionFault`) lives; see wsdl/crm/faults.xsd. */
  junctionFaults: 'urn:junction:faults:v1',
});

/** The Envelope namespace of a SOAP version. */
export function envelopeNamespace(version: SoapVersion): string {
  return version === '1.1' ? NS.soap11Envelope : NS.soap12Envelope;
}

/** The SOAP version whose Envelope namespace is `uri`, if any. */
export function versionOfNamespace(uri: string | null): SoapVersion | undefined {
  if (uri === NS.soap11Envelope) return '1.1';
  if (uri === NS.soap12Envelope) return '1.2';
  return undefined;
}

/** The Content-Type of every SOAP message Junction writes in `version`. */
export function soapContentType(version: SoapVersion): string {
  return version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
}
