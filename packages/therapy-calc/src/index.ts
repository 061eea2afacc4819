/** Thecal's clinical calculations, shared by the programmer and the clinic server. Pure: no I/O, no clock. */
export * from './doses.ts';
export * from './schedule.ts';
export * from './refill.ts';
export * from './catheter.ts';
export * from './dates.ts';
export * from './diff.ts';
export * from './interrogation.ts';
