#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// An x402 agent written independently of the server code, as an external agent would write
// it: it builds the signing hash of wire-contract §8.4 / ves-crypto §10 itself, signs it with
// @noble/ed25519 (as the reference's stateset-x402 CLI does) and talks plain HTTP.
// TEST ONLY: keys are generated per run and never stored.
//
//   node tests/x402_client/x402_client.mjs vectors
//       checks this client's signing hash and signatures against tests/messages/ves_vectors.json
//   node tests/x402_client/x402_client.mjs scenario --url http://127.0.0.1:PORT --key KEY
//       --tenant UUID --store UUID [--count N] [--network set_chain] [--asset usdc]
//       two agents pay each other N times each (alternating), then check nonce replay,
//       idempotency, a bad signature and an expired intent; prints one JSON summary on stdout
//       and exits non-zero when the server answered something unexpected.

import * as ed from '@noble/ed25519';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHAIN_IDS = {
  set_chain: 84532001n, set_chain_testnet: 84532002n, arc: 5042001n, arc_testnet: 5042002n,
  base: 8453n, base_sepolia: 84532n, ethereum: 1n, ethereum_sepolia: 11155111n,
  arbitrum: 42161n, optimism: 10n,
};
const ASSETS = { usdc: 'usdc', usdt: 'usdt', ssusd: 'ssusd', ss_usd: 'ssusd', wssusd: 'wssusd',
                 wss_usd: 'wssusd', dai: 'dai', eth: 'eth' };

const hex = (bytes) => Buffer.from(bytes).toString('hex');

function u64be(v) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  return b;
}

/// SHA-256("X402_PAYMENT_V1" || payer || payee || U64BE(amount) || asset || network ||
/// U64BE(chain_id) || U64BE(valid_until) || U64BE(nonce)), no length framing.
export function signingHash(p) {
  const asset = ASSETS[p.asset];
  const chainId = CHAIN_IDS[p.network];
  if (!asset || chainId === undefined) throw new Error(`unknown asset/network ${p.asset}@${p.network}`);
  return createHash('sha256')
    .update('X402_PAYMENT_V1')
    .update(p.payer_address, 'utf8')
    .update(p.payee_address, 'utf8')
    .update(u64be(p.amount))
    .update(asset)
    .update(p.network)
    .update(u64be(chainId))
    .update(u64be(p.valid_until))
    .update(u64be(p.nonce))
    .digest();
}

async function newAgent() {
  const seed = ed.utils.randomPrivateKey();
  const publicKey = await ed.getPublicKeyAsync(seed);
  // An EVM-looking address derived from the key (20 bytes).
  const address = '0x' + createHash('sha256').update(publicKey).digest('hex').slice(0, 40);
  return { id: randomUUID(), seed, publicKey, address };
}

async function signedIntent(agent, fields) {
  const p = {
    payer_address: agent.address, asset: 'usdc', network: 'set_chain',
    valid_until: Math.floor(Date.now() / 1000) + 600, ...fields,
  };
  const h = signingHash(p);
  const sig = await ed.signAsync(h, agent.seed);
  return {
    ...p,
    agent_id: agent.id,
    signing_hash: '0x' + hex(h),
    payer_signature: '0x' + hex(sig),
    payer_public_key: '0x' + hex(agent.publicKey),
  };
}

