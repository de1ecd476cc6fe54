/**
 * What a model.ts `autoCompleteConfig` may change in its config, as Triton's
 * Python backend allows through `pb_utils.ModelConfig`: it may add inputs and
 * outputs (name, data_type, dims; `optional` for inputs), fill in the data
 * type and dims of those the config file left open, raise `max_batch_size`,
 * add `dynamic_batching` and set `model_transaction_policy.decoupled`. It may
 * not contradict what the config file says, nor change anything else
 * (instance groups, parameters, limits, ...): those stay the operator's.
 *
 * @example
 * ```ts
 * checkAutoCompleteChanges(fileConfig, returnedConfig); // throws INVALID_ARG naming the change
 * ```
 */
import { NereidError } from '../../../sdk/errors.ts';
import type { ModelConfig } from '../../../sdk/model-config.ts';

const CHANGEABLE = new Set(['input', 'output', 'max_batch_size', 'dynamic_batching', 'model_transaction_policy']);
/** What a new input or output entry may hold; the first three are required. */
const NEW_INPUT_KEYS = ['name', 'data_type', 'dims', 'optional'];
const NEW_OUTPUT_KEYS = ['name', 'data_type', 'dims'];

type Entry = Record<string, unknown> & { name: string };

/** Throws when `returned` changes `original` in a way autoCompleteConfig may not. */
export function checkAutoCompleteChanges(original: ModelConfig, returned: ModelConfig): void {
  const fail = (what: string): never => {
    throw NereidError.invalidArg(`model '${original.name}': autoCompleteConfig ${what}`);
  };
  const before = original as unknown as Record<string, unknown>;
  const after = returned as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!CHANGEABLE.has(key) && !same(before[key], after[key])) {
      fail(`changed '${key}': it may set only input, output, max_batch_size, dynamic_batching and model_transaction_policy`);
    }
  }
  const batch = { before: original.max_batch_size ?? 0, after: returned.max_batch_size ?? 0 };
  if (batch.after < batch.before) fail(`lowered max_batch_size from ${batch.before}, which the config sets, to ${batch.after}`);
  if (original.dynamic_batching !== undefined && !same(original.dynamic_batching, returned.dynamic_batching)) {
    fail(`changed the dynamic_batching the config sets (it may only add one)`);
  }
  if (original.dynamic_batching === undefined && returned.dynamic_batching !== undefined) {
    const scheduler = original.sequence_batching ? 'sequence_batching' : original.ensemble_scheduling ? 'ensemble_scheduling' : undefined;
    if (scheduler) fail(`added dynamic_batching to a model whose config chooses ${scheduler}`);
  }
  const policy = { before: original.model_transaction_policy ?? {}, after: returned.model_transaction_policy ?? {} };
  if (Object.keys(policy.after).some((key) => key !== 'decoupled')) fail(`set model_transaction_policy fields other than 'decoupled'`);
  if (policy.before.decoupled !== undefined && policy.after.decoupled !== policy.before.decoupled) {
    fail(`changed model_transaction_policy.decoupled, which the config sets to ${policy.before.decoupled}`);
  }
  checkTensors('input', original.input as Entry[] | undefined, returned.input as Entry[] | undefined, NEW_INPUT_KEYS, fail);
  checkTensors('output', original.output as Entry[] | undefined, returned.output as Entry[] | undefined, NEW_OUTPUT_KEYS, fail);
}

function checkTensors(kind: string, before: Entry[] = [], after: Entry[] = [], newKeys: readonly string[], fail: (what: string) => never): void {
  const returned = new Map(after.map((entry) => [entry.name, entry]));
  for (const declared of before) {
    const entry = returned.get(declared.name) ?? fail(`removed ${kind} '${declared.name}', which the config declares`);
    for (const key of new Set([...Object.keys(declared), ...Object.keys(entry)])) {
      if (!leftOpen(kind, declared, key) && !same(declared[key], entry[key])) {
        fail(`changed ${key} of ${kind} '${declared.name}' from ${JSON.stringify(declared[key])}, which the config sets, to ${JSON.stringify(entry[key])}`);
      }
    }
  }
  const declaredNames = new Set(before.map((entry) => entry.name));
  for (const entry of after) {
    if (declaredNames.has(entry.name)) continue;
    const extra = Object.keys(entry).find((key) => !newKeys.includes(key));
    if (extra !== undefined) fail(`added ${kind} '${entry.name}' with '${extra}': a new ${kind} has only ${newKeys.join(', ')}`);
    const missing = newKeys.slice(0, 3).find((key) => entry[key] === undefined);
    if (missing !== undefined) fail(`added ${kind} '${entry.name}' without '${missing}'`);
  }
}

/** Whether the config file left `key` of a declared tensor for the model to fill in: a data type or dims it did not give, an input's `optional`. */
function leftOpen(kind: string, declared: Entry, key: string): boolean {
  const value = declared[key];
  if (key === 'data_type') return value === undefined || value === 'TYPE_INVALID';
  if (key === 'dims') return value === undefined || (Array.isArray(value) && value.length === 0);
  return key === 'optional' && kind === 'input' && value === undefined;
}

/** Deep equality of JSON values, whatever the key order. */
function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
