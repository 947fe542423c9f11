// The database password as the config holds it (config.ts): kept out of logs and JSON.
import * as util from "util";

/** Holds the password so that logging or JSON-encoding a config never prints it. */
export class Secret {
  private readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  reveal(): string {
    return this.value;
  }
  toString(): string {
    return "[redacted]";
  }
  toJSON(): string {
    return "[redacted]";
  }
  [util.inspect.custom](): string {
    return "[redacted]";
  }
}
