// /proc/devices lists each registered driver's major number. The NVIDIA GPU major is fixed (195)
// but the driver registers it as "nvidia" (550+) or "nvidia-frontend" (older); nvidia-uvm and
// nvidia-caps get dynamic majors, so the only way to know them is to read this file.

export interface NvidiaMajors {
  /** /dev/nvidiaN, nvidiactl, nvidia-modeset. */
  nvidia?: number;
  /** /dev/nvidia-uvm, nvidia-uvm-tools. */
  uvm?: number;
  /** /dev/nvidia-caps/nvidia-cap*. */
  caps?: number;
}

/** The character-device majors of the NVIDIA modules; absent where a module is not loaded. */
export function parseNvidiaMajors(procDevices: string): NvidiaMajors {
  const majors: NvidiaMajors = {};
  let inCharacterSection = false;
  for (const raw of procDevices.split('\n')) {
    const line = raw.trim();
    if (line.endsWith(':')) {
      inCharacterSection = line === 'Character devices:';
      continue;
    }
    if (!inCharacterSection) continue;
    const match = /^(\d+)\s+(\S+)$/.exec(line);
    if (!match) continue;
    const major = Number(match[1]);
    const name = match[2];
    if ((name === 'nvidia' || name === 'nvidia-frontend') && majors.nvidia === undefined) majors.nvidia = major;
    else if (name === 'nvidia-uvm') majors.uvm = major;
    else if (name === 'nvidia-caps') majors.caps = major;
  }
  return majors;
}
