// S3 buckets private: every bucket the stack creates has public access blocked (all four settings
// of a BucketPublicAccessBlock of its own) and ACLs disabled (ownership controls with
// BucketOwnerEnforced), so that neither a bucket policy nor an ACL can open an object to the
// internet, whatever the account's settings. Not applicable when the stack creates no bucket.
import { StackResource, TYPES, Violation, ofType, refersTo, show } from "./resources";

const BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** Whether `r` configures `bucket`: by the engine's property dependencies, or by the bucket's id or name. */
const configures = (r: StackResource, bucket: StackResource): boolean =>
    refersTo(r, "bucket", bucket) || (typeof r.props.bucket === "string" && r.props.bucket === bucket.props.bucket);

/** Violations of the whole stack; undefined when it creates no bucket (not applicable). */
export function checkS3(resources: readonly StackResource[]): Violation[] | undefined {
    const buckets = [...ofType(resources, TYPES.bucket), ...ofType(resources, TYPES.bucketV2)];
    if (buckets.length === 0) return undefined;
    return buckets.flatMap((bucket): Violation[] => {
        const blocks = ofType(resources, TYPES.bucketPublicAccessBlock).filter((b) => configures(b, bucket));
        const ownership = ofType(resources, TYPES.bucketOwnershipControls).filter((o) => configures(o, bucket));
        const violations: Violation[] = blocks.flatMap((b) => {
            const open = BLOCKS.filter((k) => b.props[k] !== true);
            if (open.length === 0) return [];
            const settings = open.map((k) => `${k} ${show(b.props[k])}`).join(", ");
            return [{ urn: b.urn, message: `bucket ${bucket.name}: public access block ${b.name} has ${settings}: set all four to true` }];
        });
        if (blocks.length === 0)
            violations.push({
                urn: bucket.urn,
                message: `bucket ${bucket.name} has no public access block: add an aws.s3.BucketPublicAccessBlock with ${BLOCKS.join(", ")} true`,
            });
        if (!ownership.some((o) => o.props.rule?.objectOwnership === "BucketOwnerEnforced"))
            violations.push({
                urn: bucket.urn,
                message: `bucket ${bucket.name} has ACLs enabled: add an aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced"`,
            });
        return violations;
    });
}
