/**
 * What every ensemble step request shares, however the ensemble runs (one
 * response, or a stream): the ensemble request's id, parameters (priority and
 * timeout put back), cancellation signal; and the copy a tensor read more
 * than once needs (a tensor handed to a step belongs to that step from then
 * on: the ONNX backend may transfer its buffer to a worker).
 */
import type { InferRequest, Parameters } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import type { ExecRequest } from '../backends/backend.ts';
import type { CompiledStep } from './ensemble-plan.ts';

/** The ensemble request's parameters with priority and timeout put back (the validator moved them into fields). */
export function stepParameters(exec: ExecRequest): Parameters | undefined {
  if (!exec.priority && !exec.timeoutUs) return exec.parameters as Parameters | undefined;
  const parameters: Parameters = { ...exec.parameters };
  if (exec.priority) parameters.priority = exec.priority;
  if (exec.timeoutUs) parameters.timeout = exec.timeoutUs;
  return parameters;
}

/** The request for `step` with `inputs` (already named as the step model's inputs). */
export function stepRequest(step: CompiledStep, inputs: Tensor[], exec: ExecRequest, parameters: Parameters | undefined): InferRequest {
  const request: InferRequest = { model: step.model, inputs, outputs: step.requested as InferRequest['outputs'] };
  if (step.version !== undefined) request.version = step.version;
  if (exec.id !== undefined) request.id = exec.id;
  if (parameters) request.parameters = parameters;
  if (exec.signal) request.signal = exec.signal;
  return request;
}

export function copyTensor(tensor: Tensor, name: string): Tensor {
  const data = tensor.data;
  return new Tensor(name, tensor.datatype, tensor.shape, (Array.isArray(data) ? [...data] : data.slice()) as typeof data);
}
