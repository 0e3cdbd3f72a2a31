import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Just enough of BitBake's variable syntax to read this layer's own recipes without BitBake
 * (CI cannot fetch it): `=`, `?=`, `??=`, `+=`, `:=`, line continuations, `require` of files
 * in the layer, and `${VAR}` expansion. Python expressions (`${@...}`) are left alone unless
 * the caller presets the variable, as it does for the unpack folder.
 */
export class RecipeVars {
  private readonly vars = new Map<string, string>();
  /** Preset by the caller: the recipe's own assignments to them are ignored. */
  private readonly fixed: Set<string>;

  constructor(
    private readonly layerDir: string,
    preset: Record<string, string> = {},
  ) {
    for (const [k, v] of Object.entries(preset)) this.vars.set(k, v);
    this.fixed = new Set(Object.keys(preset));
  }

  static read(layerDir: string, recipe: string, preset: Record<string, string> = {}): RecipeVars {
    const [pn, pv] = basename(recipe, '.bb').split('_');
    const vars = new RecipeVars(layerDir, { PN: pn ?? '', BPN: pn ?? '', PV: pv ?? '1.0', ...preset });
    vars.parse(recipe);
    return vars;
  }

  get(name: string): string | undefined {
    const value = this.vars.get(name);
    return value === undefined ? undefined : this.expand(value);
  }

  expand(value: string, depth = 0): string {
    if (depth > 20) throw new Error(`recursive expansion in ${value}`);
    return value.replace(/\$\{([A-Za-z0-9_:-]+)\}/g, (whole, name: string) => {
      const v = this.vars.get(name);
      return v === undefined ? whole : this.expand(v, depth + 1);
    });
  }

  private parse(file: string): void {
    const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
    for (const line of text.split('\n')) {
      const require = /^(?:require|include)\s+(\S+)\s*$/.exec(line);
      if (require) {
        const target = [join(dirname(file), require[1]!), join(this.layerDir, require[1]!)].find((f) => existsSync(f));
        if (!target) throw new Error(`${file}: cannot find ${require[1]} in the layer`);
        this.parse(target);
        continue;
      }
      const m = /^([A-Za-z0-9_:${}.-]+(?:\[[^\]]+\])?)\s*(\?\?=|\?=|\+=|:=|=)\s*"(.*)"\s*$/.exec(line);
      if (!m) continue;
      const [, name, op, raw] = m as unknown as [string, string, string, string];
      const key = this.expand(name);
      const old = this.vars.get(key);
      if (this.fixed.has(key)) continue;
      if ((op === '?=' || op === '??=') && old !== undefined) continue;
      if (op === '+=') this.vars.set(key, `${old ?? ''} ${raw}`);
      else if (op === ':=') this.vars.set(key, this.expand(raw));
      else this.vars.set(key, raw);
    }
  }
}

export interface LicenseFile {
  path: string;
  md5: string;
  beginline?: number;
  endline?: number;
}

/** The entries of LIC_FILES_CHKSUM: file://path;md5=...;beginline=N;endline=M. */
export function licenseFiles(value: string): LicenseFile[] {
  return value
    .split(/\s+/)
    .filter((s) => s !== '')
    .map((entry) => {
      const [url, ...params] = entry.split(';');
      if (!url?.startsWith('file://')) throw new Error(`LIC_FILES_CHKSUM entry ${entry} is not a file:// URL`);
      const p = Object.fromEntries(params.map((kv) => kv.split('=') as [string, string]));
      if (p.md5 === undefined) throw new Error(`LIC_FILES_CHKSUM entry ${entry} has no md5`);
      return {
        path: url.slice('file://'.length),
        md5: p.md5,
        ...(p.beginline !== undefined ? { beginline: Number(p.beginline) } : {}),
        ...(p.endline !== undefined ? { endline: Number(p.endline) } : {}),
      };
    });
}
