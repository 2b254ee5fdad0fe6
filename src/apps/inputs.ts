/**
 * A request's `inputs` checked against the app's `user_input_form`, with Dify's rules and messages
 * (BaseAppGenerator._prepare_user_inputs / _validate_inputs): required variables, strings for text,
 * paragraph and select, one of the options for select, max_length, numbers for number. Keys the form
 * does not name are dropped; NUL characters are removed.
 */
import { invalidParam } from './errors.js';
import type { FormItem } from './model-config/index.js';

export type Inputs = Record<string, unknown>;

interface Variable extends FormItem {
  type: string;
}

/** The form's variables (external data tools excluded: they are filled by the server, not the caller). */
export function formVariables(form: Record<string, FormItem>[]): Variable[] {
  const variables: Variable[] = [];
  for (const item of form) {
    const [type, config] = Object.entries(item)[0] ?? [];
    if (!type || !config || type === 'external_data_tool') continue;
    variables.push({ ...config, type });
  }
  return variables;
}

const sanitize = (value: unknown): unknown => (typeof value === 'string' ? value.replace(/\u0000/g, '') : value);

function checkNumber(variable: Variable, value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    if (!value.trim()) return null;
    const parsed = Number(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw invalidParam(`${variable.variable} in input form must be a valid number`);
}

function checkOne(variable: Variable, raw: unknown): unknown {
  let value = raw;
  if (value === undefined || value === null) {
    if (variable.required) throw invalidParam(`${variable.variable} is required in input form`);
    value = variable.default ?? null;
    if (value === null) return null;
  }
  const textual = variable.type === 'text-input' || variable.type === 'paragraph' || variable.type === 'select';
  if (textual && typeof value !== 'string')
    throw invalidParam(`(type '${variable.type}') ${variable.variable} in input form must be a string`);
  switch (variable.type) {
    case 'number':
      return checkNumber(variable, value);
    case 'select':
      // `textual` above made sure select values are strings.
      if (!(variable.options ?? []).includes(value as string)) {
        throw invalidParam(
          `${variable.variable} in input form must be one of the following: ${JSON.stringify(variable.options ?? [])}`,
        );
      }
      return value;
    case 'text-input':
    case 'paragraph':
      // Strings, checked by `textual` above.
      if (variable.max_length && (value as string).length > variable.max_length) {
        throw invalidParam(`${variable.variable} in input form must be less than ${variable.max_length} characters`);
      }
      return value;
    case 'checkbox':
      if (typeof value === 'string') return ['true', '1', 'yes', 'on'].includes(value.trim().toLowerCase());
      return typeof value === 'number' ? value === 1 : Boolean(value);
    default:
      // file / file-list: passed through (the files feature resolves them).
      return value;
  }
}

/**
 * The inputs the generator uses: one entry per form variable (null when optional and absent).
 * @throws AppRequestError `invalid_param` naming the variable
 */
export function prepareInputs(form: Record<string, FormItem>[], inputs: Inputs): Inputs {
  const prepared: Inputs = {};
  for (const variable of formVariables(form))
    prepared[variable.variable] = sanitize(checkOne(variable, inputs[variable.variable]));
  return prepared;
}
