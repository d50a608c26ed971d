import type { Element } from '@xmldom/xmldom';
import { expect } from 'chai';
import { elements, FAULT_NS, SOAP11_NS, SOAP12_NS, xmlDocument, type RawResponse } from './soap-test-server';

/** What a fault says, read back from its XML. */
export interface FaultSeen {
  readonly reason: string;
  readonly code?: string;
  readonly retryable?: string;
  readonly messageId?: string;
  readonly requestId?: string;
}

function childNamed(parent: Element, ns: string | null, local: string): Element | undefined {
  return [...parent.childNodes].find((n): n is Element => n.nodeType === 1 && (n as Element).localName === local && ((n as Element).namespaceURI ?? null) === ns);
}

function junctionFault(container: Element | undefined): Partial<FaultSeen> {
  const fault = container ? childNamed(container, FAULT_NS, 'JunctionFault') : undefined;
  if (!fault) return {};
  const field = (name: string): string | undefined => childNamed(fault, FAULT_NS, name)?.textContent ?? undefined;
  return {
    ...(field('code') !== undefined ? { code: field('code') } : {}),
    ...(field('retryable') !== undefined ? { retryable: field('retryable') } : {}),
    ...(field('messageId') !== undefined ? { messageId: field('messageId') } : {}),
    ...(field('requestId') !== undefined ? { requestId: field('requestId') } : {}),
  };
}

function noInternals(text: string): void {
  expect(text).to.not.match(/\bat .+\.[jt]s:\d+/); // no stack frames
  expect(text).to.not.match(/\/work\/|node_modules|dist\//);
}

/**
 * Asserts a SOAP 1.1 fault: HTTP status (500 unless said), text/xml, soap:Envelope in the 1.1
 * namespace, faultcode `soap:<code>` with the prefix bound to that namespace, a faultstring, a
 * detail with a JunctionFault of `jct` (or no detail when `jct` is undefined).
 */
export function expectFault11(res: RawResponse, code: 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand', jct: string | undefined, status = 500): FaultSeen {
  expect(res.status, res.text).to.equal(status);
  expect(res.contentType).to.equal('text/xml; charset=utf-8');
  noInternals(res.text);
  const document = xmlDocument(res.text);
  const root = document.documentElement!;
  expect([root.namespaceURI, root.localName]).to.deep.equal([SOAP11_NS, 'Envelope']);
  const [fault, ...others] = elements(document, SOAP11_NS, 'Fault');
  expect(fault, 'soap:Fault').to.not.equal(undefined);
  expect(others).to.have.length(0);
  expect(childNamed(elements(document, SOAP11_NS, 'Body')[0]!, SOAP11_NS, 'Fault')).to.equal(fault);
  const faultcode = childNamed(fault!, null, 'faultcode')?.textContent ?? '';
  const [prefix, local] = faultcode.split(':');
  expect(local).to.equal(code);
  expect(fault!.lookupNamespaceURI(prefix ?? null)).to.equal(SOAP11_NS);
  const reason = childNamed(fault!, null, 'faultstring')?.textContent ?? '';
  expect(reason).to.not.equal('');
  const detail = childNamed(fault!, null, 'detail');
  if (jct === undefined) {
    expect(detail, 'no detail').to.equal(undefined);
    return { reason };
  }
  expect(detail, 'detail').to.not.equal(undefined);
  const seen = { reason, ...junctionFault(detail) };
  expect(seen.code).to.equal(jct);
  return seen;
}

/**
 * Asserts a SOAP 1.2 fault: HTTP status (400 for Sender, else 500 unless said),
 * application/soap+xml, env:Code/env:Value `env:<value>` (bound to the 1.2 namespace), Subcode
 * `jct:<jct>` when a JCT code is expected, Reason/Text with xml:lang="en", Detail with the
 * JunctionFault; never faultcode/faultstring.
 */
export function expectFault12(res: RawResponse, value: 'Sender' | 'Receiver' | 'VersionMismatch' | 'MustUnderstand', jct: string | undefined, status = value === 'Sender' ? 400 : 500): FaultSeen {
  expect(res.status, res.text).to.equal(status);
  expect(res.contentType).to.equal('application/soap+xml; charset=utf-8');
  noInternals(res.text);
  const document = xmlDocument(res.text);
  const root = document.documentElement!;
  expect([root.namespaceURI, root.localName]).to.deep.equal([SOAP12_NS, 'Envelope']);
  const [fault] = elements(document, SOAP12_NS, 'Fault');
  expect(fault, 'env:Fault').to.not.equal(undefined);
  expect(res.text).to.not.contain('faultcode').and.not.contain('faultstring');
  const code = childNamed(fault!, SOAP12_NS, 'Code')!;
  const codeValue = childNamed(code, SOAP12_NS, 'Value')!;
  const [prefix, local] = (codeValue.textContent ?? '').split(':');
  expect(local).to.equal(value);
  expect(codeValue.lookupNamespaceURI(prefix ?? null)).to.equal(SOAP12_NS);
  const subcode = childNamed(code, SOAP12_NS, 'Subcode');
  if (jct !== undefined) {
    const subValue = childNamed(subcode!, SOAP12_NS, 'Value')!;
    const [subPrefix, subLocal] = (subValue.textContent ?? '').split(':');
    expect(subLocal).to.equal(jct);
    expect(subValue.lookupNamespaceURI(subPrefix ?? null)).to.equal(FAULT_NS);
  }
  const text = childNamed(childNamed(fault!, SOAP12_NS, 'Reason')!, SOAP12_NS, 'Text')!;
  expect(text.getAttributeNS('http://www.w3.org/XML/1998/namespace', 'lang')).to.equal('en');
  const reason = text.textContent ?? '';
  expect(reason).to.not.equal('');
  const detail = childNamed(fault!, SOAP12_NS, 'Detail');
  if (jct === undefined) {
    expect(detail, 'no Detail').to.equal(undefined);
    return { reason };
  }
  const seen = { reason, ...junctionFault(detail) };
  expect(seen.code).to.equal(jct);
  return seen;
}
