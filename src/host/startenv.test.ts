import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ASIDE, restoreStartEnv, startEnv } from './startenv.js';

test('NODE_EXTRA_CA_CERTS moved aside for start-up is put back, and nothing else changes', () => {
  const env: NodeJS.ProcessEnv = { [ASIDE]: '/etc/ssl/certs/extra.pem', PATH: '/bin' };
  restoreStartEnv(env);
  assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/extra.pem', PATH: '/bin' });
  // Given empty, it stays given (and empty); never moved aside, nothing happens.
  const empty: NodeJS.ProcessEnv = { [ASIDE]: '' };
  restoreStartEnv(empty);
  assert.deepEqual(empty, { NODE_EXTRA_CA_CERTS: '' });
  const none: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/x.pem' };
  restoreStartEnv(none);
  assert.deepEqual(none, { NODE_EXTRA_CA_CERTS: '/x.pem' });
});

test('a node is started with NODE_EXTRA_CA_CERTS moved aside, from a copy, and gets it back', () => {
  const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/x.pem', HOME: '/h' };
  const started = startEnv(env);
  assert.deepEqual(started, { [ASIDE]: '/x.pem', HOME: '/h' });
  assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/x.pem', HOME: '/h' });
  restoreStartEnv(started);
  assert.deepEqual(started, env);
  const plain: NodeJS.ProcessEnv = { HOME: '/h' };
  assert.deepEqual(startEnv(plain), plain);
  assert.notEqual(startEnv(plain), plain);
});
