/**
 * Stable codes, so that callers, tests and operators can tell failures apart
 * without parsing messages. Existing codes never change meaning.
 */
export type ManifestErrorCode =
  | 'E_READ'
  | 'E_SIZE'
  | 'E_JSON'
  | 'E_SCHEMA'
  | 'E_UNIT'
  | 'E_DRIVER_VERSION'
  | 'E_DUPLICATE'
  | 'E_NOT_FOUND';

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
}
