export { startVirtualPump, type VirtualPumpOptions, type RunningPump } from './virtual-pump.ts';
export { parseImpairment, NO_IMPAIRMENT, ImpairedPath, type ImpairmentSpec } from './impairment.ts';
export { ScaledClock } from './clock.ts';
export { loadOrManufacture, pumpFiles } from './store.ts';
export * from './faults/index.ts';
