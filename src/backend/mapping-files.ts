import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentError, readJsonDocument } from '../common/schema.js';

/**
 * Every `drivers/<driver-id>/<fileName>` under a manifest folder (sysfs.json, ethtool.json),
 * parsed by `parse`, in driver-id order. A mapping whose driver is not its folder's is refused.
 * @throws DocumentError naming the file and path of every problem, or the folder when none is found
 */
export function readDriverMappings<T extends { readonly driver: string }>(manifests: string, fileName: string, parse: (data: unknown, file: string) => T): T[] {
  const drivers = join(manifests, 'drivers');
  const files = existsSync(drivers)
    ? readdirSync(drivers)
        .sort()
        .map((id) => ({ id, file: join(drivers, id, fileName) }))
        .filter(({ file }) => existsSync(file))
    : [];
  if (files.length === 0) throw new DocumentError([{ file: drivers, path: '', message: `no driver has a ${fileName}` }]);
  return files.map(({ id, file }) => {
    const mapping = parse(readJsonDocument(file, (f) => readFileSync(f, 'utf8')), file);
    if (mapping.driver !== id) throw new DocumentError([{ file, path: '/driver', message: `must be ${id}, the folder's name` }]);
    return mapping;
  });
}
