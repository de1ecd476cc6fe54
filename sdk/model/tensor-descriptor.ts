/**
 * Tensors across the isolate boundary: `TensorDescriptor` <-> `Tensor`.
 * A descriptor with inline `data` becomes an ordinary Tensor; one with a
 * `handle` becomes a host tensor (payload fetched on first `.data` read).
 * Going back, a host tensor whose data was never read travels as its handle;
 * everything else travels as its data.
 *
 * @example
 * ```ts
 * const t = tensorFromDescriptor({ name: 'X', datatype: 'INT32', shape: [2], data: new Int32Array([1, 2]) }, take);
 * tensorToDescriptor(t.rename('Y')); // { name: 'Y', datatype: 'INT32', shape: [2], data: Int32Array [1, 2] }
 * ```
 */
import { NereidError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { hostTensor, sendHandle, tensorFromRaw, type RawTensorData } from './host-tensor.ts';
import type { TensorDescriptor } from './isolate-protocol.ts';

/** The Tensor a descriptor from the host describes; `take` fetches handle payloads. */
export function tensorFromDescriptor(descriptor: TensorDescriptor, take: (handle: number) => RawTensorData): Tensor {
  const { name, datatype, shape, data, handle } = descriptor;
  if ((data === undefined) === (handle === undefined)) {
    throw NereidError.internal(`tensor '${name}': a tensor descriptor needs exactly one of data and handle`);
  }
  if (handle !== undefined) return hostTensor(name, datatype, shape, handle, take);
  return tensorFromRaw(name, datatype, shape, data!);
}

/** The descriptor `tensor` travels to the host as. */
export function tensorToDescriptor(tensor: Tensor): TensorDescriptor {
  const handle = sendHandle(tensor);
  const { name, datatype } = tensor;
  const shape = [...tensor.shape];
  return handle !== undefined ? { name, datatype, shape, handle } : { name, datatype, shape, data: tensor.data };
}
