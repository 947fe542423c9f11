// The docker CLI wrapper itself: a docker that exits without reading its input must come back
// as a result, never as an uncaught EPIPE (that crashed a CI run's boot rehearsal hook).
import * as assert from "node:assert/strict";
import { dockerRun } from "./docker";

describe("live: dockerRun", () => {
    it("returns the exit status of a docker that never reads its input, and throws nothing", async () => {
        // 16 MiB: far past a pipe's buffer, so the write is still pending when docker exits.
        const r = await dockerRun(["version", "--format", "{{.Client.Version}}"], { input: Buffer.alloc(16 << 20, 0x61) });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^\d+\.\d+/);
    });

    it("reports a docker that cannot be started as a failed result", async () => {
        const r = await dockerRun(["version"], { env: { PATH: "/nonexistent" } });
        assert.equal(r.code, -1);
        assert.match(r.stderr, /ENOENT/);
    });
});
