// The Prometheus text exposition format for pages whose samples carry their own timestamps
// (prom-client has no way to set one): the kubelet stamps each resource sample with the time the
// runtime read it, and metrics-server computes CPU rates from those times, not its scrape times.

export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch; left out of the line when undefined. */
  timestampMs?: number | undefined;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Sample[];
}

const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (text: string): string => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function sampleLine(name: string, sample: Sample): string {
  const pairs = Object.entries(sample.labels ?? {}).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  const labels = pairs.length > 0 ? `{${pairs.join(',')}}` : '';
  const stamp = sample.timestampMs !== undefined ? ` ${String(Math.round(sample.timestampMs))}` : '';
  return `${name}${labels} ${formatValue(sample.value)}${stamp}`;
}

/** Pure: the families as one page, HELP and TYPE before each family's samples. */
export function renderFamilies(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(sampleLine(family.name, sample));
  }
  return `${lines.join('\n')}\n`;
}
