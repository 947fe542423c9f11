// Makes node-mysql check WHO the database server is, not only that a trusted CA signed its
// certificate. node-mysql 2.18.1 (Debian's node-mysql, lib/Connection.js, `_startTLS`) upgrades
// the socket with `new tls.TLSSocket(connection._socket, { rejectUnauthorized, requestCert,
// secureContext, isServer: false })` and, on 'secure', calls
// `onSecure(rejectUnauthorized ? this.ssl.verifyError() : null)`: verifyError() is the chain check
// only. Unlike tls.connect(), a bare TLSSocket never runs tls.checkServerIdentity, and no
// servername is passed: the host name or IP address is never compared with the certificate. With
// Amazon's RDS CA that would accept any RDS instance's certificate, anyone's.
//
// The fix wraps `_startTLS` without copying it. 2.18.1 runs `secureSocket.pipe(connection._protocol)`
// (which emits 'pipe' on the protocol with the TLS socket) BEFORE it adds its own 'secure' listener,
// so a listener added on 'pipe' sees the certificate first; the wrapped onSecure then fails the
// handshake on a name mismatch. If a later driver never emits 'pipe', the check fails closed.
import * as tls from "tls";

type OnSecure = (err?: Error | null) => void;

/** The part of the TLS socket the check reads. */
export interface PeerCertificateSource {
  getPeerCertificate(): tls.PeerCertificate | Record<string, never>;
}

/** What the wrapper needs of node-mysql's Connection: its config and its protocol stream. */
export interface TlsConnection {
  config: { host?: string };
  _protocol: {
    once(event: "pipe", listener: (source: unknown) => void): unknown;
    removeListener(event: "pipe", listener: (source: unknown) => void): unknown;
  };
}

export interface TlsStarter {
  _startTLS(this: TlsConnection, onSecure: OnSecure): void;
}

const WRAPPED = Symbol("foobar.serverIdentityChecked");

function hasPeerCertificate(value: unknown): value is PeerCertificateSource & { once(event: "secure", listener: () => void): unknown } {
  const v = value as Partial<PeerCertificateSource & { once: unknown }> | null;
  return typeof v === "object" && v !== null && typeof v.getPeerCertificate === "function" && typeof v.once === "function";
}

/**
 * Node's own rule (as https uses it): an IP address must be an "IP Address" subjectAltName, never
 * the CN; a name must match a DNS subjectAltName (wildcards for one label), or the CN only when the
 * certificate has no DNS subjectAltName at all.
 */
export function serverIdentityError(host: string | undefined, cert: tls.PeerCertificate | Record<string, never>): Error | undefined {
  if (host === undefined || host === "") return new Error("no database host to check the server certificate against");
  if (cert.subject === undefined) return new Error(`the database server at ${host} presented no certificate`);
  try {
    return tls.checkServerIdentity(host, cert as tls.PeerCertificate);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Wraps `proto._startTLS` (node-mysql's Connection.prototype) once; every later TLS handshake checks the server's name. */
export function enforceServerIdentity(proto: TlsStarter): void {
  const original = proto._startTLS as TlsStarter["_startTLS"] & { [WRAPPED]?: true };
  if (typeof original !== "function") {
    throw new Error("this mysql driver has no Connection#_startTLS: cannot check the database server's certificate name");
  }
  if (original[WRAPPED] === true) return;
  const wrapped = function (this: TlsConnection, onSecure: OnSecure): void {
    const host = this.config.host;
    let seen = false;
    let identityError: Error | undefined;
    const onPipe = (source: unknown): void => {
      if (!hasPeerCertificate(source)) return;
      seen = true;
      source.once("secure", () => {
        identityError = serverIdentityError(host, source.getPeerCertificate());
      });
    };
    this._protocol.once("pipe", onPipe);
    original.call(this, (err?: Error | null) => {
      this._protocol.removeListener("pipe", onPipe);
      if (err) onSecure(err);
      else if (!seen) onSecure(new Error("could not see the database server's certificate: refusing the connection"));
      else onSecure(identityError ?? null);
    });
  };
  proto._startTLS = Object.assign(wrapped, { [WRAPPED]: true as const });
}
