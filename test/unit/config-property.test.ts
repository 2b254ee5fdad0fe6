import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DifyctlError } from '../../src/errors/index.js';
import { loadCompose } from '../../src/config/compose.js';
import { parseDotenv, DotenvParseError } from '../../src/config/dotenv.js';
import { interpolate, InterpolationError } from '../../src/config/interpolate.js';
import { SourceFile } from '../../src/config/source-file.js';

/** Text biased towards the characters that matter to the parsers. */
const tricky = fc.string({
  unit: fc.constantFrom(
    '$',
    '{',
    '}',
    ':',
    '-',
    '+',
    '?',
    '=',
    '#',
    ' ',
    '"',
    "'",
    '\\',
    '\n',
    '\r',
    'A',
    'b',
    '_',
    '1',
    'é',
    '\t',
    '[',
    ']',
    '&',
    '*',
    '<',
    '|',
    '>',
  ),
  maxLength: 80,
});

const lookup = (name: string) => (name.length % 2 ? `v_${name}` : undefined);

describe('parsers never throw anything but their own errors', () => {
  it('interpolate', () => {
    fc.assert(
      fc.property(tricky, (template) => {
        try {
          expect(typeof interpolate(template, lookup)).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(InterpolationError);
          const e = error as InterpolationError;
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThanOrEqual(template.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseDotenv on generated .env files', () => {
    const line = fc.oneof(
      tricky,
      fc.tuple(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), tricky).map(([k, v]) => `${k}=${v}`),
      fc.tuple(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), tricky).map(([k, v]) => `export ${k}="${v}"`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, crlf) => {
        const text = lines.join(crlf ? '\r\n' : '\n');
        try {
          for (const entry of parseDotenv(text, { lookup })) {
            expect(entry.line).toBeGreaterThanOrEqual(1);
            expect(entry.column).toBeGreaterThanOrEqual(1);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(DotenvParseError);
          expect((error as DotenvParseError).line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('loadCompose on generated compose files', () => {
    const scalar = fc.oneof(
      tricky,
      fc.integer().map(String),
      fc.constantFrom('true', 'null', '~', '[]', '{}', '*a', '&a x', '<<: *a'),
    );
    const envBlock = fc
      .array(fc.tuple(fc.stringMatching(/^[A-Z_]{1,6}$/), scalar), { maxLength: 5 })
      .map((pairs) => pairs.map(([k, v]) => `      ${k}: ${v}`).join('\n'));
    const compose = fc
      .tuple(envBlock, scalar, scalar)
      .map(
        ([env, image, port]) =>
          `x-env: &a\n  K: v\nservices:\n  api:\n    image: ${image}\n    ports:\n      - ${port}\n    environment:\n${env}\n`,
      );
    fc.assert(
      fc.property(fc.oneof(compose, tricky), (text) => {
        try {
          loadCompose({
            source: new SourceFile('/p/docker-compose.yaml', text, 'docker-compose.yaml'),
            projectDir: '/p',
            lookup,
            variableSource: () => undefined,
            profiles: [],
            loadEnvFile: () => new Map(),
          });
        } catch (error) {
          expect(error).toBeInstanceOf(DifyctlError);
          const e = error as DifyctlError;
          expect(e.code).toMatch(/^CONFIG\./);
          expect(e.location?.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
