/**
 * The one importer of `onnx-proto` (protobufjs classes generated from ONNX
 * 1.10's onnx.proto, IR version 8).
 *
 * onnx-proto is a CommonJS package whose single export is the `onnx`
 * namespace; Node's ESM loader cannot see it as a named export, so it is
 * taken from the default import here, and the rest of scripts/onnx imports
 * `onnx` (values) and `OnnxTypes` (interfaces) from this file.
 *
 * It is a devDependency: only build scripts and tests may import it, never
 * runtime/ (the server learns a model's signature from onnxruntime itself).
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

export type { OnnxTypes };

/** The generated message classes and enums (`onnx.ModelProto`, `onnx.TensorProto.DataType`, ...). */
export const onnx = onnxProto.onnx;

/**
 * IR version 8 is the newest onnx-proto can describe, and the one the ONNX
 * releases that introduced opsets 15 to 18 wrote; opset 17 (ONNX 1.12) is
 * well inside what onnxruntime 1.30 implements.
 */
export const IR_VERSION = 8;
export const DEFAULT_OPSET = 17;
export const PRODUCER_NAME = 'nereid';