async function post(cfg, path, body) {
  const res = await fetch(cfg.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'ApiKey ' + cfg.key },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

function expect(cond, what, res) {
  if (!cond) {
    const detail = res ? ` (HTTP ${res.status} ${res.text})` : '';
    throw new Error(`unexpected answer: ${what}${detail}`);
  }
}

async function scenario(cfg) {
  const a = await newAgent();
  const b = await newAgent();
  const base = { tenant_id: cfg.tenant, store_id: cfg.store, network: cfg.network, asset: cfg.asset };
  const intents = [];
  const nonces = new Map([[a.id, 0], [b.id, 0]]);
  const pay = async (from, to, amount, extra = {}) => {
    const nonce = extra.nonce ?? nonces.get(from.id) + 1;
    if (extra.nonce === undefined) nonces.set(from.id, nonce);
    const body = await signedIntent(from, { ...base, payee_address: to.address, amount, nonce, ...extra });
    return { body, res: await post(cfg, '/api/v1/x402/payments', body) };
  };
  for (let i = 0; i < cfg.count; ++i) {
    for (const [from, to] of [[a, b], [b, a]]) {
      const amount = 1 + ((i * 7 + (from === a ? 0 : 3)) % 50);
      const { body, res } = await pay(from, to, amount);
      expect(res.status === 200 && res.json?.status === 'sequenced', 'payment accepted', res);
      intents.push({ intent_id: res.json.intent_id, sequence_number: res.json.sequence_number,
                     payer: body.payer_address, payee: body.payee_address, amount,
                     nonce: body.nonce });
    }
  }
  const checks = {};
  // Nonce replay: the same payer and nonce, other contents, is refused.
  const replay = await pay(a, b, 999, { nonce: 1 });
  expect(replay.res.status === 400 && /Nonce already used/.test(replay.res.json?.error?.message ?? ''),
         'nonce replay refused', replay.res);
  checks.nonce_replay = replay.res.json.error.code;
  // Idempotency: the same key returns the first intent, even with other contents.
  const key = 'order-' + randomUUID();
  const first = await pay(a, b, 5, { idempotency_key: key });
  expect(first.res.status === 200, 'idempotent payment accepted', first.res);
  intents.push({ intent_id: first.res.json.intent_id, sequence_number: first.res.json.sequence_number,
                 payer: a.address, payee: b.address, amount: 5, nonce: first.body.nonce });
  const again = await pay(a, b, 6, { idempotency_key: key });
  expect(again.res.status === 200 && again.res.json.intent_id === first.res.json.intent_id,
         'idempotency key returns the same intent', again.res);
  checks.idempotent_intent = again.res.json.intent_id;
  // A signature by another key is refused.
  const forged = await signedIntent(b, { ...base, payer_address: a.address, payee_address: b.address,
                                         amount: 3, nonce: 424242 });
  forged.payer_public_key = '0x' + hex(a.publicKey);
  forged.agent_id = a.id;
  const bad = await post(cfg, '/api/v1/x402/payments', forged);
  expect(bad.status === 400 && bad.json?.error?.code === 'SIGNATURE_VERIFICATION_FAILED',
         'bad signature refused', bad);
  checks.bad_signature = bad.json.error.code;
  // An intent whose validity already ended is refused.
  const old = await pay(a, b, 3, { nonce: 525252, valid_until: Math.floor(Date.now() / 1000) - 10 });
  expect(old.res.status === 400 && /expired/.test(old.res.json?.error?.message ?? ''),
         'expired intent refused', old.res);
  checks.expired = old.res.json.error.message;
  return {
    agents: [a, b].map((x) => ({ agent_id: x.id, address: x.address, public_key: hex(x.publicKey) })),
    intents,
    checks,
  };
}

function vectors() {
  const here = dirname(fileURLToPath(import.meta.url));
  const v = JSON.parse(readFileSync(join(here, '..', 'messages', 'ves_vectors.json'), 'utf8'));
  let n = 0;
  return Promise.all(v.x402.intents.map(async (i) => {
    const p = { payer_address: i.payer_address, payee_address: i.payee_address, amount: BigInt(i.amount),
                asset: i.asset, network: i.network, valid_until: BigInt(i.valid_until),
                nonce: BigInt(i.nonce) };
    const h = hex(signingHash(p));
    if (h !== i.signing_hash) throw new Error(`signing hash of vector ${n}: ${h} != ${i.signing_hash}`);
    const sig = hex(await ed.signAsync(Buffer.from(h, 'hex'), Buffer.from(i.signer_seed, 'hex')));
    if (sig !== i.payer_signature) throw new Error(`signature of vector ${n}`);
    ++n;
  })).then(() => ({ vectors: v.x402.intents.length, ok: true }));
}

function args(argv) {
  const out = { count: 5, network: 'set_chain', asset: 'usdc' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    out[k] = k === 'count' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return out;
}

const [cmd, ...rest] = process.argv.slice(2);
try {
  let result;
  if (cmd === 'vectors') result = await vectors();
  else if (cmd === 'scenario') result = await scenario(args(rest));
  else throw new Error('usage: x402_client.mjs vectors | scenario --url U --key K --tenant T --store S [--count N]');
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  process.stderr.write(`x402_client: ${e.message}\n`);
  process.exit(1);
}
