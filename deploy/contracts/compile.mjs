// SPDX-License-Identifier: Apache-2.0
// Compiles every deploy/contracts/*.sol (anchor contracts, x402 settlement, test token) with
// solc-js (the exact version pinned in the root package.json / package-lock.json) and writes
// one JSON file per contract:
//   <out>/<Contract>.json = { contractName, sourceName, abi, bytecode, deployedBytecode,
//                             methodIdentifiers, compiler: { version, settings } }
// bytecode fields are 0x-prefixed hex. Usage:
//   node deploy/contracts/compile.mjs [out-dir]        (default: build/contracts)
// Exits 1 and prints solc's messages when compilation fails (warnings are printed too).
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const require = createRequire(join(root, 'package.json'));

let solc;
try {
  solc = require('solc');
} catch (e) {
  console.error(`compile.mjs: solc-js is not installed; run \`npm ci\` in ${root}`);
  process.exit(1);
}

const outDir = resolve(process.argv[2] ?? join(root, 'build', 'contracts'));

// "paris" (no PUSH0) runs on ganache and on L2s that lag behind mainnet forks. viaIR: the
// reference ABI's anchorBatch takes eight calldata arrays and VesPaymentBatch.settleBatch
// twelve arguments, too many stack slots for the legacy code generator.
const settings = {
  optimizer: { enabled: true, runs: 200 },
  viaIR: true,
  evmVersion: 'paris',
  outputSelection: {
    '*': {
      '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.methodIdentifiers'],
    },
  },
};

const sources = {};
for (const f of readdirSync(here).filter((n) => n.endsWith('.sol')).sort()) {
  sources[f] = { content: readFileSync(join(here, f), 'utf8') };
}
if (Object.keys(sources).length === 0) {
  console.error(`compile.mjs: no .sol files in ${here}`);
  process.exit(1);
}

const input = { language: 'Solidity', sources, settings };
const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const m of output.errors ?? []) {
  console.error(m.formattedMessage ?? m.message);
  if (m.severity === 'error') failed = true;
}
if (failed) process.exit(1);

mkdirSync(outDir, { recursive: true });
const version = solc.version();
const written = [];
for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
  for (const [contractName, c] of Object.entries(contracts)) {
    const artifact = {
      contractName,
      sourceName: `deploy/contracts/${sourceName}`,
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
      methodIdentifiers: c.evm.methodIdentifiers,
      compiler: {
        version,
        settings: {
          optimizer: settings.optimizer,
          viaIR: settings.viaIR,
          evmVersion: settings.evmVersion,
        },
      },
    };
    const file = join(outDir, `${contractName}.json`);
    writeFileSync(file, JSON.stringify(artifact, null, 2) + '\n');
    written.push(file);
  }
}
const names = written.map((f) => f.split('/').pop()).join(', ');
console.log(`compile.mjs: solc ${version}: ${names} → ${outDir}`);
