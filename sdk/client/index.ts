/**
 * nereid's client SDK: one API (`InferenceClient`) over HTTP (`HttpClient`,
 * KServe v2 with the binary tensor extension) and gRPC (`GrpcClient`,
 * Triton's GRPCInferenceService), with the sdk's `Tensor` in and out and
 * errors as `NereidError`.
 *
 * @example
 * ```ts
 * import { HttpClient, Tensor } from 'nereid/client';
 * const client = new HttpClient('http://127.0.0.1:8000');
 * const input = (name: string) => new Tensor(name, 'INT32', [1, 16], Int32Array.from({ length: 16 }, (_, i) => i));
 * const { outputs } = await client.infer({ model: 'simple', inputs: [input('INPUT0'), input('INPUT1')] });
 * console.log(outputs[0].data); // Int32Array [0, 2, 4, ...]
 * client.close();
 * ```
 */
export type * from './client-types.ts';
export { errorCodeFromGrpcStatus, errorCodeFromHttpStatus } from './error-codes.ts';
export { GrpcClient, type GrpcClientOptions } from './grpc-client.ts';
export { GrpcStream, type StreamItem, type StreamSendOptions } from './grpc-stream.ts';
export { HttpClient, type HttpClientOptions } from './http-client.ts';
export { NereidError, type ErrorCode } from '../errors.ts';
export { Tensor } from '../tensor.ts';
export type { InferRequest, InferResponse, Parameters, ParameterValue, RequestedOutput } from '../inference.ts';
export type { ModelConfig } from '../model-config.ts';
