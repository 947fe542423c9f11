// Runs once before the live suite: the images build FROM debian:bookworm-slim, which no registry
// may serve here, so make sure it exists (pulled, or built from Debian's archive with debootstrap).
import { execFileSync } from "child_process";
import * as path from "path";

before(function () {
    this.timeout(10 * 60_000);
    execFileSync("bash", [path.join(__dirname, "..", "..", "scripts", "ensure-base-image.sh")], { stdio: "inherit" });
});
