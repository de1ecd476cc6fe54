/**
 * The one place that loads `sdk/proto/model_config.proto` with protobufjs.
 *
 * Field names keep their snake_case (`keepCase`), so reflection names are the
 * names of config.pbtxt, of the `/config` JSON and of our `ModelConfig` type.
 * The text parser, the JSON reader and the JSON renderer all walk this
 * reflection rather than keeping their own field tables.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** Absolute path of our copy of Triton's model_config.proto (the gRPC frontend loads the same file). */
export const MODEL_CONFIG_PROTO_PATH = fileURLToPath(new URL('../../sdk/proto/model_config.proto', import.meta.url));

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root().loadSync(MODEL_CONFIG_PROTO_PATH, { keepCase: true });
  root.resolveAll();
  return root;
}

/** The protobufjs root holding package `inference` from model_config.proto. */
export const modelConfigRoot: protobuf.Root = loadRoot();

/** Reflection of `inference.ModelConfig`. */
export const ModelConfigType: protobuf.Type = modelConfigRoot.lookupType('inference.ModelConfig');
