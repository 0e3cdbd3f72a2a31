/** What happened over one pass of the bundled drive, in seconds since its first frame: the data of docs/drive.svg. */
export interface DriveTrace {
  /** The vehicle's speed as the daemon's feature extractor computes it (null while unknown). */
  speed: Array<{ s: number; kmh: number | null }>;
  /** Changes of the driving context. */
  contexts: Array<{ s: number; from: string; to: string }>;
  /** Personalities applied, with why. */
  switches: Array<{ s: number; personality: string; trigger: string }>;
  endS: number;
}
