/**
 * libxml2-wasm is an ES module with top-level await, so CommonJS code cannot require() it: it is
 * loaded with import(), once per process, and shared by every XSD user (SOAP gateway, xsd step).
 */
export type Libxml = typeof import('libxml2-wasm');
export type LibxmlDocument = InstanceType<Libxml['XmlDocument']>;
export type LibxmlValidator = InstanceType<Libxml['XsdValidator']>;
export type LibxmlElement = InstanceType<Libxml['XmlElement']>;
export type ErrorDetail = import('libxml2-wasm').ErrorDetail;

/** The loaded module and the one in-memory file provider schemas are compiled from. */
export interface LoadedLibxml {
  readonly lib: Libxml;
  /**
   * Serves schema documents by URL while a schema set compiles; nothing is read from disk or
   * the network by libxml2 itself. Buffers are added and removed within one synchronous compile.
   */
  readonly files: InstanceType<Libxml['XmlBufferInputProvider']>;
}

let loading: Promise<LoadedLibxml> | undefined;

/** Loads libxml2 (once) and registers the in-memory file provider. */
export function loadLibxml(): Promise<LoadedLibxml> {
  loading ??= import('libxml2-wasm').then((lib) => {
    const files = new lib.XmlBufferInputProvider({});
    lib.xmlRegisterInputProvider(files);
    return { lib, files };
  });
  return loading;
}
