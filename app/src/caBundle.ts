// Reads the database CA bundle FOOBAR_DB_CA_FILE names (config.ts). Checked at
// start-up, so a wrong path or a damaged file is one clear config error, not a
// TLS failure on every connection.
import * as crypto from "crypto";
import * as fs from "fs";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Reads the CA bundle: readable, not empty, only well-formed certificates, at least one. */
export function readCaBundle(path: string): { ca?: string; problem?: string } {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
    return { problem: `cannot be read (${code})` };
  }
  if (text.trim() === "") return { problem: "names an empty file" };
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return { problem: "holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)" };
  for (const [index, block] of blocks.entries()) {
    try {
      new crypto.X509Certificate(block);
    } catch {
      return { problem: `holds a CERTIFICATE block that is not a valid certificate (block ${index + 1} of ${blocks.length})` };
    }
  }
  return { ca: text };
}
