/**
 * Helpers for driving OnnxBackend directly (no server): model files in a
 * temporary directory, load contexts, requests, and a logger that keeps
 * its lines for assertions instead of printing them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackendInstance, BackendLoadContext, ExecRequest, ExecResult, InstanceSpec, ModelHost } from '../../../runtime/backends/backend.ts';
import { createLogger, type Logger } from '../../../runtime/logging/logger.ts';
import type { ModelConfig } from '../../../sdk/model-config.ts';
import type { Tensor } from '../../../sdk/tensor.ts';

export const CPU_0: InstanceSpec = { name: 'm_0', kind: 'KIND_CPU', deviceId: 0 };

/** A logger whose lines land in `lines`. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ write: (line) => lines.push(line), verboseLevel: 1 }), { lines });
}

/** Writes `<dir>/<name>/1/model.onnx` (plus extra files beside it) and returns the model path. */
export async function writeModelFile(dir: string, name: string, onnx: Uint8Array, extra: Record<string, Uint8Array> = {}): Promise<string> {
  const versionDir = path.join(dir, name, '1');
  await mkdir(versionDir, { recursive: true });
  const modelPath = path.join(versionDir, 'model.onnx');
  await writeFile(modelPath, onnx);
  for (const [file, bytes] of Object.entries(extra)) await writeFile(path.join(versionDir, file), bytes);
  return modelPath;
}

/** Backend tests run without a server: a model that calls out gets a clear error. */
const NO_HOST: ModelHost = {
  infer: () => Promise.reject(new Error('no server in backend tests')),
  isModelReady: () => false,
};

/** The load context the server would build for `config` and `modelPath`. */
export function loadContext(modelPath: string, config: ModelConfig, log: Logger = memoryLogger()): BackendLoadContext {
  const versionDir = path.dirname(modelPath);
  return { config, modelName: config.name, version: 1, modelDir: path.dirname(versionDir), versionDir, modelPath, log, host: NO_HOST };
}

export function request(inputs: Tensor[], outputs: string[], batchSize = inputs[0]?.shape[0] ?? 0): ExecRequest {
  return { inputs, outputs, batchSize };
}

/** The outputs of a successful result, or a thrown error with the result's message. */
export function outputsOf(result: ExecResult | undefined): Tensor[] {
  if (!result) throw new Error('no result');
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.outputs;
}

/** Runs one request and returns its outputs by name. */
export async function runOnce(instance: BackendInstance, inputs: Tensor[], outputs: string[], batchSize?: number): Promise<Record<string, Tensor>> {
  const [result] = await instance.execute([request(inputs, outputs, batchSize)]);
  return Object.fromEntries(outputsOf(result).map((tensor) => [tensor.name, tensor]));
}
