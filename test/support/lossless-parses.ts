import losslessJson = require('lossless-json');

type Parse = typeof losslessJson.parse;

/**
 * Records every text that `lossless-json`'s parse is given while installed. The compiled modules
 * call `(0, lossless_json_1.parse)(...)`, reading the export at each call, so replacing it on the
 * module's exports object sees every parse in the process (the property is writable in the UMD
 * build that `require` loads). Call {@link uninstall} in an `afterEach`.
 */
export class LosslessParses {
  readonly texts: string[] = [];
  private readonly exports = losslessJson as unknown as { parse: Parse };
  private readonly real: Parse = losslessJson.parse;

  /** Starts recording (from an empty record). */
  install(): this {
    const { texts, real } = this;
    texts.length = 0;
    this.exports.parse = ((text: string, ...rest: unknown[]) => {
      texts.push(text);
      return (real as (...args: unknown[]) => unknown)(text, ...rest);
    }) as Parse;
    return this;
  }

  uninstall(): void {
    this.exports.parse = this.real;
  }

  /** How many times `text` was parsed. */
  of(text: string): number {
    return this.texts.filter((t) => t === text).length;
  }
}
