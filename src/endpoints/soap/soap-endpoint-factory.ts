import type { EndpointFactory } from '../../core/endpoint';
import { checkAuthHeaders, readOutboundAuth } from '../outbound-auth';
import { readOutbound } from '../outbound-connection';
import { SoapEndpoint } from './soap-endpoint';
import { SOAP_ENDPOINT_OPTIONS_SCHEMA, type SoapEndpointOptions } from './soap-endpoint-options';

/**
 * `type: soap` — one operation of a SOAP service, called once per message. A relative `wsdl`
 * path is resolved against the build context's `baseDir` (the configuration file's directory).
 * Every endpoint shares the process-wide WSDL cache.
 */
export const soapEndpointFactory: EndpointFactory = {
  type: 'soap',
  optionsSchema: SOAP_ENDPOINT_OPTIONS_SCHEMA,
  create: (name, options, context) => {
    const checked = options as unknown as SoapEndpointOptions;
    const connection = readOutbound(name, checked, context.baseDir, checked.url);
    checkAuthHeaders(name, checked.auth, checked.headers);
    const auth = checked.auth === undefined ? undefined : readOutboundAuth(name, checked.auth, context.baseDir, connection, checked.timeoutMs);
    return new SoapEndpoint(name, checked, { baseDir: context.baseDir, connection, ...(auth ? { auth } : {}) });
  },
};
