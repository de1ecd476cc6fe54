/**
 * `createServer()`: the in-process server. It owns the model manager and the
 * backends, and `infer()` is the one entry point every caller goes through
 * (HTTP, gRPC, ensembles, BLS).
 *
 * @example
 * ```ts
 * const server = await createServer({ modelRepository: './models' });
 * const response = await server.infer({ model: 'simple', inputs: [a, b] });
 * await server.close();
 * ```
 */
import { mkdtemp, mkdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { NereidError } from '../../sdk/errors.ts';
import type { InferRequest, InferResponse, InferStreamItem } from '../../sdk/inference.ts';
import type { Backend, Caller, ModelHost } from '../backends/backend.ts';
import { BackendRegistry } from '../backends/backend-registry.ts';
import { OnnxBackend } from '../backends/onnx/onnx-backend.ts';
import { ScriptBackend } from '../backends/script/script-backend.ts';
import { parseConfigJson } from '../config/config-json.ts';
import { renderConfigJson } from '../config/render-config-json.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { CustomMetrics } from '../metrics/custom-metrics.ts';
import type { MetricsSource, ModelVersionMetrics } from '../metrics/metrics-source.ts';
import { TraceSettings, type TraceSettingValue } from '../tracing/trace-settings.ts';
import { Tracer } from '../tracing/tracer.ts';
import { describeModel } from './model-metadata.ts';
import { ModelManager, type ModelControlMode, type ModelSource } from './model-manager.ts';
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION } from './server-identity.ts';
import type {
  InferenceServer,
  LoadModelOptions,
  ModelMetadata,
  ModelStatisticsResponse,
  RepositoryIndexEntry,
  ServerMetadata,
  UnloadModelOptions,
} from './server-api.ts';

export interface ServerOptions {
  /** One or more repository roots (`--model-repository`). */
  modelRepository: string | readonly string[];
  /** `--model-control-mode`, default `none`. */
  modelControlMode?: ModelControlMode;
  /** `--load-model` names for explicit mode (`*` loads everything). */
  loadModels?: readonly string[];
  /** `--strict-model-config`: no auto-complete (default false). */
  strictModelConfig?: boolean;
  /** `--strict-readiness`: server ready only when every model is (default true). */
  strictReadiness?: boolean;
  /** `--repository-poll-secs` for poll mode (default 15). */
  repositoryPollSecs?: number;
  /** max_batch_size auto-complete gives batchable models (default 4, as Triton's ONNX Runtime backend). */
  defaultMaxBatchSize?: number;
  /** Backends to serve with (default: ONNX Runtime and TypeScript). */
  backends?: readonly Backend[];
  log?: Logger;
  /** Trace settings at start, under Triton's names (`--trace-config`); the trace extension changes them later. Default: off. */
  trace?: Readonly<Record<string, TraceSettingValue>>;
}

