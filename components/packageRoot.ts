// Where the package's own files are (images/, app/, the scripts boots ship): the directory of its
// package.json. Found by walking up, not by a fixed number of "..": the same modules run from the
// sources (ts-node, the repository) and compiled into dist/ (the npm library, package.json exports).
import * as fs from "fs";
import * as path from "path";

const PACKAGE_NAME = "foobar-infra";

function findPackageRoot(from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        const manifest = path.join(dir, "package.json");
        if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === PACKAGE_NAME)
            return dir;
        if (path.dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${from}`);
    }
}

/** The absolute path of the package's root directory. */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

/** A file of the package by its path from the root, e.g. "components/vm/files/foobar-data-volume.sh". */
export const packagePath = (relative: string): string => path.join(PACKAGE_ROOT, relative);
