// A local stand-in for AWS Systems Manager Parameter Store: just enough of the SSM JSON 1.1 API
// for botocore's GetParameter and PutParameter (and the AWS SDK v3's GetParameter), so the boot
// helper (components/platforms/aws/files/foobar-secrets.py) runs unchanged in an EC2 stand-in
// instance, pointed here by the boot rehearsal seam (/etc/foobar/ssm-endpoint), and the readiness
// wait (components/platforms/aws/readiness.ts) can read what an instance wrote. The same server
// answers S3's GetObject (path-style, as botocore asks an endpoint given by address), for the app
// bundle the helper fetches through /etc/foobar/s3-endpoint. Signatures are not checked (the
// instances carry fake credentials); every request is recorded with its caller's address, so a
// test can tell which instance read or wrote which parameter, and fetched which object.
import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";

/** The instance a request came from (its address on the VPC stand-in). */
export const sourceOf = (req: http.IncomingMessage): string => (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
/** The access key id a SigV4-signed request names. */
export const keyIdOf = (req: http.IncomingMessage): string | undefined =>
    /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];

export interface SsmRequest {
    /** The X-Amz-Target operation, e.g. "GetParameter" (without the "AmazonSSM." prefix). */
    readonly operation: string;
    /** The requested parameter name ("" when the body had none). */
    readonly name: string;
    readonly withDecryption: boolean;
    /** The caller's IPv4 address (IPv4-mapped IPv6 is unwrapped). */
    readonly sourceAddress: string;
    /** The access key id from the SigV4 Authorization header, if any: shows which credentials signed. */
    readonly accessKeyId?: string;
    /** PutParameter only: the value written (the stand-in holds no secret written this way). */
    readonly value?: string;
}

export interface S3Request {
    /** "GetObject", or the method of anything else asked (answered 501). */
    readonly operation: string;
    readonly bucket: string;
    readonly key: string;
    readonly sourceAddress: string;
    readonly accessKeyId?: string;
    /** The HTTP status answered. */
    readonly status: number;
}

export interface SsmStandin {
    /** The endpoint URL to give botocore (`endpoint_url`), e.g. http://10.99.0.1:43210. */
    readonly url: string;
    /** Every SSM request, in arrival order. */
    readonly requests: SsmRequest[];
    /** Every S3 request, in arrival order. */
    readonly objectRequests: S3Request[];
    /** Adds or replaces an object ("<bucket>/<key>"). */
    putObject(bucket: string, key: string, body: Buffer | string): void;
    close(): Promise<void>;
}

const ACCOUNT = "123456789012";
const JSON_11 = "application/x-amz-json-1.1";

