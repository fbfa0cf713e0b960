/** The instrumentation scope name given to tracers and meters. */
export const INSTRUMENTATION_NAME = '@rapsqlite/otel';

/** The version of this package, given to tracers and meters (kept equal to package.json by a test). */
export const INSTRUMENTATION_VERSION = '0.1.0';
