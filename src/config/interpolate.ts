/**
 * Compose variable interpolation, with the semantics of compose-go's `template` package (v2):
 * `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`,
 * `${VAR+alt}`, `$$` → `$`, and nesting inside the default/alternative/message. A `$` that starts
 * none of these (e.g. `$1`, `$ `) is kept literally, as compose does. Defaults are only expanded
 * when they are used, so `${SET:-${UNSET:?x}}` does not fail.
 */

export type Lookup = (name: string) => string | undefined;

export type InterpolationErrorKind = 'invalid' | 'required';

export class InterpolationError extends Error {
  /** Index into the template where the offending `$` stands. */
  readonly offset: number;
  readonly kind: InterpolationErrorKind;
  /** The variable of a failed `${VAR:?msg}`. */
  readonly variable?: string;

  constructor(message: string, options: { offset: number; kind: InterpolationErrorKind; variable?: string }) {
    super(message);
    this.name = 'InterpolationError';
    this.offset = options.offset;
    this.kind = options.kind;
    this.variable = options.variable;
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
/** Operators in the order compose-go tries them at one position. */
const OPERATORS = [':?', '?', ':-', '-', ':+', '+'] as const;
type Operator = (typeof OPERATORS)[number];

/** Index of the `}` closing the `{` at `open`, counting nested braces; -1 when unterminated. */
function closingBrace(template: string, open: number): number {
  let depth = 0;
  for (let i = open; i < template.length; i++) {
    const c = template[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function invalid(template: string, at: number, base: number): InterpolationError {
  const end = template.indexOf('}', at);
  const whole = end < 0 ? template.slice(at) : template.slice(at, end + 1);
  // A message quotes the expression, not a whole (possibly huge) value.
  const snippet = whole.length > 80 ? `${whole.slice(0, 80)}…` : whole;
  return new InterpolationError(
    `Invalid template: "${snippet}" (write \${VAR}, \${VAR:-default}, or $$ for a literal $)`,
    {
      offset: base + at,
      kind: 'invalid',
    },
  );
}

function applyOperator(
  op: Operator,
  args: { name: string; value: string | undefined; expand: () => string; offset: number },
): string {
  const { name, value, expand, offset } = args;
  const unset = value === undefined;
  const empty = unset || value === '';
  switch (op) {
    case ':-':
      return empty ? expand() : value;
    case '-':
      return unset ? expand() : value;
    case ':+':
      return empty ? '' : expand();
    case '+':
      return unset ? '' : expand();
    case ':?':
    case '?': {
      if (op === ':?' ? empty : unset) {
        const reason = expand();
        const message = reason
          ? `required variable ${name} is missing a value: ${reason}`
          : `required variable ${name} is missing a value`;
        throw new InterpolationError(message, { offset, kind: 'required', variable: name });
      }
      return value ?? '';
    }
  }
}

export function interpolate(template: string, lookup: Lookup, base = 0): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    const next = template[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      const name = NAME.exec(template.slice(dollar + 1))?.[0] ?? '';
      out += lookup(name) ?? '';
      i = dollar + 1 + name.length;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = closingBrace(template, dollar + 1);
    if (close < 0) throw invalid(template, dollar, base);
    const body = template.slice(dollar + 2, close);
    const name = NAME.exec(body)?.[0];
    if (!name) throw invalid(template, dollar, base);
    const rest = body.slice(name.length);
    if (rest === '') {
      out += lookup(name) ?? '';
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o));
      if (!op) throw invalid(template, dollar, base);
      const argStart = dollar + 2 + name.length + op.length;
      const arg = rest.slice(op.length);
      out += applyOperator(op, {
        name,
        value: lookup(name),
        expand: () => interpolate(arg, lookup, base + argStart),
        offset: base + dollar,
      });
    }
    i = close + 1;
  }
  return out;
}
