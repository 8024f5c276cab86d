// docker's output for its volume commands, from what berth.v1.Volumes answers. Pure, unit-tested.
import type { Volume__Output } from '../../api/berth/berth-messages.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { formatRows, type TemplateRow } from '../format-template.js';

/** docker's label on the volumes `run -v /path` makes. */
const anonymousLabel = 'com.docker.volume.anonymous';

/** A volume as docker's API shows it (volume inspect, and the fields --format may name). */
export function dockerVolume(volume: Volume__Output): TemplateRow {
  const labels = { ...volume.labels, ...(volume.anonymous ? { [anonymousLabel]: '' } : {}) };
  return {
    // docker prints its RFC 3339 time without fractions of a second.
    CreatedAt: volume.createdAt.replace(/\.\d+Z$/, 'Z'),
    Driver: volume.driver,
    Labels: Object.keys(labels).length > 0 ? labels : null,
    Mountpoint: volume.mountpoint,
    Name: volume.name,
    Options: null,
    Scope: 'local',
  };
}

const headers = { Name: 'VOLUME NAME', Driver: 'DRIVER', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Scope: 'SCOPE', CreatedAt: 'CREATED', Options: 'OPTIONS' };

export const defaultListFormat = 'table {{.Driver}}\t{{.Name}}';

/** docker volume ls [-q] [--format]. */
export function volumeList(volumes: readonly Volume__Output[], options: { quiet: boolean; format?: string }): string {
  if (options.quiet) return volumes.map((volume) => `${volume.name}\n`).join('');
  return formatRows(options.format ?? defaultListFormat, volumes.map(dockerVolume), headers);
}

/** docker volume inspect: a JSON array indented as docker's, or each volume through --format. */
export function volumeInspect(volumes: readonly Volume__Output[], format?: string): string {
  if (format !== undefined) return formatRows(format, volumes.map(dockerVolume), headers);
  return `${JSON.stringify(volumes.map(dockerVolume), null, 4)}\n`;
}

/** docker volume ls --filter: dangling=true|false, name=SUBSTRING, label=KEY[=VALUE], driver=NAME. */
export function volumeFilter(filters: readonly string[]): (volume: Volume__Output) => boolean {
  const tests = filters.map((filter): ((volume: Volume__Output) => boolean) => {
    const equals = filter.indexOf('=');
    const [key, value] = equals < 0 ? [filter, ''] : [filter.slice(0, equals), filter.slice(equals + 1)];
    switch (key) {
      case 'dangling':
        if (!['true', 'false', '1', '0'].includes(value)) throw new InvalidArgumentError(`--filter "${filter}": dangling takes true or false`);
        return (volume) => (volume.usedBy.length === 0) === (value === 'true' || value === '1');
      case 'name':
        return (volume) => volume.name.includes(value);
      case 'driver':
        return (volume) => volume.driver === value;
      case 'label': {
        const labelEquals = value.indexOf('=');
        const [labelKey, labelValue] = labelEquals < 0 ? [value, undefined] : [value.slice(0, labelEquals), value.slice(labelEquals + 1)];
        return (volume) => {
          const labels = (dockerVolume(volume).Labels ?? {}) as Record<string, string>;
          return labelKey in labels && (labelValue === undefined || labels[labelKey] === labelValue);
        };
      }
      default:
        throw new InvalidArgumentError(`--filter "${filter}": berth knows dangling, name, label and driver`);
    }
  });
  return (volume) => tests.every((test) => test(volume));
}
