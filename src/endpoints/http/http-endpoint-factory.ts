import type { EndpointFactory } from '../../core/endpoint';
import { readOutbound } from '../outbound-connection';
import { HttpEndpoint } from './http-endpoint';
import { HTTP_ENDPOINT_OPTIONS_SCHEMA, type HttpEndpointOptions } from './http-endpoint-options';

/** `type: http` — a REST/XML backend reached with one HTTP request per message. */
export const httpEndpointFactory: EndpointFactory = {
  type: 'http',
  optionsSchema: HTTP_ENDPOINT_OPTIONS_SCHEMA,
  create: (name, options, context) => {
    const checked = options as unknown as HttpEndpointOptions;
    return new HttpEndpoint(name, checked, readOutbound(name, checked, context.baseDir, checked.url));
  },
};
