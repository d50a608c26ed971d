import type { Element } from '@xmldom/xmldom';
import { childElements, ERP_NS, hasOwnText, type SoapFault } from './soap-envelope.js';

/** The operations of wsdl/erp/erp.wsdl. */
export const ERP_OPERATIONS = ['CreateOrUpdateCustomer', 'CreateSalesOrder'] as const;
export type ErpOperation = (typeof ERP_OPERATIONS)[number];

/** SOAPAction of each operation, as declared in the WSDL's binding. */
export const SOAP_ACTIONS: Readonly<Record<ErpOperation, string>> = Object.freeze({
  CreateOrUpdateCustomer: `${ERP_NS}/CreateOrUpdateCustomer`,
  CreateSalesOrder: `${ERP_NS}/CreateSalesOrder`,
});

/** `CreateOrUpdateCustomer` fields, exact strings as received (entities decoded). */
export interface CustomerFields {
  readonly CUST_NO: string;
  readonly CUST_NAME: string;
  readonly TEL?: string;
  readonly MAIL?: string;
  readonly STAT: string;
}

/** One `<LINE>` of a sales order. */
export interface SalesOrderLine {
  readonly SKU: string;
  readonly QTY: string;
  readonly PRICE: string;
}

/** `CreateSalesOrder` fields, exact strings as received ("250.00" stays "250.00"). */
export interface SalesOrderFields {
  readonly ORDER_NO: string;
  readonly CUST_NO: string;
  readonly AMOUNT: string;
  readonly CURRENCY: string;
  readonly LINE: readonly SalesOrderLine[];
}

/** A request read and validated: which operation and its fields. */
export type ErpRequest =
  | { readonly operation: 'CreateOrUpdateCustomer'; readonly fields: CustomerFields }
  | { readonly operation: 'CreateSalesOrder'; readonly fields: SalesOrderFields };

export type ReadOutcome = { readonly ok: true; readonly request: ErpRequest } | { readonly ok: false; readonly fault: SoapFault };

/** How a leaf field is checked: required non-empty text, optional text, a decimal, or the A/I status. */
type LeafKind = 'text' | 'optional' | 'decimal' | 'status';
type LeafSpec = Readonly<Record<string, LeafKind>>;

const CUSTOMER: LeafSpec = { CUST_NO: 'text', CUST_NAME: 'text', TEL: 'optional', MAIL: 'optional', STAT: 'status' };
const ORDER: LeafSpec = { ORDER_NO: 'text', CUST_NO: 'text', AMOUNT: 'decimal', CURRENCY: 'text' };
const LINE: LeafSpec = { SKU: 'text', QTY: 'decimal', PRICE: 'decimal' };

/** xsd:decimal's lexical form (surrounding whitespace is collapsed by XSD, so it is allowed). */
const DECIMAL = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/;

class FieldProblem extends Error {
  constructor(readonly field: string, message: string, readonly code = 'VALIDATION') {
    super(message);
  }
}

function isErpElement(el: Element): boolean {
  // The schema is elementFormDefault="qualified"; unqualified children are tolerated, as many legacy servers do.
  return el.namespaceURI === ERP_NS || el.namespaceURI === null;
}

/**
 * Reads the leaf fields of `parent` (and, for `groupName`, its repeated group elements) as exact
 * text; throws FieldProblem for an unknown, repeated, missing or invalid field.
 */
function readLeaves(parent: Element, spec: LeafSpec, prefix: string, groupName?: string): { leaves: Record<string, string>; groups: Element[] } {
  const leaves: Record<string, string> = {};
  const groups: Element[] = [];
  for (const child of childElements(parent)) {
    const name = child.localName ?? '';
    const path = `${prefix}${name}`;
    if (!isErpElement(child)) throw new FieldProblem(path, `unexpected element {${child.namespaceURI ?? ''}}${name}`, 'UNEXPECTED_ELEMENT');
    if (name === groupName) {
      groups.push(child);
      continue;
    }
    if (!Object.hasOwn(spec, name)) throw new FieldProblem(path, `unexpected element ${path}`, 'UNEXPECTED_ELEMENT');
    if (Object.hasOwn(leaves, name)) throw new FieldProblem(path, `${path} must occur once`, 'UNEXPECTED_ELEMENT');
    if (childElements(child).length > 0) throw new FieldProblem(path, `${path} must hold text, not elements`);
    leaves[name] = child.textContent ?? '';
  }
  for (const [name, kind] of Object.entries(spec)) {
    const path = `${prefix}${name}`;
    const value = leaves[name];
    if (value === undefined) {
      if (kind !== 'optional') throw new FieldProblem(path, `${path} is required`);
      continue;
    }
    if (kind === 'text' && value.trim() === '') throw new FieldProblem(path, `${path} must not be empty`);
    if (kind === 'status' && value !== 'A' && value !== 'I') throw new FieldProblem(path, `${path} must be A or I, got "${value.slice(0, 40)}"`);
    if (kind === 'decimal' && !DECIMAL.test(value)) throw new FieldProblem(path, `${path} must be a decimal number, got "${value.slice(0, 40)}"`);
  }
  return { leaves, groups };
}

function readCustomer(element: Element): CustomerFields {
  return readLeaves(element, CUSTOMER, '').leaves as unknown as CustomerFields;
}

function readSalesOrder(element: Element): SalesOrderFields {
  const { leaves, groups } = readLeaves(element, ORDER, '', 'LINE');
  if (groups.length === 0) throw new FieldProblem('LINE', 'LINE is required (at least one order line)');
  const lines = groups.map((line, i) => {
    if (hasOwnText(line)) throw new FieldProblem(`LINE[${i + 1}]`, `LINE[${i + 1}] must hold SKU, QTY and PRICE elements`);
    return readLeaves(line, LINE, `LINE[${i + 1}].`).leaves as unknown as SalesOrderLine;
  });
  return { ...(leaves as unknown as Omit<SalesOrderFields, 'LINE'>), LINE: lines };
}

function isOperation(name: string): name is ErpOperation {
  return (ERP_OPERATIONS as readonly string[]).includes(name);
}

/** Identifies the operation from the Body's element and reads its fields; a problem is a Client fault. */
export function readErpRequest(element: Element): ReadOutcome {
  const name = element.localName ?? '';
  if (element.namespaceURI !== ERP_NS || !isOperation(name)) {
    return {
      ok: false,
      fault: { faultcode: 'Client', faultstring: `unknown operation {${element.namespaceURI ?? ''}}${name}`, code: 'UNKNOWN_OPERATION' },
    };
  }
  try {
    const request: ErpRequest = name === 'CreateOrUpdateCustomer'
      ? { operation: name, fields: readCustomer(element) }
      : { operation: name, fields: readSalesOrder(element) };
    return { ok: true, request };
  } catch (error) {
    if (!(error instanceof FieldProblem)) throw error;
    return { ok: false, fault: { faultcode: 'Client', faultstring: error.message, code: error.code, field: error.field } };
  }
}
