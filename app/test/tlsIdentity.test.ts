import * as assert from "node:assert/strict";
import { EventEmitter } from "events";
import * as tls from "tls";
import { enforceServerIdentity, serverIdentityError, TlsStarter } from "../src/tlsIdentity";

type OnSecure = (err?: Error | null) => void;
type Cert = Partial<tls.PeerCertificate>;

interface Handshake {
  host: string;
  cert: Cert;
  /** What the chain check (verifyError) says. */
  chainError?: Error;
  /** A TLS failure before 'secure' (e.g. no shared cipher). */
  tlsError?: Error;
}

/**
 * Does what node-mysql 2.18.1's Connection#_startTLS does, in its order: creates the TLS socket,
 * pipes it into the protocol (emitting 'pipe'), then listens for 'secure' and answers
 * onSecure(verifyError()). Unwrapped, it never looks at the name.
 */
class Mysql2181Connection {
  readonly config: { host?: string };
  readonly _protocol = new EventEmitter();
  constructor(private readonly handshake: Handshake) {
    this.config = { host: handshake.host };
  }
  _startTLS(onSecure: OnSecure): void {
    const { cert, chainError, tlsError } = this.handshake;
    const secureSocket = Object.assign(new EventEmitter(), {
      getPeerCertificate: () => cert,
      ssl: { verifyError: () => chainError ?? null },
    });
    secureSocket.on("_tlsError", (err: Error) => onSecure(err));
    this.pipe(secureSocket);
    secureSocket.on("secure", function (this: typeof secureSocket) {
      onSecure(this.ssl.verifyError());
    });
    setImmediate(() => (tlsError ? secureSocket.emit("_tlsError", tlsError) : secureSocket.emit("secure")));
  }
  pipe(source: EventEmitter): void {
    this._protocol.emit("pipe", source);
  }
}

/** A driver that upgrades some other way (it inherits the wrapped _startTLS): the wrapper never sees the certificate. */
class OtherDriverConnection extends Mysql2181Connection {
  pipe(): void {}
}

enforceServerIdentity(Mysql2181Connection.prototype as unknown as TlsStarter);
enforceServerIdentity(Mysql2181Connection.prototype as unknown as TlsStarter); // a second call is a no-op

function startTls(handshake: Handshake, make = (h: Handshake) => new Mysql2181Connection(h)): Promise<Error | null | undefined> {
  const conn = make(handshake);
  return new Promise((resolve) => conn._startTLS((err) => resolve(err)));
}

const ipCert = (ip: string): Cert => ({
  subject: { CN: "db-primary" } as tls.Certificate,
  subjectaltname: `DNS:db-primary, IP Address:${ip}`,
});
const nameCert = (...names: string[]): Cert => ({
  subject: { CN: names[0] } as tls.Certificate,
  subjectaltname: names.map((n) => `DNS:${n}`).join(", "),
});

describe("database server identity (node-mysql 2.18 checks the chain only)", () => {
  it("accepts an IP address listed as an IP Address subjectAltName", async () => {
    assert.equal(await startTls({ host: "10.77.2.10", cert: ipCert("10.77.2.10") }), null);
  });

  it("refuses an IP address the certificate does not list, or lists only as a name", async () => {
    const other = await startTls({ host: "10.77.2.11", cert: ipCert("10.77.2.10") });
    assert.equal((other as NodeJS.ErrnoException).code, "ERR_TLS_CERT_ALTNAME_INVALID");
    assert.equal(other?.message, "Hostname/IP does not match certificate's altnames: IP: 10.77.2.11 is not in the cert's list: 10.77.2.10");
    const asName = await startTls({
      host: "10.77.2.10",
      cert: { subject: { CN: "10.77.2.10" } as tls.Certificate, subjectaltname: "DNS:10.77.2.10" },
    });
    assert.equal((asName as NodeJS.ErrnoException).code, "ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("accepts a host name matching a DNS subjectAltName, wildcards for one label (RDS endpoints)", async () => {
    assert.equal(await startTls({ host: "db-primary", cert: nameCert("db-primary") }), null);
    const rds = "foobar.c9akciq32.eu-west-1.rds.amazonaws.com";
    assert.equal(await startTls({ host: rds, cert: nameCert("*.c9akciq32.eu-west-1.rds.amazonaws.com") }), null);
  });

  it("refuses a host name the certificate was not issued for (another RDS instance)", async () => {
    const err = await startTls({
      host: "foobar.c9akciq32.eu-west-1.rds.amazonaws.com",
      cert: nameCert("other.x1y2z3.eu-west-1.rds.amazonaws.com"),
    });
    assert.equal((err as NodeJS.ErrnoException).code, "ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("keeps the chain check's verdict, and TLS errors, as they are", async () => {
    const untrusted = Object.assign(new Error("self-signed certificate in certificate chain"), { code: "SELF_SIGNED_CERT_IN_CHAIN" });
    assert.equal(await startTls({ host: "10.77.2.10", cert: ipCert("10.77.2.10"), chainError: untrusted }), untrusted);
    const noCipher = new Error("no shared cipher");
    assert.equal(await startTls({ host: "10.77.2.10", cert: ipCert("10.77.2.10"), tlsError: noCipher }), noCipher);
  });

  it("refuses a server without a certificate", async () => {
    const err = await startTls({ host: "10.77.2.10", cert: {} });
    assert.equal(err?.message, "the database server at 10.77.2.10 presented no certificate");
  });

  it("fails closed when the driver does not show it the certificate", async () => {
    const err = await startTls({ host: "10.77.2.10", cert: ipCert("10.77.2.10") }, (h) => new OtherDriverConnection(h));
    assert.equal(err?.message, "could not see the database server's certificate: refusing the connection");
  });

  it("refuses to run on a driver without _startTLS", () => {
    assert.throws(() => enforceServerIdentity({} as TlsStarter), {
      message: "this mysql driver has no Connection#_startTLS: cannot check the database server's certificate name",
    });
  });

  it("serverIdentityError needs a host", () => {
    assert.equal(
      serverIdentityError(undefined, ipCert("10.0.0.1") as tls.PeerCertificate)?.message,
      "no database host to check the server certificate against",
    );
  });
});