export function startSsmStandin(options: {
    host: string;
    port: number;
    /** SecureString values, by name. */
    parameters: Record<string, string>;
    /** String values, by name (a readiness parameter's placeholder). */
    plainParameters?: Record<string, string>;
    /** S3 objects, by "<bucket>/<key>". */
    objects?: Record<string, Buffer | string>;
    region?: string;
}): Promise<SsmStandin> {
    const region = options.region ?? "eu-west-1";
    const parameters = new Map<string, { value: string; type: string; version: number }>([
        ...Object.entries(options.parameters).map(([k, value]) => [k, { value, type: "SecureString", version: 1 }] as const),
        ...Object.entries(options.plainParameters ?? {}).map(([k, value]) => [k, { value, type: "String", version: 1 }] as const),
    ]);
    const requests: SsmRequest[] = [];
    const objects = new Map(Object.entries(options.objects ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
    const objectRequests: S3Request[] = [];
    let seq = 0;

    const server = http.createServer((req, res) => {
        if (req.method !== "POST") {
            s3(req, res);
            return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
            const reply = (status: number, body: unknown): void => {
                const payload = Buffer.from(JSON.stringify(body));
                res.writeHead(status, {
                    "Content-Type": JSON_11,
                    "Content-Length": payload.length,
                    "x-amzn-RequestId": `00000000-0000-4000-8000-${String(++seq).padStart(12, "0")}`,
                });
                res.end(payload);
            };
            const target = String(req.headers["x-amz-target"] ?? "");
            let body: { Name?: unknown; WithDecryption?: unknown; Value?: unknown; Type?: unknown; Overwrite?: unknown };
            try {
                body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString()) : {};
            } catch {
                body = {};
            }
            const operation = target.startsWith("AmazonSSM.") ? target.slice("AmazonSSM.".length) : target;
            const name = typeof body?.Name === "string" ? body.Name : "";
            const put = target === "AmazonSSM.PutParameter";
            requests.push({
                operation,
                name,
                withDecryption: body?.WithDecryption === true,
                sourceAddress: sourceOf(req),
                accessKeyId: keyIdOf(req),
                ...(put ? { value: String(body?.Value) } : {}),
            });
            if (target !== "AmazonSSM.GetParameter" && !put) {
                reply(400, {
                    __type: "InvalidAction",
                    message: `the SSM stand-in implements only GetParameter and PutParameter, not ${target || "(no X-Amz-Target)"}`,
                });
                return;
            }
            const stored = parameters.get(name);
            if (put) {
                // As SSM: an existing parameter is overwritten only when asked, and keeps its type.
                if (stored && body.Overwrite !== true) {
                    reply(400, { __type: "ParameterAlreadyExists", message: `The parameter ${name} already exists.` });
                } else if (typeof body.Value !== "string" || (stored && body.Type !== undefined && body.Type !== stored.type)) {
                    reply(400, {
                        __type: "ValidationException",
                        message: `PutParameter ${name}: a string Value, and the parameter's own Type`,
                    });
                } else {
                    const version = (stored?.version ?? 0) + 1;
                    parameters.set(name, { value: body.Value, type: stored?.type ?? String(body.Type ?? "String"), version });
                    reply(200, { Version: version, Tier: "Standard" });
                }
                return;
            }
            if (stored === undefined) {
                reply(400, { __type: "ParameterNotFound", message: `Parameter ${name} not found.` });
                return;
            }
            const secure = stored.type === "SecureString";
            reply(200, {
                Parameter: {
                    Name: name,
                    Type: stored.type,
                    // A SecureString comes back decrypted only when asked; otherwise as ciphertext.
                    Value:
                        !secure || body.WithDecryption === true ? stored.value : Buffer.from(`kms-ciphertext:${name}`).toString("base64"),
                    Version: stored.version,
                    ARN: `arn:aws:ssm:${region}:${ACCOUNT}:parameter${name.startsWith("/") ? "" : "/"}${name}`,
                    DataType: "text",
                },
            });
        });
    });

    /** S3, path-style: GET /<bucket>/<key>, as S3 answers it (an XML error otherwise). */
    function s3(req: http.IncomingMessage, res: http.ServerResponse): void {
        const [bucket = "", ...rest] = new URL(req.url ?? "/", "http://standin").pathname.slice(1).split("/");
        const key = decodeURIComponent(rest.join("/"));
        const found = objects.get(`${decodeURIComponent(bucket)}/${key}`);
        const requestId = `STANDIN${String(++seq).padStart(9, "0")}`;
        const fail = (status: number, code: string, message: string) => {
            const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
            res.writeHead(status, {
                "Content-Type": "application/xml",
                "Content-Length": Buffer.byteLength(xml),
                "x-amz-request-id": requestId,
            });
            res.end(xml);
            return status;
        };
        let status: number;
        if (req.method !== "GET") status = fail(501, "NotImplemented", `the S3 stand-in implements only GetObject, not ${req.method}`);
        else if (!found) status = fail(404, "NoSuchKey", "The specified key does not exist.");
        else {
            res.writeHead(200, {
                "Content-Type": "application/octet-stream",
                "Content-Length": found.length,
                ETag: `"${crypto.createHash("md5").update(found).digest("hex")}"`,
                "Last-Modified": new Date(0).toUTCString(),
                "x-amz-request-id": requestId,
            });
            res.end(found);
            status = 200;
        }
        objectRequests.push({
            operation: req.method === "GET" ? "GetObject" : String(req.method),
            bucket: decodeURIComponent(bucket),
            key,
            sourceAddress: sourceOf(req),
            accessKeyId: keyIdOf(req),
            status,
        });
    }

    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, () => {
            server.off("error", reject);
            const { address, port } = server.address() as AddressInfo;
            resolve({
                url: `http://${address}:${port}`,
                requests,
                objectRequests,
                putObject: (bucket, key, body) => void objects.set(`${bucket}/${key}`, Buffer.from(body)),
                close: () =>
                    new Promise<void>((done) => {
                        server.closeAllConnections();
                        server.close(() => done());
                    }),
            });
        });
    });
}
