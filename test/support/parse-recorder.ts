import losslessJson = require('lossless-json');
import exactJson = require('../../src/core/exact-json');

type Parse = (text: string, ...rest: unknown[]) => unknown;

/**
 * Records every text a JSON parse function is given while installed: {@link ParseRecorder.ofBodies}
 * the exact-number parse every reader of a body goes through (core/exact-json's parseExactJson),
 * {@link ParseRecorder.ofLosslessJson} lossless-json's own parse (which parseExactJson hands the
 * text it does not answer itself). The compiled modules call `(0, module_1.name)(...)`, reading the
 * export at each call, so replacing it on the module's exports object sees every call in the
 * process (the property is writable in the CommonJS output of tsc and in lossless-json's UMD
 * build that `require` loads). Call {@link uninstall} in an `afterEach`.
 */
export class ParseRecorder {
  readonly texts: string[] = [];
  private readonly real: Parse;

  private constructor(private readonly exports: Record<string, unknown>, private readonly name: string) {
    this.real = exports[name] as Parse;
  }

  static ofBodies(): ParseRecorder {
    return new ParseRecorder(exactJson as unknown as Record<string, unknown>, 'parseExactJson');
  }

  static ofLosslessJson(): ParseRecorder {
    return new ParseRecorder(losslessJson as unknown as Record<string, unknown>, 'parse');
  }

  /** Starts recording (from an empty record). */
  install(): this {
    const { texts, real } = this;
    texts.length = 0;
    this.exports[this.name] = (text: string, ...rest: unknown[]) => {
      texts.push(text);
      return real(text, ...rest);
    };
    return this;
  }

  uninstall(): void {
    this.exports[this.name] = this.real;
  }

  /** How many times `text` was parsed. */
  of(text: string): number {
    return this.texts.filter((t) => t === text).length;
  }
}
