/**
 * The HTTP application: Fastify with the OpenAPI document (`/docs`, JSON at `/docs/json`), every
 * route declared through `addRoute`, and one error format for everything that goes wrong:
 * `{ error, message, issues? }` with a 4xx status that says what and why.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { LoginLimiter } from '../auth/rate-limit.ts';
import type { ClinicDb } from '../db/connect.ts';
import { DEFAULT_CONFIG, type AppContext, type ClinicConfig } from './context.ts';
import { HttpError } from './errors.ts';
import type { RouteTable } from './route.ts';
import { authRoutes } from '../routes/auth.ts';
import { userRoutes } from '../routes/users.ts';
import { patientRoutes } from '../routes/patients.ts';
import { clinicRoutes } from '../routes/clinic.ts';
import { fhirRoutes } from '../routes/fhir.ts';
import { DEFAULT_WEB_APPS, registerWebApps, type WebApp } from './web-apps.ts';
import { exportRoutes } from '../routes/exports.ts';
import { patientAppRoutes } from '../routes/patient-app.ts';
import { sessionReportRoutes } from '../routes/session-reports.ts';

export interface ClinicApp {
  app: FastifyInstance;
  ctx: AppContext;
  routes: RouteTable;
}

export interface BuildOptions {
  config?: Partial<ClinicConfig>;
  now?: () => number;
  logger?: boolean;
  /** Serve the OpenAPI browser at /docs (default true); the JSON document is always built. */
  docsUi?: boolean;
  /** Browser apps served from this origin (default: the programmer and the patient app, when built). */
  webApps?: readonly WebApp[];
}

export async function buildApp(clinic: ClinicDb, opts: BuildOptions = {}): Promise<ClinicApp> {
  const config: ClinicConfig = { ...DEFAULT_CONFIG, ...opts.config };
  const ctx: AppContext = {
    db: clinic.db,
    dialect: clinic.dialect,
    config,
    limiter: new LoginLimiter(clinic.db, { maxFailures: config.loginMaxFailures, windowMs: config.loginWindowMs }),
    now: opts.now ?? (() => Date.now()),
  };
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    // A poisoned prototype key is refused, not silently stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
  });
  // zod validates inside every handler (one error format); the JSON schemas are for the OpenAPI document only.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof HttpError) {
      for (const [k, v] of Object.entries(error.headers)) void reply.header(k, v);
      return reply.code(error.statusCode).send({ error: error.code, message: error.message, ...(error.issues.length > 0 ? { issues: error.issues } : {}) });
    }
    const e = error as { statusCode?: number; code?: string; message: string };
    const status = e.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: fastifyCode(e.code), message: clientMessage(e.code, e.message) });
    reply.log.error(error);
    return reply.code(500).send({ error: 'internal', message: 'internal error: nothing was stored' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not-found', message: `no endpoint ${request.method} ${request.url.split('?')[0]}` }));

  await app.register(swagger, {
    openapi: {
      info: { title: 'Thecal clinic server', version: '0.1.0', description: 'Patients, implants, prescriptions, refills, sessions, forecasts, worklist, FHIR R4. A simulator, not a medical device.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  if (opts.docsUi ?? true) {
    // Loaded only when served: it reads its static files from its own folder at run time.
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  const routes: RouteTable = [];
  authRoutes(app, ctx, routes);
  userRoutes(app, ctx, routes);
  patientRoutes(app, ctx, routes);
  clinicRoutes(app, ctx, routes);
  exportRoutes(app, ctx, routes);
  fhirRoutes(app, ctx, routes);
  patientAppRoutes(app, ctx, routes);
  sessionReportRoutes(app, ctx, routes);
  await registerWebApps(app, opts.webApps ?? DEFAULT_WEB_APPS);
  await app.ready();
  return { app, ctx, routes };
}

function fastifyCode(code: string | undefined): string {
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body-too-large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported-media-type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'malformed-body';
    default:
      return 'bad-request';
  }
}
function clientMessage(code: string | undefined, message: string): string {
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'the request body is larger than this endpoint accepts';
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'send the body as application/json';
  if (message.includes('prototype') || message.includes('constructor')) return 'body: forbidden key __proto__ or constructor.prototype';
  return `body: ${message}`;
}
