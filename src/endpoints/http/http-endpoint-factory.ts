import type { EndpointFactory } from '../../core/endpoint';
import { checkAuthHeaders, readOutboundAuth } from '../outbound-auth';
import { readOutbound } from '../outbound-connection';
import { HttpEndpoint } from './http-endpoint';
import { HTTP_ENDPOINT_OPTIONS_SCHEMA, type HttpEndpointOptions } from './http-endpoint-options';

/** `type: http` — a REST/XML backend reached with one HTTP request per message. */
export const httpEndpointFactory: EndpointFactory = {
  type: 'http',
  optionsSchema: HTTP_ENDPOINT_OPTIONS_SCHEMA,
  create: (name, options, context) => {
    const checked = options as unknown as HttpEndpointOptions;
    const connection = readOutbound(name, checked, context.baseDir, checked.url);
    checkAuthHeaders(name, checked.auth, checked.headers);
    const auth = checked.auth === undefined ? undefined : readOutboundAuth(name, checked.auth, context.baseDir, connection, checked.timeoutMs);
    return new HttpEndpoint(name, checked, { connection, ...(auth ? { auth } : {}) });
  },
};
