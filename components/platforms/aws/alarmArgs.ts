// The key of `aws.*` about the AWS-native alarms (alarms.ts): where, besides the SNS topic itself,
// their notifications go by e-mail.
import { TextField } from "../../config/schema";

/** An address SNS can mail: a local part without spaces, quotes, brackets or separators, @, a dotted domain. */
const EMAIL = /^[^\s@"<>(),;:[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** RFC 5321's limits: 64 characters before the @, 254 in all. */
export const isEmailAddress = (v: string): boolean => EMAIL.test(v) && v.length <= 254 && v.indexOf("@") <= 64;

export const ALARM_EMAIL_FIX = 'must be one e-mail address like "ops@example.com", or left unset for no e-mail subscription.';

export const ALARM_EMAIL_SCHEMA: TextField = {
    type: "text",
    valid: isEmailAddress,
    fix: ALARM_EMAIL_FIX,
    defaultDoc: "no e-mail subscription",
    doc: 'An e-mail address subscribed to the stack\'s alert topic (every CloudWatch alarm, in and out of ALARM). SNS mails it a confirmation link first; nothing arrives until it is followed (README, "CloudWatch alarms and the alert topic").',
};
