/** Types of pack-release.mjs for the tests that run it. */
export declare const RELEASE_INC: string;

export interface ReleasePins {
  app: string;
  modules: string;
  license: string;
  files: string[];
}

/** Packs both tarballs into `out`; returns their paths, the pins and the recipe include to match. */
export declare function pack(out: string): { app: string; modules: string; pins: ReleasePins; inc: string };
