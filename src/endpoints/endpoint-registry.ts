import type { EndpointFactory } from '../core/endpoint';
import { Registry } from '../core/registry';
import { httpEndpointFactory } from './http/http-endpoint-factory';
import { soapEndpointFactory } from './soap/soap-endpoint-factory';

/** The endpoint types Junction ships; app.ts may register more. */
export function createEndpointRegistry(): Registry<EndpointFactory> {
  return new Registry<EndpointFactory>('endpoint', [httpEndpointFactory, soapEndpointFactory]);
}
