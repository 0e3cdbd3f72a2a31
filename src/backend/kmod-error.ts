import { BackendError } from './driver-backend.js';
import { isKernelError } from './addon-persona.js';

/** A refused or failed kernel apply; nothing was changed unless `rollbackFailed`. */
export class KmodError extends BackendError {
  constructor(
    code: BackendError['code'],
    path: string,
    message: string,
    /** The kernel's errno name: `EIO`, `ERANGE`, `ENODEV`… */
    readonly errno: string,
    /** Restoring the earlier values failed too: the driver is in neither state. */
    readonly rollbackFailed = false,
  ) {
    super(code, path, message);
  }
}

/** Turns what the addon rejected an apply with into the backend's error, naming the blamed parameter. */
export function kmodApplyError(err: unknown, driverId: string, names: readonly string[]): Error {
  if (!isKernelError(err)) return err instanceof Error ? err : new Error(String(err));
  const { code } = err;
  const name = err.index === undefined ? undefined : names[err.index];
  const path = name === undefined ? driverId : `${driverId}/${name}`;
  switch (code) {
    case 'ENOENT':
    case 'ENODEV':
      return new KmodError('E_DRIVER', driverId, `the driver went away (${code})`, code);
    case 'ESTALE':
      return new KmodError('E_DRIVER', driverId, `its values kept changing while applying (${code}); nothing was changed`, code);
    case 'ERANGE':
      return new KmodError('E_RANGE', path, `the kernel refused the value (${code})`, code);
    case 'EINVAL':
      return new KmodError('E_PARAMETER', path, `the kernel refused the request (${code})`, code);
    default:
      if (name === undefined) return new KmodError('E_DRIVER', driverId, err.message, code);
      if (err.rollbackFailed) {
        return new KmodError('E_DRIVER', path, `the driver failed to set it (${code}), and restoring the earlier values failed too: the driver is in neither state`, code, true);
      }
      return new KmodError('E_DRIVER', path, `the driver failed to set it (${code}); every value was restored`, code);
  }
}
