/**
 * TEST DOUBLE: a tiny in-memory `InferenceServer` for the HTTP frontend
 * tests, used until the real server lands (its end-to-end tests will run the
 * same helpers against it). Not a model of the real server's behaviour beyond
 * the interface contract.
 *
 * Models:
 * - `echo` (versions 1 and 2): identity; each input `INPUTn` comes back as
 *   `OUTPUTn` (other names unchanged), request parameters come back as
 *   response parameters, `outputs` filters the result.
 * - `sleepy`: exists but is not ready (metadata/config/infer: UNAVAILABLE).
 * - `broken`: infer throws a plain Error (an unexpected failure -> 500).
 */
import { NereidError } from '../../../sdk/errors.ts';
import type { InferRequest, InferResponse, InferStreamItem } from '../../../sdk/inference.ts';
import {
  ModelState,
  type InferenceServer,
  type LoadModelOptions,
  type ModelMetadata,
  type ModelStatisticsResponse,
  type RepositoryIndexEntry,
  type ServerMetadata,
  type UnloadModelOptions,
} from '../../../runtime/server/server-api.ts';
import { ModelStats } from '../../../runtime/stats/model-stats.ts';

interface EchoModel {
  versions: string[];
  ready: boolean;
}

export class EchoServer implements InferenceServer {
  live = true;
  ready = true;
  readonly models = new Map<string, EchoModel>([
    ['echo', { versions: ['1', '2'], ready: true }],
    ['sleepy', { versions: ['1'], ready: false }],
    ['broken', { versions: ['1'], ready: true }],
  ]);
  /** Every request `infer()` received, for assertions. */
  readonly inferRequests: InferRequest[] = [];
  readonly loads: Array<{ name: string; options?: LoadModelOptions }> = [];
  readonly unloads: Array<{ name: string; options?: UnloadModelOptions }> = [];
  closed = false;
  /** Makes every infer wait this long first (for tests of in-flight requests). */
  inferDelayMs = 0;

  metadata(): ServerMetadata {
    return { name: 'echo-double', version: '0.0.0', extensions: ['binary_tensor_data', 'model_repository'] };
  }
  isLive(): boolean {
    return this.live;
  }
  isReady(): boolean {
    return this.live && this.ready;
  }
  isModelReady(name: string, version?: string): boolean {
    const model = this.models.get(name);
    return !!model && model.ready && (version === undefined || model.versions.includes(version));
  }

  #find(name: string, version?: string): EchoModel {
    const model = this.models.get(name);
    if (!model) throw NereidError.notFound(`Request for unknown model: '${name}' is not found`);
    if (version !== undefined && !model.versions.includes(version)) {
      throw NereidError.notFound(`Request for unknown model: '${name}' version ${version} is not found`);
    }
    if (!model.ready) throw NereidError.unavailable(`Request for unknown model: '${name}' has no available versions`);
    return model;
  }

  modelMetadata(name: string, version?: string): ModelMetadata {
    const model = this.#find(name, version);
    return {
      name,
      versions: model.versions,
      platform: 'echo',
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] }],
      outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: [-1, 16] }],
    };
  }
  modelConfig(name: string, version?: string): Record<string, unknown> {
    this.#find(name, version);
    return { name, platform: 'echo', max_batch_size: 8, big: 2n ** 64n - 1n };
  }

  /** Zero statistics for each ready version asked for. */
  modelStatistics(name?: string, version?: string): ModelStatisticsResponse {
    const names = name === undefined ? [...this.models.keys()].filter((n) => this.models.get(n)!.ready) : [name];
    const stats = names.flatMap((n) => {
      const model = this.#find(n, version);
      return (version === undefined ? model.versions : [version]).map((v) => new ModelStats(n, Number(v)).snapshot());
    });
    return { model_stats: stats };
  }

  /** One response, as the server streams a model that is not decoupled. */
  async *inferStream(request: InferRequest): AsyncGenerator<InferStreamItem> {
    yield { response: await this.infer(request), final: true };
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    this.inferRequests.push(request);
    if (this.inferDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.inferDelayMs));
    const model = this.#find(request.model, request.version);
    if (request.model === 'broken') throw new Error('the broken model always fails');
    let outputs = request.inputs.map((tensor) => tensor.rename(tensor.name.replace(/^INPUT/, 'OUTPUT')));
    if (request.outputs?.length) {
      const wanted = request.outputs.map((o) => o.name);
      for (const name of wanted) {
        if (!outputs.some((t) => t.name === name)) {
          throw NereidError.invalidArg(`unexpected inference output '${name}' for model '${request.model}'`);
        }
      }
      outputs = outputs.filter((t) => wanted.includes(t.name));
    }
    const response: InferResponse = {
      model: request.model,
      version: request.version ?? model.versions[model.versions.length - 1],
      outputs,
    };
    if (request.id !== undefined) response.id = request.id;
    if (request.parameters) response.parameters = request.parameters;
    return response;
  }

  async repositoryIndex(options?: { ready?: boolean }): Promise<RepositoryIndexEntry[]> {
    const entries: RepositoryIndexEntry[] = [];
    for (const [name, model] of this.models) {
      if (options?.ready && !model.ready) continue;
      entries.push({ name, version: model.versions.at(-1), state: model.ready ? ModelState.Ready : ModelState.Unavailable });
    }
    return entries;
  }
  async loadModel(name: string, options?: LoadModelOptions): Promise<void> {
    if (name === 'missing') throw NereidError.notFound(`failed to load '${name}', no version is available`);
    this.loads.push({ name, options });
    this.models.set(name, { versions: ['1'], ready: true });
  }
  async unloadModel(name: string, options?: UnloadModelOptions): Promise<void> {
    if (!this.models.has(name)) throw NereidError.invalidArg(`failed to unload '${name}', no model loaded with that name`);
    this.unloads.push({ name, options });
    this.models.get(name)!.ready = false;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
