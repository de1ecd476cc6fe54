/**
 * The gRPC floor: a grpc-js server whose ModelInfer decodes the request with
 * our protobufjs codec and answers a fixed two-output response, in its own
 * process. What grpc-js and node:http2 cost per call before any inference;
 * empty-fastify.ts is the HTTP counterpart. Usage: empty-grpc.ts PORT
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { INFERENCE_SERVICE } from '../runtime/grpc/grpc-proto.ts';

const port = Number(process.argv[2]);
const output = (name: string) => ({ name, datatype: 'INT32', shape: [1, 16] });
const reply = { model_name: 'simple', model_version: '1', outputs: [output('OUTPUT0'), output('OUTPUT1')], raw_output_contents: [Buffer.alloc(64), Buffer.alloc(64)] };

// The options nereid's frontend sets (grpc-frontend.ts): no message size limits, channelz off.
const server = new Server({ 'grpc.enable_channelz': 0, 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
server.addService(INFERENCE_SERVICE, {
  ModelInfer: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => callback(null, reply),
});
server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stdout.write('ready\n');
});
