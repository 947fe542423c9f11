// The app's code base and static assets as an artifact of the stack: one object in a private S3
// bucket of the stack's own, named by the hash of its content. Each web server fetches it at boot
// (`foobar-secrets --artifact`) instead of carrying it in its user data, which EC2 limits to 16 KiB.
// A new app version is a new object, and a new key in the user data: the web servers are replaced,
// one at a time, as for any change of their user data (README, "Updating the stacks"). Prometheus's
// alert rules come the same way, as a second object the servers running Prometheus fetch.
import { createHash } from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUNDLE_ROOTS, InstalledFile, installedFiles } from "../../vm/appBundle";
import { BundleDelivery, BundleName } from "../../vm/boot";
import { SECRETS_HELPER_PATH } from "../../vm/cloudInit";
import { PROMETHEUS_RULES_DIR, PROMETHEUS_RULES_PATH } from "../../render/prometheus";

/** Where a web server's user data says which object to fetch (the boot helper's input). */
export const ARTIFACT_CONFIG_PATH = "/etc/foobar/artifact.json";
/** The bundle objects' keys: app/<sha256 of the content>.json, monitoring/<sha256>.json. */
export const ARTIFACT_PREFIX = "app/";
export const MONITORING_PREFIX = "monitoring/";

/** The object: every file of the bundle with its path and mode, as JSON. */
export interface AppArtifact {
    /** The object's bytes (UTF-8 JSON: `{"files": [{"path", "mode", "content"}]}`). */
    readonly content: string;
    /** Hex SHA-256 of `content`: the boot refuses any other bytes. */
    readonly sha256: string;
    readonly key: string;
    /** The only directories the boot may write its files under. */
    readonly roots: readonly string[];
}

function artifactOf(prefix: string, files: readonly InstalledFile[], roots: readonly string[]): AppArtifact {
    const content = `${JSON.stringify({ files })}\n`;
    const sha256 = createHash("sha256").update(content).digest("hex");
    return { content, sha256, key: `${prefix}${sha256}.json`, roots };
}

/** The app bundle as one object, named by its hash. Pure. */
export function appArtifact(files: readonly InstalledFile[] = installedFiles()): AppArtifact {
    return artifactOf(ARTIFACT_PREFIX, files, BUNDLE_ROOTS);
}

/** Prometheus's alert rules (the largest file of a load balancer's boot) as one object. Pure. */
export function monitoringArtifact(rules: string): AppArtifact {
    return artifactOf(MONITORING_PREFIX, [{ path: PROMETHEUS_RULES_PATH, content: rules, mode: "0644" }], [PROMETHEUS_RULES_DIR]);
}

/** Where an instance finds the artifact: the bucket (known once it exists), the key, the hash and the roots. */
export interface ArtifactLocation {
    readonly bucket: pulumi.Output<string>;
    readonly key: string;
    readonly sha256: string;
    readonly roots: readonly string[];
}

/**
 * The boot's side: a small config naming the bucket, key and hash, and the helper that fetches the
 * object with the instance role, checks its hash and writes its files under BUNDLE_ROOTS only. Pure.
 */
export function artifactDelivery(region: string, bucket: string, artifact: Omit<ArtifactLocation, "bucket">): BundleDelivery {
    const config = { region, bucket, key: artifact.key, sha256: artifact.sha256, roots: artifact.roots };
    return {
        files: [{ path: ARTIFACT_CONFIG_PATH, content: `${JSON.stringify(config, null, 2)}\n` }],
        commands: [[SECRETS_HELPER_PATH, "--artifact", ARTIFACT_CONFIG_PATH]],
    };
}

/** One bundle's object in the stack's bucket. */
export interface StoredArtifact {
    readonly object: aws.s3.BucketObjectv2;
    readonly location: ArtifactLocation;
    /** ARN of the object: the one thing of the bucket the role of a server that fetches it may read. */
    readonly objectArn: pulumi.Output<string>;
}

export interface ArtifactStore {
    readonly bucket: aws.s3.Bucket;
    /** Each bundle's object, by name. */
    readonly objects: ReadonlyMap<BundleName, StoredArtifact>;
}

/**
 * The stack's bucket, private whatever the account's settings: public access blocked, ACLs off
 * (BucketOwnerEnforced), requests over TLS only, encrypted at rest with S3's own keys (SSE-S3, which
 * S3 applies to every new object anyway; stated here so a review sees it), emptied by `pulumi destroy`
 * unless the stack is a production one. No versioning: each version of the app has its own key, and
 * the object of the previous one goes once the instances use the new one's.
 */
export function createArtifactStore(
    name: string,
    artifacts: ReadonlyMap<BundleName, AppArtifact>,
    production: boolean,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): ArtifactStore {
    const opts = { parent };
    const bucket = new aws.s3.Bucket(`${name}-artifacts`, { forceDestroy: !production, tags }, opts);
    const ownership = new aws.s3.BucketOwnershipControls(
        `${name}-artifacts`,
        { bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
        opts,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-artifacts`,
        { bucket: bucket.bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        opts,
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-artifacts`,
        { bucket: bucket.bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        opts,
    );
    new aws.s3.BucketPolicy(
        `${name}-artifacts`,
        { bucket: bucket.bucket, policy: bucket.arn.apply(tlsOnlyPolicy) },
        // After the block: a policy is checked against it once it exists.
        { parent, dependsOn: [publicAccess] },
    );
    const stored = [...artifacts].map(([bundle, artifact]): [BundleName, StoredArtifact] => {
        const object = new aws.s3.BucketObjectv2(
            `${name}-${bundle}-bundle`,
            { bucket: bucket.bucket, key: artifact.key, content: artifact.content, contentType: "application/json", tags },
            { parent, dependsOn: [ownership, encryption] },
        );
        return [
            bundle,
            {
                object,
                location: { bucket: bucket.bucket, key: artifact.key, sha256: artifact.sha256, roots: artifact.roots },
                objectArn: pulumi.interpolate`${bucket.arn}/${object.key}`,
            },
        ];
    });
    return { bucket, objects: new Map(stored) };
}

/** Denies every request not made over TLS (Security Hub S3.5). */
export function tlsOnlyPolicy(bucketArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "TlsOnly",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}
