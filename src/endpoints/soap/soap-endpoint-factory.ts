import type { EndpointFactory } from '../../core/endpoint';
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
    return new SoapEndpoint(name, checked, { baseDir: context.baseDir, connection: readOutbound(name, checked, context.baseDir, checked.url) });
  },
};
