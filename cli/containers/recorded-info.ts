// What berth's verbose ContainerStatus and PodSandboxStatus carry under info["info"]: the record's
// bundle and the config as created, as JSON. Other runtimes say other things there, or nothing.

export interface RecordedInfo<Config> {
  bundle?: string;
  config?: Config;
}

/** The verbose status's recorded info; {} where the runtime gave none or something unreadable. */
export function recordedInfo<Config>(info: Record<string, string> | undefined): RecordedInfo<Config> {
  try {
    return JSON.parse(info?.['info'] ?? '{}') as RecordedInfo<Config>;
  } catch {
    return {};
  }
}
