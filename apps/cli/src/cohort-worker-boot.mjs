// Worker entry for `npx thecal cohort`: the command runs TypeScript through tsx, and a worker
// thread starts without the parent's loader, so it registers tsx itself before loading the code.
import { register } from 'tsx/esm/api';

register();
const { cohortWorkerMain } = await import('./cohort-run.ts');
await cohortWorkerMain();
