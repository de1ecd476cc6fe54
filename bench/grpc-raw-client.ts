/**
 * A minimal gRPC client for the benchmarks: ModelInfer over node:http2 with
 * the request message encoded once, as the HTTP benchmark client sends a
 * body built once. grpc-js's own client costs about three times the CPU of
 * the HTTP client per call, and client and server share this machine's two
 * cores; with this one, a gRPC-vs-HTTP ratio measures the servers.
 *
 * @example
 * ```ts
 * const client = new RawGrpcClient(port);
 * const frame = RawGrpcClient.frame(modelInferRequest);
 * await client.infer(frame); // rejects unless grpc-status is 0
 * ```
 */
import { connect, type ClientHttp2Session } from 'node:http2';
import { INFERENCE_SERVICE } from '../runtime/grpc/grpc-proto.ts';

const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';

export class RawGrpcClient {
  readonly #session: ClientHttp2Session;

  constructor(port: number) {
    this.#session = connect(`http://127.0.0.1:${port}`);
  }

  /** A ModelInferRequest (plain object, proto field names) as one length-prefixed gRPC message. */
  static frame(message: unknown): Buffer {
    const body = INFERENCE_SERVICE.ModelInfer!.requestSerialize(message) as Buffer;
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    return frame;
  }

  /** One ModelInfer call with a prebuilt frame; resolves once the server's trailers say OK. */
  infer(frame: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.#session.request({ ':method': 'POST', ':path': MODEL_INFER, 'content-type': 'application/grpc', te: 'trailers' });
      let status: string | undefined;
      stream.on('trailers', (trailers) => {
        status = String(trailers['grpc-status']);
        if (status !== '0') reject(new Error(`grpc-status ${status}: ${String(trailers['grpc-message'])}`));
      });
      stream.on('data', () => {});
      stream.on('end', () => (status === '0' ? resolve() : reject(new Error(`gRPC call ended without an OK status (${status ?? 'no trailers'})`))));
      stream.on('error', reject);
      stream.end(frame);
    });
  }

  close(): void {
    this.#session.close();
  }
}
