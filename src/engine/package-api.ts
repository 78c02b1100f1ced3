/**
 * What grms hands to an external package's `definePackage(grms)`: its own xstate functions and the
 * contract helpers. A package outside the checkout imports nothing from grms or xstate itself, so
 * it never loads a second copy of xstate (whose machines the engine would not recognise) and keeps
 * working when grms is bundled or moved.
 */
import { and, assign, not, or, raise, setup } from 'xstate';
import { withProperties } from './stored-schema';
import { stepsOf } from './steps';
import { CORE_ROLES } from '../auth/roles';
import type { WorkflowPackage } from './package';

/** The version of the object below; raised when it changes in a way packages notice. */
export const PACKAGE_API_VERSION = 1;

export interface GrmsPackageApi {
  /** The contract's version: a package may refuse to load under one it does not know. */
  readonly apiVersion: number;
  /** xstate's `setup` and `assign`, the ones the engine runs machines with. */
  readonly setup: typeof setup;
  readonly assign: typeof assign;
  /** The rest of xstate a machine may need (guard combinators, raise). */
  readonly xstate: Readonly<{ setup: typeof setup; assign: typeof assign; and: typeof and; or: typeof or; not: typeof not; raise: typeof raise }>;
  /** A JSON Schema with more properties: the data as stored (see WorkflowDefinition.storedSchema). */
  readonly withProperties: typeof withProperties;
  /** The steps table of a machine whose transitions carry their step facts as `meta` (WorkflowDefinition.steps). */
  readonly stepsOf: typeof stepsOf;
  /** The core's roles (admin, auditor): a package declares its own and may name these in steps. */
  readonly coreRoles: readonly string[];
}

/** The object every external package receives. */
export const grmsPackageApi: GrmsPackageApi = Object.freeze({
  apiVersion: PACKAGE_API_VERSION,
  setup,
  assign,
  xstate: Object.freeze({ setup, assign, and, or, not, raise }),
  withProperties,
  stepsOf,
  coreRoles: Object.freeze(Object.keys(CORE_ROLES)),
});

/** What an external package module exports. */
export type DefinePackage = (grms: GrmsPackageApi) => WorkflowPackage | Promise<WorkflowPackage>;
