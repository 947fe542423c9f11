#!/usr/bin/env node
// Transpile every SRC_DIR/**/*.ts to OUT_DIR/**/*.js (CommonJS, ES2020) with
// TypeScript's transpileModule: no type checking (that happens on the host in
// `npm test`), but ANY diagnostic (i.e. a syntax error) fails the build.
// Other files under SRC_DIR (e.g. *.json) are copied unchanged; *.d.ts skipped.
//
// usage: node transpile.js SRC_DIR OUT_DIR [TSCONFIG]
//
// From TSCONFIG only the emit-relevant boolean options listed in EMIT_OPTIONS
// are taken over (so `import x from "mysql"` compiles the same way as on the
// host); module and target are fixed.
"use strict";

const fs = require("fs");
const path = require("path");
const ts = require("typescript"); // Debian: /usr/share/nodejs/typescript

const EMIT_OPTIONS = [
  "esModuleInterop",
  "allowSyntheticDefaultImports",
  "experimentalDecorators",
  "emitDecoratorMetadata",
  "useDefineForClassFields",
  "preserveConstEnums",
];

function fail(message) {
  process.stderr.write(`transpile: ${message}\n`);
  process.exit(1);
}

const [srcDir, outDir, tsconfigPath] = process.argv.slice(2);
if (!srcDir || !outDir) fail("usage: node transpile.js SRC_DIR OUT_DIR [TSCONFIG]");
if (!fs.existsSync(srcDir) || !fs.statSync(srcDir).isDirectory()) fail(`${srcDir} is not a directory`);

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2020,
  esModuleInterop: true,
  newLine: ts.NewLineKind.LineFeed,
};

if (tsconfigPath) {
  const { config, error } = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (error) {
    fail(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  }
  const raw = (config && config.compilerOptions) || {};
  for (const name of EMIT_OPTIONS) {
    if (typeof raw[name] === "boolean") compilerOptions[name] = raw[name];
  }
  // Class-field semantics follow the host's target: for ES2022+ TypeScript
  // defaults useDefineForClassFields to true.
  const m = /^es(\d{4}|next)$/i.exec(String(raw.target || ""));
  if (raw.useDefineForClassFields === undefined && m && (m[1].toLowerCase() === "next" || Number(m[1]) >= 2022)) {
    compilerOptions.useDefineForClassFields = true;
  }
}

function walk(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

const formatHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => process.cwd(),
  getNewLine: () => "\n",
};

let errors = 0;
let transpiled = 0;
for (const file of walk(srcDir)) {
  const rel = path.relative(srcDir, file);
  if (file.endsWith(".d.ts")) continue;
  if (!file.endsWith(".ts")) {
    const dest = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(file, dest);
    continue;
  }
  const result = ts.transpileModule(fs.readFileSync(file, "utf8"), {
    compilerOptions,
    fileName: file,
    reportDiagnostics: true,
  });
  const diagnostics = result.diagnostics || [];
  if (diagnostics.length > 0) {
    errors += diagnostics.length;
    process.stderr.write(ts.formatDiagnostics(diagnostics, formatHost));
    continue;
  }
  const dest = path.join(outDir, rel.replace(/\.ts$/, ".js"));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, result.outputText);
  transpiled++;
}

if (errors > 0) fail(`${errors} error(s); nothing usable was produced`);
if (transpiled === 0) fail(`no .ts files under ${srcDir}`);
if (!fs.existsSync(path.join(outDir, "main.js"))) fail(`${srcDir}/main.ts is missing (the entrypoint runs dist/main.js)`);
process.stdout.write(`transpile: ${transpiled} file(s) -> ${outDir} (TypeScript ${ts.version})\n`);
