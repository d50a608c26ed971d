import type { EndpointFactory } from '../../core/endpoint';
import { HttpEndpoint } from './http-endpoint';
import { HTTP_ENDPOINT_OPTIONS_SCHEMA, type HttpEndpointOptions } from './http-endpoint-options';

/** `type: http` — a REST/XML backend reached with one HTTP request per message. */
export const httpEndpointFactory: EndpointFactory = {
  type: 'http',
  optionsSchema: HTTP_ENDPOINT_OPTIONS_SCHEMA,
  create: (name, options) => new HttpEndpoint(name, options as unknown as HttpEndpointOptions),
};
