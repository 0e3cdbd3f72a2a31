/**
 * Stable codes, so that callers, tests and operators can tell failures apart
 * without parsing messages. Existing codes never change meaning; docs/manifests.md
 * documents each one (a test checks that every code here is listed there).
 */
export const MANIFEST_ERROR_CODES = [
  'E_READ',
  'E_LINK',
  'E_SIZE',
  'E_DEPTH',
  'E_JSON',
  'E_ENVELOPE',
  'E_BASE64',
  'E_PAYLOAD_TYPE',
  'E_SIGNATURE',
  'E_THRESHOLD',
  'E_SCHEMA',
  'E_UNIT',
  'E_MAPPING',
  'E_TARGET',
  'E_INHERITS',
  'E_CYCLE',
  'E_ROLLBACK',
  'E_SUBSTITUTION',
  'E_EXPIRED',
  'E_TRUST',
  'E_STATE',
  'E_KEY',
  'E_DRIVER_VERSION',
  'E_NOT_FOUND',
] as const;

export type ManifestErrorCode = (typeof MANIFEST_ERROR_CODES)[number];

/** Why a manifest was refused or a personality cannot be used. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';

  /**
   * @param file manifest file (or manifest folder when no file is involved)
   * @param text the reason, without file or path
   * @param path JSON pointer of the failing field; omitted when the whole document is at fault
   */
  constructor(
    readonly code: ManifestErrorCode,
    readonly file: string,
    readonly text: string,
    readonly path?: string,
    options?: ErrorOptions,
  ) {
    super(path ? `${file}: ${path}: ${text}` : `${file}: ${text}`, options);
  }

  /** The reason with the field at fault, without the file: for a message that names the file its own way. */
  get reason(): string {
    return this.path ? `${this.path}: ${this.text}` : this.text;
  }
}
