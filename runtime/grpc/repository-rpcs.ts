/**
 * The model repository extension over gRPC: RepositoryIndex,
 * RepositoryModelLoad (parameters `config`: the config as JSON text in
 * `string_param`; `file:<version>/<path>`: file content in `bytes_param`) and
 * RepositoryModelUnload (`unload_dependents` as `bool_param`). Naming a
 * repository is UNSUPPORTED, as on HTTP and in Triton.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { NereidError } from '../../sdk/errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { InferenceServer, LoadModelOptions } from '../server/server-api.ts';
import { unary } from './grpc-reply.ts';

interface RepositoryParameterMessage {
  parameter_choice?: string;
  bool_param?: boolean;
  string_param?: string;
  bytes_param?: Uint8Array;
}

interface ModelRequest {
  repository_name: string;
  model_name: string;
  parameters: Record<string, RepositoryParameterMessage>;
}

function rejectRepositoryName(name: string): void {
  if (name) throw NereidError.unsupported("'repository_name' specification is not supported");
}

/** The LoadModelOptions that a load request's parameters describe. */
export function readGrpcLoadOptions(request: ModelRequest): LoadModelOptions {
  const what = `load request for model '${request.model_name}'`;
  const options: LoadModelOptions = {};
  for (const [key, parameter] of Object.entries(request.parameters)) {
    if (key === 'config') {
      if (parameter.parameter_choice !== 'string_param') throw NereidError.invalidArg(`${what}: parameter 'config' must be a string_param holding the config as JSON`);
      options.config = parameter.string_param!;
    } else if (key.startsWith('file:')) {
      const path = key.slice(5);
      if (!path) throw NereidError.invalidArg(`${what}: parameter '${key}' must name a file, as 'file:<version>/<path>'`);
      if (parameter.parameter_choice !== 'bytes_param') throw NereidError.invalidArg(`${what}: parameter '${key}' must be a bytes_param holding the file content`);
      (options.files ??= {})[path] = new Uint8Array(parameter.bytes_param!);
    } else {
      throw NereidError.invalidArg(`${what}: unknown parameter '${key}'; expected 'config' or 'file:<version>/<path>'`);
    }
  }
  if (options.files && options.config === undefined) {
    throw NereidError.invalidArg(`${what}: 'file:' parameters need a 'config' parameter too, to override the model files`);
  }
  return options;
}

export function repositoryRpcs(server: InferenceServer, log: Logger): UntypedServiceImplementation {
  return {
    RepositoryIndex: unary(log, 'RepositoryIndex', async (request: { repository_name: string; ready: boolean }) => {
      rejectRepositoryName(request.repository_name);
      return { models: await server.repositoryIndex({ ready: request.ready }) };
    }),
    RepositoryModelLoad: unary(log, 'RepositoryModelLoad', async (request: ModelRequest) => {
      rejectRepositoryName(request.repository_name);
      await server.loadModel(request.model_name, readGrpcLoadOptions(request));
      return {};
    }),
    RepositoryModelUnload: unary(log, 'RepositoryModelUnload', async (request: ModelRequest) => {
      rejectRepositoryName(request.repository_name);
      let unloadDependents = false;
      for (const [key, parameter] of Object.entries(request.parameters)) {
        if (key !== 'unload_dependents') {
          throw NereidError.invalidArg(`unload request for model '${request.model_name}': unknown parameter '${key}'; expected 'unload_dependents'`);
        }
        if (parameter.parameter_choice !== 'bool_param') throw NereidError.invalidArg(`unload request for model '${request.model_name}': 'unload_dependents' must be a bool_param`);
        unloadDependents = parameter.bool_param!;
      }
      await server.unloadModel(request.model_name, { unloadDependents });
      return {};
    }),
  };
}
