// The key of `aws.*` about the AWS-native alarms (alarms.ts): where, besides the SNS topic itself,
// their notifications go by e-mail.
import { isEmailAddress } from "../../config/net";
import { TextField } from "../../config/schema";

export const ALARM_EMAIL_FIX = 'must be one e-mail address like "ops@example.com", or left unset for no e-mail subscription.';

export const ALARM_EMAIL_SCHEMA: TextField = {
    type: "text",
    valid: isEmailAddress,
    fix: ALARM_EMAIL_FIX,
    defaultDoc: "no e-mail subscription",
    doc: 'An e-mail address subscribed to the stack\'s alert topic (every CloudWatch alarm, in and out of ALARM). SNS mails it a confirmation link first; nothing arrives until it is followed (README, "CloudWatch alarms and the alert topic").',
};
