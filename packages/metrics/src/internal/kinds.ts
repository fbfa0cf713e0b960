import { OPERATION_KINDS, type OperationKind } from '@rapsqlite/engine';

/**
 * Every kind but `transaction`: a whole transaction is made of the operations it runs (BEGIN, statements,
 * COMMIT), which are measured one by one; measuring the whole as well would count its time twice.
 */
export const MEASURED_KINDS: readonly OperationKind[] = Object.freeze(OPERATION_KINDS.filter((kind) => kind !== 'transaction'));
