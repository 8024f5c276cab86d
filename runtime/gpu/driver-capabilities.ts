// Which driver files belong to which NVIDIA driver capability (NVIDIA_DRIVER_CAPABILITIES). The
// lists are deliberately short: only files whose capability is unambiguous in the NVIDIA
// Container Toolkit's own lists. A library missing here is simply not injected; one listed
// under the wrong capability would leak into containers that did not ask for it.

export const driverCapabilities = ['utility', 'compute', 'video', 'graphics', 'display'] as const;
export type DriverCapability = (typeof driverCapabilities)[number];

/** What a container gets when it names no capability (the toolkit's default). */
export const defaultDriverCapabilities: readonly DriverCapability[] = ['utility', 'compute'];

export function isDriverCapability(value: string): value is DriverCapability {
  return (driverCapabilities as readonly string[]).includes(value);
}

/** Library names without the ".so" suffix and version. */
export const capabilityLibraries: Readonly<Record<DriverCapability, readonly string[]>> = {
  utility: ['libnvidia-ml', 'libnvidia-cfg'],
  compute: [
    'libcuda',
    'libcudadebugger',
    'libnvidia-ptxjitcompiler',
    'libnvidia-nvvm',
    'libnvidia-opencl',
    'libnvidia-gpucomp',
    'libnvidia-allocator',
    'libnvidia-pkcs11',
    'libnvidia-pkcs11-openssl3',
  ],
  video: ['libnvcuvid', 'libnvidia-encode', 'libnvidia-opticalflow', 'libvdpau_nvidia'],
  graphics: [
    'libnvidia-eglcore',
    'libnvidia-glcore',
    'libnvidia-tls',
    'libnvidia-glsi',
    'libnvidia-glvkspirv',
    'libnvidia-rtcore',
    'libnvoptix',
    'libGLX_nvidia',
    'libEGL_nvidia',
    'libGLESv2_nvidia',
    'libGLESv1_CM_nvidia',
    'libnvidia-fbc',
  ],
  // The display capability is the X server's driver modules (nvidia_drv.so,
  // libglxserver_nvidia.so), which live outside the library path and are not injected yet.
  display: [],
};

export const capabilityBinaries: Readonly<Record<DriverCapability, readonly string[]>> = {
  utility: ['nvidia-smi', 'nvidia-debugdump', 'nvidia-persistenced'],
  compute: ['nvidia-cuda-mps-control', 'nvidia-cuda-mps-server'],
  video: [],
  graphics: [],
  display: [],
};

/** The libraries whose version suffix is the driver version, in order of trust. */
export const versionedLibraries = ['libcuda', 'libnvidia-ml'] as const;

/** The capability a library base name belongs to, if any. */
export function capabilityOfLibrary(baseName: string): DriverCapability | undefined {
  return driverCapabilities.find((c) => capabilityLibraries[c].includes(baseName));
}

/** "libcuda.so.550.54.15" → "libcuda"; undefined for names that are not "<base>.so[.<suffix>]". */
export function libraryBaseName(fileName: string): string | undefined {
  const match = /^(.+?)\.so(?:\.[^/]*)?$/.exec(fileName);
  return match?.[1];
}

/** "libcuda.so.550.54.15" → "550.54.15": the driver version lives in the real file's suffix. */
export function libraryVersion(fileName: string): string | undefined {
  const match = /\.so\.(\d+\.\d+(?:\.\d+)?)$/.exec(fileName);
  return match?.[1];
}
