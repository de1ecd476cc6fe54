/**
 * Checks an inference request against a model's config and turns it into the
 * ExecRequest an instance runs. Compiled once per loaded model version so the
 * per-request path does only map lookups and shape comparisons.
 *
 * Messages follow Triton's wording where it has one, and always name the
 * model, the tensor and what was expected.
 */
import { configTypeToDataType, type DataType } from '../../sdk/datatypes.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { InferRequest } from '../../sdk/inference.ts';
import type { ModelConfig, ModelInput, ModelOutput } from '../../sdk/model-config.ts';
import { elementCount, formatShape } from '../../sdk/shape.ts';
import type { Tensor } from '../../sdk/tensor.ts';
import type { Caller, ExecRequest } from '../backends/backend.ts';

interface CompiledInput {
  readonly name: string;
  readonly datatype: DataType;
  readonly dims: readonly number[];
  readonly reshape: readonly number[] | undefined;
  readonly optional: boolean;
}

/** Fills the single -1 of a reshape from the element count it must hold. */
export function resolveReshape(reshape: readonly number[], count: number): number[] {
  const known = reshape.reduce((product, dim) => (dim === -1 ? product : product * dim), 1);
  return reshape.map((dim) => (dim === -1 ? (known === 0 ? 0 : count / known) : dim));
}

function dimsMatch(expected: readonly number[], actual: readonly number[], offset: number): boolean {
  if (actual.length - offset !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== -1 && expected[i] !== actual[i + offset]) return false;
  }
  return true;
}

export class RequestValidator {
  readonly #model: string;
  readonly #maxBatchSize: number;
  readonly #inputs: Map<string, CompiledInput>;
  readonly #required: readonly string[];
  readonly #outputs: ReadonlySet<string>;
  readonly #allOutputs: readonly string[];

  constructor(config: ModelConfig) {
    this.#model = config.name;
    this.#maxBatchSize = config.max_batch_size ?? 0;
    this.#inputs = new Map((config.input ?? []).map((input) => [input.name, compileInput(input)]));
    this.#required = (config.input ?? []).filter((input) => !input.optional).map((input) => input.name);
    this.#allOutputs = (config.output ?? []).map((output: ModelOutput) => output.name);
    this.#outputs = new Set(this.#allOutputs);
  }

  /** Validates `request` and returns what the instance should run. Throws INVALID_ARG naming what is wrong. */
  validate(request: InferRequest, callers?: ReadonlySet<Caller>): ExecRequest {
    const model = this.#model;
    const seen = new Set<string>();
    let batchSize = 0;
    const inputs: Tensor[] = [];
    for (const tensor of request.inputs) {
      const input = this.#inputs.get(tensor.name);
      if (!input) {
        throw NereidError.invalidArg(
          `unexpected inference input '${tensor.name}' for model '${model}'; expected one of: ${[...this.#inputs.keys()].join(', ')}`,
        );
      }
      if (seen.has(tensor.name)) throw NereidError.invalidArg(`input '${tensor.name}' appears more than once in the request for model '${model}'`);
      seen.add(tensor.name);
      if (tensor.datatype !== input.datatype) {
        throw NereidError.invalidArg(
          `inference input '${tensor.name}' data-type is '${tensor.datatype}', but model '${model}' expects '${input.datatype}'`,
        );
      }
      const shape = tensor.shape;
      const offset = this.#maxBatchSize > 0 ? 1 : 0;
      if (!dimsMatch(input.dims, shape, offset)) {
        const expected = offset ? [-1, ...input.dims] : input.dims;
        throw NereidError.invalidArg(
          `unexpected shape for input '${tensor.name}' for model '${model}'. Expected ${formatShape(expected)}, got ${formatShape(shape)}`,
        );
      }
      if (offset) {
        const batch = shape[0]!;
        if (batch < 1 || batch > this.#maxBatchSize) {
          throw NereidError.invalidArg(
            `inference request batch-size must be <= ${this.#maxBatchSize} and >= 1 for '${model}'; input '${tensor.name}' has batch size ${batch}`,
          );
        }
        if (batchSize !== 0 && batch !== batchSize) {
          throw NereidError.invalidArg(
            `inputs of one request to model '${model}' must share the batch size: input '${tensor.name}' has ${batch}, an earlier input has ${batchSize}`,
          );
        }
        batchSize = batch;
      }
      inputs.push(input.reshape ? tensor.reshape(reshapedShape(input.reshape, shape, offset)) : tensor);
    }
    if (seen.size < this.#required.length) {
      const missing = this.#required.filter((name) => !seen.has(name));
      if (missing.length > 0) {
        throw NereidError.invalidArg(
          `expected ${this.#required.length} inputs but got ${seen.size} inputs for model '${model}'. Got input(s) [${[...seen].join(', ')}], but missing required input(s) [${missing.join(', ')}]. Please provide all required input(s).`,
        );
      }
    }
    const exec: ExecRequest = { id: request.id, parameters: request.parameters, inputs, outputs: this.#requestedOutputs(request), batchSize, callers, signal: request.signal };
    return request.parameters && (request.parameters.priority !== undefined || request.parameters.timeout !== undefined) ? this.#withScheduling(exec) : exec;
  }

  /** Moves the `priority` and `timeout` parameters (scheduling requests, not model inputs, as in Triton) into their fields. */
  #withScheduling(exec: ExecRequest): ExecRequest {
    const { priority, timeout, ...rest } = exec.parameters!;
    return {
      ...exec,
      parameters: rest,
      priority: schedulingParameter(priority, 'priority', this.#model),
      timeoutUs: schedulingParameter(timeout, 'timeout', this.#model),
    };
  }

  #requestedOutputs(request: InferRequest): readonly string[] {
    if (!request.outputs || request.outputs.length === 0) return this.#allOutputs;
    const names: string[] = [];
    for (const output of request.outputs) {
      if (!this.#outputs.has(output.name)) {
        throw NereidError.invalidArg(
          `unexpected inference output '${output.name}' for model '${this.#model}'; expected one of: ${this.#allOutputs.join(', ')}`,
        );
      }
      if (!names.includes(output.name)) names.push(output.name);
    }
    return names;
  }
}

function compileInput(input: ModelInput): CompiledInput {
  const datatype = configTypeToDataType(input.data_type);
  if (!datatype) throw NereidError.internal(`input '${input.name}' has no valid data_type after validation`);
  return {
    name: input.name,
    datatype,
    dims: input.dims,
    reshape: input.reshape ? input.reshape.shape : undefined,
    optional: input.optional ?? false,
  };
}

function reshapedShape(reshape: readonly number[], shape: readonly number[], offset: number): number[] {
  const perItem = elementCount(shape.slice(offset));
  const inner = resolveReshape(reshape, perItem);
  return offset ? [shape[0]!, ...inner] : inner;
}

/** A `priority` or `timeout` parameter: a non-negative integer (absent: 0). */
function schedulingParameter(value: unknown, key: string, model: string): number {
  if (value === undefined) return 0;
  const number = typeof value === 'bigint' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    const shown = typeof value === 'bigint' ? String(value) : JSON.stringify(value);
    throw NereidError.invalidArg(`parameter '${key}' of a request to model '${model}' must be a non-negative integer, got ${shown}`);
  }
  return number;
}
