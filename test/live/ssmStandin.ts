// A local stand-in for AWS Systems Manager Parameter Store: just enough of the SSM JSON 1.1 API
// for botocore's GetParameter and PutParameter (and the AWS SDK v3's GetParameter), so the boot
// helper (components/platforms/aws/files/foobar-secrets.py) runs unchanged in an EC2 stand-in
// instance, pointed here by the boot rehearsal seam (/etc/foobar/ssm-endpoint), and the readiness
// wait (components/platforms/aws/readiness.ts) can read what an instance wrote. Signatures are not
// checked (the instances carry fake credentials); every request is recorded with its caller's
// address, so a test can tell which instance read or wrote which parameter.
import * as http from "http";
import { AddressInfo } from "net";

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

export interface SsmStandin {
    /** The endpoint URL to give botocore (`endpoint_url`), e.g. http://10.99.0.1:43210. */
    readonly url: string;
    /** Every request, in arrival order. */
    readonly requests: SsmRequest[];
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
    region?: string;
}): Promise<SsmStandin> {
    const region = options.region ?? "eu-west-1";
    const parameters = new Map<string, { value: string; type: string; version: number }>([
        ...Object.entries(options.parameters).map(([k, value]) => [k, { value, type: "SecureString", version: 1 }] as const),
        ...Object.entries(options.plainParameters ?? {}).map(([k, value]) => [k, { value, type: "String", version: 1 }] as const),
    ]);
    const requests: SsmRequest[] = [];
    let seq = 0;

    const server = http.createServer((req, res) => {
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
            const credential = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ""));
            const put = target === "AmazonSSM.PutParameter";
            requests.push({
                operation,
                name,
                withDecryption: body?.WithDecryption === true,
                sourceAddress: (req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
                accessKeyId: credential?.[1],
                ...(put ? { value: String(body?.Value) } : {}),
            });
            if (req.method !== "POST" || (target !== "AmazonSSM.GetParameter" && !put)) {
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

    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, () => {
            server.off("error", reject);
            const { address, port } = server.address() as AddressInfo;
            resolve({
                url: `http://${address}:${port}`,
                requests,
                close: () =>
                    new Promise<void>((done) => {
                        server.closeAllConnections();
                        server.close(() => done());
                    }),
            });
        });
    });
}
