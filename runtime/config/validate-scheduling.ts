/**
 * Rules for the batching schedulers: `dynamic_batching` (preferred sizes,
 * priority levels, queue policies) and `sequence_batching` (control tensors,
 * strategies, implicit state). Messages follow Triton's wording.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig, ModelDynamicBatching, ModelQueuePolicy, ModelSequenceBatching, SequenceControl } from '../../sdk/model-config.ts';

type ControlKind = SequenceControl['kind'];

function fail(message: string): never {
  throw NereidError.invalidArg(message);
}

function delaysWithTimeout(policy: ModelQueuePolicy | undefined): boolean {
  return !!policy && (policy.default_timeout_microseconds ?? 0) !== 0 && policy.timeout_action === 'DELAY';
}

function validateDynamicBatching(batching: ModelDynamicBatching, maxBatchSize: number, name: string): void {
  for (const size of batching.preferred_batch_size ?? []) {
    if (size <= 0) fail(`dynamic batching preferred size must be positive for ${name}`);
    if (size > maxBatchSize) fail(`dynamic batching preferred size must be <= max batch size for ${name}`);
  }
  const levels = batching.priority_levels ?? 0;
  if (levels !== 0) {
    const defaultLevel = batching.default_priority_level ?? 0;
    if (defaultLevel === 0 || defaultLevel > levels) fail(`default priority level must be in range [1, ${levels}] for ${name}`);
    for (const key of Object.keys(batching.priority_queue_policy ?? {})) {
      const level = Number(key);
      if (level === 0 || level > levels) fail(`priority queue policy must have priority level in range [1, ${levels}] for ${name}`);
    }
  }
  // Keeping responses in request order cannot coexist with reordering by priority or by delay.
  if (batching.preserve_ordering) {
    if (levels > 1) fail(`Only one priority level is allowed when 'preserve_ordering' is true for ${name}`);
    const policies = [batching.default_queue_policy, ...Object.values(batching.priority_queue_policy ?? {})];
    if (policies.some(delaysWithTimeout)) {
      fail(`Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true for ${name}`);
    }
  }
}

/**
 * Finds the control input carrying `kind`, checking Triton's rules on the way:
 * named control tensors, each named once, each kind given once. For the
 * boolean kinds exactly one of the `*_false_true` lists, with two entries;
 * for CORRID none of them. Returns the control, if any.
 */
function findControl(batching: ModelSequenceBatching, kind: ControlKind, name: string): SequenceControl | undefined {
  const seenTensors = new Set<string>();
  let found: SequenceControl | undefined;
  for (const controlInput of batching.control_input ?? []) {
    if (!controlInput.name) fail(`sequence batching control tensor must have a name for ${name}`);
    if (seenTensors.has(controlInput.name)) {
      fail(`sequence batching control tensor '${controlInput.name}' is specified for multiple control kinds for ${name}`);
    }
    seenTensors.add(controlInput.name);
    for (const control of controlInput.control ?? []) {
      if ((control.kind ?? 'CONTROL_SEQUENCE_START') !== kind) continue;
      if (found) fail(`sequence batching specifies multiple ${kind} tensors for ${name}`);
      found = control;
      const lists = {
        int32_false_true: control.int32_false_true?.length ?? 0,
        fp32_false_true: control.fp32_false_true?.length ?? 0,
        bool_false_true: control.bool_false_true?.length ?? 0,
      };
      const given = Object.entries(lists).filter(([, length]) => length > 0);
      if (kind === 'CONTROL_SEQUENCE_CORRID') {
        if (given.length > 0) {
          fail(`sequence batching must not specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for ${kind} for ${name}`);
        }
        continue;
      }
      if (given.length === 0) {
        fail(`sequence batching must specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for ${kind} for ${name}`);
      }
      if (given.length > 1) {
        fail(`sequence batching specifies more than one from 'int32_false_true', 'fp32_false_true' and 'bool_false_true' for ${kind} for ${name}`);
      }
      const [list, length] = given[0]!;
      if (length !== 2) fail(`sequence batching control '${list}' must have exactly 2 entries for ${kind} for ${name}`);
    }
  }
  return found;
}

/**
 * Implicit state entries: named tensors with a type and dims, each input
 * once, and at most one `initial_state` that matches the state. Triton
 * checks the initial state when the sequence batcher starts; a config error
 * is the same failure, found earlier. nereid starts states from zeros, so
 * an initial state must be `zero_data` (a `data_file` is not read).
 */