export class Server implements InferenceServer, MetricsSource {
  readonly #models: ModelManager;
  readonly #backends: BackendRegistry;
  readonly #customMetrics: CustomMetrics;
  readonly #tracer: Tracer;
  readonly #mode: ModelControlMode;
  readonly #strictReadiness: boolean;
  readonly #log: Logger;
  #pollTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(models: ModelManager, backends: BackendRegistry, customMetrics: CustomMetrics, tracer: Tracer, mode: ModelControlMode, strictReadiness: boolean, log: Logger) {
    this.#tracer = tracer;
    this.#models = models;
    this.#backends = backends;
    this.#customMetrics = customMetrics;
    this.#mode = mode;
    this.#strictReadiness = strictReadiness;
    this.#log = log;
  }

  static async create(options: ServerOptions): Promise<Server> {
    const log = options.log ?? createLogger();
    const roots = (typeof options.modelRepository === 'string' ? [options.modelRepository] : [...options.modelRepository]).map((r) => resolve(r));
    if (roots.length === 0) throw NereidError.invalidArg('at least one --model-repository is required');
    for (const root of roots) await requireDirectory(root);
    const backends = new BackendRegistry(options.backends ?? [new OnnxBackend(), new ScriptBackend()]);
    const mode = options.modelControlMode ?? 'none';
    // Models reach the server through `host` (BLS); it is bound once the server exists.
    let server: Server | undefined;
    const customMetrics = new CustomMetrics();
    const traceSettings = new TraceSettings();
    traceSettings.update(options.trace ?? {});
    const tracer = new Tracer(traceSettings, log);
    const host: ModelHost = {
      infer: (request, callers, traceParent) => server!.infer(request, callers, traceParent),
      inferStream: (request, callers, traceParent) => server!.inferStream(request, callers, traceParent),
      isModelReady: (name, version) => server!.isModelReady(name, version),
      loadModel: (name, options, callers) => server!.loadModelFor(name, options, callers),
      unloadModel: (name, options, callers) => server!.unloadModelFor(name, options, callers),
      customMetrics,
      tracer,
    };
    const models = new ModelManager(roots, {
      backends,
      log,
      strictModelConfig: options.strictModelConfig ?? false,
      defaultMaxBatchSize: options.defaultMaxBatchSize ?? 4,
      host,
    });
    server = new Server(models, backends, customMetrics, tracer, mode, options.strictReadiness ?? true, log);
    const loadModels = options.loadModels ?? [];
    if (mode !== 'explicit' && loadModels.length > 0) {
      throw NereidError.invalidArg(`--load-model needs --model-control-mode=explicit (mode is '${mode}')`);
    }
    if (loadModels.includes('*') && loadModels.length > 1) throw NereidError.invalidArg(`--load-model=* must be the only --load-model`);
    // A model that fails to load is reported and left UNAVAILABLE; the server still starts.
    if (mode !== 'explicit' || loadModels.includes('*')) await models.loadAll();
    else await Promise.all(loadModels.map((name) => models.load(name).catch(() => {})));
    if (mode === 'poll') server.#startPolling(Math.max(0.1, options.repositoryPollSecs ?? 15));
    return server;
  }

  metadata(): ServerMetadata {
    return { name: SERVER_NAME, version: SERVER_VERSION, extensions: [...SERVER_EXTENSIONS] };
  }

  isLive(): boolean {
    return !this.#closed;
  }

  isReady(): boolean {
    return !this.#closed && (!this.#strictReadiness || this.#models.allReady);
  }

  isModelReady(name: string, version?: string): boolean {
    try {
      this.#models.resolve(name, version);
      return true;
    } catch {
      return false;
    }
  }

  modelMetadata(name: string, version?: string): ModelMetadata {
    const model = this.#models.resolve(name, version);
    return describeModel(model.config, this.#models.servedVersions(name));
  }

  modelConfig(name: string, version?: string): Record<string, unknown> {
    return renderConfigJson(this.#models.resolve(name, version).config);
  }

  /**
   * Runs one inference. `callers` is for BLS requests and ensemble steps
   * only: what waits for this one (see ExecRequest); `traceParent` for an
   * ensemble's steps (see ModelHost.infer).
   */
  infer(request: InferRequest, callers?: ReadonlySet<Caller>, traceParent?: number): Promise<InferResponse> {
    try {
      if (request.parameters) rejectReservedParameters(request.parameters);
      return this.#models.resolve(request.model, request.version).infer(request, callers, traceParent);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  inferStream(request: InferRequest, callers?: ReadonlySet<Caller>, traceParent?: number): AsyncIterable<InferStreamItem> {
    if (request.parameters) rejectReservedParameters(request.parameters);
    return this.#models.resolve(request.model, request.version).inferStream(request, callers, traceParent);
  }

  modelStatistics(name?: string, version?: string): ModelStatisticsResponse {
    return { model_stats: this.#models.statisticsVersions(name, version).map((model) => model.stats.snapshot()) };
  }

  modelVersionMetrics(): ModelVersionMetrics[] {
    return this.#models.loadedVersions().map((model) => ({
      stats: model.stats,
      pendingCount: model.pendingCount,
      metricTags: model.config.metric_tags ?? {},
    }));
  }

  /** The trace settings (Triton's trace extension), global and per model. */
  get traceSettings(): TraceSettings {
    return this.#tracer.settings;
  }

  /** The metrics models register from model.ts (server-wide, as Triton's). */
  get customMetrics(): CustomMetrics {
    return this.#customMetrics;
  }

  repositoryIndex(options?: { ready?: boolean }): Promise<RepositoryIndexEntry[]> {
    return this.#models.index(options?.ready ?? false);
  }

  async loadModel(name: string, options: LoadModelOptions = {}): Promise<void> {
    this.#requireExplicitMode('load');
    if (options.files && Object.keys(options.files).length > 0 && !options.config) {
      throw NereidError.invalidArg(`failed to load '${name}': override files require the 'config' parameter as well`);
    }
    await this.#models.load(name, options.config ? await this.#overrideSource(name, options) : undefined);
  }

  async unloadModel(name: string, options: UnloadModelOptions = {}): Promise<void> {
    this.#requireExplicitMode('unload');
    await this.#models.unload(name, { dependents: options.unloadDependents === true });
  }

  /** loadModel() for a model's own code; `callers` as for `infer`. Refused when it would wait on that code. */
  async loadModelFor(name: string, options: LoadModelOptions, callers: ReadonlySet<Caller> | undefined): Promise<void> {
    // The mode first: outside explicit mode that is the answer, whatever the model.
    this.#requireExplicitMode('load');
    this.#refuseSelfWait('load', name, callers);
    await this.loadModel(name, options);
  }

  /** unloadModel() for a model's own code, as loadModelFor. */
  async unloadModelFor(name: string, options: UnloadModelOptions, callers: ReadonlySet<Caller> | undefined): Promise<void> {
    this.#requireExplicitMode('unload');
    this.#refuseSelfWait('unload', name, callers);
    await this.unloadModel(name, options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#pollTimer);
    await this.#models.close();
    await Promise.allSettled(this.#backends.all.map((backend) => backend.dispose?.()));
    await this.#tracer.close();
  }

  #requireExplicitMode(action: string): void {
    if (this.#mode !== 'explicit') {
      throw NereidError.unavailable(
        `explicit model ${action} is not allowed in model control mode '${this.#mode}'; start the server with --model-control-mode=explicit`,
      );
    }
  }

  #refuseSelfWait(action: string, name: string, callers: ReadonlySet<Caller> | undefined): void {
    const reason = this.#models.selfWaitReason(name, callers);
    if (reason) throw NereidError.unavailable(`cannot ${action} model '${name}' from a model: ${reason}`);
  }

  async #overrideSource(name: string, options: LoadModelOptions): Promise<ModelSource | undefined> {
    const config = parseConfigJson(options.config!, `load request for '${name}'`);
    const files = Object.entries(options.files ?? {});
    if (files.length === 0) return { dir: await this.#models.modelDir(name), config };
    const dir = await mkdtemp(join(tmpdir(), `nereid-${name}-`));
    for (const [relative, content] of files) {
      const target = normalize(join(dir, relative));
      if (!target.startsWith(dir + sep)) throw NereidError.invalidArg(`failed to load '${name}': override file path '${relative}' leaves the model directory`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    return { dir, config, ownedDir: true };
  }

  #startPolling(seconds: number): void {
    const tick = (): void => {
      this.#pollTimer = setTimeout(() => {
        this.#models
          .poll()
          .catch((error: unknown) => this.#log.error(`repository poll failed: ${NereidError.from(error).message}`))
          .finally(() => {
            if (!this.#closed) tick();
          });
      }, seconds * 1000);
      this.#pollTimer.unref();
    };
    tick();
  }
}

/** Creates and loads a server (see `Server.create`). */
export function createServer(options: ServerOptions): Promise<Server> {
  return Server.create(options);
}

/** Like Triton, refuse to start (in every control mode) on a repository root that is not a readable directory. */
async function requireDirectory(root: string): Promise<void> {
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw NereidError.invalidArg(`model repository '${root}' ${info ? 'is not a directory' : 'does not exist'}`);
  }
}

function rejectReservedParameters(parameters: Record<string, unknown>): void {
  for (const key in parameters) {
    if (key.startsWith('triton_')) throw NereidError.invalidArg(`parameter key '${key}' is reserved (keys starting with 'triton_' are reserved for the server)`);
  }
}
