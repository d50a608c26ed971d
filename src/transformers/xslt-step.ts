import path from 'node:path';
import { domDocumentToXDocument, Xslt, type ExprContext, type XNode, type XsltOptions } from 'xslt-processor';
import { withChanges, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Step, StepContext, StepFactory } from '../core/step';
import { parseXml, XmlSyntaxError } from './xml-document';
import { loadStylesheet, type LoadedStylesheet } from './xslt-stylesheet';

/** A stylesheet parameter value: strings are XPath strings, numbers numbers, booleans booleans. */
export type XsltParam = string | number | boolean;

function textOf(node: XNode): string {
  if (node.nodeType === 3 || node.nodeType === 4) return String(node.nodeValue ?? '');
  return node.childNodes.map(textOf).join('');
}

/**
 * xslt-processor's engine with two things routed through Junction instead of the console:
 * `xsl:message` goes to the step's log (terminate="yes" fails the message), and warnings too.
 * One instance per transform: the engine keeps per-run state (output document, templates).
 */
class RouteXslt extends Xslt {
  constructor(options: Partial<XsltOptions>, private readonly log: Logger) {
    super(options);
    this.warningsCallback = (...args: unknown[]) => log.warn(`XSLT: ${args.map(String).join(' ')}`);
  }

  protected override async xsltMessage(context: ExprContext, template: XNode): Promise<void> {
    const fragment = this.outputDocument.createDocumentFragment();
    await this.xsltChildNodes(context, template, fragment);
    const text = textOf(fragment);
    if (template.getAttributeValue('terminate') === 'yes') throw new Error(`xsl:message terminate="yes": ${text}`);
    this.log.info(`xsl:message: ${text}`);
  }
}

/**
 * `type: xslt` — transforms an XML body with an XSLT 1.0 stylesheet (xslt-processor, pure JS),
 * loaded and checked at boot. The input is parsed strictly first (xmldom: well-formed, no
 * DOCTYPE), and the output must be a well-formed XML document.
 */
export class XsltStep implements Step {
  private readonly parameters: { name: string; value: XsltParam }[];

  constructor(readonly name: string, private readonly stylesheet: LoadedStylesheet, params: Readonly<Record<string, XsltParam>> = {}) {
    this.parameters = Object.entries(params).map(([paramName, value]) => ({ name: paramName, value }));
  }

  async run(message: Envelope, context: StepContext): Promise<Envelope> {
    let input;
    try {
      input = parseXml(message.body);
    } catch (error) {
      const reason = error instanceof XmlSyntaxError ? error.describe() : String(error);
      throw this.failure(`the body is not well-formed XML (${reason}).`, error);
    }
    // xslt-processor 5.1.2 loses the top-level xsl:param/xsl:variable bindings when a comment or
    // processing instruction precedes the root element and a template matches "/root"; those
    // nodes carry no data, so they are dropped before the transform.
    for (const node of Array.from(input.childNodes)) {
      if (node !== input.documentElement) input.removeChild(node);
    }
    const includes = this.stylesheet.includes;
    const engine = new RouteXslt({
      parameters: this.parameters,
      // Includes were read at boot; nothing is fetched while messages flow.
      fetchFunction: async (href) => {
        const text = includes.get(href);
        if (text === undefined) throw new Error(`${href} was not loaded at boot`);
        return text;
      },
    }, context.logger.child({ step: this.name }));
    let output: string;
    try {
      output = await engine.xsltProcess(domDocumentToXDocument(input as never), this.stylesheet.document);
    } catch (error) {
      throw this.failure(`the XSLT transform (${path.basename(this.stylesheet.file)}) failed: ${(error as Error).message ?? String(error)}`, error);
    }
    try {
      parseXml(output);
    } catch (error) {
      const reason = error instanceof XmlSyntaxError ? error.message : String(error);
      throw this.failure(`the stylesheet ${path.basename(this.stylesheet.file)} did not produce one well-formed XML document (${reason}).`, error);
    }
    const declaration = this.stylesheet.declaration && !output.startsWith('<?xml') ? '<?xml version="1.0" encoding="UTF-8"?>' : '';
    return withChanges(message, { body: `${declaration}${output}`, contentType: 'application/xml; charset=utf-8' });
  }

  private failure(what: string, cause: unknown): JunctionError {
    return new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": ${what}`, { cause });
  }
}

/** `type: xslt` with `stylesheet: <file relative to the config>` and optional `params`. */
export const xsltFactory: StepFactory = {
  type: 'xslt',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['stylesheet'],
    properties: {
      stylesheet: { type: 'string', minLength: 1 },
      params: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, default: {} },
    },
  },
  create: (name, options, context) => {
    const file = path.resolve(context.baseDir, String(options.stylesheet));
    const stylesheet = loadStylesheet(file);
    const params = (options.params ?? {}) as Readonly<Record<string, XsltParam>>;
    for (const param of Object.keys(params)) {
      if (!stylesheet.params.has(param)) {
        const declared = [...stylesheet.params].join(', ') || 'none';
        throw new JunctionError('JCT_CONFIG_INVALID', `Step "${name}": params.${param} is not a top-level <xsl:param> of ${file} (declared: ${declared}).`);
      }
    }
    return new XsltStep(name, stylesheet, params);
  },
};
