// The Dockerfiles under images/ and what components/platforms/docker/images.ts builds from them:
// every image the platform runs is built FROM the base it registers (so the base's packages are
// downloaded once), and only the base installs Debian packages.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { BASE_IMAGE, IMAGE_OF } from "../../components/platforms/docker/images";

const IMAGES = path.join(__dirname, "..", "..", "images");
const BASE_TAG = `foobar-infra/${BASE_IMAGE}:local`;
/** Test-only: stands for a bare AMI, whose boot installs the daemons itself (its Dockerfile says why). */
const STANDALONE = ["ec2-standin"];

const dockerfile = (image: string) => fs.readFileSync(path.join(IMAGES, image, "Dockerfile"), "utf8");
const froms = (image: string) => [...dockerfile(image).matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);

describe("images: one shared base", () => {
    const runtime = [...new Set(Object.values(IMAGE_OF))];

    it("has a Dockerfile for the base, every image the platform runs and nothing else", () => {
        const dirs = fs
            .readdirSync(IMAGES, { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => e.name);
        assert.deepEqual(dirs.sort(), [BASE_IMAGE, ...runtime, ...STANDALONE].sort());
    });

    it("builds the base from Debian 12, and every image the platform runs (each stage) from the base", () => {
        assert.deepEqual(froms(BASE_IMAGE), ["debian:bookworm-slim"]);
        for (const image of runtime) {
            const stages = froms(image);
            assert.ok(stages.length > 0, image);
            for (const from of stages) assert.equal(from, BASE_TAG, `${image}: FROM ${from}`);
        }
    });

    it("installs Debian packages in the base only", () => {
        for (const image of runtime) assert.doesNotMatch(dockerfile(image), /apt-install\.sh|apt-get|dpkg -i/, image);
        assert.match(dockerfile(BASE_IMAGE), /sh \/tmp\/apt-install\.sh/);
    });
});
