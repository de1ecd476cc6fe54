/**
 * The ONNX Runtime backend (`backend: "onnxruntime"`, `platform:
 * "onnxruntime_onnx"`, model file `model.onnx`). This directory is the only
 * part of nereid that imports onnxruntime-node, and only its worker-side
 * files (onnx-worker.ts, ort-tensors.ts) do, so the ORT binding is never
 * loaded on the server's main thread.
 *
 * Threads: `session.run()` in onnxruntime-node is synchronous (its promise
 * is only deferred with setImmediate), so a session on the main thread would
 * freeze HTTP, gRPC and health checks for every inference. Each instance is
 * therefore one worker thread owning one InferenceSession (session-worker.ts
 * on the main side, onnx-worker.ts inside); the event loop only posts
 * messages. Reading a model's signature for auto-complete also loads the
 * model in a worker; that worker is kept for a few seconds and becomes the
 * model's first instance when one with the same file and session options is
 * created (a model is loaded once, not twice, in the common path).
 *
 * Data path (wire-tensors.ts, onnx-protocol.ts): an input whose typed array
 * spans its whole ArrayBuffer is transferred to the worker (zero-copy; the
 * caller's buffer is detached afterwards); anything else (a view into a
 * larger buffer, a Buffer pool slab, a SharedArrayBuffer, which ORT rejects)
 * is copied once into a fresh buffer, one per message for all such inputs,
 * that is transferred. Messages are flat arrays (run-frames.ts), the cheapest
 * shape for structured clone. Outputs come back transferred. Several requests
 * in one `execute()` of a batching model (max_batch_size > 0) are
 * concatenated along dim 0 in the worker, run once and split back
 * (batch-merge.ts); otherwise they run one by one.
 *
 * Datatypes: everything in the sdk table but BF16, which onnxruntime-node
 * cannot exchange (a model with a BF16 input or output fails to load with an
 * UNSUPPORTED error). BOOL is a Uint8Array, FP16 a Uint16Array of raw bits.
 * BYTES become ORT string tensors, which hold text: elements must be valid
 * UTF-8 without NUL bytes, else the request fails with INVALID_ARG.
 *
 * Instances: KIND_CPU (and KIND_MODEL, as in Triton) use the CPU provider;
 * KIND_GPU uses only the CUDA provider on the instance's device, never a
 * silent CPU fallback. The CUDA provider is not part of the npm package: see
 * cuda-provider.ts for the check behind `gpuAvailable()` and the install hint.
 * Session options follow Triton's onnxruntime backend (session-options.ts).
 *
 * @example
 * ```ts
 * const backend = new OnnxBackend();
 * const instance = await backend.createInstance(context, { name: 'simple_0', kind: 'KIND_CPU', deviceId: 0 });
 * const [result] = await instance.execute([{ inputs: [a, b], outputs: ['OUTPUT0'], batchSize: 1 }]);
 * await instance.dispose();
 * await backend.dispose();
 * ```
 */
import path from 'node:path';
import { NereidError } from '../../../sdk/errors.ts';
import type { ModelConfig } from '../../../sdk/model-config.ts';
import type { Logger } from '../../logging/logger.ts';
import type { Backend, BackendLoadContext, InstanceSpec, ModelFileSignature } from '../backend.ts';
import { CUDA_INSTALL_HINT, cudaProviderStatus, isCudaLoadError } from './cuda-provider.ts';
import { resolveModelFile, type ModelFile } from './model-file.ts';
import { OnnxInstance } from './onnx-instance.ts';
import { ortSessionOptions, type OrtSessionOptions } from './session-options.ts';
import { SessionWorker } from './session-worker.ts';

export interface OnnxBackendOptions {
  /**
   * How long the worker that read a model's signature waits to become that
   * model's first instance, in ms (default 10 s); 0 closes it at once.
   */
  readonly probeReuseMs?: number;
  /** The worker entry point; tests substitute a wrapper around onnx-worker.ts. */
  readonly workerUrl?: URL;
}

interface ParkedProbe {
  readonly worker: SessionWorker;
  readonly timer: NodeJS.Timeout;
}

const CPU_SPEC = { kind: 'KIND_CPU', deviceId: 0 } as const;

/** The cache key of a loaded session: same file content (path, size, mtime) and same options. */
function probeKey(file: ModelFile, options: OrtSessionOptions): string {
  return JSON.stringify([file.path, file.size, file.mtimeMs, options]);
}

/** BF16 cannot cross into onnxruntime-node: refuse it before loading anything. */
function assertOrtDatatypes(config: ModelConfig, what: string): void {
  for (const tensor of [...(config.input ?? []), ...(config.output ?? [])]) {
    if (tensor.data_type === 'TYPE_BF16') {
      throw NereidError.unsupported(`${what}: '${tensor.name}' is TYPE_BF16, which onnxruntime-node cannot exchange; use FP16 or FP32 at the model's boundary`);
    }
  }
}

