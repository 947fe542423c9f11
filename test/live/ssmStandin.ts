// A local stand-in for AWS Systems Manager Parameter Store: just enough of the SSM JSON 1.1 API
// for botocore's GetParameter, so the boot helper (components/platforms/aws/files/foobar-secrets.py)
// runs unchanged in an EC2 stand-in instance, pointed here by the boot rehearsal seam
// (/etc/foobar/ssm-endpoint). Signatures are not checked (the instances carry fake
// credentials); every request is recorded with its caller's address, so a test can tell
// which instance read which parameter.
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
    parameters: Record<string, string>;
    region?: string;
}): Promise<SsmStandin> {
    const region = options.region ?? "eu-west-1";
    const parameters = new Map(Object.entries(options.parameters));
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
            let body: { Name?: unknown; WithDecryption?: unknown };
            try {
                body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString()) : {};
            } catch {
                body = {};
            }
            const operation = target.startsWith("AmazonSSM.") ? target.slice("AmazonSSM.".length) : target;
            const name = typeof body?.Name === "string" ? body.Name : "";
            const credential = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ""));
            requests.push({
                operation,
                name,
                withDecryption: body?.WithDecryption === true,
                sourceAddress: (req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
                accessKeyId: credential?.[1],
            });
            if (req.method !== "POST" || target !== "AmazonSSM.GetParameter") {
                reply(400, {
                    __type: "InvalidAction",
                    message: `the SSM stand-in implements only GetParameter, not ${target || "(no X-Amz-Target)"}`,
                });
                return;
            }
            const value = parameters.get(name);
            if (value === undefined) {
                reply(400, { __type: "ParameterNotFound", message: `Parameter ${name} not found.` });
                return;
            }
            reply(200, {
                Parameter: {
                    Name: name,
                    Type: "SecureString",
                    // A SecureString comes back decrypted only when asked; otherwise as ciphertext.
                    Value: body.WithDecryption === true ? value : Buffer.from(`kms-ciphertext:${name}`).toString("base64"),
                    Version: 1,
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
