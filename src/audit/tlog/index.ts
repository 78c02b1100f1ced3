export * from './errors';
export * from './hash';
export * from './proofs';
export * from './note';
export * from './checkpoint';
export * from './cosignature';
export * from './policy';
export * from './proof-format';
