/** The transparency log in the database: leaves, integration, proofs, checkpoints, witness pushes. */
export { LOG_COLUMNS, isRowColumn } from './columns';
export { LOG_SOURCES, isLogSource, keyOf, parseKey, type LogSource } from './sources';
export { leafEntry, readLeafEntry, LEAF_ENTRY_VERSION, type LeafEntryRecord } from './entry';
export { integrateLog, type Integration } from './integrate';
export { storedNodes, logSize, logRoot, logInclusionProof, logConsistencyProof, logNode } from './nodes';
export { checkpointLog, latestLogCheckpoint, cosignedCheckpoint, blockingAlarm, logHeads, firstWitnessed, type LogCheckpoint, type CheckpointOutcome } from './checkpoint';
export { parseWitnesses, WitnessConfigInvalid, type Witness } from './witness-list';
export { pushToWitnesses, type SendCheckpoint, type WitnessOutcome, type PushOptions } from './witnesses';
export {
  openTransparencyLog, integrateAndCheckpoint, logStatus, startLogScheduler, UNWITNESSED, LogConfigInvalid,
  type TransparencyLog, type LogRound, type LogStatus,
} from './service';
export { LogError, type LogErrorCode } from './errors';
