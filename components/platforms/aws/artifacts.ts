// The app's code base and static assets as an artifact of the stack: one object in a private S3
// bucket of the stack's own, named by the hash of its content. Each web server fetches it at boot
// (`foobar-secrets --artifact`) instead of carrying it in its user data, which EC2 limits to 16 KiB.
// A new app version is a new object, and a new key in the user data: the web servers are replaced,
// one at a time, as for any change of their user data (README, "Updating the stacks").
import { createHash } from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUNDLE_ROOTS, InstalledFile, installedFiles } from "../../vm/appBundle";
import { BundleDelivery } from "../../vm/boot";
import { SECRETS_HELPER_PATH } from "../../vm/cloudInit";

/** Where a web server's user data says which object to fetch (the boot helper's input). */
export const ARTIFACT_CONFIG_PATH = "/etc/foobar/artifact.json";
/** The bundle objects' keys: app/<sha256 of the content>.json. */
export const ARTIFACT_PREFIX = "app/";

/** The object: every file of the bundle with its path and mode, as JSON. */
export interface AppArtifact {
    /** The object's bytes (UTF-8 JSON: `{"files": [{"path", "mode", "content"}]}`). */
    readonly content: string;
    /** Hex SHA-256 of `content`: the boot refuses any other bytes. */
    readonly sha256: string;
    readonly key: string;
}

/** The bundle as one object, named by its hash. Pure. */
export function appArtifact(files: readonly InstalledFile[] = installedFiles()): AppArtifact {
    const content = `${JSON.stringify({ files })}\n`;
    const sha256 = createHash("sha256").update(content).digest("hex");
    return { content, sha256, key: `${ARTIFACT_PREFIX}${sha256}.json` };
}

/** Where an instance finds the artifact: the bucket (known once it exists), the key and the hash. */
export interface ArtifactLocation {
    readonly bucket: pulumi.Output<string>;
    readonly key: string;
    readonly sha256: string;
}

/**
 * The boot's side: a small config naming the bucket, key and hash, and the helper that fetches the
 * object with the instance role, checks its hash and writes its files under BUNDLE_ROOTS only. Pure.
 */
export function artifactDelivery(region: string, bucket: string, artifact: Omit<ArtifactLocation, "bucket">): BundleDelivery {
    const config = { region, bucket, key: artifact.key, sha256: artifact.sha256, roots: BUNDLE_ROOTS };
    return {
        files: [{ path: ARTIFACT_CONFIG_PATH, content: `${JSON.stringify(config, null, 2)}\n` }],
        commands: [[SECRETS_HELPER_PATH, "--artifact", ARTIFACT_CONFIG_PATH]],
    };
}

export interface ArtifactStore {
    readonly bucket: aws.s3.Bucket;
    readonly object: aws.s3.BucketObjectv2;
    readonly location: ArtifactLocation;
    /** ARN of the object: the one thing a web server's role may read from the bucket. */
    readonly objectArn: pulumi.Output<string>;
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
    artifact: AppArtifact,
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
    const object = new aws.s3.BucketObjectv2(
        `${name}-app-bundle`,
        { bucket: bucket.bucket, key: artifact.key, content: artifact.content, contentType: "application/json", tags },
        { parent, dependsOn: [ownership, encryption] },
    );
    return {
        bucket,
        object,
        location: { bucket: bucket.bucket, key: artifact.key, sha256: artifact.sha256 },
        objectArn: pulumi.interpolate`${bucket.arn}/${object.key}`,
    };
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
