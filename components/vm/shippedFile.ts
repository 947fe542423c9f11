// The repository's files that boots carry as they are (scripts, a Python helper): read once each,
// the first time a stack needs one. Not pure (it reads the repository), but it reads only files
// that ship with this package.
import * as fs from "fs";

const read = new Map<string, string>();

/** The text of the file at `absolutePath` (build it from `__dirname`), read once per process. */
export function shippedFile(absolutePath: string): string {
    const cached = read.get(absolutePath) ?? fs.readFileSync(absolutePath, "utf8");
    read.set(absolutePath, cached);
    return cached;
}
