// Small helpers every renderer shares. Pure.

/** Joins config lines with a final newline: files are built from line arrays, not string surgery. */
export function lines(...parts: readonly string[]): string {
    return `${parts.join("\n")}\n`;
}

/**
 * Identifiers that reach a config file or a shell must be plain tokens: no spaces, quotes,
 * braces, semicolons or newlines that could end a directive or open a new one.
 */
export function assertSafeToken(what: string, value: string): void {
    if (!/^[A-Za-z0-9._:%/-]+$/.test(value)) {
        throw new Error(`refusing to render ${what} ${JSON.stringify(value)}: only letters, digits and . _ : % / - are allowed`);
    }
}

/** A value placed inside a single-quoted SQL string literal. */
export function sqlString(value: string): string {
    return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}
