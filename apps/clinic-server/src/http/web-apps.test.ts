import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type ClinicDb } from '../db/connect.ts';
import { buildApp, type ClinicApp } from './app.ts';

describe('web apps served from the clinic server', () => {
  let dir: string;
  let clinic: ClinicDb;
  let built: ClinicApp;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'thecal-web-'));
    mkdirSync(join(dir, 'one', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'one', 'index.html'), '<!doctype html><title>one</title>');
    writeFileSync(join(dir, 'one', 'assets', 'app-abc123.js'), 'console.log(1)');
    clinic = await openDatabase({ dataDir: join(dir, 'db') });
    built = await buildApp(clinic, {
      docsUi: false,
      webApps: [
        { prefix: '/one/', dir: join(dir, 'one'), title: 'App one' },
        { prefix: '/two/', dir: join(dir, 'missing'), title: 'App two' },
      ],
    });
  });
  after(async () => {
    await built.app.close();
    await clinic.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html fresh and hashed assets as immutable', async () => {
    const index = await built.app.inject({ method: 'GET', url: '/one/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.body, /<title>one<\/title>/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    const asset = await built.app.inject({ method: 'GET', url: '/one/assets/app-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.body, 'console.log(1)');
    assert.match(String(asset.headers['cache-control']), /immutable/);
  });

  it('answers a client-side route with index.html, and redirects the bare prefix', async () => {
    const deep = await built.app.inject({ method: 'GET', url: '/one/session/refill?step=2' });
    assert.equal(deep.statusCode, 200);
    assert.match(deep.body, /<title>one<\/title>/);
    const bare = await built.app.inject({ method: 'GET', url: '/one' });
    assert.equal(bare.statusCode, 302);
    assert.equal(bare.headers.location, '/one/');
  });

  it('says how to build an app that was never built', async () => {
    const r = await built.app.inject({ method: 'GET', url: '/two/' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /App two is not built: run "npm run build:web"/);
  });

  it('lists the apps on the landing page, and the API still answers 404 as JSON', async () => {
    const home = await built.app.inject({ method: 'GET', url: '/' });
    assert.match(home.body, /href="\/one\/">App one/);
    assert.match(home.body, /href="\/two\/">App two/);
    const api = await built.app.inject({ method: 'GET', url: '/api/nothing-here' });
    assert.equal(api.statusCode, 404);
    assert.equal((api.json() as { error: string }).error, 'not-found');
  });
});
