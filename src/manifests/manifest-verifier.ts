import { ManifestError } from './manifest-error.js';

/**
 * Decides whether the bytes of a manifest file can be trusted and extracts the
 * payload to parse. Nothing parses a manifest before its verifier has accepted
 * it, so a parser bug cannot be reached with untrusted input once signing is on.
 *
 * Today only {@link UnsignedManifestVerifier} exists. The signed verifier
 * (a DSSE envelope with Ed25519 signatures over the personality JSON) will
 * implement this same interface and replace it; callers do not change.
 */
export interface ManifestVerifier {
  /** Shown in logs and status: `unsigned`, later e.g. `dsse-ed25519`. */
  readonly kind: string;
  /**
   * @returns the trusted payload bytes
   * @throws ManifestError when the file must not be used
   */
  verify(bytes: Uint8Array, file: string): Uint8Array;
}

/** Larger than any real personality by far, small enough that a stray file costs nothing. */
export const MAX_MANIFEST_BYTES = 256 * 1024;

/** Trusts any file under the size cap: for development and unsigned deployments. */
export class UnsignedManifestVerifier implements ManifestVerifier {
  readonly kind = 'unsigned';

  verify(bytes: Uint8Array, file: string): Uint8Array {
    // First check of all: later stages may allocate in proportion to the input.
    if (bytes.byteLength > MAX_MANIFEST_BYTES) {
      throw new ManifestError(
        'E_SIZE',
        file,
        `${bytes.byteLength} bytes exceeds the limit of ${MAX_MANIFEST_BYTES}`,
      );
    }
    return bytes;
  }
}
