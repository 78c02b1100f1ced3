export * from './calendar';
export * from './deadlines';
export * from './scheduler';