export class OnnxBackend implements Backend {
  readonly name = 'onnxruntime';
  readonly platforms: readonly string[] = ['onnxruntime_onnx'];
  readonly defaultModelFilename = 'model.onnx';
  readonly #probes = new Map<string, ParkedProbe>();
  readonly #probeReuseMs: number;
  readonly #workerUrl: URL | undefined;

  constructor(options: OnnxBackendOptions = {}) {
    this.#probeReuseMs = options.probeReuseMs ?? 10_000;
    this.#workerUrl = options.workerUrl;
  }

  /** True when KIND_GPU instances can be created: see cuda-provider.ts for the rule. */
  gpuAvailable(): boolean {
    return cudaProviderStatus().usable;
  }

  /** Loads the model in a worker (never on this thread) and reads its inputs and outputs. */
  async readSignature(modelPath: string, config: ModelConfig, log: Logger): Promise<ModelFileSignature> {
    // A config.pbtxt may leave the name out (the server takes it from the directory): `<model>/<version>/model.onnx`.
    const modelName = config.name || path.basename(path.dirname(path.dirname(path.resolve(modelPath))));
    const what = `model '${modelName}'`;
    assertOrtDatatypes(config, what);
    const file = await resolveModelFile(modelPath, what);
    const options = ortSessionOptions({ ...config, name: modelName }, CPU_SPEC);
    const worker = await this.#load(file, options, modelName, what, false);
    log.verbose(`${what}: read the signature of ${file.path}`);
    this.#park(probeKey(file, options), worker);
    return worker.signature;
  }

  async createInstance(context: BackendLoadContext, spec: InstanceSpec): Promise<OnnxInstance> {
    const what = `model '${context.modelName}' instance '${spec.name}'`;
    assertOrtDatatypes(context.config, what);
    const gpu = spec.kind === 'KIND_GPU';
    if (gpu) {
      const status = cudaProviderStatus();
      if (!status.usable) {
        throw NereidError.unavailable(`${what}: KIND_GPU needs ONNX Runtime's CUDA execution provider, but ${status.problem}`);
      }
    }
    const options = ortSessionOptions(context.config, spec);
    const file = await resolveModelFile(context.modelPath, what);
    const worker = this.#takeProbe(probeKey(file, options)) ?? (await this.#load(file, options, context.modelName, what, gpu));
    context.log.verbose(`${what}: ONNX Runtime session ready on ${gpu ? `GPU ${spec.deviceId}` : 'CPU'} (${file.path})`);
    return new OnnxInstance(worker, {
      modelName: context.modelName,
      name: spec.name,
      maxBatchSize: context.config.max_batch_size ?? 0,
      log: context.log,
    });
  }

  /** Closes the workers parked after reading signatures. Instances are disposed by their owners. */
  async dispose(): Promise<void> {
    const probes = [...this.#probes.values()];
    this.#probes.clear();
    for (const probe of probes) clearTimeout(probe.timer);
    await Promise.allSettled(probes.map((probe) => probe.worker.close()));
  }

  /** Starts a worker on `file`; load errors name `what` and, where useful, say what to do. */
  async #load(file: ModelFile, options: OrtSessionOptions, modelName: string, what: string, gpu: boolean): Promise<SessionWorker> {
    try {
      return await SessionWorker.create({ modelFile: file.path, options, logId: modelName, workerUrl: this.#workerUrl });
    } catch (error) {
      const base = NereidError.from(error);
      if (gpu && isCudaLoadError(base.message)) {
        throw NereidError.unavailable(`${what}: ONNX Runtime's CUDA execution provider could not be loaded (${CUDA_INSTALL_HINT}): ${base.message}`);
      }
      if (/Unsupported data type: 16\b/.test(base.message)) {
        throw NereidError.unsupported(`${what}: the model has a BF16 (bfloat16) input or output, which onnxruntime-node cannot exchange: ${base.message}`);
      }
      throw new NereidError(base.code, `${what}: ${base.message}`);
    }
  }

  /** Keeps a loaded worker for a while, unref'd so it never holds the process open. */
  #park(key: string, worker: SessionWorker): void {
    const previous = this.#probes.get(key);
    if (previous) {
      clearTimeout(previous.timer);
      void previous.worker.close();
    }
    if (this.#probeReuseMs <= 0) {
      void worker.close();
      this.#probes.delete(key);
      return;
    }
    worker.setRef(false);
    const timer = setTimeout(() => {
      if (this.#probes.get(key)?.worker !== worker) return;
      this.#probes.delete(key);
      void worker.close();
    }, this.#probeReuseMs);
    timer.unref();
    this.#probes.set(key, { worker, timer });
  }

  /** The parked worker for `key`, if it is still alive; it now belongs to the caller. */
  #takeProbe(key: string): SessionWorker | undefined {
    const probe = this.#probes.get(key);
    if (!probe) return undefined;
    this.#probes.delete(key);
    clearTimeout(probe.timer);
    if (probe.worker.exited) return undefined;
    probe.worker.setRef(true);
    return probe.worker;
  }
}