function validateStates(batching: ModelSequenceBatching, name: string): void {
  const inputs = new Set<string>();
  for (const state of batching.state ?? []) {
    if (!state.input_name || !state.output_name) fail(`sequence batching state must specify both 'input_name' and 'output_name' for ${name}`);
    const input = state.input_name;
    if (!state.data_type || state.data_type === 'TYPE_INVALID') fail(`sequence batching state '${input}' must specify 'data_type' for ${name}`);
    if (!state.dims?.length) fail(`sequence batching state '${input}' must specify 'dims' for ${name}`);
    if (inputs.has(input)) fail(`State input name '${input}' specified more than once.`);
    inputs.add(input);
    const initials = state.initial_state ?? [];
    if (initials.length > 1) {
      fail(`initial_state field for state input '${input}' must contain exactly one or zero element. Found '${initials.length}' elements.`);
    }
    const initial = initials[0];
    if (!initial) continue;
    if (initial.data_type !== state.data_type) fail(`The data type used for 'initial_state' field of state '${input}' does not match the state data type.`);
    if (!initial.name) fail(`Field 'name' must be set when using initial_state for state input '${input}'.`);
    const dims = initial.dims ?? [];
    if (dims.length !== state.dims.length) {
      fail(`Number of dimensions in 'initial_state' doesn't match the size of 'state' dimensions for state input '${input}'. ${dims.length} != ${state.dims.length}`);
    }
    dims.forEach((dim, i) => {
      if (dim === -1) fail(`'initial_state' field for state input name '${input}' contains variable dimensions.`);
      const expected = state.dims[i]!;
      if (expected !== -1 && dim !== expected) fail(`'initial_state' dim for input name '${input}' doesn't match 'state' dim description. ${dim} != ${expected}`);
    });
    if (initial.data_file) fail(`initial_state 'data_file' for state input '${input}' is not supported for ${name}; use 'zero_data: true'`);
    if (!initial.zero_data) fail(`initial_state setting expects state '${input}' to have state_data set`);
  }
}

const CORRID_TYPES: ReadonlySet<string> = new Set(['TYPE_UINT64', 'TYPE_INT64', 'TYPE_UINT32', 'TYPE_INT32', 'TYPE_STRING']);

function validateSequenceBatching(config: ModelConfig, batching: ModelSequenceBatching, name: string): void {
  if (config.response_cache?.enable) {
    fail(`Response Cache does not currently support model ${name} with sequence batching scheduler. Please disable the response cache.`);
  }
  for (const kind of ['CONTROL_SEQUENCE_START', 'CONTROL_SEQUENCE_END', 'CONTROL_SEQUENCE_READY'] as const) findControl(batching, kind, name);
  const corrid = findControl(batching, 'CONTROL_SEQUENCE_CORRID', name);
  if (corrid && !CORRID_TYPES.has(corrid.data_type ?? 'TYPE_INVALID')) {
    fail(
      `unexpected data type for control CONTROL_SEQUENCE_CORRID for ${name}. Allowed data types are TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 and TYPE_STRING`,
    );
  }
  const maxBatchSize = config.max_batch_size ?? 0;
  for (const size of batching.oldest?.preferred_batch_size ?? []) {
    if (size <= 0) fail(`sequence batching preferred batch size must be positive for ${name}`);
    if (size > maxBatchSize) fail(`sequence batching preferred batch size must be <= max batch size for ${name}`);
  }
  validateStates(batching, name);
  // Re-running one request over many iterations (continuous batching) has no nereid scheduler yet.
  if (batching.iterative_sequence) fail(`sequence batching 'iterative_sequence' is not supported for ${name}`);
  const utilization = batching.direct?.minimum_slot_utilization ?? 0;
  if (batching.direct && !(utilization >= 0 && utilization <= 1)) {
    fail(`sequence batching minimum slot utilization must be in range (0.0, 1.0] for ${name}`);
  }
}

/** Validates the dynamic or sequence batcher settings of `config`, if any. */
export function validateScheduling(config: ModelConfig): void {
  const name = config.name;
  if (config.dynamic_batching) validateDynamicBatching(config.dynamic_batching, config.max_batch_size ?? 0, name);
  if (config.sequence_batching) validateSequenceBatching(config, config.sequence_batching, name);
}
