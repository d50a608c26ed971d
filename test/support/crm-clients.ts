import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as soap from 'soap';

const run = promisify(execFile);

/** The CRM service's ports. */
export type CrmPort = 'CrmSoap11Port' | 'CrmSoap12Port';

type Method = (args: unknown, callback: (error: unknown, result: unknown, raw: string) => void) => void;

/**
 * A node-soap client of Junction's CRM service for one port (built once per test suite). Its WSDL
 * cache is off: node-soap shares the parsed WSDL between clients of one URL, and the 1.2
 * client's `forceSoap12Headers` would then turn the 1.1 client's envelopes into 1.2 ones.
 */
export async function nodeSoapClient(wsdlUrl: string, port: CrmPort): Promise<soap.Client> {
  return soap.createClientAsync(wsdlUrl, { disableCache: true, ...(port === 'CrmSoap12Port' ? { forceSoap12Headers: true } : {}) });
}

/** Calls an operation on one port explicitly (node-soap's `client.XAsync` is bound to the last port it read). */
export function callPort(client: soap.Client, port: CrmPort, operation: string, args: unknown): Promise<{ result: unknown; raw: string }> {
  const method = (client as unknown as Record<string, Record<string, Record<string, Method>>>).CrmService![port]![operation]!;
  return new Promise((resolve, reject) => {
    method(args, (error, result, raw) => (error ? reject(error) : resolve({ result, raw })));
  });
}

/** What the zeep driver prints. */
export type ZeepAnswer = (
  | { ok: true; result: Record<string, unknown> | null }
  | { ok: false; code: string; message: string; detail: string | null }
) & {
  addressing?: { messageId: string | null; action: string | null; relatesTo: string | null; replayed: string | null };
  /** With `soapHeaders`: Junction's HTTP headers on the answer. */
  http?: { messageId: string | null; replayed: string | null };
};

/**
 * Calls the CRM service with python3-zeep (test/fixtures/zeep/crm_client.py), an independent SOAP
 * stack; with `wsAddressing`, through zeep's WS-Addressing plugin (`{ messageId }`: with that MessageID
 * instead of a new one); with `httpBasic`, with HTTP Basic on every request; with `soapHeaders`, the
 * header blocks the WSDL declares (zeep's `_soapheaders`, by name).
 */
export async function zeepCall(wsdlUrl: string, port: CrmPort, operation: string, args: Record<string, unknown>,
  usernameToken?: { username: string; password: string }, wsAddressing: boolean | { messageId: string } = false,
  httpBasic?: { username: string; password: string }, soapHeaders?: Readonly<Record<string, string>>): Promise<ZeepAnswer> {
  const env = {
    ...process.env,
    ...(usernameToken ? { ZEEP_USERNAME: usernameToken.username, ZEEP_PASSWORD: usernameToken.password } : {}),
    ...(wsAddressing ? { ZEEP_WSA: '1' } : {}),
    ...(typeof wsAddressing === 'object' ? { ZEEP_WSA_MESSAGE_ID: wsAddressing.messageId } : {}),
    ...(soapHeaders ? { ZEEP_SOAP_HEADERS: JSON.stringify(soapHeaders) } : {}),
    ...(httpBasic ? { ZEEP_BASIC_USER: httpBasic.username, ZEEP_BASIC_PASSWORD: httpBasic.password } : {}),
  };
  const { stdout } = await run('/usr/bin/python3', ['test/fixtures/zeep/crm_client.py', wsdlUrl, port, operation, JSON.stringify(args)], { timeout: 30_000, env });
  return JSON.parse(stdout) as ZeepAnswer;
}
