/**
 * Rewrites a model so that its initializers live in an external data file,
 * the layout ONNX uses for models over 2 GB and the reason Triton accepts a
 * `model.onnx` directory (model.onnx + its data files side by side).
 */
import { onnx } from '../../../scripts/onnx/proto.ts';

export interface ExternalDataModel {
  /** The model proto, whose initializers now point at `dataFile`. */
  onnx: Uint8Array;
  /** The bytes to write as `dataFile` next to the model. */
  data: Uint8Array;
}

/** Moves every raw-data initializer of `model` into one external file named `dataFile`. */
export function withExternalData(model: Uint8Array, dataFile = 'weights.bin'): ExternalDataModel {
  const proto = onnx.ModelProto.decode(model);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of proto.graph?.initializer ?? []) {
    const raw = tensor.rawData;
    if (!raw || raw.length === 0) continue;
    chunks.push(raw);
    tensor.rawData = new Uint8Array(0);
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      onnx.StringStringEntryProto.create({ key: 'location', value: dataFile }),
      onnx.StringStringEntryProto.create({ key: 'offset', value: String(offset) }),
      onnx.StringStringEntryProto.create({ key: 'length', value: String(raw.length) }),
    ];
    offset += raw.length;
  }
  if (chunks.length === 0) throw new Error('withExternalData: the model has no raw-data initializers to move');
  const data = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return { onnx: onnx.ModelProto.encode(proto).finish(), data };
}
