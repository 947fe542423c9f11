// Secrecy in config: which values must never be shown in an error. Pure.

/** Shown instead of any value that may hold a secret. */
export const SECRET_PLACEHOLDER = "[secret]";

/**
 * A stack config value Pulumi holds as a secret (`pulumi config set --secret`): validation reads
 * it through `value`; an error, a log line or JSON only ever shows "[secret]".
 */
export class ConfigSecret {
    constructor(readonly value: unknown) {}
    toString(): string {
        return SECRET_PLACEHOLDER;
    }
    toJSON(): string {
        return SECRET_PLACEHOLDER;
    }
}

/** A value with any ConfigSecret wrapper taken off (wrappers sit where stack config put them: at a top-level key). */
export const reveal = (value: unknown): unknown => (value instanceof ConfigSecret ? value.value : value);

/** Key names that say they hold a secret: password, secret, token, or a key ("key", "privateKey", "apiKey"). */
const SECRET_NAME = /password|secret|token|(^|[a-z_-])key$/i;

/** Whether a dotted config key names a secret anywhere along its path ("database.password", "tls.key"). */
export const soundsSecret = (key: string): boolean => key.split(".").some((segment) => SECRET_NAME.test(segment));
