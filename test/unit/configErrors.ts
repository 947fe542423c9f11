// What both config test files expect of a ConfigError: its header lines, and the error itself.
import assert from "node:assert/strict";
import { ConfigError } from "../../components/config/problems";
import { validateArgs } from "../../components/foobarSchema";

const HEADER_1 = "Invalid foobar-infra configuration (1 problem); nothing was created:";
/** The whole message of an error with exactly one problem line. */
export const one = (line: string): string => `${HEADER_1}\n${line}`;
/** The first line of an error with n (2 or more) problems. */
export const header = (n: number): string => `Invalid foobar-infra configuration (${n} problems); nothing was created:`;

/** The ConfigError validateArgs throws for `args`; fails the test when it accepts them. */
export function errorOf(args: unknown): ConfigError {
    try {
        validateArgs(args);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        return err;
    }
    assert.fail(`validateArgs accepted ${JSON.stringify(args)}`);
}
