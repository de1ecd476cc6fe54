/**
 * Whether ONNX Runtime's CUDA execution provider can be used here, and what
 * to tell the user when it cannot. Main-thread code: it inspects files only
 * and never loads the ORT binding.
 *
 * The rule (pragmatic, checked once per process):
 * 1. the platform is one onnxruntime-node ships a CUDA build for (linux/x64,
 *    win32/x64): there `listSupportedBackends()` names `cuda`;
 * 2. the provider libraries were installed next to the binding
 *    (`libonnxruntime_providers_cuda.so` and `..._shared.so`, or the .dll
 *    twins). npm does not bundle them; onnxruntime-node's install script
 *    fetches them when asked to;
 * 3. an NVIDIA GPU is visible: `/dev/nvidiactl` and some `/dev/nvidiaN` on
 *    Linux, `nvcuda.dll` on Windows.
 * It does not check the CUDA 12 / cuDNN 9 runtime libraries the provider
 * links against; if those are missing, loading a KIND_GPU instance fails with
 * ORT's message, wrapped with the same install hint. ORT is never allowed to
 * fall back to CPU for a KIND_GPU instance.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface CudaProviderStatus {
  readonly usable: boolean;
  /** Why not, when not usable. */
  readonly problem?: string;
}

/** How to install the CUDA provider (from onnxruntime-node's script/install.js). */
export const CUDA_INSTALL_HINT =
  'install the CUDA execution provider by reinstalling onnxruntime-node with `npm ci --onnxruntime-node-install=cuda12` ' +
  '(or `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci`); it also needs the CUDA 12 and cuDNN 9 runtime libraries and a visible NVIDIA GPU';

const CUDA_PLATFORMS = new Set(['linux/x64', 'win32/x64']);

/** The directory holding onnxruntime_binding.node for this platform. */
export function ortBinaryDir(): string {
  const packageJson = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return path.join(path.dirname(packageJson), 'bin', 'napi-v6', process.platform, process.arch);
}

function providerFiles(): string[] {
  return process.platform === 'win32'
    ? ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll']
    : ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
}

function gpuVisible(): boolean {
  if (process.platform === 'linux') {
    try {
      return existsSync('/dev/nvidiactl') && readdirSync('/dev').some((name) => /^nvidia\d+$/.test(name));
    } catch {
      return false;
    }
  }
  if (process.platform === 'win32') {
    return existsSync(path.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'nvcuda.dll'));
  }
  return false;
}

function check(): CudaProviderStatus {
  const platform = `${process.platform}/${process.arch}`;
  if (!CUDA_PLATFORMS.has(platform)) {
    return { usable: false, problem: `onnxruntime-node has no CUDA execution provider for ${platform}` };
  }
  let dir: string;
  try {
    dir = ortBinaryDir();
  } catch (error) {
    return { usable: false, problem: `onnxruntime-node is not installed: ${(error as Error).message}` };
  }
  const missing = providerFiles().filter((file) => !existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    return { usable: false, problem: `the CUDA execution provider is not installed (${missing.join(', ')} missing in ${dir}); ${CUDA_INSTALL_HINT}` };
  }
  if (!gpuVisible()) return { usable: false, problem: 'no NVIDIA GPU is visible to this process' };
  return { usable: true };
}

let cached: CudaProviderStatus | undefined;

/** Whether KIND_GPU instances can be created; computed once per process. */
export function cudaProviderStatus(): CudaProviderStatus {
  cached ??= check();
  return cached;
}

/** True when an ORT load error says the CUDA provider (or a library it needs) could not be loaded. */
export function isCudaLoadError(message: string): boolean {
  return /providers_cuda|providers_shared|AppendExecutionProvider_Cuda|libcudart|libcublas|libcudnn|CUDA failure|no CUDA-capable device/i.test(message);
}
