// The stack's alert topic: every CloudWatch alarm (alarms.ts) notifies it, into ALARM and back to OK,
// and whoever subscribes hears them (aws.alarmEmail; README, "CloudWatch alarms and the alert topic").
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The key policy of the topic's KMS key. Encrypted at rest, the topic must use a key of the
 * stack's own: CloudWatch alarms cannot publish to a topic under AWS's managed key (alias/aws/sns),
 * whose policy, which nobody can change, does not let CloudWatch use it; the alarm's action fails
 * ("not authorized to access the SNS topic's encryption key") and nobody hears of it (AWS Knowledge
 * Center, "cloudwatch-configure-alarm-sns"; SNS Developer Guide, "Enable compatibility between event
 * sources from AWS services and encrypted topics"). The account keeps the key's administration.
 */
export function alertKeyPolicy(keyArn: string): string {
    // arn:<partition>:kms:<region>:<account>:key/<id>
    const [, partition, , , account] = keyArn.split(":");
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministersTheKey",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${account}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "CloudWatchAlarmsPublishToTheTopic",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
            },
        ],
    });
}

/** The topic, encrypted with a key of its own, and the e-mail subscription aws.alarmEmail asks for. */
export function createAlertTopic(
    name: string,
    email: string | undefined,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): aws.sns.Topic {
    const key = new aws.kms.Key(
        `${name}-alerts`,
        {
            description: `foobar-infra ${name}: the alert topic's messages at rest`,
            enableKeyRotation: true,
            // Nothing is kept under it but messages waiting for delivery: the shortest wait KMS allows.
            deletionWindowInDays: 7,
            tags,
        },
        { parent },
    );
    const policy = new aws.kms.KeyPolicy(`${name}-alerts`, { keyId: key.id, policy: key.arn.apply(alertKeyPolicy) }, { parent });
    // The topic waits for the policy: no alarm can publish before CloudWatch may use the key.
    const topic = new aws.sns.Topic(`${name}-alerts`, { kmsMasterKeyId: key.arn, tags }, { parent, dependsOn: [policy] });
    if (email) {
        // SNS mails a confirmation link; the subscription delivers nothing until it is followed.
        new aws.sns.TopicSubscription(`${name}-alerts-email`, { topic: topic.arn, protocol: "email", endpoint: email }, { parent });
    }
    return topic;
}
