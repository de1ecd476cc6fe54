/**
 * The benchmarks' gRPC client: @grpc/grpc-js with stubs that
 * @grpc/proto-loader builds from sdk/proto/grpc_service.proto (its own
 * protobufjs codec, as a Triton client has its own), one channel per
 * client. HTTP/2 multiplexes, so concurrent calls share that channel.
 */
import { dirname } from 'node:path';
import { credentials, loadPackageDefinition, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { GRPC_SERVICE_PROTO_PATH } from '../sdk/proto/grpc-protos.ts';

const definition = loadSync(GRPC_SERVICE_PROTO_PATH, {
  keepCase: true,
  longs: String,
  enums: String,
  oneofs: true,
  includeDirs: [dirname(GRPC_SERVICE_PROTO_PATH)],
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const loaded = loadPackageDefinition(definition) as any;

/** What the benchmarks read of a ModelInferResponse (defaults are not filled in). */
export interface InferReply {
  model_name?: string;
  outputs?: { name: string; datatype: string; shape: string[] }[];
  raw_output_contents?: Buffer[];
  parameters?: Record<string, { bool_param?: boolean; int64_param?: string; string_param?: string }>;
}

export interface StreamReply {
  error_message?: string;
  infer_response?: InferReply;
}

type Callback = (error: ServiceError | null, response: InferReply) => void;

interface InferenceStub extends Client {
  ModelInfer(request: unknown, callback: Callback): void;
  ModelStreamInfer(): ClientDuplexStream<unknown, StreamReply>;
}

export class GrpcBenchClient {
  readonly #stub: InferenceStub;

  constructor(address: string) {
    this.#stub = new loaded.inference.GRPCInferenceService(address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
  }

  /** One unary ModelInfer; rejects with the ServiceError. */
  infer(request: unknown): Promise<InferReply> {
    return new Promise((resolve, reject) => {
      this.#stub.ModelInfer(request, (error, response) => (error ? reject(error) : resolve(response)));
    });
  }

  /** A new bidirectional ModelStreamInfer stream on the same channel. */
  stream(): ClientDuplexStream<unknown, StreamReply> {
    return this.#stub.ModelStreamInfer();
  }

  close(): void {
    this.#stub.close();
  }
}
